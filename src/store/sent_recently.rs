//! What the click writer's earlier batches already told Redis: each key's expiry, how far
//! each raw-click stream was trimmed, and which preview windows are open. Every batch used to
//! repeat the first two for every key it touched, which was a fifth of its commands
//! (docs/performance.md); a batch now leaves out an `EXPIREAT` that would move a key's expiry
//! by less than [`SLACK_SECS`] and an `XTRIM` that would trim less than [`SLACK_SECS`]
//! further. And a preview whose window the writer itself opened, and which is still open,
//! needs no `SET … NX` that is bound to fail (a burst of fetches of one shared link is one
//! share): it is left out, which took a sixth of Redis' work per click at saturation.
//!
//! A window counts as open for its length from when the batch that opened it was sent,
//! less [`WINDOW_MARGIN`]: Redis starts it when the batch arrives, a little later. What
//! another instance opened is not known here; Redis still tells those apart.
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
/// A window is taken to close this much before it does in Redis (clocks, Redis' expiry
/// cycle).
pub const WINDOW_MARGIN: Duration = Duration::from_secs(1);

/// See the module documentation.
#[derive(Debug)]
pub struct SentRecently {
    expiries: HashMap<String, i64>,
    trims: HashMap<String, i64>,
    /// Preview windows this writer opened, and until when they are surely open.
    windows: HashMap<String, Instant>,
    since: Instant,
}

impl Default for SentRecently {
    fn default() -> Self {
        SentRecently { expiries: HashMap::new(), trims: HashMap::new(), windows: HashMap::new(), since: Instant::now() }
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

    /// Whether the preview window `key` is surely open at `now`, so that a preview in it is
    /// no new share.
    pub fn window_open(&self, key: &str, now: Instant) -> bool {
        self.windows.get(key).is_some_and(|&until| now < until)
    }

    /// Remembers the windows a batch sent at `sent_at` opened, each `length` long.
    pub fn windows_opened(&mut self, keys: impl IntoIterator<Item = String>, sent_at: Instant, length: Duration) {
        let Some(until) = length.checked_sub(WINDOW_MARGIN).map(|open| sent_at + open) else {
            return;
        };
        self.windows.extend(keys.into_iter().map(|key| (key, until)));
    }

    /// Starts a batch: forgets everything once it is old or large.
    pub fn start_batch(&mut self) {
        if self.since.elapsed() >= FORGET_AFTER || self.expiries.len() + self.trims.len() + self.windows.len() > MAX_KEYS {
            self.forget();
        }
    }

    /// Forgets everything (after a failed write, whose commands may never have run, or
    /// which may mean that Redis restarted without its data).
    pub fn forget(&mut self) {
        self.expiries.clear();
        self.trims.clear();
        self.windows.clear();
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
        let now = Instant::now();
        assert!(sent.expiry_needed("k", 1000));
        assert!(sent.trim_needed("s", 1000));
        sent.windows_opened(["w".to_owned()], now, Duration::from_secs(300));
        sent.forget();
        assert!(sent.expiry_needed("k", 1000));
        assert!(sent.trim_needed("s", 1000));
        assert!(!sent.window_open("w", now));
    }

    #[test]
    fn a_window_is_open_for_its_length_from_when_it_was_sent_less_the_margin() {
        let mut sent = SentRecently::default();
        let (sent_at, length) = (Instant::now(), Duration::from_secs(300));
        sent.windows_opened(["w".to_owned()], sent_at, length);
        assert!(sent.window_open("w", sent_at));
        assert!(sent.window_open("w", sent_at + length - WINDOW_MARGIN - Duration::from_millis(1)));
        assert!(!sent.window_open("w", sent_at + length - WINDOW_MARGIN));
        assert!(!sent.window_open("other", sent_at), "only the windows opened");
    }

    #[test]
    fn a_window_shorter_than_the_margin_is_never_taken_as_open() {
        let mut sent = SentRecently::default();
        let sent_at = Instant::now();
        sent.windows_opened(["w".to_owned()], sent_at, WINDOW_MARGIN);
        assert!(!sent.window_open("w", sent_at));
    }
}
