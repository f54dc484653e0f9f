//! Turning a batch of clicks into the ops of apply_clicks.lua, summed per key and field.
//!
//! This runs for every click the service records, so it is built for speed (see
//! docs/performance.md): each click resolves its keys with one lookup of its content,
//! channel and day; a counter field stays a tuple of borrowed parts until the batch is
//! finished, so summing a click is hashing a few short slices, not formatting and hashing
//! a string per field; and the maps use foldhash, not SipHash (their keys come from our
//! own clicks, not from a client choosing collisions).

use super::{CLICKS_PER_ENTRY, ClickBatch, Group, PACKED_SEPARATOR, PFADD_CHUNK, RECORD_SEPARATOR, WritePolicy};
use crate::domain::click::day_of;
use crate::domain::{ChannelRegistry, Click, ClickKind};
use crate::store::args::Args;
use crate::store::keys::{Keys, hash_tag};
use crate::store::sent_recently::SentRecently;
use foldhash::HashMap;
use std::fmt::Write as _;

const DAY_SECS: i64 = 86_400;

/// Turns clicks into a batch. `channels` tells which preview platforms are native to a
/// channel (a Slack preview of a Slack link is a share, of a WhatsApp link a forward).
pub fn encode_batch(keys: &Keys, policy: &WritePolicy, channels: &ChannelRegistry, id: &str, clicks: &[Click]) -> ClickBatch {
    encode_batch_after(keys, policy, channels, id, clicks, &mut SentRecently::default())
}

/// [`encode_batch`] for a writer that remembers what its earlier batches sent: expiries and
/// trims that Redis already has are left out.
pub fn encode_batch_after(
    keys: &Keys,
    policy: &WritePolicy,
    channels: &ChannelRegistry,
    id: &str,
    clicks: &[Click],
    sent: &mut SentRecently,
) -> ClickBatch {
    let mut batch = BatchBuilder {
        keys,
        policy,
        groups: Vec::new(),
        group_of_tag: HashMap::default(),
        site_keys: HashMap::default(),
        content_keys: HashMap::default(),
        seen_keys: HashMap::default(),
    };
    for click in clicks {
        batch.add(click, channels);
    }
    sent.start_batch();
    let groups = batch
        .groups
        .into_iter()
        .map(|mut group| {
            group.leave_out_sent(sent);
            let marker = keys.batch_marker(&group.tag, id);
            group.finish(marker, policy)
        })
        .collect();
    ClickBatch { id: id.to_owned(), clicks: clicks.len(), groups }
}

/// A key of the batch: its group, and its place among the group's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct KeyRef {
    group: usize,
    index: usize,
}

/// A counter field as its parts, written `name:value` or `name:value<sep>detail` (e.g.
/// `city:GB:London`, `fwd:whatsapp>slack`) only when the batch is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Field<'a> {
    name: &'static str,
    value: &'a str,
    sep: &'static str,
    detail: &'a str,
}

impl<'a> Field<'a> {
    fn new(name: &'static str, value: &'a str) -> Field<'a> {
        Field { name, value, sep: "", detail: "" }
    }

    fn with(name: &'static str, value: &'a str, sep: &'static str, detail: &'a str) -> Field<'a> {
        Field { name, value, sep, detail }
    }

    fn write_to(&self, out: &mut String) {
        for part in [self.name, ":", self.value, self.sep, self.detail] {
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
    groups: Vec<GroupBuilder<'a>>,
    group_of_tag: HashMap<String, usize>,
    /// By channel and day number.
    site_keys: HashMap<(&'a str, i64), SiteKeys>,
    /// By content, channel and day number.
    content_keys: HashMap<(&'a str, &'a str, i64), ClickKeys>,
    /// Preview window keys, by code, platform and scope.
    seen_keys: HashMap<(&'a str, &'a str, Scope), KeyRef>,
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

    fn click_keys(&mut self, click: &'a Click) -> ClickKeys {
        let number = day_number(click.at_ms);
        let of = (click.content.as_str(), click.channel.as_str(), number);
        if let Some(&found) = self.content_keys.get(&of) {
            return found;
        }
        let (keys, day) = (self.keys, day_of(click.at_ms));
        let site = match self.site_keys.get(&(of.1, number)) {
            Some(&site) => site,
            None => {
                let site = SiteKeys {
                    day: self.intern(keys.site_day(&day)),
                    visitors: self.intern(keys.site_visitors(&day, &click.channel)),
                    top: self.intern(keys.site_top(&day)),
                };
                self.site_keys.insert((of.1, number), site);
                site
            }
        };
        let found = ClickKeys {
            site,
            content_day: self.intern(keys.content_day(&click.content, &day)),
            content_visitors: self.intern(keys.content_visitors(&click.content, &day, &click.channel)),
            stream: self.intern(keys.content_clicks(&click.content)),
            day_expiry: (number + 1) * DAY_SECS + i64::from(self.policy.retention_days) * DAY_SECS,
        };
        self.content_keys.insert(of, found);
        found
    }

    fn add(&mut self, click: &'a Click, channels: &ChannelRegistry) {
        let keys = self.click_keys(click);
        let (site_day, content_day, expire) = (keys.site.day, keys.content_day, keys.day_expiry);
        let ch = click.channel.as_str();
        match &click.kind {
            ClickKind::Person => self.add_person(click, keys),
            ClickKind::Bot => {
                self.count_both(site_day, content_day, Field::new("bots", ch), expire);
                self.rank(keys, click, 0);
            }
            // A tap on a share button: counted beside the channel's shares and clicks, and
            // nowhere else (devices, places and visitors stay the readers' own).
            ClickKind::Intent => {
                self.count_both(site_day, content_day, Field::new("intents", ch), expire);
                self.rank(keys, click, 0);
            }
            ClickKind::Preview(platform) => {
                let forward = channels.get(ch).is_some_and(|c| !c.is_native_platform(platform));
                let fields = [
                    Some(Field::new("shares", ch)),
                    Some(Field::new("pv", platform)),
                    forward.then(|| Field::with("fwd", ch, ">", platform)),
                ];
                if self.policy.group_by_slot {
                    // On a cluster a window guards only counters of its own slot.
                    let seen = self.seen_key(click, platform, Scope::Content);
                    self.share(seen, &[content_day], &fields, expire);
                    let seen = self.seen_key(click, platform, Scope::Site);
                    self.share(seen, &[site_day], &fields, expire);
                } else {
                    // On one Redis the content's window guards the site's counters too: one
                    // SET per preview instead of two.
                    let seen = self.seen_key(click, platform, Scope::Content);
                    self.share(seen, &[content_day, site_day], &fields, expire);
                }
                self.rank(keys, click, 0);
            }
        }
        self.stream(keys.stream, click);
    }

    fn add_person(&mut self, click: &'a Click, keys: ClickKeys) {
        let (ch, expire) = (click.channel.as_str(), keys.day_expiry);
        let site_and_content = [
            Some(Field::new("clicks", ch)),
            Some(Field::new("dev", &click.device)),
            Some(Field::new("cc", &click.country)),
            click.in_app.as_deref().map(|app| Field::new("app", app)),
            click.referrer_host.as_deref().map(|host| Field::new("ref", host)),
        ];
        for field in site_and_content.into_iter().flatten() {
            self.count_both(keys.site.day, keys.content_day, field, expire);
        }
        if let Some(city) = &click.city {
            self.count(keys.content_day, Field::with("city", &click.country, ":", city), expire);
        }
        if let Some(campaign) = &click.campaign {
            self.count(keys.content_day, Field::new("camp", campaign), expire);
        }
        for key in [keys.content_visitors, keys.site.visitors] {
            let group = &mut self.groups[key.group];
            group.visitors.entry(key.index).or_default().push(&click.visitor);
            group.expire(key.index, expire);
        }
        self.rank(keys, click, 1);
    }

    /// An increment of a daily counter, kept for the retention after its day.
    fn count(&mut self, key: KeyRef, field: Field<'a>, expire: i64) {
        let group = &mut self.groups[key.group];
        *group.increments.entry((key.index, field)).or_insert(0) += 1;
        group.expire(key.index, expire);
    }

    fn count_both(&mut self, site_day: KeyRef, content_day: KeyRef, field: Field<'a>, expire: i64) {
        self.count(site_day, field, expire);
        self.count(content_day, field, expire);
    }

    /// Adds `clicks` to the content's rank of the day. Zero still lists the content as
    /// active that day (it had shares, intents or bots), so listings and exports find it.
    fn rank(&mut self, keys: ClickKeys, click: &'a Click, clicks: i64) {
        let top = keys.site.top;
        let group = &mut self.groups[top.group];
        *group.top.entry((top.index, click.content.as_str())).or_insert(0) += clicks;
        group.expire(top.index, keys.day_expiry);
    }

    /// The key of a preview's share window (the content's or the site-wide one).
    fn seen_key(&mut self, click: &'a Click, platform: &'a str, scope: Scope) -> KeyRef {
        let of = (click.code.as_str(), platform, scope);
        if let Some(&found) = self.seen_keys.get(&of) {
            return found;
        }
        let key = match scope {
            Scope::Content => self.keys.content_preview_seen(&click.content, &click.code, platform),
            Scope::Site => self.keys.site_preview_seen(&click.code, platform),
        };
        let found = self.intern(key);
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
        shares.push_display(seen.index + 2);
        shares.push_display(window);
        shares.push_display(fields.clone().count() * days.len());
        for day in days {
            debug_assert_eq!(seen.group, day.group);
            for field in fields.clone() {
                shares.push_display(day.index + 2);
                shares.push_with(|out| field.write_to(out));
                shares.push("1");
            }
        }
        for day in days {
            group.expire(day.index, expire);
        }
    }

    fn stream(&mut self, key: KeyRef, click: &'a Click) {
        let expire = click.at_ms / 1000 + i64::from(self.policy.retention_days) * DAY_SECS;
        let oldest_kept_ms = click.at_ms - i64::from(self.policy.retention_days) * DAY_SECS * 1000;
        let platform = match &click.kind {
            ClickKind::Preview(platform) => platform.as_str(),
            _ => "",
        };
        let group = &mut self.groups[key.group];
        let stream = group.streams.entry(key.index).or_default();
        let record = stream.clicks % CLICKS_PER_ENTRY;
        stream.clicks += 1;
        let add = |packed: &mut String| {
            if record > 0 {
                packed.push(RECORD_SEPARATOR);
            }
            let _ = write!(packed, "{}", click.at_ms);
            let [device, os, browser] = [&click.device, &click.os, &click.browser].map(String::as_str);
            let (campaign, in_app) = (click.campaign.as_deref().unwrap_or_default(), click.in_app.as_deref().unwrap_or_default());
            let (city, referrer) = (click.city.as_deref().unwrap_or_default(), click.referrer_host.as_deref().unwrap_or_default());
            // In the order of CLICK_FIELDS, after the time.
            for value in [click.code.as_str(), &click.channel, campaign, click.kind.name(), platform, device, os, browser, in_app, &click.country, city, referrer, &click.source] {
                packed.push(PACKED_SEPARATOR);
                if value.contains([PACKED_SEPARATOR, RECORD_SEPARATOR]) {
                    packed.extend(value.chars().map(|c| if c == PACKED_SEPARATOR || c == RECORD_SEPARATOR { ' ' } else { c }));
                } else {
                    packed.push_str(value);
                }
            }
        };
        if record == 0 {
            stream.entries.push_with(add);
        } else {
            stream.entries.append_to_last(add);
        }
        let trim = group.stream_trims.entry(key.index).or_insert(oldest_kept_ms);
        *trim = (*trim).max(oldest_kept_ms);
        group.expire(key.index, expire);
    }
}

/// A stream's new raw clicks: entries of up to [`CLICKS_PER_ENTRY`] packed clicks.
#[derive(Default)]
struct StreamBuilder {
    clicks: usize,
    entries: Args,
}

/// One group's keys and ops, borrowing what it can from the batch's clicks. Keys are
/// referred to by their place in `keys`; the script sees place + 2 (Lua counts from 1, and
/// the batch marker comes first).
struct GroupBuilder<'a> {
    tag: String,
    keys: Vec<String>,
    index: HashMap<String, usize>,
    /// Per key, when it expires (0: not touched in a way that sets an expiry).
    expiries: Vec<i64>,
    /// Per key and counter field, its sum.
    increments: HashMap<(usize, Field<'a>), i64>,
    top: HashMap<(usize, &'a str), i64>,
    visitors: HashMap<usize, Vec<&'a str>>,
    /// Per stream, its new raw clicks.
    streams: HashMap<usize, StreamBuilder>,
    /// Per stream, the oldest entry id (ms) to keep.
    stream_trims: HashMap<usize, i64>,
    /// The `s` ops, ready.
    shares: Args,
}

impl<'a> GroupBuilder<'a> {
    fn new(tag: String) -> GroupBuilder<'a> {
        GroupBuilder {
            tag,
            keys: Vec::new(),
            index: HashMap::default(),
            expiries: Vec::new(),
            increments: HashMap::default(),
            top: HashMap::default(),
            visitors: HashMap::default(),
            streams: HashMap::default(),
            stream_trims: HashMap::default(),
            shares: Args::default(),
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
        index
    }

    fn expire(&mut self, index: usize, at: i64) {
        let entry = &mut self.expiries[index];
        *entry = (*entry).max(at);
    }

    fn leave_out_sent(&mut self, sent: &mut SentRecently) {
        for (key, at) in self.keys.iter().zip(self.expiries.iter_mut()) {
            if *at != 0 && !sent.expiry_needed(key, *at) {
                *at = 0;
            }
        }
        let keys = &self.keys;
        self.stream_trims.retain(|&index, &mut oldest_ms| sent.trim_needed(&keys[index], oldest_ms));
    }

    /// The group's script arguments, in a stable order (by key, then field), so that one
    /// batch always encodes the same way.
    fn finish(self, marker: String, policy: &WritePolicy) -> Group {
        let mut args = Args::default();
        args.push_display(policy.marker_ttl_secs);
        let op = |args: &mut Args, name: &str, key: usize| {
            args.push(name);
            args.push_display(key + 2);
        };
        let mut increments: Vec<_> = self.increments.into_iter().collect();
        increments.sort_unstable_by_key(|&(of, _)| of);
        for fields in increments.chunk_by(|((a, _), _), ((b, _), _)| a == b) {
            let key = fields[0].0.0;
            // Each call from the script costs about as much as the command itself; from
            // three fields on, reading and writing them all at once is fewer calls.
            if fields.len() >= 3 {
                op(&mut args, "H", key);
                args.push_display(fields.len());
                for ((_, field), n) in fields {
                    args.push_with(|out| field.write_to(out));
                    args.push_display(n);
                }
                continue;
            }
            for ((_, field), n) in fields {
                op(&mut args, "h", key);
                args.push_with(|out| field.write_to(out));
                args.push_display(n);
            }
        }
        let mut top: Vec<_> = self.top.into_iter().collect();
        top.sort_unstable();
        for ((key, member), n) in top {
            op(&mut args, "z", key);
            args.push(member);
            args.push_display(n);
        }
        let mut visitors: Vec<_> = self.visitors.into_iter().collect();
        visitors.sort_unstable_by_key(|&(key, _)| key);
        for (key, mut visitors) in visitors {
            visitors.sort_unstable();
            visitors.dedup();
            for chunk in visitors.chunks(PFADD_CHUNK) {
                op(&mut args, "p", key);
                args.push_display(chunk.len());
                chunk.iter().for_each(|visitor| args.push(visitor));
            }
        }
        let mut streams: Vec<_> = self.streams.into_iter().collect();
        streams.sort_unstable_by_key(|&(key, _)| key);
        for (key, stream) in &streams {
            op(&mut args, "r", *key);
            // MAXLEN counts entries: as many as hold `recent_clicks` clicks of this size.
            let per_entry = stream.clicks.div_ceil(stream.entries.len()).max(1);
            args.push_display(policy.recent_clicks.div_ceil(per_entry));
            args.push_display(stream.entries.len());
            args.extend(&stream.entries);
        }
        let mut trims: Vec<_> = self.stream_trims.into_iter().collect();
        trims.sort_unstable();
        for (key, oldest_ms) in trims {
            op(&mut args, "m", key);
            args.push_display(oldest_ms);
        }
        args.extend(&self.shares);
        for (key, &at) in self.expiries.iter().enumerate().filter(|&(_, &at)| at != 0) {
            op(&mut args, "t", key);
            args.push_display(at);
        }
        let mut keys = Vec::with_capacity(self.keys.len() + 1);
        keys.push(marker);
        keys.extend(self.keys);
        Group { keys, args }
    }
}
