//! What the click writer's earlier batches already told Redis: each key's expiry and how
//! far each raw-click stream was trimmed. Every batch used to repeat both for every key it
//! touched, which was a fifth of its commands (docs/performance.md); a batch now leaves out
//! an `EXPIREAT` that would move a key's expiry by less than [`SLACK_SECS`] and an `XTRIM`
//! that would trim less than [`SLACK_SECS`] further.
//!
//! The memory is dropped every [`FORGET_AFTER`], when it grows past [`MAX_KEYS`], and after a
//! failed write, so a key that lost its expiry (Redis restarted without its data, a key
//! deleted by hand) gets it back with the next batch that touches it after that.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Expiries and trims within this much of what was sent are not sent again. A raw-click
/// stream's expiry ("retention after the last click") may so lag by up to this much.
pub const SLACK_SECS: i64 = 3600;
const FORGET_AFTER: Duration = Duration::from_secs(600);
const MAX_KEYS: usize = 200_000;

/// See the module documentation.
#[derive(Debug)]
pub struct SentRecently {
    expiries: HashMap<String, i64>,
    trims: HashMap<String, i64>,
    since: Instant,
}

impl Default for SentRecently {
    fn default() -> Self {
        SentRecently { expiries: HashMap::new(), trims: HashMap::new(), since: Instant::now() }
    }
}

impl SentRecently {
    /// Whether `EXPIREAT key at` (unix seconds) must be sent; if so, it counts as sent.
    pub fn expiry_needed(&mut self, key: &str, at: i64) -> bool {
        needed(&mut self.expiries, key, at, SLACK_SECS)
    }

    /// Whether `XTRIM key MINID oldest_ms` must be sent; if so, it counts as sent.
    pub fn trim_needed(&mut self, key: &str, oldest_ms: i64) -> bool {
        needed(&mut self.trims, key, oldest_ms, SLACK_SECS * 1000)
    }

    /// Starts a batch: forgets everything once it is old or large.
    pub fn start_batch(&mut self) {
        if self.since.elapsed() >= FORGET_AFTER || self.expiries.len() + self.trims.len() > MAX_KEYS {
            self.forget();
        }
    }

    /// Forgets everything (after a failed write, whose commands may never have run).
    pub fn forget(&mut self) {
        self.expiries.clear();
        self.trims.clear();
        self.since = Instant::now();
    }
}

fn needed(sent: &mut HashMap<String, i64>, key: &str, value: i64, slack: i64) -> bool {
    match sent.get_mut(key) {
        Some(known) if value <= *known + slack => false,
        Some(known) => {
            *known = value;
            true
        }
        None => {
            sent.insert(key.to_owned(), value);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_is_sent_once_until_it_moves_by_more_than_the_slack() {
        let mut sent = SentRecently::default();
        assert!(sent.expiry_needed("k", 1000));
        assert!(!sent.expiry_needed("k", 1000));
        assert!(!sent.expiry_needed("k", 1000 + SLACK_SECS));
        assert!(sent.expiry_needed("k", 1001 + SLACK_SECS));
        assert!(sent.expiry_needed("other", 1000));
    }

    #[test]
    fn trims_are_remembered_in_milliseconds() {
        let mut sent = SentRecently::default();
        assert!(sent.trim_needed("s", 5_000));
        assert!(!sent.trim_needed("s", 5_000 + SLACK_SECS * 1000));
        assert!(sent.trim_needed("s", 5_001 + SLACK_SECS * 1000));
    }

    #[test]
    fn after_forgetting_everything_is_sent_again() {
        let mut sent = SentRecently::default();
        assert!(sent.expiry_needed("k", 1000));
        assert!(sent.trim_needed("s", 1000));
        sent.forget();
        assert!(sent.expiry_needed("k", 1000));
        assert!(sent.trim_needed("s", 1000));
    }
}
