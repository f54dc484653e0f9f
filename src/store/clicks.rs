//! Writing clicks. A batch of clicks becomes counter increments summed per key and field
//! (a thousand clicks on one content-channel-day are one `HINCRBY … 1000`), HyperLogLog
//! adds, stream entries and expiries. Each group of keys is applied by one Lua script, all
//! groups in one pipelined round trip. The script first sets a batch marker, so a batch
//! applied twice (a retry after a lost reply, a spool replay) counts once.

use super::Store;
use super::keys::{Keys, hash_tag};
use super::sent_recently::SentRecently;
use crate::domain::click::day_of;
use crate::domain::{ChannelRegistry, Click, ClickKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

static APPLY: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("apply_clicks.lua")));

/// Lua's `unpack` works on the C stack; stay far below its limit.
const PFADD_CHUNK: usize = 500;
/// The fields of a raw click in its stream, in the order the writer sends their values
/// (op `r` of apply_clicks.lua, which holds the same list: a batch carries no field names).
pub const CLICK_FIELDS: [&str; 14] =
    ["t", "code", "channel", "campaign", "kind", "platform", "device", "os", "browser", "in_app", "country", "city", "referrer", "source"];
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
    pub args: Vec<String>,
}

impl Store {
    /// Applies a batch in one round trip. An error leaves the batch safe to apply again.
    pub async fn apply_batch(&self, batch: &ClickBatch) -> Result<(), redis::RedisError> {
        batch.pipeline().query_async(&mut self.conn()).await
    }
}

impl ClickBatch {
    /// The batch's one round trip: the script, loaded first (that makes the pipeline work
    /// after a Redis restart emptied the script cache), then one `EVALSHA` per group.
    fn pipeline(&self) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        pipe.load_script(&APPLY).ignore();
        for group in &self.groups {
            let mut invocation = APPLY.prepare_invoke();
            invocation.key(&group.keys).arg(&group.args);
            pipe.invoke_script(&invocation).ignore();
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
fn count_script_commands(args: &[String], count: &mut impl FnMut(&'static str, usize)) {
    let number = |i: usize| args.get(i).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    let mut i = 1;
    while i < args.len() {
        let (command, runs, width) = match args[i].as_str() {
            "h" => ("hincrby", 1, 4),
            "z" => ("zincrby", 1, 4),
            "p" => ("pfadd", 1, 3 + number(i + 2)),
            "x" => ("xadd", 1, 4 + number(i + 3)),
            "r" => ("xadd", number(i + 3), 4 + number(i + 3) * CLICK_FIELDS.len()),
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
    let mut batch = BatchBuilder { keys, policy, groups: BTreeMap::new() };
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
    groups: BTreeMap<String, GroupBuilder>,
}

impl BatchBuilder<'_> {
    fn group(&mut self, key: &str) -> &mut GroupBuilder {
        let tag = if self.policy.group_by_slot { hash_tag(key) } else { "all" };
        self.groups.entry(tag.to_owned()).or_default()
    }

    /// An increment of a daily counter, kept for the retention after its day.
    fn count(&mut self, key: String, field: String, at_ms: i64) {
        let expire = self.day_expiry(at_ms);
        let group = self.group(&key);
        let index = group.key(key);
        *group.increments.entry((index, field)).or_default() += 1;
        group.expire(index, expire);
    }

    fn day_expiry(&self, at_ms: i64) -> i64 {
        let day_end = (at_ms.div_euclid(1000) / DAY_SECS + 1) * DAY_SECS;
        day_end + i64::from(self.policy.retention_days) * DAY_SECS
    }

    fn add(&mut self, click: &Click, channels: &ChannelRegistry) {
        let day = day_of(click.at_ms);
        let (content_day, site_day) = (self.keys.content_day(&click.content, &day), self.keys.site_day(&day));
        let ch = &click.channel;
        match &click.kind {
            ClickKind::Person => self.add_person(click, &day, &content_day, &site_day),
            ClickKind::Bot => {
                self.count(content_day, format!("bots:{ch}"), click.at_ms);
                self.count(site_day, format!("bots:{ch}"), click.at_ms);
                self.rank(click, &day, 0);
            }
            ClickKind::Preview(platform) => {
                let forward = channels.get(ch).is_some_and(|c| !c.is_native_platform(platform));
                let mut fields = vec![format!("shares:{ch}"), format!("pv:{platform}")];
                if forward {
                    fields.push(format!("fwd:{ch}>{platform}"));
                }
                let seen = self.keys.content_preview_seen(&click.content, &click.code, platform);
                self.share(seen, content_day, &fields, click.at_ms);
                let seen = self.keys.site_preview_seen(&click.code, platform);
                self.share(seen, site_day, &fields, click.at_ms);
                self.rank(click, &day, 0);
            }
        }
        self.stream(click);
    }

    fn add_person(&mut self, click: &Click, day: &str, content_day: &str, site_day: &str) {
        let ch = &click.channel;
        let mut fields = vec![format!("clicks:{ch}"), format!("dev:{}", click.device), format!("cc:{}", click.country)];
        fields.extend(click.in_app.as_ref().map(|app| format!("app:{app}")));
        fields.extend(click.referrer_host.as_ref().map(|host| format!("ref:{host}")));
        for field in &fields {
            self.count(site_day.to_owned(), field.clone(), click.at_ms);
            self.count(content_day.to_owned(), field.clone(), click.at_ms);
        }
        if let Some(city) = &click.city {
            self.count(content_day.to_owned(), format!("city:{}:{city}", click.country), click.at_ms);
        }
        if let Some(campaign) = &click.campaign {
            self.count(content_day.to_owned(), format!("camp:{campaign}"), click.at_ms);
        }
        let expire = self.day_expiry(click.at_ms);
        for key in [self.keys.content_visitors(&click.content, day, ch), self.keys.site_visitors(day, ch)] {
            let group = self.group(&key);
            let index = group.key(key);
            group.visitors.entry(index).or_default().insert(click.visitor.clone());
            group.expire(index, expire);
        }
        self.rank(click, day, 1);
    }

    /// Adds `clicks` to the content's rank of the day. Zero still lists the content as
    /// active that day (it had shares or bots), so listings and exports find it.
    fn rank(&mut self, click: &Click, day: &str, clicks: i64) {
        let expire = self.day_expiry(click.at_ms);
        let top = self.keys.site_top(day);
        let group = self.group(&top);
        let index = group.key(top);
        *group.top.entry((index, click.content.to_string())).or_default() += clicks;
        group.expire(index, expire);
    }

    /// A preview: counted as a share only if no preview of this link by this platform was
    /// counted within the window (one share makes a burst of fetches).
    fn share(&mut self, seen_key: String, day_key: String, fields: &[String], at_ms: i64) {
        let expire = self.day_expiry(at_ms);
        let group = self.group(&seen_key);
        let seen = group.key(seen_key);
        let day = group.key(day_key);
        group.shares.push((seen, fields.iter().map(|f| (day, f.clone())).collect()));
        group.expire(day, expire);
    }

    fn stream(&mut self, click: &Click) {
        let key = self.keys.content_clicks(&click.content);
        let expire = click.at_ms / 1000 + i64::from(self.policy.retention_days) * DAY_SECS;
        let platform = match &click.kind {
            ClickKind::Preview(platform) => platform.as_str(),
            _ => "",
        };
        // In the order of CLICK_FIELDS.
        let values: [String; CLICK_FIELDS.len()] = [
            click.at_ms.to_string(),
            click.code.to_string(),
            click.channel.clone(),
            click.campaign.clone().unwrap_or_default(),
            click.kind.name().to_owned(),
            platform.to_owned(),
            click.device.clone(),
            click.os.clone(),
            click.browser.clone(),
            click.in_app.clone().unwrap_or_default(),
            click.country.clone(),
            click.city.clone().unwrap_or_default(),
            click.referrer_host.clone().unwrap_or_default(),
            click.source.clone(),
        ];
        let oldest_kept_ms = click.at_ms - i64::from(self.policy.retention_days) * DAY_SECS * 1000;
        let group = self.group(&key);
        let index = group.key(key);
        group.streams.entry(index).or_default().extend(values);
        let trim = group.stream_trims.entry(index).or_insert(oldest_kept_ms);
        *trim = (*trim).max(oldest_kept_ms);
        group.expire(index, expire);
    }
}

#[derive(Default)]
struct GroupBuilder {
    keys: Vec<String>,
    index: HashMap<String, usize>,
    increments: BTreeMap<(usize, String), i64>,
    top: BTreeMap<(usize, String), i64>,
    visitors: BTreeMap<usize, BTreeSet<String>>,
    /// Per stream, its new entries' values, one CLICK_FIELDS row after the other.
    streams: BTreeMap<usize, Vec<String>>,
    shares: Vec<(usize, Vec<(usize, String)>)>,
    /// Per stream, the oldest entry id (ms) to keep.
    stream_trims: BTreeMap<usize, i64>,
    expiries: BTreeMap<usize, i64>,
}

impl GroupBuilder {
    /// The key's index in the script's KEYS (1-based, after the marker).
    fn key(&mut self, key: String) -> usize {
        let next = self.keys.len() + 2;
        *self.index.entry(key.clone()).or_insert_with(|| {
            self.keys.push(key);
            next
        })
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
        let mut args = vec![policy.marker_ttl_secs.to_string()];
        for ((key, field), n) in self.increments {
            args.extend(["h".into(), key.to_string(), field, n.to_string()]);
        }
        for ((key, member), n) in self.top {
            args.extend(["z".into(), key.to_string(), member, n.to_string()]);
        }
        for (key, visitors) in self.visitors {
            let visitors: Vec<String> = visitors.into_iter().collect();
            for chunk in visitors.chunks(PFADD_CHUNK) {
                args.extend(["p".into(), key.to_string(), chunk.len().to_string()]);
                args.extend(chunk.iter().cloned());
            }
        }
        for (key, values) in self.streams {
            let entries = values.len() / CLICK_FIELDS.len();
            args.extend(["r".into(), key.to_string(), policy.recent_clicks.to_string(), entries.to_string()]);
            args.extend(values);
        }
        for (key, oldest_ms) in self.stream_trims {
            args.extend(["m".into(), key.to_string(), oldest_ms.to_string()]);
        }
        for (seen, increments) in self.shares {
            args.extend(["s".into(), seen.to_string(), policy.preview_window_secs.to_string(), increments.len().to_string()]);
            for (key, field) in increments {
                args.extend([key.to_string(), field, "1".into()]);
            }
        }
        for (key, at) in self.expiries {
            args.extend(["t".into(), key.to_string(), at.to_string()]);
        }
        let mut keys = vec![marker];
        keys.extend(self.keys);
        Group { keys, args }
    }
}

#[cfg(test)]
mod tests;
