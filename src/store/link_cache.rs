//! The in-process link cache: a hot link costs no Redis round trip, and a code that does
//! not exist is remembered briefly so that guessing codes costs Redis nothing either.

use super::Store;
use crate::domain::{ChannelRegistry, Link, ShortCode, UtmPolicy};
use crate::error::{AppError, Result};
use moka::Expiry;
use moka::future::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

    /// Puts a link the process just wrote, so that a change shows at once.
    pub async fn put(&self, link: Link) {
        let resolved = CachedLink::Found(Arc::new(self.resolve(link.clone())));
        self.cache.insert(link.code, resolved).await;
    }

    /// Forgets a code, e.g. after another instance changed it.
    pub async fn invalidate(&self, code: &ShortCode) {
        self.cache.invalidate(code).await;
    }
}
