//! The in-process link cache: a hot link costs no Redis round trip, and a code that does
//! not exist is remembered briefly so that guessing codes costs Redis nothing either.

use super::Store;
use crate::domain::{ChannelRegistry, Link, ShortCode, UtmPolicy};
use crate::error::{AppError, Result};
use futures_util::StreamExt;
use moka::Expiry;
use moka::future::Cache;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Message prefix of a changed link on the events channel.
const LINK_CHANGED: &str = "link:";
/// Wait before subscribing again after the subscription broke.
const RESUBSCRIBE_AFTER: Duration = Duration::from_millis(500);

/// A link ready to redirect: the redirect target is computed once, when it is loaded.
#[derive(Debug, Clone)]
pub struct ResolvedLink {
    pub link: Link,
    pub location: String,
    pub private_channel: bool,
}

/// What the cache knows about a code.
#[derive(Debug, Clone)]
pub enum CachedLink {
    Found(Arc<ResolvedLink>),
    Missing,
}

struct ByOutcome {
    found: Duration,
    missing: Duration,
}

impl Expiry<ShortCode, CachedLink> for ByOutcome {
    fn expire_after_create(&self, _: &ShortCode, value: &CachedLink, _: Instant) -> Option<Duration> {
        Some(match value {
            CachedLink::Found(_) => self.found,
            CachedLink::Missing => self.missing,
        })
    }
}

/// Bounded, expiring cache in front of [`Store::get_link`].
#[derive(Clone)]
pub struct LinkCache {
    cache: Cache<ShortCode, CachedLink>,
    store: Store,
    channels: Arc<ChannelRegistry>,
    utm: Arc<UtmPolicy>,
}

impl LinkCache {
    pub fn new(store: Store, channels: Arc<ChannelRegistry>, utm: UtmPolicy, capacity: u64, ttl: Duration, negative_ttl: Duration) -> LinkCache {
        let cache = Cache::builder()
            .max_capacity(capacity)
            .expire_after(ByOutcome { found: ttl, missing: negative_ttl })
            .build();
        LinkCache { cache, store, channels, utm: Arc::new(utm) }
    }

    /// What the cache knows about a code, without asking Redis.
    pub async fn cached(&self, code: &ShortCode) -> Option<CachedLink> {
        self.cache.get(code).await
    }

    /// The link for a code, from the cache or from Redis. Concurrent misses for one code
    /// share one Redis read.
    pub async fn get(&self, code: &ShortCode) -> Result<CachedLink> {
        self.cache
            .try_get_with_by_ref(code, self.load(code))
            .await
            .map_err(|e: Arc<AppError>| match &*e {
                AppError::Store(err) => AppError::Store(err.clone()),
                other => AppError::Internal(other.to_string()),
            })
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
        ResolvedLink { link, location, private_channel }
    }

    /// Takes a link this process just changed: cached here at once, and announced so that
    /// every other instance drops its copy (within the pub/sub latency, well under a
    /// second). A failed announcement leaves the others to their cache TTL, and says so.
    pub async fn changed(&self, link: Link) {
        let code = link.code.clone();
        let resolved = CachedLink::Found(Arc::new(self.resolve(link)));
        self.cache.insert(code.clone(), resolved).await;
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
            self.cache.invalidate_all();
        }
        let mut messages = pubsub.into_on_message();
        while let Some(message) = messages.next().await {
            let payload: String = message.get_payload()?;
            if let Some(code) = payload.strip_prefix(LINK_CHANGED).and_then(ShortCode::parse) {
                self.cache.invalidate(&code).await;
            }
        }
        Ok(())
    }
}
