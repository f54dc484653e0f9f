//! Counter sums that the click writer holds across batches, so that each daily counter hash
//! is written at most once per `every` instead of once per batch.
//!
//! A batch of about 4,600 clicks at saturation still gives most of a content's day counters
//! one `HINCRBY` each (0.85 per click in the bench: its countries, cities, devices and apps
//! are many next to one batch's clicks on one content), and those calls were about a quarter
//! of Redis' work per click. Over a second, the same counters take one call per field: 0.05
//! per click (docs/performance.md). Raw clicks, visitors, ranks and share windows are still
//! written with each batch.
//!
//! The sums are held in memory until they are due, and then ride in the next batch, so
//! they are applied (or spooled) at most once like everything else in it. A flush and the
//! shutdown drain write them all. What a crash loses is at most `every` of counter
//! increments whose raw clicks are already in Redis, which is why it is off by default
//! (`clicks.counters_every_ms`): then a crash loses only the clicks still queued.

use foldhash::HashMap;
use std::time::{Duration, Instant};

/// See the module documentation. With `every` zero it holds nothing.
#[derive(Debug, Default)]
pub struct HeldCounters {
    every: Duration,
    keys: HashMap<String, Held>,
    /// Set by a flush or the shutdown: the next batch takes every held sum.
    release_all: bool,
}

/// One counter hash's sums, in the order their fields were first counted (so that a batch
/// encodes the same way every time).
#[derive(Debug)]
pub struct Held {
    fields: Vec<(String, i64)>,
    index: HashMap<String, usize>,
    /// When the hash expires, as its counters say (unix seconds).
    expire: i64,
    due: Instant,
}

/// A counter hash whose held sums are due: its key, fields and sums, and expiry.
#[derive(Debug, PartialEq, Eq)]
pub struct DueCounters {
    pub key: String,
    pub fields: Vec<(String, i64)>,
    pub expire: i64,
}

impl HeldCounters {
    pub fn new(every: Duration) -> HeldCounters {
        HeldCounters { every, keys: HashMap::default(), release_all: false }
    }

    /// Whether sums are held at all; if not, each batch writes its own.
    pub fn holding(&self) -> bool {
        !self.every.is_zero()
    }

    /// The held sums of the hash `key`, due `every` after the first of them.
    pub fn hash(&mut self, key: &str, now: Instant) -> &mut Held {
        if !self.keys.contains_key(key) {
            let held = Held { fields: Vec::new(), index: HashMap::default(), expire: 0, due: now + self.every };
            self.keys.insert(key.to_owned(), held);
        }
        self.keys.get_mut(key).expect("inserted above")
    }

    /// Makes the next batch take every held sum, its own included (a flush, the shutdown
    /// drain).
    pub fn release_all(&mut self) {
        self.release_all = true;
    }

    /// Whether a batch encoded at `now` would take any held sums.
    pub fn any_due(&self, now: Instant) -> bool {
        (self.release_all && !self.keys.is_empty()) || self.next_due().is_some_and(|due| due <= now)
    }

    /// Takes the hashes due at `now` (all of them after [`HeldCounters::release_all`]), in
    /// key order.
    pub fn take_due(&mut self, now: Instant) -> Vec<DueCounters> {
        let everything = std::mem::take(&mut self.release_all);
        let mut taken: Vec<DueCounters> = self
            .keys
            .extract_if(|_, held| everything || held.due <= now)
            .map(|(key, held)| DueCounters { key, fields: held.fields, expire: held.expire })
            .collect();
        taken.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        taken
    }

    /// When the next hash falls due, if any is held.
    pub fn next_due(&self) -> Option<Instant> {
        self.keys.values().map(|held| held.due).min()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Held {
    /// Adds `n` to `field`; the hash expires at `expire` (unix seconds) or later.
    pub fn add(&mut self, field: &str, n: i64, expire: i64) {
        self.expire = self.expire.max(expire);
        match self.index.get(field) {
            Some(&at) => self.fields[at].1 += n,
            None => {
                self.index.insert(field.to_owned(), self.fields.len());
                self.fields.push((field.to_owned(), n));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY: Duration = Duration::from_secs(1);

    #[test]
    fn sums_are_held_until_a_second_after_the_first_and_kept_in_the_order_first_counted() {
        let (mut held, start) = (HeldCounters::new(EVERY), Instant::now());
        held.hash("day:a", start).add("cc:GB", 1, 100);
        held.hash("day:a", start + Duration::from_millis(400)).add("dev:pc", 2, 100);
        held.hash("day:a", start + Duration::from_millis(900)).add("cc:GB", 3, 200);
        assert!(!held.any_due(start + Duration::from_millis(999)));
        assert!(held.take_due(start + Duration::from_millis(999)).is_empty());
        assert_eq!(held.next_due(), Some(start + EVERY));
        assert!(held.any_due(start + EVERY));
        let due = held.take_due(start + EVERY);
        let sums = vec![("cc:GB".to_owned(), 4), ("dev:pc".to_owned(), 2)];
        assert_eq!(due, vec![DueCounters { key: "day:a".into(), fields: sums, expire: 200 }]);
        assert!(held.is_empty() && held.next_due().is_none());
    }

    #[test]
    fn each_hash_falls_due_on_its_own_and_everything_takes_them_all() {
        let (mut held, start) = (HeldCounters::new(EVERY), Instant::now());
        held.hash("day:b", start).add("clicks:sms", 1, 100);
        held.hash("day:a", start + Duration::from_millis(500)).add("clicks:sms", 1, 100);
        let due = held.take_due(start + EVERY);
        assert_eq!(due.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["day:b"]);
        held.hash("day:c", start + EVERY).add("clicks:sms", 1, 100);
        held.release_all();
        assert!(held.any_due(start));
        let all = held.take_due(start + EVERY);
        assert_eq!(all.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["day:a", "day:c"], "in key order");
        assert!(!held.any_due(start + EVERY * 10), "nothing is left");
    }

    #[test]
    fn a_zero_interval_holds_nothing() {
        assert!(!HeldCounters::new(Duration::ZERO).holding());
        assert!(HeldCounters::new(EVERY).holding());
    }
}
