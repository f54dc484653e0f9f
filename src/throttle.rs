//! Per-client rate limits, kept in memory (governor's GCRA): one client must not be able to
//! make minting or Redis lookups expensive for everyone else. Each instance counts on its
//! own, so N instances allow N times the rate; that bounds the load each one passes on.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often clients that have been idle long enough to be back at full allowance are
/// forgotten, so that many distinct clients cannot grow the table without bound.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

/// A limit of so many events per minute per client, in bursts of as many.
pub struct ClientThrottle {
    /// None: the limit is off.
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl ClientThrottle {
    /// `per_minute` 0 turns the limit off.
    pub fn per_minute(per_minute: u32) -> ClientThrottle {
        ClientThrottle { limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))) }
    }

    /// Whether the client may go on; a request whose client is unknown (a trusted proxy
    /// forwarded no address) is counted under one shared key.
    pub fn allows(&self, client: Option<IpAddr>) -> bool {
        let Some(limiter) = &self.limiter else { return true };
        limiter.check_key(&client.unwrap_or(IpAddr::from([0, 0, 0, 0]))).is_ok()
    }

    fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The throttles the routes use.
pub struct Throttles {
    /// `POST /api/v1/shares`.
    pub mint: ClientThrottle,
    /// Redis lookups of short codes the link cache does not know.
    pub lookups: ClientThrottle,
}

impl Throttles {
    pub fn new(mint_per_minute: u32, lookups_per_minute: u32) -> Throttles {
        Throttles { mint: ClientThrottle::per_minute(mint_per_minute), lookups: ClientThrottle::per_minute(lookups_per_minute) }
    }

    /// Forgets idle clients every minute until `stop`.
    pub fn spawn_janitor(self: Arc<Self>, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FORGET_IDLE_EVERY);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tick.tick() => {
                        self.mint.forget_idle();
                        self.lookups.forget_idle();
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_and_no_more_while_others_are_unaffected() {
        let throttle = ClientThrottle::per_minute(3);
        let (a, b) = (Some(IpAddr::from([192, 0, 2, 1])), Some(IpAddr::from([192, 0, 2, 2])));
        assert!((0..3).all(|_| throttle.allows(a)));
        assert!(!throttle.allows(a));
        assert!(throttle.allows(b));
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let throttle = ClientThrottle::per_minute(0);
        assert!((0..10_000).all(|_| throttle.allows(None)));
    }
}
