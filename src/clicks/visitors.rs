//! Unique visitors without identifying anyone: a visitor is a keyed hash of (address,
//! user agent) under a random secret of the UTC day. The secret lives in Redis (so every
//! instance agrees) and expires after its day, so yesterday's hashes cannot be linked to
//! today's, nor turned back into an address (Plausible's approach).

use crate::domain::click::{VisitorId, day_of, now_ms};
use crate::store::Store;
use arc_swap::ArcSwap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a day's secret outlives its day: long enough for late clicks from the spool.
const SECRET_GRACE_SECS: i64 = 3600;
const REFRESH_EVERY: Duration = Duration::from_secs(10);

struct DaySecret {
    day: String,
    key: Vec<u8>,
    /// False while Redis could not be asked: the secret is this process's own for now.
    shared: bool,
    /// Keyed with the secret and fed the day: a clone per visitor skips the two key
    /// blocks that keying costs (half the hashing).
    keyed: Option<Hmac<Sha256>>,
}

impl DaySecret {
    fn new(day: String, key: Vec<u8>, shared: bool) -> DaySecret {
        let keyed = Hmac::<Sha256>::new_from_slice(&key).ok().map(|mut mac| {
            mac.update(day.as_bytes());
            mac
        });
        DaySecret { day, key, shared, keyed }
    }
}

/// Hashes visitors with the current day's secret.
pub struct VisitorHasher {
    store: Store,
    current: ArcSwap<DaySecret>,
}

impl VisitorHasher {
    /// Starts with a local secret; [`VisitorHasher::refresh`] replaces it with the shared one.
    pub fn new(store: Store, now_ms: i64) -> VisitorHasher {
        let local = DaySecret::new(day_of(now_ms), random_secret().into_bytes(), false);
        VisitorHasher { store, current: ArcSwap::from_pointee(local) }
    }

    /// The visitor id of a request: 128 bits of HMAC-SHA256.
    pub fn visitor_id(&self, ip: Option<IpAddr>, user_agent: &str) -> VisitorId {
        let Some(mut mac) = self.current.load().keyed.clone() else {
            // Not reached: HMAC takes a key of any length.
            return VisitorId::from_hash(&[0; 16]);
        };
        match ip {
            Some(IpAddr::V4(v4)) => mac.update(&v4.octets()),
            Some(IpAddr::V6(v6)) => mac.update(&v6.octets()),
            None => mac.update(b"-"),
        }
        mac.update(b"\0");
        mac.update(user_agent.as_bytes());
        let hash = mac.finalize().into_bytes();
        let mut first = [0; 16];
        first.copy_from_slice(&hash[..16]);
        VisitorId::from_hash(&first)
    }

    /// Makes sure the secret is today's and shared; on a Redis error keeps the local one.
    pub async fn refresh(&self, now_ms: i64) {
        let day = day_of(now_ms);
        let current = self.current.load();
        if current.day == day && current.shared {
            return;
        }
        let candidate = if current.day == day { hex::encode(&current.key) } else { random_secret() };
        let expire_at = (now_ms / 1000 / 86_400 + 1) * 86_400 + SECRET_GRACE_SECS;
        match self.store.day_secret(&day, &candidate, expire_at).await {
            Ok(secret) => self.current.store(Arc::new(DaySecret::new(day, secret.into_bytes(), true))),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the visitor secret from Redis; using a local one for now");
                if current.day != day {
                    self.current.store(Arc::new(DaySecret::new(day, candidate.into_bytes(), false)));
                }
            }
        }
    }

    /// Refreshes in the background until `stop`.
    pub fn spawn_refresher(self: Arc<Self>, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_EVERY);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => self.refresh(now_ms()).await,
                }
            }
        })
    }
}

fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}
