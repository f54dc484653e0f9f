//! An in-process rate limiter per client, for the public (token-less) widget endpoint.
//!
//! Each client has a GCRA bucket (the "theoretical arrival time" of its next request): a
//! burst of `per_minute` requests passes at once, then one more per `60 s / per_minute`.
//! Clients are kept in a bounded moka cache under a keyed hash of their address (a key
//! made at startup and never stored), so no address is held, even in memory; an idle
//! client's bucket is full again after a minute and is dropped then.
//!
//! Why not `governor`: its keyed limiter keeps every key until told to prune, and moka
//! (already used for the link cache) gives the bound and the expiry for free.

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most clients tracked at once; beyond it the least recently seen are forgotten (and
/// get a fresh burst, which is the safe side for a limit meant against floods).
const MAX_CLIENTS: u64 = 100_000;

/// Limits requests per client address.
#[derive(Clone)]
pub struct ClientRateLimiter {
    /// Time between requests once the burst is spent.
    interval: Duration,
    /// How far ahead of now a client's next slot may be: the burst, less one interval.
    tolerance: Duration,
    buckets: moka::future::Cache<u64, Arc<Mutex<Instant>>>,
    hasher: std::collections::hash_map::RandomState,
}

impl ClientRateLimiter {
    /// Allows `per_minute` requests per client per minute, all of them in one burst.
    pub fn per_minute(per_minute: u32) -> ClientRateLimiter {
        let per_minute = per_minute.max(1);
        let interval = Duration::from_secs(60) / per_minute;
        ClientRateLimiter {
            interval,
            tolerance: interval * (per_minute - 1),
            buckets: moka::future::Cache::builder().max_capacity(MAX_CLIENTS).time_to_idle(Duration::from_secs(60)).build(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Counts a request of `client`: Ok, or Err with how long until it would pass.
    pub async fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let key = self.hasher.hash_one(client.to_canonical());
        let bucket = self.buckets.get_with(key, async move { Arc::new(Mutex::new(now)) }).await;
        // A poisoned lock only means another request panicked mid-update of an Instant:
        // the value is still a valid time.
        let mut next = bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let start = (*next).max(now);
        let ahead = start - now;
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        *next = start + self.interval;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_passes_then_the_client_waits_while_others_do_not() {
        let limiter = ClientRateLimiter::per_minute(3);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().expect("ip"), "2001:db8::1".parse().expect("ip"));
        for _ in 0..3 {
            assert!(limiter.check(a).await.is_ok());
        }
        let wait = limiter.check(a).await.expect_err("the fourth in a minute waits");
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "{wait:?}");
        assert!(limiter.check(b).await.is_ok(), "another client has its own bucket");
    }

    #[tokio::test]
    async fn an_ipv4_mapped_address_is_the_same_client() {
        let limiter = ClientRateLimiter::per_minute(1);
        assert!(limiter.check("192.0.2.7".parse().expect("ip")).await.is_ok());
        assert!(limiter.check("::ffff:192.0.2.7".parse().expect("ip")).await.is_err());
    }
}
