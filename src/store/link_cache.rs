//! The in-process link cache: a hot link costs no Redis round trip, and a code that does
//! not exist is remembered briefly so that guessing codes costs Redis nothing either.

use super::Store;
use crate::domain::{ChannelRegistry, Link, ShortCode, UtmPolicy};
use crate::error::{AppError, Result};
use futures_util::future::{BoxFuture, Shared};
use futures_util::{FutureExt, StreamExt};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Message prefix of a changed link on the events channel.
const LINK_CHANGED: &str = "link:";
/// Wait before subscribing again after the subscription broke.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(500);

/// A link ready to redirect: the redirect target is computed once, when it is loaded.
#[derive(Debug)]
pub struct ResolvedLink {
    /// Shared with every click recorded for it.
    pub link: Arc<Link>,
    pub location: String,
    pub private_channel: bool,
    /// Set once the router has sent this code's path to the redirect: then no other route
    /// matches it, and the redirect may answer it before the router (routes::redirect).
    pub routed: AtomicBool,
}

/// What the cache knows about a code.
#[derive(Debug, Clone)]
pub enum CachedLink {
    Found(Arc<ResolvedLink>),
    Missing,
}

/// Bounded, expiring cache in front of [`Store::get_link`].
///
/// Every redirect reads it, so a hit is one read lock of one of [`SHARDS`] maps and a clock
/// read (moka's bookkeeping had been 5–9 % of the process in the redirect profile,
/// docs/performance.md). A full shard first drops what has expired, then a random eighth
/// of itself (iteration order), which keeps hot links cached with high probability.
#[derive(Clone)]
pub struct LinkCache {
    inner: Arc<Inner>,
    store: Store,
    channels: Arc<ChannelRegistry>,
    utm: Arc<UtmPolicy>,
}

struct Inner {
    shards: Vec<RwLock<HashMap<ShortCode, Entry>>>,
    per_shard: usize,
    hasher: foldhash::fast::RandomState,
    found_ttl: Duration,
    missing_ttl: Duration,
    /// Reads of Redis in flight, so that concurrent misses for one code share one.
    loading: Mutex<HashMap<ShortCode, Load>>,
    /// Bumped by every change and invalidation: a read of Redis that started before one
    /// may have read the old link, and is then answered but not cached.
    generation: AtomicU64,
}

const SHARDS: usize = 16;

type Load = Shared<BoxFuture<'static, std::result::Result<CachedLink, Arc<AppError>>>>;

struct Entry {
    value: CachedLink,
    expires: Instant,
}

/// A cached answer, and whether it is still within its TTL.
enum Held {
    Fresh(CachedLink),
    /// A link past its TTL by less than one more TTL: answered while it is read again.
    /// An unknown code is never stale: a code minted meanwhile must not stay unknown.
    Stale(Arc<ResolvedLink>),
}

impl LinkCache {
    /// Holds about `capacity` links (0: none); a link is trusted for `ttl`, an unknown code
    /// for `negative_ttl`.
    pub fn new(store: Store, channels: Arc<ChannelRegistry>, utm: UtmPolicy, capacity: u64, ttl: Duration, negative_ttl: Duration) -> LinkCache {
        let inner = Inner::new(usize::try_from(capacity).unwrap_or(usize::MAX), ttl, negative_ttl);
        LinkCache { inner: Arc::new(inner), store, channels, utm: Arc::new(utm) }
    }

    /// What the cache knows about a code, without waiting for Redis. A link past its TTL
    /// but within its grace is answered as it is while it is read again in the background,
    /// so that a link in steady use never keeps a reader waiting for Redis.
    pub fn cached(&self, code: &ShortCode) -> Option<CachedLink> {
        match self.inner.get(code, Instant::now())? {
            Held::Fresh(known) => Some(known),
            Held::Stale(resolved) => {
                let (load, started) = self.loading(code);
                if started {
                    // A failed read leaves the stale link to answer until its grace ends.
                    tokio::spawn(async move { drop(load.await) });
                }
                Some(CachedLink::Found(resolved))
            }
        }
    }

    /// The link for a code, from the cache or from Redis. Concurrent misses for one code
    /// share one Redis read.
    pub async fn get(&self, code: &ShortCode) -> Result<CachedLink> {
        if let Some(known) = self.cached(code) {
            return Ok(known);
        }
        let (load, _) = self.loading(code);
        load.await.map_err(|e| match &*e {
            AppError::Store(err) => AppError::Store(err.clone()),
            other => AppError::Internal(other.to_string()),
        })
    }

    /// The read of a code under way, or a new one (then `true`: it is not yet polled).
    fn loading(&self, code: &ShortCode) -> (Load, bool) {
        let mut loading = self.inner.loading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(load) = loading.get(code) {
            return (load.clone(), false);
        }
        let load = self.clone().load_and_keep(code.clone()).boxed().shared();
        loading.insert(code.clone(), load.clone());
        (load, true)
    }

    /// Reads a code from Redis and caches what it found, unless the link changed meanwhile.
    async fn load_and_keep(self, code: ShortCode) -> std::result::Result<CachedLink, Arc<AppError>> {
        let generation = self.inner.generation.load(Ordering::Acquire);
        let loaded = self.load(&code).await.map_err(Arc::new);
        if let Ok(value) = &loaded
            && self.inner.generation.load(Ordering::Acquire) == generation
        {
            self.inner.insert(code.clone(), value.clone());
        }
        self.inner.loading.lock().unwrap_or_else(PoisonError::into_inner).remove(&code);
        loaded
    }

    async fn load(&self, code: &ShortCode) -> Result<CachedLink> {
        Ok(match self.store.get_link(code).await? {
            Some(link) => CachedLink::Found(Arc::new(self.resolve(link))),
            None => CachedLink::Missing,
        })
    }

    fn resolve(&self, link: Link) -> ResolvedLink {
        let private_channel = self.channels.get(&link.channel).is_none_or(|c| c.private);
        let location = link.location(&self.utm, private_channel);
        ResolvedLink { link: Arc::new(link), location, private_channel, routed: AtomicBool::new(false) }
    }

    /// Takes a link this process just changed: cached here at once, and announced so that
    /// every other instance drops its copy (within the pub/sub latency, well under a
    /// second). A failed announcement leaves the others to their cache TTL, and says so.
    pub async fn changed(&self, link: Link) {
        let code = link.code.clone();
        let resolved = CachedLink::Found(Arc::new(self.resolve(link)));
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.insert(code.clone(), resolved);
        if let Err(e) = self.store.publish(&format!("{LINK_CHANGED}{code}")).await {
            tracing::warn!(error = %e, code = %code, "cannot announce a changed link; other instances see it within the cache TTL");
        }
    }

    /// Listens for links changed on other instances until `stop`, and drops them from the
    /// cache. Once subscribed again after a break, the whole cache is dropped: a change may
    /// have been announced while nobody listened. (Not while Redis is away: then the cache
    /// is what keeps known links redirecting.)
    pub fn spawn_invalidations(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut resubscribing = false;
            while !stop.is_cancelled() {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    outcome = cache.listen(resubscribing) => {
                        if let Err(e) = outcome {
                            tracing::debug!(error = %e, "link change subscription broke; subscribing again");
                        }
                    }
                }
                resubscribing = true;
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(RESUBSCRIBE_AFTER) => {}
                }
            }
        })
    }

    async fn listen(&self, resubscribing: bool) -> redis::RedisResult<()> {
        let client = redis::Client::open(self.store.pubsub_url().expose_secret())?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(self.store.keys().events()).await?;
        if resubscribing {
            self.inner.invalidate_all();
        }
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            let payload: String = message.get_payload()?;
            if let Some(code) = payload.strip_prefix(LINK_CHANGED).and_then(ShortCode::parse) {
                self.inner.invalidate(&code);
            }
        }
        Ok(())
    }
}

impl Inner {
    fn new(capacity: usize, found_ttl: Duration, missing_ttl: Duration) -> Inner {
        Inner {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: foldhash::fast::RandomState::default(),
            found_ttl,
            missing_ttl,
            loading: Mutex::default(),
            generation: AtomicU64::new(0),
        }
    }

    fn get(&self, code: &ShortCode, now: Instant) -> Option<Held> {
        let shard = self.shard(code).read().unwrap_or_else(PoisonError::into_inner);
        let entry = shard.get(code)?;
        if entry.expires > now {
            return Some(Held::Fresh(entry.value.clone()));
        }
        match &entry.value {
            CachedLink::Found(resolved) if entry.expires + self.found_ttl > now => Some(Held::Stale(resolved.clone())),
            _ => None,
        }
    }

    fn shard(&self, code: &ShortCode) -> &RwLock<HashMap<ShortCode, Entry>> {
        &self.shards[self.hasher.hash_one(code) as usize % SHARDS]
    }

    fn insert(&self, code: ShortCode, value: CachedLink) {
        let ttl = match value {
            CachedLink::Found(_) => self.found_ttl,
            CachedLink::Missing => self.missing_ttl,
        };
        if self.per_shard == 0 {
            return;
        }
        let now = Instant::now();
        let mut shard = self.shard(&code).write().unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= self.per_shard && !shard.contains_key(&code) {
            shard.retain(|_, entry| entry.expires > now);
            let mut over = (shard.len() + 1).saturating_sub(self.per_shard - self.per_shard / 8);
            shard.retain(|_, _| {
                let keep = over == 0;
                over = over.saturating_sub(1);
                keep
            });
        }
        shard.insert(code, Entry { value, expires: now + ttl });
    }

    fn invalidate(&self, code: &ShortCode) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.shard(code).write().unwrap_or_else(PoisonError::into_inner).remove(code);
    }

    fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        for shard in &self.shards {
            shard.write().unwrap_or_else(PoisonError::into_inner).clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: usize) -> ShortCode {
        let digit = |d: usize| crate::domain::code::ALPHABET[d % 56];
        let code: String = [n, n / 56, n / 3136].into_iter().map(digit).collect();
        ShortCode::parse(&format!("cde{code}")).expect("a code")
    }

    fn found() -> CachedLink {
        let target = crate::domain::TargetUrl::parse("https://example.com/post").expect("url");
        let content_id = crate::domain::ContentId::for_url(&target);
        let link = Link { code: code(1), content_id, channel: "sms".into(), campaign: None, target, created_ms: 0, enabled: true };
        CachedLink::Found(Arc::new(ResolvedLink { link: Arc::new(link), location: "https://example.com/post".into(), private_channel: true, routed: AtomicBool::new(false) }))
    }

    /// What a reader gets now, if it is within its TTL.
    fn fresh(cache: &Inner, code: &ShortCode) -> Option<CachedLink> {
        match cache.get(code, Instant::now())? {
            Held::Fresh(known) => Some(known),
            Held::Stale(_) => None,
        }
    }

    fn held(cache: &Inner) -> usize {
        cache.shards.iter().map(|shard| shard.read().expect("shard").len()).sum()
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_keeps_what_came_last() {
        let cache = Inner::new(160, Duration::from_secs(60), Duration::from_secs(60));
        for n in 0..5000 {
            cache.insert(code(n), CachedLink::Missing);
            assert!(fresh(&cache, &code(n)).is_some(), "{n} was just inserted");
        }
        assert!((140..=160).contains(&held(&cache)), "{} held", held(&cache));
    }

    #[test]
    fn an_entry_answers_until_its_ttl_and_an_invalidation() {
        let cache = Inner::new(100, Duration::from_secs(60), Duration::ZERO);
        cache.insert(code(1), CachedLink::Missing);
        assert!(fresh(&cache, &code(1)).is_none(), "an unknown code with no negative TTL is not remembered");
        cache.insert(code(1), found());
        assert!(matches!(fresh(&cache, &code(1)), Some(CachedLink::Found(_))));
        let generation = cache.generation.load(Ordering::Acquire);
        cache.invalidate(&code(1));
        assert!(fresh(&cache, &code(1)).is_none());
        assert!(cache.generation.load(Ordering::Acquire) > generation, "a read of Redis in flight must not cache the old link");
    }

    #[test]
    fn a_link_past_its_ttl_is_stale_for_one_more_ttl_and_an_unknown_code_never_is() {
        let ttl = Duration::from_secs(60);
        let cache = Inner::new(100, ttl, ttl);
        cache.insert(code(1), found());
        cache.insert(code(2), CachedLink::Missing);
        let now = Instant::now();
        let at = |code: &ShortCode, after: Duration| match cache.get(code, now + after) {
            Some(Held::Fresh(_)) => "fresh",
            Some(Held::Stale(_)) => "stale",
            None => "none",
        };
        assert_eq!(at(&code(1), ttl - Duration::from_secs(1)), "fresh");
        assert_eq!(at(&code(1), ttl + Duration::from_secs(1)), "stale");
        assert_eq!(at(&code(1), ttl * 2 + Duration::from_secs(1)), "none", "a link unused for long is read again first");
        assert_eq!(at(&code(2), ttl - Duration::from_secs(1)), "fresh");
        assert_eq!(at(&code(2), ttl + Duration::from_secs(1)), "none");
    }

    #[test]
    fn capacity_zero_caches_nothing() {
        let cache = Inner::new(0, Duration::from_secs(60), Duration::from_secs(60));
        cache.insert(code(1), CachedLink::Missing);
        assert_eq!(held(&cache), 0);
    }
}
