//! Writing clicks (and share intents, which ride along as clicks of kind `Intent`). A batch
//! of clicks becomes counter increments summed per key and field
//! (a thousand clicks on one content-channel-day are one `HINCRBY … 1000`), HyperLogLog
//! adds, stream entries and expiries. Each group of keys is applied by one Lua script, all
//! groups in one pipelined round trip. The script first sets a batch marker, so a batch
//! applied twice (a retry after a lost reply, a spool replay) counts once.

mod encode;

use super::Store;
use redis::AsyncCommands;
use super::args::Args;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;
use std::time::Duration;

pub use encode::{BatchEncoder, encode_batch, encode_batch_after};

static APPLY: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("apply_clicks.lua")));

/// Lua's `unpack` works on the C stack; stay far below its limit.
const PFADD_CHUNK: usize = 500;
/// The fields of a raw click, in the order their values are packed into its stream entry.
pub const CLICK_FIELDS: [&str; 14] =
    ["t", "code", "channel", "campaign", "kind", "platform", "device", "os", "browser", "in_app", "country", "city", "referrer", "source"];
/// Raw clicks are stream entries of one field, [`PACKED_FIELD`], holding the clicks of one
/// batch (up to [`CLICKS_PER_ENTRY`]) as records joined by [`RECORD_SEPARATOR`], each record
/// the values of one click joined by [`PACKED_SEPARATOR`] (ASCII "record" and "unit"
/// separators; a value never holds either). As fourteen fields, each click cost the script
/// fourteen more arguments to convert and Redis fourteen more listpack entries, and as an
/// entry each, an `XADD` per click (docs/performance.md).
///
/// After an entry's first record, a record's time is the milliseconds since the record
/// before, and a value the same as the one before it is [`SAME_AS_BEFORE`] (the ASCII "group"
/// separator, which a value never holds either): about a quarter fewer bytes for Redis' Lua
/// to hash and its streams to keep.
pub const PACKED_SEPARATOR: char = '\u{1f}';
pub const RECORD_SEPARATOR: char = '\u{1e}';
pub const SAME_AS_BEFORE: &str = "\u{1d}";
pub const PACKED_FIELD: &str = "d";
/// The field of entries packed before times and values referred to the record before.
pub const PACKED_WHOLE_FIELD: &str = "c";
/// Most clicks in one stream entry, which bounds what reading the latest entries returns.
pub const CLICKS_PER_ENTRY: usize = 64;

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

impl WritePolicy {
    pub fn preview_window(&self) -> Duration {
        Duration::from_secs(self.preview_window_secs)
    }
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
    /// Applies a batch in one round trip, and returns the keys of the preview windows it
    /// opened (see [`SentRecently`](super::sent_recently::SentRecently)). An error leaves the
    /// batch safe to apply again.
    pub async fn apply_batch(&self, batch: &ClickBatch) -> Result<Vec<String>, redis::RedisError> {
        let replies: Vec<redis::Value> = if self.is_cluster() {
            // A cluster needs each group sent to its slot's node, with the EVAL fallback there.
            let invocations: Vec<redis::ScriptInvocation<'_>> = batch
                .groups
                .iter()
                .map(|group| {
                    let (ttl, ops) = group.script_args();
                    let mut invocation = APPLY.prepare_invoke();
                    invocation.key(&group.keys).arg(ttl).arg(ops);
                    invocation
                })
                .collect();
            self.run_scripts(&APPLY, &invocations).await?
        } else {
            batch.pipeline().query_async(&mut self.conn()).await?
        };
        Ok(batch.groups.iter().zip(&replies).flat_map(|(group, reply)| group.opened_windows(reply)).collect())
    }

    /// The counter sums a process held and has not written (held_counters.rs), as the
    /// values of its pending hash `key`.
    pub async fn pending_sums(&self, key: &str) -> Result<Vec<String>, redis::RedisError> {
        self.conn().hvals(key).await
    }
}

impl Group {
    /// ARGV of apply_clicks.lua: the marker's TTL, and the ops as one MessagePack array.
    fn script_args(&self) -> (&str, Vec<u8>) {
        (self.args.get(0).unwrap_or_default(), self.args.to_msgpack(1))
    }

    /// The keys of the preview windows that the script's reply says it opened (KEYS indices;
    /// 0, a batch applied before, opened none).
    fn opened_windows<'g>(&'g self, reply: &'g redis::Value) -> impl Iterator<Item = String> + 'g {
        let indices = match reply {
            redis::Value::Array(items) => items.as_slice(),
            _ => &[],
        };
        indices.iter().filter_map(|index| match index {
            redis::Value::Int(index) => usize::try_from(*index).ok().and_then(|index| self.keys.get(index.checked_sub(1)?)).cloned(),
            _ => None,
        })
    }
}

/// The raw clicks of one stream entry, oldest first, each as its fields: unpacks
/// [`PACKED_FIELD`] (or [`PACKED_WHOLE_FIELD`]); an entry written by a version before packing
/// is one click with its fields as they are.
pub fn unpack_raw_clicks(mut fields: HashMap<String, String>) -> Vec<HashMap<String, String>> {
    let whole = |record: &str| CLICK_FIELDS.iter().zip(record.split(PACKED_SEPARATOR)).map(|(name, value)| ((*name).to_owned(), value.to_owned())).collect();
    if let Some(packed) = fields.remove(PACKED_WHOLE_FIELD) {
        return packed.split(RECORD_SEPARATOR).map(whole).collect();
    }
    let Some(packed) = fields.remove(PACKED_FIELD) else {
        return vec![fields];
    };
    let mut before: Vec<String> = Vec::new();
    let mut relative = |record: &str| -> Vec<String> {
        let values: Vec<String> = record
            .split(PACKED_SEPARATOR)
            .enumerate()
            .map(|(i, value)| match before.get(i) {
                // A time that does not parse stays as it is rather than becoming a wrong one.
                Some(at) if i == 0 => at.parse::<i64>().ok().zip(value.parse::<i64>().ok()).map_or_else(|| value.to_owned(), |(at, delta)| (at + delta).to_string()),
                Some(earlier) if value == SAME_AS_BEFORE => earlier.clone(),
                _ => value.to_owned(),
            })
            .collect();
        before.clone_from(&values);
        values
    };
    packed.split(RECORD_SEPARATOR).map(|record| CLICK_FIELDS.iter().map(|name| (*name).to_owned()).zip(relative(record)).collect()).collect()
}

impl ClickBatch {
    /// The batch's one round trip on a single Redis: the script loaded first (that makes the
    /// pipeline work after a Redis restart emptied the script cache), then one `EVALSHA` per
    /// group.
    fn pipeline(&self) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        pipe.load_script(&APPLY).ignore();
        for group in &self.groups {
            let (ttl, ops) = group.script_args();
            // Built as a plain command: a ScriptInvocation would copy every argument twice.
            pipe.cmd("EVALSHA").arg(APPLY.get_hash()).arg(group.keys.len()).arg(&group.keys).arg(ttl).arg(ops);
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
    for (op, i) in script_ops(args) {
        let (command, runs) = match op {
            "h" => ("hincrby", 1),
            "H" => ("hincrby", number(i + 2)),
            "z" => ("zincrby", 1),
            "p" => ("pfadd", 1),
            "x" => ("xadd", 1),
            "r" | "R" => ("xadd", number(i + 3)),
            "m" => ("xtrim", 1),
            "t" => ("expireat", 1),
            "s" => {
                count("set", 1);
                ("hincrby", number(i + 3))
            }
            "P" => {
                count("hset", 1);
                ("expire", 1)
            }
            "X" => ("del", 1),
            // Not yielded: script_ops stops at an op it does not know.
            _ => continue,
        };
        count(command, runs);
    }
}

/// The script's ops in a group's arguments, each with where it starts.
fn script_ops(args: &Args) -> impl Iterator<Item = (&str, usize)> {
    let number = |i: usize| args.get(i).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
    let mut i = 1;
    std::iter::from_fn(move || {
        let op = args.get(i)?;
        let width = match op {
            "h" | "z" => 4,
            "H" => 3 + 2 * number(i + 2),
            "p" => 3 + number(i + 2),
            "x" | "r" | "R" => 4 + number(i + 3),
            "X" => 2,
            "m" | "t" => 3,
            "P" => 5,
            "s" => 4 + 3 * number(i + 3),
            _ => return None,
        };
        let start = i;
        i += width;
        Some((op, start))
    })
}

#[cfg(test)]
mod tests;
