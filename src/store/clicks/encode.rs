//! Turning a batch of clicks into the ops of apply_clicks.lua, summed per key and field.
//!
//! This runs for every click the service records, so it is built for speed (see
//! docs/performance.md): each click resolves its keys with one lookup of its content,
//! channel and day, and each key is formatted once a batch; a counter field stays a kind and
//! borrowed slices until the batch is finished, so summing a click is hashing a few short
//! slices, not formatting and hashing a string per field; a click is counted on its
//! content's day only, and the site's day gets the sums of those; counters keep the order
//! they were first counted in, which makes a batch's encoding repeatable without a sort; and
//! the maps use foldhash, not SipHash (their keys come from our own clicks, not from a
//! client choosing collisions).

use super::{CLICKS_PER_ENTRY, ClickBatch, Group, PACKED_SEPARATOR, PFADD_CHUNK, RECORD_SEPARATOR, SAME_AS_BEFORE, WritePolicy};
use crate::domain::click::day_of;
use crate::domain::{ChannelRegistry, Click, ClickKind};
use crate::store::args::Args;
use crate::store::held_counters::{DueCounters, HeldCounters, PendingSums};
use crate::store::keys::{Keys, hash_tag};
use crate::store::sent_recently::SentRecently;
use foldhash::HashMap;
use std::collections::hash_map::Entry;
use std::time::Instant;

const DAY_SECS: i64 = 86_400;

// A raw click's values are checked for the separators by a byte below a space (`stream`).
const _: () = assert!((PACKED_SEPARATOR as u32) < 0x20 && (RECORD_SEPARATOR as u32) < 0x20 && SAME_AS_BEFORE.len() == 1 && SAME_AS_BEFORE.as_bytes()[0] < b' ');

/// Turns clicks into a batch. `channels` tells which preview platforms are native to a
/// channel (a Slack preview of a Slack link is a share, of a WhatsApp link a forward).
pub fn encode_batch(keys: &Keys, policy: &WritePolicy, channels: &ChannelRegistry, id: &str, clicks: &[Click]) -> ClickBatch {
    encode_batch_after(keys, policy, channels, id, clicks, &mut SentRecently::default(), &mut HeldCounters::default())
}

/// [`encode_batch`] for a writer that remembers what its earlier batches sent: expiries and
/// trims that Redis already has are left out, and so are previews in windows it knows open.
/// Counter sums go to `held`, and those due come out of it into the batch.
pub fn encode_batch_after(
    keys: &Keys,
    policy: &WritePolicy,
    channels: &ChannelRegistry,
    id: &str,
    clicks: &[Click],
    sent: &mut SentRecently,
    held: &mut HeldCounters,
) -> ClickBatch {
    let mut batch = BatchEncoder::new(keys, policy, sent, Instant::now());
    for click in clicks {
        batch.add(click, channels, sent);
    }
    batch.finish(id, sent, held)
}

/// A batch encoded click by click, as the clicks arrive: the click writer adds what has
/// queued every few milliseconds, so that encoding a batch is many short runs on a core,
/// not one of several milliseconds that a request worker would wait behind at saturation
/// (docs/performance.md). What the batch sums (counters, visitors, raw clicks) is the
/// same as encoding its clicks at once.
pub struct BatchEncoder<'a> {
    builder: BatchBuilder<'a>,
    clicks: usize,
}

impl<'a> BatchEncoder<'a> {
    /// Starts a batch. A preview window counts as open if the writer knows it open at
    /// `judged_at`, which is when the batch will be sent or later.
    pub fn new(keys: &'a Keys, policy: &'a WritePolicy, sent: &mut SentRecently, judged_at: Instant) -> BatchEncoder<'a> {
        sent.start_batch();
        let builder = BatchBuilder {
            keys,
            policy,
            judged_at,
            groups: Vec::new(),
            group_of_tag: HashMap::default(),
            site_keys: HashMap::default(),
            content_keys: HashMap::default(),
            seen_keys: HashMap::default(),
            site_day_of: HashMap::default(),
            content_day_keys: HashMap::default(),
            day_names: HashMap::default(),
        };
        BatchEncoder { builder, clicks: 0 }
    }

    pub fn add(&mut self, click: &'a Click, channels: &ChannelRegistry, sent: &SentRecently) {
        self.builder.add(click, channels, sent);
        self.clicks += 1;
    }

    /// Whether no click was added.
    pub fn is_empty(&self) -> bool {
        self.clicks == 0
    }

    /// The batch, with the counter sums `held` lets go of now.
    pub fn finish(self, id: &str, sent: &mut SentRecently, held: &mut HeldCounters) -> ClickBatch {
        let mut batch = self.builder;
        batch.count_site_wide();
        batch.hold_counters(held, id, Instant::now());
        let (keys, policy) = (batch.keys, batch.policy);
        let groups = batch
            .groups
            .into_iter()
            .map(|mut group| {
                group.leave_out_sent(sent);
                let marker = keys.batch_marker(&group.tag, id);
                group.finish(marker, policy)
            })
            .collect();
        ClickBatch { id: id.to_owned(), clicks: self.clicks, groups }
    }
}

/// A key of the batch: its group, and its place among the group's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct KeyRef {
    group: usize,
    index: usize,
}

/// What a counter field counts; with its value (and detail) it makes the field's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counter {
    Clicks,
    Bots,
    Intents,
    Device,
    Country,
    App,
    Referrer,
    City,
    Campaign,
    Shares,
    Preview,
    Forward,
}

impl Counter {
    /// How its fields start, e.g. `dev:` in `dev:smartphone`.
    fn prefix(self) -> &'static str {
        match self {
            Counter::Clicks => "clicks:",
            Counter::Bots => "bots:",
            Counter::Intents => "intents:",
            Counter::Device => "dev:",
            Counter::Country => "cc:",
            Counter::App => "app:",
            Counter::Referrer => "ref:",
            Counter::City => "city:",
            Counter::Campaign => "camp:",
            Counter::Shares => "shares:",
            Counter::Preview => "pv:",
            Counter::Forward => "fwd:",
        }
    }

    /// Between the value and the detail: `city:GB:London`, `fwd:whatsapp>slack`.
    fn separator(self) -> &'static str {
        match self {
            Counter::City => ":",
            Counter::Forward => ">",
            _ => "",
        }
    }

    /// Whether the site-wide day hash counts it too. Cities and campaigns are kept per
    /// content only (there are too many to rank site-wide by the day).
    fn site_wide(self) -> bool {
        !matches!(self, Counter::City | Counter::Campaign)
    }
}

/// A counter field as its parts, written out only when the batch is finished. Hashing and
/// comparing it is a byte and one or two short slices.
#[derive(Debug, Clone, Copy, Hash)]
struct Field<'a> {
    counter: Counter,
    value: &'a str,
    detail: &'a str,
}

impl PartialEq for Field<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.counter == other.counter && same_str(self.value, other.value) && same_str(self.detail, other.detail)
    }
}

impl Eq for Field<'_> {}

/// Whether two slices hold the same text. A field counted again is mostly the same slice
/// of the same shared string (a link's channel, a device class, a cached place), which its
/// address tells without reading the bytes (`memcmp` was a sixth of the writer's time).
fn same_str(a: &str, b: &str) -> bool {
    a.len() == b.len() && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

impl<'a> Field<'a> {
    fn new(counter: Counter, value: &'a str) -> Field<'a> {
        Field { counter, value, detail: "" }
    }

    fn with(counter: Counter, value: &'a str, detail: &'a str) -> Field<'a> {
        Field { counter, value, detail }
    }

    fn write_to(&self, out: &mut String) {
        for part in [self.counter.prefix(), self.value, self.counter.separator(), self.detail] {
            out.push_str(part);
        }
    }
}

/// Which share window: a content's, or the site-wide one (another slot on a cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Content,
    Site,
}

/// The site-wide keys of one channel on one day.
#[derive(Clone, Copy)]
struct SiteKeys {
    day: KeyRef,
    visitors: KeyRef,
    top: KeyRef,
}

/// Every key a click of one content through one channel on one day touches.
#[derive(Clone, Copy)]
struct ClickKeys {
    site: SiteKeys,
    content_day: KeyRef,
    content_visitors: KeyRef,
    stream: KeyRef,
    /// When the day's counters expire: the end of the day plus the retention.
    day_expiry: i64,
}

struct BatchBuilder<'a> {
    keys: &'a Keys,
    policy: &'a WritePolicy,
    /// When a preview window must still be open for a preview in it to be left out.
    judged_at: Instant,
    groups: Vec<GroupBuilder<'a>>,
    group_of_tag: HashMap<String, usize>,
    /// By channel and day number.
    site_keys: HashMap<(&'a str, i64), SiteKeys>,
    /// By content, channel and day number.
    content_keys: HashMap<(&'a str, &'a str, i64), ClickKeys>,
    /// A content's day hash and stream, by content and day number.
    content_day_keys: HashMap<(&'a str, i64), (KeyRef, KeyRef)>,
    /// `YYYY-MM-DD` by day number.
    day_names: HashMap<i64, String>,
    /// Preview window keys, by code, platform and scope; None for a window known open.
    seen_keys: HashMap<(&'a str, &'a str, Scope), Option<KeyRef>>,
    /// A content's day hash → the site's day hash of that day, and their expiry.
    site_day_of: HashMap<KeyRef, (KeyRef, i64)>,
}

/// The UTC day number of a timestamp in milliseconds.
fn day_number(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_SECS * 1000)
}

impl<'a> BatchBuilder<'a> {
    /// The key's place in the batch, added to its group (by hash tag on a cluster) if new.
    fn intern(&mut self, key: String) -> KeyRef {
        let tag = if self.policy.group_by_slot { hash_tag(&key) } else { "all" };
        let group = match self.group_of_tag.get(tag) {
            Some(&group) => group,
            None => {
                let group = self.groups.len();
                self.groups.push(GroupBuilder::new(tag.to_owned()));
                self.group_of_tag.insert(tag.to_owned(), group);
                group
            }
        };
        KeyRef { group, index: self.groups[group].key(key) }
    }

    /// Every key a click touches. Each is formatted once a batch: a content's day hash and
    /// stream once for all its channels, the day's name once for the day.
    fn click_keys(&mut self, click: &'a Click) -> ClickKeys {
        let number = day_number(click.at_ms);
        let of = (click.content().as_str(), click.channel(), number);
        if let Some(&found) = self.content_keys.get(&of) {
            return found;
        }
        let keys = self.keys;
        let day = self.day_names.entry(number).or_insert_with(|| day_of(click.at_ms)).clone();
        let site = match self.site_keys.get(&(of.1, number)) {
            Some(&site) => site,
            None => {
                let site = SiteKeys {
                    day: self.intern(keys.site_day(&day)),
                    visitors: self.intern(keys.site_visitors(&day, click.channel())),
                    top: self.intern(keys.site_top(&day)),
                };
                self.site_keys.insert((of.1, number), site);
                site
            }
        };
        let (content_day, stream) = match self.content_day_keys.get(&(of.0, number)) {
            Some(&found) => found,
            None => {
                let found = (self.intern(keys.content_day(click.content(), &day)), self.intern(keys.content_clicks(click.content())));
                self.content_day_keys.insert((of.0, number), found);
                found
            }
        };
        let found = ClickKeys {
            site,
            content_day,
            content_visitors: self.intern(keys.content_visitors(click.content(), &day, click.channel())),
            stream,
            day_expiry: (number + 1) * DAY_SECS + i64::from(self.policy.retention_days) * DAY_SECS,
        };
        self.content_keys.insert(of, found);
        self.site_day_of.insert(found.content_day, (site.day, found.day_expiry));
        found
    }

    fn add(&mut self, click: &'a Click, channels: &ChannelRegistry, sent: &SentRecently) {
        let keys = self.click_keys(click);
        let (site_day, content_day, expire) = (keys.site.day, keys.content_day, keys.day_expiry);
        let ch = click.channel();
        match &click.kind {
            ClickKind::Person => self.add_person(click, keys),
            ClickKind::Bot => {
                self.count(content_day, Field::new(Counter::Bots, ch), expire);
                self.rank(keys, click, 0);
            }
            // A tap on a share button: counted beside the channel's shares and clicks, and
            // nowhere else (devices, places and visitors stay the readers' own).
            ClickKind::Intent => {
                self.count(content_day, Field::new(Counter::Intents, ch), expire);
                self.rank(keys, click, 0);
            }
            ClickKind::Preview(platform) => {
                let forward = channels.get(ch).is_some_and(|c| !c.is_native_platform(platform));
                let fields = [
                    Some(Field::new(Counter::Shares, ch)),
                    Some(Field::new(Counter::Preview, platform)),
                    forward.then(|| Field::with(Counter::Forward, ch, platform)),
                ];
                if self.policy.group_by_slot {
                    // On a cluster a window guards only counters of its own slot.
                    if let Some(seen) = self.seen_key(click, platform, Scope::Content, sent) {
                        self.share(seen, &[content_day], &fields, expire);
                    }
                    if let Some(seen) = self.seen_key(click, platform, Scope::Site, sent) {
                        self.share(seen, &[site_day], &fields, expire);
                    }
                } else if let Some(seen) = self.seen_key(click, platform, Scope::Content, sent) {
                    // On one Redis the content's window guards the site's counters too: one
                    // SET per preview instead of two.
                    self.share(seen, &[content_day, site_day], &fields, expire);
                }
                self.rank(keys, click, 0);
            }
        }
        self.stream(keys.stream, click);
    }

    fn add_person(&mut self, click: &'a Click, keys: ClickKeys) {
        let (day, expire) = (keys.content_day, keys.day_expiry);
        let fields = [
            Some(Field::new(Counter::Clicks, click.channel())),
            Some(Field::new(Counter::Device, click.device)),
            Some(Field::new(Counter::Country, &click.country)),
            click.in_app.as_deref().map(|app| Field::new(Counter::App, app)),
            click.referrer_host.as_deref().map(|host| Field::new(Counter::Referrer, host)),
            click.city.as_deref().map(|city| Field::with(Counter::City, &click.country, city)),
            click.campaign().map(|campaign| Field::new(Counter::Campaign, campaign)),
        ];
        for field in fields.into_iter().flatten() {
            self.count(day, field, expire);
        }
        for key in [keys.content_visitors, keys.site.visitors] {
            let group = &mut self.groups[key.group];
            group.visitors.entry(key.index).or_default().push(click.visitor.as_str());
            group.expire(key.index, expire);
        }
        self.rank(keys, click, 1);
    }

    /// Adds `n` to a daily counter, kept for the retention after its day.
    fn count_n(&mut self, key: KeyRef, field: Field<'a>, n: i64, expire: i64) {
        let group = &mut self.groups[key.group];
        let fields = &mut group.counters[key.index];
        match group.increments.entry((key.index, field)) {
            Entry::Occupied(slot) => fields[*slot.get()].1 += n,
            Entry::Vacant(slot) => {
                slot.insert(fields.len());
                fields.push((field, n));
            }
        }
        let at = &mut group.counter_expiries[key.index];
        *at = (*at).max(expire);
    }

    /// An increment of a content's daily counter; the site's day gets it in
    /// [`BatchBuilder::count_site_wide`].
    fn count(&mut self, key: KeyRef, field: Field<'a>, expire: i64) {
        self.count_n(key, field, 1, expire);
    }

    /// Adds the contents' day counters that the site's day hash keeps too, once per
    /// content counter rather than once per click: the site's counters are their sums.
    fn count_site_wide(&mut self) {
        let mut sums = Vec::new();
        for (group_index, group) in self.groups.iter().enumerate() {
            for (index, fields) in group.counters.iter().enumerate() {
                let content_day = KeyRef { group: group_index, index };
                let Some(&(site_day, expire)) = self.site_day_of.get(&content_day) else {
                    continue;
                };
                for &(field, n) in fields.iter().filter(|(field, _)| field.counter.site_wide()) {
                    sums.push((site_day, field, n, expire));
                }
            }
        }
        for (site_day, field, n, expire) in sums {
            self.count_n(site_day, field, n, expire);
        }
    }

    /// With sums held across batches: moves this batch's counter sums into `held`, and the
    /// sums now due out of it into the batch, each hash with its expiry. Where the held sums
    /// are kept in a pending hash, a batch that holds sums stores its own there, and a batch
    /// that takes them clears it (held_counters.rs). Without holding: the sums stay, with
    /// their hashes' expiries.
    fn hold_counters(&mut self, held: &mut HeldCounters, id: &str, now: Instant) {
        if !held.holding() {
            for group in &mut self.groups {
                for index in 0..group.keys.len() {
                    group.expire(index, group.counter_expiries[index]);
                }
            }
            return;
        }
        // This batch's own sums, for the pending hash (when there is one).
        let mut own = held.pending().is_some().then(String::new);
        let mut name = String::new();
        for group in &mut self.groups {
            for (index, fields) in group.counters.iter_mut().enumerate().filter(|(_, fields)| !fields.is_empty()) {
                let (key, expire) = (&group.keys[index], group.counter_expiries[index]);
                if let Some(own) = &mut own {
                    PendingSums::push_hash(own, key, expire, fields.len());
                }
                let hash = held.hash(key, now);
                for (field, n) in fields.drain(..) {
                    name.clear();
                    field.write_to(&mut name);
                    hash.add(&name, n, expire);
                    if let Some(own) = &mut own {
                        PendingSums::push_field(own, &name, n);
                    }
                }
            }
            group.increments.clear();
        }
        // Due sums are every held sum, this batch's own included: then the pending hash goes.
        let due = held.take_due(now);
        if let (Some(pending), Some(own)) = (held.pending().map(str::to_owned), own) {
            let writes = !due.is_empty();
            if writes || !own.is_empty() {
                let pending = self.intern(pending);
                let ops = &mut self.groups[pending.group].released;
                if writes {
                    ops.push("X");
                    ops.push_int(pending.index + 2);
                } else {
                    ops.push("P");
                    ops.push_int(pending.index + 2);
                    ops.push(id);
                    // As long as the counters they are for: a process down that long has no use for them.
                    ops.push_int((i64::from(self.policy.retention_days) + 1) * DAY_SECS);
                    ops.push(&own);
                }
            }
        }
        self.release(due);
    }

    /// Held sums now due, as `H` ops of their hashes' groups, with the hashes' expiries.
    fn release(&mut self, due: Vec<DueCounters>) {
        for due in due {
            let key = self.intern(due.key);
            let group = &mut self.groups[key.group];
            let released = &mut group.released;
            released.push("H");
            released.push_int(key.index + 2);
            released.push_int(due.fields.len());
            for (field, n) in &due.fields {
                released.push(field);
                released.push_int(*n);
            }
            group.expire(key.index, due.expire);
        }
    }

    /// Adds `clicks` to the content's rank of the day. Zero still lists the content as
    /// active that day (it had shares, intents or bots), so listings and exports find it.
    fn rank(&mut self, keys: ClickKeys, click: &'a Click, clicks: i64) {
        let top = keys.site.top;
        let group = &mut self.groups[top.group];
        *group.top.entry((top.index, click.content().as_str())).or_insert(0) += clicks;
        group.expire(top.index, keys.day_expiry);
    }

    /// The key of a preview's share window (the content's or the site-wide one), or None
    /// when the writer knows it open: the preview is then no new share.
    fn seen_key(&mut self, click: &'a Click, platform: &'a str, scope: Scope, sent: &SentRecently) -> Option<KeyRef> {
        let of = (click.code().as_str(), platform, scope);
        if let Some(&found) = self.seen_keys.get(&of) {
            return found;
        }
        let key = match scope {
            Scope::Content => self.keys.content_preview_seen(click.content(), click.code(), platform),
            Scope::Site => self.keys.site_preview_seen(click.code(), platform),
        };
        let found = (!sent.window_open(&key, self.judged_at)).then(|| self.intern(key));
        self.seen_keys.insert(of, found);
        found
    }

    /// A preview: counted as a share only if no preview of this link by this platform was
    /// counted within the window (one share makes a burst of fetches). The window key and
    /// the day hashes share a hash tag on a cluster, so they are in one group.
    fn share(&mut self, seen: KeyRef, days: &[KeyRef], fields: &[Option<Field<'a>>], expire: i64) {
        let window = self.policy.preview_window_secs;
        let group = &mut self.groups[seen.group];
        let shares = &mut group.shares;
        let fields = fields.iter().flatten();
        shares.push("s");
        shares.push_int(seen.index + 2);
        shares.push_int(window);
        shares.push_int(fields.clone().count() * days.len());
        for day in days {
            debug_assert_eq!(seen.group, day.group);
            for field in fields.clone() {
                shares.push_int(day.index + 2);
                shares.push_with(|out| field.write_to(out));
                shares.push("1");
            }
        }
        for day in days {
            group.expire_if_written(day.index, expire);
        }
    }

    fn stream(&mut self, key: KeyRef, click: &'a Click) {
        let expire = click.at_ms / 1000 + i64::from(self.policy.retention_days) * DAY_SECS;
        let oldest_kept_ms = click.at_ms - i64::from(self.policy.retention_days) * DAY_SECS * 1000;
        let platform = match &click.kind {
            ClickKind::Preview(platform) => platform,
            _ => "",
        };
        let (campaign, in_app) = (click.campaign().unwrap_or_default(), click.in_app.as_deref().unwrap_or_default());
        let (city, referrer) = (click.city.as_deref().unwrap_or_default(), click.referrer_host.as_deref().unwrap_or_default());
        // In the order of CLICK_FIELDS, after the time.
        let values = [click.code().as_str(), click.channel(), campaign, click.kind.name(), platform, click.device, &click.os, &click.browser, in_app, &click.country, city, referrer, click.source];
        let group = &mut self.groups[key.group];
        let stream = group.streams.entry(key.index).or_default();
        let first = stream.clicks.is_multiple_of(CLICKS_PER_ENTRY);
        stream.clicks += 1;
        // The entry's record before this one, which its time and values refer to.
        let before = if first { None } else { stream.last.as_ref() };
        let add = |packed: &mut String| {
            match before {
                None => packed.push_str(itoa::Buffer::new().format(click.at_ms)),
                Some((at_ms, _)) => {
                    packed.push(RECORD_SEPARATOR);
                    packed.push_str(itoa::Buffer::new().format(click.at_ms - at_ms));
                }
            }
            for (i, value) in values.iter().enumerate() {
                packed.push(PACKED_SEPARATOR);
                if !value.is_empty() && before.is_some_and(|(_, earlier)| same_str(earlier[i], value)) {
                    packed.push_str(SAME_AS_BEFORE);
                } else if value.bytes().any(|b| b < b' ') {
                    // The three separators are ASCII control characters, so one comparison a
                    // byte finds any of them (a value with another control character takes
                    // this way too, and keeps it).
                    packed.extend(value.chars().map(|c| if matches!(c, PACKED_SEPARATOR | RECORD_SEPARATOR) || SAME_AS_BEFORE.starts_with(c) { ' ' } else { c }));
                } else {
                    packed.push_str(value);
                }
            }
        };
        if first {
            stream.entries.push_with(add);
        } else {
            stream.entries.append_to_last(add);
        }
        stream.last = Some((click.at_ms, values));
        let trim = group.stream_trims.entry(key.index).or_insert(oldest_kept_ms);
        *trim = (*trim).max(oldest_kept_ms);
        group.expire(key.index, expire);
    }
}

/// A stream's new raw clicks: entries of up to [`CLICKS_PER_ENTRY`] packed clicks.
#[derive(Default)]
struct StreamBuilder<'a> {
    clicks: usize,
    entries: Args,
    /// The time and values of the last click packed.
    last: Option<(i64, [&'a str; 13])>,
}

/// One group's keys and ops, borrowing what it can from the batch's clicks. Keys are
/// referred to by their place in `keys`; the script sees place + 2 (Lua counts from 1, and
/// the batch marker comes first).
struct GroupBuilder<'a> {
    tag: String,
    /// Each key's place in `keys`.
    index: HashMap<String, usize>,
    keys: Vec<String>,
    /// Per key, when it expires (0: not touched in a way that sets an expiry).
    expiries: Vec<i64>,
    /// Per counter hash, when its counters say it expires (they may be held for later).
    counter_expiries: Vec<i64>,
    /// Per key, when it expires if an op that may not write it (a share window's) does.
    expiries_if_written: Vec<i64>,
    /// Per key and counter field, its sum.
    increments: HashMap<(usize, Field<'a>), usize>,
    /// Per key (by place), its counter fields and their sums, in the order first counted:
    /// the clicks' order, so a batch encodes the same way every time without a sort.
    counters: Vec<Vec<(Field<'a>, i64)>>,
    top: HashMap<(usize, &'a str), i64>,
    visitors: HashMap<usize, Vec<&'a str>>,
    /// Per stream, its new raw clicks.
    streams: HashMap<usize, StreamBuilder<'a>>,
    /// Per stream, the oldest entry id (ms) to keep.
    stream_trims: HashMap<usize, i64>,
    /// The `s` ops, ready.
    shares: Args,
    /// Counter sums held across batches and due now, as `H` ops, and the pending hash's
    /// `P` or `X` (held_counters.rs), ready.
    released: Args,
}

impl<'a> GroupBuilder<'a> {
    fn new(tag: String) -> GroupBuilder<'a> {
        GroupBuilder {
            tag,
            keys: Vec::new(),
            index: HashMap::default(),
            expiries: Vec::new(),
            counter_expiries: Vec::new(),
            expiries_if_written: Vec::new(),
            increments: HashMap::default(),
            counters: Vec::new(),
            top: HashMap::default(),
            visitors: HashMap::default(),
            streams: HashMap::default(),
            stream_trims: HashMap::default(),
            shares: Args::default(),
            released: Args::default(),
        }
    }

    fn key(&mut self, key: String) -> usize {
        if let Some(&index) = self.index.get(&key) {
            return index;
        }
        let index = self.keys.len();
        self.index.insert(key.clone(), index);
        self.keys.push(key);
        self.expiries.push(0);
        self.counter_expiries.push(0);
        self.expiries_if_written.push(0);
        self.counters.push(Vec::new());
        index
    }

    fn expire(&mut self, index: usize, at: i64) {
        let entry = &mut self.expiries[index];
        *entry = (*entry).max(at);
    }

    fn expire_if_written(&mut self, index: usize, at: i64) {
        let entry = &mut self.expiries_if_written[index];
        *entry = (*entry).max(at);
    }

    /// Leaves out the expiries and trims Redis has. An expiry for a key that only a share
    /// window's op may write (it writes only when the window opens) is sent but not
    /// remembered: if the key did not exist, the `EXPIREAT` did nothing, and the op that
    /// does write it later must still send one.
    fn leave_out_sent(&mut self, sent: &mut SentRecently) {
        for ((key, at), if_written) in self.keys.iter().zip(self.expiries.iter_mut()).zip(&self.expiries_if_written) {
            if *at != 0 {
                if !sent.expiry_needed(key, (*at).max(*if_written)) {
                    *at = 0;
                }
            } else {
                *at = *if_written;
            }
        }
        let keys = &self.keys;
        self.stream_trims.retain(|&index, &mut oldest_ms| sent.trim_needed(&keys[index], oldest_ms));
    }

    /// The group's script arguments, in a stable order (by key, then as first counted), so
    /// that one batch always encodes the same way.
    fn finish(self, marker: String, policy: &WritePolicy) -> Group {
        let mut args = Args::default();
        args.push_int(policy.marker_ttl_secs);
        let op = |args: &mut Args, name: &str, key: usize| {
            args.push(name);
            args.push_int(key + 2);
        };
        for (key, fields) in self.counters.iter().enumerate().filter(|(_, fields)| !fields.is_empty()) {
            // From three fields on, one op names the hash once for all of them.
            if fields.len() >= 3 {
                op(&mut args, "H", key);
                args.push_int(fields.len());
                for (field, n) in fields {
                    args.push_with(|out| field.write_to(out));
                    args.push_int(*n);
                }
                continue;
            }
            for (field, n) in fields {
                op(&mut args, "h", key);
                args.push_with(|out| field.write_to(out));
                args.push_int(*n);
            }
        }
        args.extend(&self.released);
        let mut top: Vec<_> = self.top.into_iter().collect();
        top.sort_unstable();
        for ((key, member), n) in top {
            op(&mut args, "z", key);
            args.push(member);
            args.push_int(n);
        }
        let mut visitors: Vec<_> = self.visitors.into_iter().collect();
        visitors.sort_unstable_by_key(|&(key, _)| key);
        for (key, mut visitors) in visitors {
            visitors.sort_unstable();
            visitors.dedup();
            for chunk in visitors.chunks(PFADD_CHUNK) {
                op(&mut args, "p", key);
                args.push_int(chunk.len());
                chunk.iter().for_each(|visitor| args.push(visitor));
            }
        }
        let mut streams: Vec<_> = self.streams.into_iter().collect();
        streams.sort_unstable_by_key(|&(key, _)| key);
        for (key, stream) in &streams {
            op(&mut args, "R", *key);
            // MAXLEN counts entries: as many as hold `recent_clicks` clicks of this size.
            let per_entry = stream.clicks.div_ceil(stream.entries.len()).max(1);
            args.push_int(policy.recent_clicks.div_ceil(per_entry));
            args.push_int(stream.entries.len());
            args.extend(&stream.entries);
        }
        let mut trims: Vec<_> = self.stream_trims.into_iter().collect();
        trims.sort_unstable();
        for (key, oldest_ms) in trims {
            op(&mut args, "m", key);
            args.push_int(oldest_ms);
        }
        args.extend(&self.shares);
        for (key, &at) in self.expiries.iter().enumerate().filter(|&(_, &at)| at != 0) {
            op(&mut args, "t", key);
            args.push_int(at);
        }
        let mut keys = Vec::with_capacity(self.keys.len() + 1);
        keys.push(marker);
        keys.extend(self.keys);
        Group { keys, args }
    }
}
