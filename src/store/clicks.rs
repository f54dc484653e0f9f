//! Writing clicks (and share intents, which ride along as clicks of kind `Intent`). A batch
//! of clicks becomes counter increments summed per key and field
//! (a thousand clicks on one content-channel-day are one `HINCRBY … 1000`), HyperLogLog
//! adds, stream entries and expiries. Each group of keys is applied by one Lua script, all
//! groups in one pipelined round trip. The script first sets a batch marker, so a batch
//! applied twice (a retry after a lost reply, a spool replay) counts once.

use super::Store;
use super::args::Args;
use super::keys::{Keys, hash_tag};
use super::sent_recently::SentRecently;
use crate::domain::click::day_of;
use crate::domain::{ChannelRegistry, Click, ClickKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::{self, Write as _};
use std::rc::Rc;
use std::sync::LazyLock;

static APPLY: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("apply_clicks.lua")));

/// Lua's `unpack` works on the C stack; stay far below its limit.
const PFADD_CHUNK: usize = 500;
/// The fields of a raw click, in the order their values are packed into its stream entry.
pub const CLICK_FIELDS: [&str; 14] =
    ["t", "code", "channel", "campaign", "kind", "platform", "device", "os", "browser", "in_app", "country", "city", "referrer", "source"];
/// A raw click is one stream entry with one field, [`PACKED_FIELD`], holding its values
/// joined by this separator (ASCII "unit separator"; a value never holds one). As fourteen
/// fields, each click cost the script fourteen more arguments to convert and Redis fourteen
/// more listpack entries: most of the script's time (docs/performance.md).
pub const PACKED_SEPARATOR: char = '\u{1f}';
pub const PACKED_FIELD: &str = "c";
const DAY_SECS: i64 = 86_400;

/// How clicks are written.
#[derive(Debug, Clone)]
pub struct WritePolicy {
    /// Days that daily aggregates are kept after their day.
    pub retention_days: u32,
    /// Raw clicks kept per content (the most recent ones).
    pub recent_clicks: usize,
    /// Previews of one link by one platform within this many seconds are one share.
    pub preview_window_secs: u64,
    /// How long a batch marker guards against a second application.
    pub marker_ttl_secs: u64,
    /// One script per hash tag (Redis Cluster) instead of one for the whole batch.
    pub group_by_slot: bool,
}

/// A batch ready to apply, and what the spool stores while Redis is away.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClickBatch {
    pub id: String,
    pub clicks: usize,
    pub groups: Vec<Group>,
}

/// One script invocation: `keys[0]` is the batch marker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub keys: Vec<String>,
    pub args: Args,
}

impl Store {
    /// Applies a batch in one round trip. An error leaves the batch safe to apply again.
    pub async fn apply_batch(&self, batch: &ClickBatch) -> Result<(), redis::RedisError> {
        if !self.is_cluster() {
            return batch.pipeline().query_async(&mut self.conn()).await;
        }
        // A cluster needs each group sent to its slot's node, with the EVAL fallback there.
        let invocations: Vec<redis::ScriptInvocation<'_>> = batch
            .groups
            .iter()
            .map(|group| {
                let mut invocation = APPLY.prepare_invoke();
                invocation.key(&group.keys).arg(&group.args);
                invocation
            })
            .collect();
        self.run_scripts(&APPLY, &invocations).await.map(drop)
    }
}

/// A raw click's fields from its stream entry: unpacks [`PACKED_FIELD`]; an entry written
/// by a version before packing has its fields as they are.
pub fn unpack_raw_click(mut fields: HashMap<String, String>) -> HashMap<String, String> {
    match fields.remove(PACKED_FIELD) {
        Some(packed) => CLICK_FIELDS.iter().zip(packed.split(PACKED_SEPARATOR)).map(|(name, value)| ((*name).to_owned(), value.to_owned())).collect(),
        None => fields,
    }
}

impl ClickBatch {
    /// The batch's one round trip on a single Redis: the script loaded first (that makes the
    /// pipeline work after a Redis restart emptied the script cache), then one `EVALSHA` per
    /// group.
    fn pipeline(&self) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        pipe.load_script(&APPLY).ignore();
        for group in &self.groups {
            // Built as a plain command: a ScriptInvocation would copy every argument twice.
            pipe.cmd("EVALSHA").arg(APPLY.get_hash()).arg(group.keys.len()).arg(&group.keys).arg(&group.args).ignore();
        }
        pipe
    }

    /// Bytes the batch's round trip sends to Redis (the encoded pipeline).
    pub fn wire_bytes(&self) -> usize {
        self.pipeline().get_packed_pipeline().len()
    }

    /// The commands applying the batch runs in Redis, by name: the round trip's own
    /// (`script load`, `evalsha`) and those the script calls. A preview's increments only
    /// run when its share window was not already open, so theirs are an upper bound.
    pub fn commands(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        let mut count = |name, n| *counts.entry(name).or_insert(0) += n;
        count("script load", 1);
        for group in &self.groups {
            count("evalsha", 1);
            count("set", 1);
            count_script_commands(&group.args, &mut count);
        }
        counts
    }
}

/// Walks the script's ops (see apply_clicks.lua) and counts the commands each one runs.
fn count_script_commands(args: &Args, count: &mut impl FnMut(&'static str, usize)) {
    let number = |i: usize| args.get(i).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    let mut i = 1;
    while let Some(op) = args.get(i) {
        let (command, runs, width) = match op {
            "h" => ("hincrby", 1, 4),
            "H" => {
                count("hmget", 1);
                ("hset", 1, 3 + 2 * number(i + 2))
            }
            "z" => ("zincrby", 1, 4),
            "p" => ("pfadd", 1, 3 + number(i + 2)),
            "x" => ("xadd", 1, 4 + number(i + 3)),
            "r" => ("xadd", number(i + 3), 4 + number(i + 3)),
            "m" => ("xtrim", 1, 3),
            "t" => ("expireat", 1, 3),
            "s" => {
                count("set", 1);
                ("hincrby", number(i + 3), 4 + 3 * number(i + 3))
            }
            _ => break,
        };
        count(command, runs);
        i += width;
    }
}

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
    let mut batch = BatchBuilder { keys, policy, groups: BTreeMap::new(), memo: KeyMemo::default() };
    for click in clicks {
        batch.add(click, channels);
    }
    sent.start_batch();
    let groups = batch
        .groups
        .into_iter()
        .map(|(tag, mut group)| {
            group.leave_out_sent(sent);
            group.finish(keys.batch_marker(&tag, id), policy)
        })
        .collect();
    ClickBatch { id: id.to_owned(), clicks: clicks.len(), groups }
}

struct BatchBuilder<'a> {
    keys: &'a Keys,
    policy: &'a WritePolicy,
    groups: BTreeMap<String, GroupBuilder<'a>>,
    memo: KeyMemo<'a>,
}

/// The days and keys of a batch, each formatted once: formatting them for every click was a
/// third of the encoder's instructions (docs/performance.md).
#[derive(Default)]
struct KeyMemo<'a> {
    /// By what the key is (a name), the content and the channel it is of, and its day number.
    built: HashMap<(&'static str, &'a str, &'a str, i64), Rc<str>>,
}

impl<'a> KeyMemo<'a> {
    fn get(&mut self, of: (&'static str, &'a str, &'a str, i64), build: impl FnOnce() -> String) -> Rc<str> {
        self.built.entry(of).or_insert_with(|| build().into()).clone()
    }
}

/// The UTC day number of a timestamp in milliseconds.
fn day_number(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_SECS * 1000)
}

/// Sets `buf` to a formatted counter field, reusing its allocation.
fn set_field<'b>(buf: &'b mut String, field: fmt::Arguments<'_>) -> &'b str {
    buf.clear();
    let _ = buf.write_fmt(field);
    buf
}

impl<'a> BatchBuilder<'a> {
    fn group(&mut self, key: &str) -> &mut GroupBuilder<'a> {
        let tag = if self.policy.group_by_slot { hash_tag(key) } else { "all" };
        if !self.groups.contains_key(tag) {
            self.groups.insert(tag.to_owned(), GroupBuilder::default());
        }
        self.groups.get_mut(tag).expect("the group was just added")
    }

    /// An increment of a daily counter, kept for the retention after its day.
    fn count(&mut self, key: &str, field: &str, at_ms: i64) {
        let expire = self.day_expiry(at_ms);
        let group = self.group(key);
        let index = group.key(key);
        let fields = group.increments.entry(index).or_default();
        match fields.get_mut(field) {
            Some(n) => *n += 1,
            None => {
                fields.insert(field.to_owned(), 1);
            }
        }
        group.expire(index, expire);
    }

    fn day_expiry(&self, at_ms: i64) -> i64 {
        let day_end = (at_ms.div_euclid(1000) / DAY_SECS + 1) * DAY_SECS;
        day_end + i64::from(self.policy.retention_days) * DAY_SECS
    }

    fn add(&mut self, click: &'a Click, channels: &ChannelRegistry) {
        let (keys, memo, number, content) = (self.keys, &mut self.memo, day_number(click.at_ms), click.content.as_str());
        let day = memo.get(("day", "", "", number), || day_of(click.at_ms));
        let content_day = memo.get(("content day", content, "", number), || keys.content_day(&click.content, &day));
        let site_day = memo.get(("site day", "", "", number), || keys.site_day(&day));
        let ch = &click.channel;
        let mut field = String::with_capacity(64);
        match &click.kind {
            ClickKind::Person => self.add_person(click, &day, &content_day, &site_day, &mut field),
            ClickKind::Bot => {
                let field = set_field(&mut field, format_args!("bots:{ch}"));
                self.count(&content_day, field, click.at_ms);
                self.count(&site_day, field, click.at_ms);
                self.rank(click, &day, 0);
            }
            // A tap on a share button: counted beside the channel's shares and clicks, and
            // nowhere else (devices, places and visitors stay the readers' own).
            ClickKind::Intent => {
                let field = set_field(&mut field, format_args!("intents:{ch}"));
                self.count(&content_day, field, click.at_ms);
                self.count(&site_day, field, click.at_ms);
                self.rank(click, &day, 0);
            }
            ClickKind::Preview(platform) => {
                let forward = channels.get(ch).is_some_and(|c| !c.is_native_platform(platform));
                let mut fields = vec![format!("shares:{ch}"), format!("pv:{platform}")];
                if forward {
                    fields.push(format!("fwd:{ch}>{platform}"));
                }
                let seen = self.keys.content_preview_seen(&click.content, &click.code, platform);
                self.share(&seen, &content_day, &fields, click.at_ms);
                let seen = self.keys.site_preview_seen(&click.code, platform);
                self.share(&seen, &site_day, &fields, click.at_ms);
                self.rank(click, &day, 0);
            }
        }
        self.stream(click);
    }

    fn add_person(&mut self, click: &'a Click, day: &str, content_day: &str, site_day: &str, field: &mut String) {
        let (ch, at) = (click.channel.as_str(), click.at_ms);
        let site_and_content = [
            Some(("clicks", ch)),
            Some(("dev", click.device.as_str())),
            Some(("cc", click.country.as_str())),
            click.in_app.as_deref().map(|app| ("app", app)),
            click.referrer_host.as_deref().map(|host| ("ref", host)),
        ];
        for (name, value) in site_and_content.into_iter().flatten() {
            let field = set_field(field, format_args!("{name}:{value}"));
            self.count(site_day, field, at);
            self.count(content_day, field, at);
        }
        if let Some(city) = &click.city {
            self.count(content_day, set_field(field, format_args!("city:{}:{city}", click.country)), at);
        }
        if let Some(campaign) = &click.campaign {
            self.count(content_day, set_field(field, format_args!("camp:{campaign}")), at);
        }
        let expire = self.day_expiry(at);
        let (keys, number, content) = (self.keys, day_number(at), click.content.as_str());
        let content_visitors = self.memo.get(("content visitors", content, ch, number), || keys.content_visitors(&click.content, day, ch));
        let site_visitors = self.memo.get(("site visitors", "", ch, number), || keys.site_visitors(day, ch));
        for key in [content_visitors, site_visitors] {
            let group = self.group(&key);
            let index = group.key(&key);
            group.visitors.entry(index).or_default().insert(click.visitor.as_str());
            group.expire(index, expire);
        }
        self.rank(click, day, 1);
    }

    /// Adds `clicks` to the content's rank of the day. Zero still lists the content as
    /// active that day (it had shares, intents or bots), so listings and exports find it.
    fn rank(&mut self, click: &'a Click, day: &str, clicks: i64) {
        let expire = self.day_expiry(click.at_ms);
        let keys = self.keys;
        let top = self.memo.get(("site top", "", "", day_number(click.at_ms)), || keys.site_top(day));
        let group = self.group(&top);
        let index = group.key(&top);
        *group.top.entry(index).or_default().entry(click.content.as_str()).or_default() += clicks;
        group.expire(index, expire);
    }

    /// A preview: counted as a share only if no preview of this link by this platform was
    /// counted within the window (one share makes a burst of fetches).
    fn share(&mut self, seen_key: &str, day_key: &str, fields: &[String], at_ms: i64) {
        let (window, expire) = (self.policy.preview_window_secs, self.day_expiry(at_ms));
        let group = self.group(seen_key);
        let seen = group.key(seen_key);
        let day = group.key(day_key);
        let shares = &mut group.shares;
        shares.push("s");
        shares.push_display(seen);
        shares.push_display(window);
        shares.push_display(fields.len());
        for field in fields {
            shares.push_display(day);
            shares.push(field);
            shares.push("1");
        }
        group.expire(day, expire);
    }

    fn stream(&mut self, click: &'a Click) {
        let keys = self.keys;
        let key = self.memo.get(("content clicks", click.content.as_str(), "", 0), || keys.content_clicks(&click.content));
        let expire = click.at_ms / 1000 + i64::from(self.policy.retention_days) * DAY_SECS;
        let oldest_kept_ms = click.at_ms - i64::from(self.policy.retention_days) * DAY_SECS * 1000;
        let platform = match &click.kind {
            ClickKind::Preview(platform) => platform.as_str(),
            _ => "",
        };
        let group = self.group(&key);
        let index = group.key(&key);
        let (entries, values) = group.streams.entry(index).or_default();
        *entries += 1;
        values.push_with(|packed| {
            let _ = write!(packed, "{}", click.at_ms);
            let [device, os, browser] = [&click.device, &click.os, &click.browser].map(String::as_str);
            let (campaign, in_app) = (click.campaign.as_deref().unwrap_or_default(), click.in_app.as_deref().unwrap_or_default());
            let (city, referrer) = (click.city.as_deref().unwrap_or_default(), click.referrer_host.as_deref().unwrap_or_default());
            // In the order of CLICK_FIELDS, after the time.
            for value in [click.code.as_str(), &click.channel, campaign, click.kind.name(), platform, device, os, browser, in_app, &click.country, city, referrer, &click.source] {
                packed.push(PACKED_SEPARATOR);
                packed.extend(value.chars().map(|c| if c == PACKED_SEPARATOR { ' ' } else { c }));
            }
        });
        let trim = group.stream_trims.entry(index).or_insert(oldest_kept_ms);
        *trim = (*trim).max(oldest_kept_ms);
        group.expire(index, expire);
    }
}

/// One group's keys and ops, borrowing what it can from the batch's clicks.
#[derive(Default)]
struct GroupBuilder<'a> {
    keys: Vec<String>,
    index: HashMap<String, usize>,
    /// Per key, its counter fields and their sums.
    increments: BTreeMap<usize, BTreeMap<String, i64>>,
    top: BTreeMap<usize, BTreeMap<&'a str, i64>>,
    visitors: BTreeMap<usize, BTreeSet<&'a str>>,
    /// Per stream, how many new entries, and their packed values.
    streams: BTreeMap<usize, (usize, Args)>,
    /// The `s` ops, ready.
    shares: Args,
    /// Per stream, the oldest entry id (ms) to keep.
    stream_trims: BTreeMap<usize, i64>,
    expiries: BTreeMap<usize, i64>,
}

impl GroupBuilder<'_> {
    /// The key's index in the script's KEYS (1-based, after the marker).
    fn key(&mut self, key: &str) -> usize {
        if let Some(&index) = self.index.get(key) {
            return index;
        }
        let index = self.keys.len() + 2;
        self.keys.push(key.to_owned());
        self.index.insert(key.to_owned(), index);
        index
    }

    fn expire(&mut self, index: usize, at: i64) {
        let entry = self.expiries.entry(index).or_insert(at);
        *entry = (*entry).max(at);
    }

    fn leave_out_sent(&mut self, sent: &mut SentRecently) {
        let keys = &self.keys;
        self.expiries.retain(|&index, &mut at| sent.expiry_needed(&keys[index - 2], at));
        self.stream_trims.retain(|&index, &mut oldest_ms| sent.trim_needed(&keys[index - 2], oldest_ms));
    }

    fn finish(self, marker: String, policy: &WritePolicy) -> Group {
        let mut args = Args::default();
        args.push_display(policy.marker_ttl_secs);
        let op = |args: &mut Args, name: &str, key: usize| {
            args.push(name);
            args.push_display(key);
        };
        for (key, fields) in &self.increments {
            // Each call from the script costs about as much as the command itself; from
            // three fields on, reading and writing them all at once is fewer calls.
            if fields.len() >= 3 {
                op(&mut args, "H", *key);
                args.push_display(fields.len());
                for (field, n) in fields {
                    args.push(field);
                    args.push_display(n);
                }
                continue;
            }
            for (field, n) in fields {
                op(&mut args, "h", *key);
                args.push(field);
                args.push_display(n);
            }
        }
        for (key, members) in &self.top {
            for (member, n) in members {
                op(&mut args, "z", *key);
                args.push(member);
                args.push_display(n);
            }
        }
        for (key, visitors) in &self.visitors {
            let visitors: Vec<&str> = visitors.iter().copied().collect();
            for chunk in visitors.chunks(PFADD_CHUNK) {
                op(&mut args, "p", *key);
                args.push_display(chunk.len());
                chunk.iter().for_each(|visitor| args.push(visitor));
            }
        }
        for (key, (entries, values)) in &self.streams {
            op(&mut args, "r", *key);
            args.push_display(policy.recent_clicks);
            args.push_display(entries);
            args.extend(values);
        }
        for (key, oldest_ms) in &self.stream_trims {
            op(&mut args, "m", *key);
            args.push_display(oldest_ms);
        }
        args.extend(&self.shares);
        for (key, at) in &self.expiries {
            op(&mut args, "t", *key);
            args.push_display(at);
        }
        let mut keys = vec![marker];
        keys.extend(self.keys);
        Group { keys, args }
    }
}

#[cfg(test)]
mod tests;
