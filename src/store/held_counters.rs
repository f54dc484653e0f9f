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
//! they are applied (or spooled) at most once like everything else in it. When the first
//! held sum is due, all of them are: a flush and the shutdown drain write them all too.
//!
//! A crash must not lose counters whose raw clicks are in Redis (a crash loses only the
//! clicks still queued: issue #7's bound). So on a single Redis each batch that holds sums
//! also stores them, as one string, in a hash of this process's [`PendingSums`] (`P` in
//! apply_clicks.lua), and the batch that writes them deletes that hash (`X`): both in the
//! batch's own script, so the hash always holds exactly the sums applied batches held. A
//! string per batch costs Redis far less than the `HINCRBY`s it stands for. The next start
//! of the process writes what an earlier one left there (clicks::recorder). On a cluster a
//! batch is a group per content, which would take a pending hash per content and batch, so
//! there nothing is held: the sums go with each batch.

use foldhash::HashMap;
use indexmap::IndexMap;
use std::time::{Duration, Instant};

/// See the module documentation. With `every` zero it holds nothing.
#[derive(Debug, Default)]
pub struct HeldCounters {
    every: Duration,
    keys: HashMap<String, Held>,
    /// Set by a flush or the shutdown: the next batch takes every held sum.
    release_all: bool,
    /// The Redis hash that keeps the held sums safe from a crash, if any.
    pending: Option<String>,
    /// When the held sums fall due: `every` after the first of them.
    due: Option<Instant>,
}

/// One counter hash's sums, in the order their fields were first counted (so that a batch
/// encodes the same way every time). One map that keeps that order, so a new field's name
/// is allocated once, not for an index and a list each.
#[derive(Debug)]
pub struct Held {
    fields: IndexMap<String, i64, foldhash::fast::RandomState>,
    /// When the hash expires, as its counters say (unix seconds).
    expire: i64,
}

/// A counter hash's sums: its key, fields and sums, and expiry. Held sums come out of
/// [`HeldCounters`] as these when due, and a batch's held sums are stored as a list of them.
#[derive(Debug, PartialEq, Eq)]
pub struct DueCounters {
    pub key: String,
    pub fields: Vec<(String, i64)>,
    pub expire: i64,
}

impl HeldCounters {
    pub fn new(every: Duration) -> HeldCounters {
        HeldCounters { every, ..HeldCounters::default() }
    }

    /// Keeps the held sums in the Redis hash `key` as well (on a single Redis).
    pub fn pending_in(mut self, key: String) -> HeldCounters {
        self.pending = Some(key);
        self
    }

    /// The Redis hash that keeps the held sums safe from a crash, if any.
    pub fn pending(&self) -> Option<&str> {
        self.pending.as_deref()
    }

    /// Whether sums are held at all; if not, each batch writes its own.
    pub fn holding(&self) -> bool {
        !self.every.is_zero()
    }

    /// The held sums of the hash `key`; all are due `every` after the first sum held.
    pub fn hash(&mut self, key: &str, now: Instant) -> &mut Held {
        self.due.get_or_insert(now + self.every);
        if !self.keys.contains_key(key) {
            let held = Held { fields: IndexMap::default(), expire: 0 };
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

    /// Takes every held hash, in key order, once the first of them is due at `now` (or after
    /// [`HeldCounters::release_all`]); else none. All at once, so that the batch that takes
    /// them can clear the pending hash.
    pub fn take_due(&mut self, now: Instant) -> Vec<DueCounters> {
        let due = self.any_due(now);
        self.release_all = false;
        if !due {
            return Vec::new();
        }
        self.due = None;
        let mut taken: Vec<DueCounters> =
            self.keys.drain().map(|(key, held)| DueCounters { key, fields: held.fields.into_iter().collect(), expire: held.expire }).collect();
        taken.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        taken
    }

    /// When the held sums fall due, if any are held.
    pub fn next_due(&self) -> Option<Instant> {
        self.due
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Held {
    /// Adds `n` to `field`; the hash expires at `expire` (unix seconds) or later.
    pub fn add(&mut self, field: &str, n: i64, expire: i64) {
        self.expire = self.expire.max(expire);
        match self.fields.get_mut(field) {
            Some(sum) => *sum += n,
            None => {
                self.fields.insert(field.to_owned(), n);
            }
        }
    }
}

/// The sums a process's batches held and has not written: the values of its pending hash,
/// each one batch's held sums as [`PendingSums::push_hash`] and [`PendingSums::push_field`]
/// write them. A string there is its length in bytes, `:`, and the string itself (so a
/// field needs no escaping), and every item ends with a space.
#[derive(Debug, Default)]
pub struct PendingSums(Vec<DueCounters>);

impl PendingSums {
    /// Starts a counter hash of `fields` fields in a pending value.
    pub fn push_hash(out: &mut String, key: &str, expire: i64, fields: usize) {
        push_text(out, key);
        push_number(out, expire);
        push_number(out, fields as i64);
    }

    /// A field of the hash started last, and its sum.
    pub fn push_field(out: &mut String, field: &str, n: i64) {
        push_text(out, field);
        push_number(out, n);
    }

    /// Reads the values of a pending hash; a value that cannot be read is skipped whole.
    pub fn decode<'v>(values: impl IntoIterator<Item = &'v str>) -> PendingSums {
        let mut sums = Vec::new();
        for value in values {
            match read_value(value) {
                Some(batch) => sums.extend(batch),
                None => tracing::error!(bytes = value.len(), "a pending counter sum is unreadable; skipped"),
            }
        }
        PendingSums(sums)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These sums, all due, for a batch that writes them and deletes the hash `pending`.
    pub fn into_held(self, pending: String, now: Instant) -> HeldCounters {
        let mut held = HeldCounters::new(Duration::from_secs(1)).pending_in(pending);
        for sums in self.0 {
            let hash = held.hash(&sums.key, now);
            for (field, n) in &sums.fields {
                hash.add(field, *n, sums.expire);
            }
        }
        held.release_all();
        held
    }
}

fn push_text(out: &mut String, text: &str) {
    out.push_str(itoa::Buffer::new().format(text.len()));
    out.push(':');
    out.push_str(text);
    out.push(' ');
}

fn push_number(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
    out.push(' ');
}

/// One pending value's counter hashes, or None if it is not whole.
fn read_value(mut rest: &str) -> Option<Vec<DueCounters>> {
    let mut hashes = Vec::new();
    while !rest.is_empty() {
        let key = read_text(&mut rest)?;
        let expire = read_number(&mut rest)?;
        let count = usize::try_from(read_number(&mut rest)?).ok()?;
        let mut fields = Vec::with_capacity(count.min(rest.len()));
        for _ in 0..count {
            let field = read_text(&mut rest)?;
            fields.push((field, read_number(&mut rest)?));
        }
        hashes.push(DueCounters { key, fields, expire });
    }
    Some(hashes)
}

fn read_text(rest: &mut &str) -> Option<String> {
    let (len, after) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let text = after.get(..len)?;
    *rest = after.get(len..)?.strip_prefix(' ')?;
    Some(text.to_owned())
}

fn read_number(rest: &mut &str) -> Option<i64> {
    let (number, after) = rest.split_once(' ')?;
    *rest = after;
    number.parse().ok()
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
    fn once_the_first_hash_is_due_every_hash_is_taken_and_so_after_release_all() {
        let (mut held, start) = (HeldCounters::new(EVERY), Instant::now());
        held.hash("day:b", start).add("clicks:sms", 1, 100);
        held.hash("day:a", start + Duration::from_millis(500)).add("clicks:sms", 1, 100);
        assert!(held.take_due(start + EVERY - Duration::from_millis(1)).is_empty());
        let due = held.take_due(start + EVERY);
        assert_eq!(due.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["day:a", "day:b"], "all, in key order");
        held.hash("day:c", start + EVERY).add("clicks:sms", 1, 100);
        held.release_all();
        assert!(held.any_due(start));
        let all = held.take_due(start + EVERY);
        assert_eq!(all.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["day:c"]);
        assert!(!held.any_due(start + EVERY * 10), "nothing is left");
    }

    #[test]
    fn pending_sums_of_several_batches_add_up_and_an_unreadable_one_is_skipped() {
        // A field may hold anything a campaign or a referrer brings, separators included.
        let odd = "camp:a 5:b\u{1f}\"é";
        let one = vec![DueCounters { key: "day:a".into(), fields: vec![("cc:GB".into(), 2), (odd.into(), 1)], expire: 100 }];
        let two = vec![
            DueCounters { key: "day:a".into(), fields: vec![("cc:GB".into(), 3)], expire: 200 },
            DueCounters { key: "day:b".into(), fields: vec![("clicks:sms".into(), 1)], expire: 100 },
        ];
        let encode = |hashes: &[DueCounters]| {
            let mut out = String::new();
            for hash in hashes {
                PendingSums::push_hash(&mut out, &hash.key, hash.expire, hash.fields.len());
                for (field, n) in &hash.fields {
                    PendingSums::push_field(&mut out, field, *n);
                }
            }
            out
        };
        let (first, second) = (encode(&one), encode(&two));
        let cut = &second[..second.len() - 3];
        let values = [first.as_str(), cut, "6:day:a", &second];
        let pending = PendingSums::decode(values);
        assert!(!pending.is_empty());
        let now = Instant::now();
        let mut held = pending.into_held("held:x".into(), now);
        assert_eq!(held.pending(), Some("held:x"));
        assert!(held.any_due(now), "recovered sums are written at once");
        let due = held.take_due(now);
        assert_eq!(
            due,
            vec![
                DueCounters { key: "day:a".into(), fields: vec![("cc:GB".into(), 5), (odd.into(), 1)], expire: 200 },
                DueCounters { key: "day:b".into(), fields: vec![("clicks:sms".into(), 1)], expire: 100 },
            ]
        );
        assert!(PendingSums::decode([]).is_empty());
    }

    #[test]
    fn a_zero_interval_holds_nothing() {
        assert!(!HeldCounters::new(Duration::ZERO).holding());
        assert!(HeldCounters::new(EVERY).holding());
    }
}
