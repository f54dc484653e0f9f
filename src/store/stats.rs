//! Reading the aggregates the click writer keeps. Every read here is bounded by the number
//! of days and contents asked for, never by the number of clicks.

use super::Store;
use super::links::StoredContent;
use crate::domain::ContentId;
use crate::error::{AppError, Result};
use std::collections::HashMap;
use std::sync::LazyLock;

static SUM_DAYS: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("sum_days.lua")));
static RANK_CONTENTS: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("rank_contents.lua")));

/// How long sums and rankings of past days are cached. Past days change only by late
/// clicks (a spool replay), which show within this time.
const PAST_CACHE_SECS: u64 = 600;
/// How long a ranking that includes today is reused: a dashboard reload within it costs
/// one read.
const LIVE_CACHE_SECS: u64 = 5;

/// Days before `today` (cacheable) and the rest (today, and later days in the range).
fn split_days<'a>(days: &'a [String], today: &str) -> (&'a [String], &'a [String]) {
    days.split_at(days.partition_point(|d| d.as_str() < today))
}

/// A reply of a known shape; anything else is a bug or a corrupt key.
fn parse_reply<T: redis::FromRedisValue>(reply: redis::Value) -> Result<T> {
    redis::from_redis_value(reply).map_err(|e| AppError::Internal(format!("unexpected reply: {e}")))
}

/// The keys of one sum over a range of days.
struct SumRange {
    /// Where the past days' sum is cached (None when no day is past).
    cache: Option<String>,
    past: Vec<String>,
    live: Vec<String>,
}

/// A day's counters: field (`clicks:whatsapp`, `dev:pc`, …) → count.
pub type DayCounters = HashMap<String, i64>;

/// One raw click as stored in a content's stream.
pub type RawClick = HashMap<String, String>;

impl Store {
    /// A content's counters, one map per day asked.
    pub async fn content_days(&self, id: &ContentId, days: &[String]) -> Result<Vec<DayCounters>> {
        self.hgetall_many(days.iter().map(|d| self.keys.content_day(id, d))).await
    }

    /// Several contents' counters: for each content, one map per day.
    pub async fn contents_days(&self, ids: &[ContentId], days: &[String]) -> Result<Vec<Vec<DayCounters>>> {
        let keys = ids.iter().flat_map(|id| days.iter().map(move |d| self.keys.content_day(id, d)));
        let mut flat = self.hgetall_many(keys).await?.into_iter();
        Ok(ids.iter().map(|_| flat.by_ref().take(days.len()).collect()).collect())
    }

    async fn hgetall_many(&self, keys: impl Iterator<Item = String>) -> Result<Vec<DayCounters>> {
        let replies = self.query_all(keys.map(|key| redis::cmd("HGETALL").arg(key).to_owned()).collect()).await?;
        replies.into_iter().map(parse_reply).collect()
    }

    /// Unique visitors over the days: per channel, and over all channels together.
    pub async fn site_visitors(&self, days: &[String], channels: &[&str]) -> Result<(i64, HashMap<String, i64>)> {
        self.count_visitors(channels, |channel| days.iter().map(|d| self.keys.site_visitors(d, channel)).collect()).await
    }

    /// A content's unique visitors over the days: per channel, and over all channels.
    pub async fn content_visitors(&self, id: &ContentId, days: &[String], channels: &[&str]) -> Result<(i64, HashMap<String, i64>)> {
        self.count_visitors(channels, |channel| days.iter().map(|d| self.keys.content_visitors(id, d, channel)).collect()).await
    }

    /// One PFCOUNT per channel (the union of its days) and one over every key; all keys of
    /// one count share a hash tag, so this also works on a cluster.
    async fn count_visitors(&self, channels: &[&str], keys_of: impl Fn(&str) -> Vec<String>) -> Result<(i64, HashMap<String, i64>)> {
        let per_channel: Vec<Vec<String>> = channels.iter().map(|c| keys_of(c)).collect();
        let mut pipe = redis::pipe();
        for keys in &per_channel {
            pipe.cmd("PFCOUNT").arg(keys);
        }
        pipe.cmd("PFCOUNT").arg(per_channel.concat());
        let mut counts: Vec<i64> = pipe.query_async(&mut self.conn()).await?;
        let total = counts.pop().unwrap_or(0);
        Ok((total, channels.iter().map(|c| c.to_string()).zip(counts).collect()))
    }

    /// Contents active in the days (clicks, shares or bots), most clicked first: how many
    /// there are, and ranks `start..start + count` (all from `start` with `count` None).
    /// The union of past days is cached, so a request costs a union of two sets.
    pub async fn ranked_contents(&self, days: &[String], today: &str, start: usize, count: Option<usize>) -> Result<(usize, Vec<(ContentId, i64)>)> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Ok((0, Vec::new()));
        };
        let (past, live) = split_days(days, today);
        let mut invocation = RANK_CONTENTS.prepare_invoke();
        let past_to = past.last().map_or(first.as_str(), String::as_str);
        invocation.key(self.keys.rank_past(first, past_to)).key(self.keys.rank_live(first, last));
        for day in past.iter().chain(live) {
            invocation.key(self.keys.site_top(day));
        }
        let stop = count.map_or(-1, |n| (start + n) as i64 - 1);
        invocation.arg(past.len()).arg(PAST_CACHE_SECS).arg(LIVE_CACHE_SECS).arg(start).arg(stop);
        let reply: Vec<String> = invocation.invoke_async(&mut self.conn()).await?;
        let mut reply = reply.into_iter();
        let total = reply.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let mut ranked = Vec::new();
        while let (Some(id), Some(score)) = (reply.next(), reply.next()) {
            let id = ContentId::parse(&id).ok_or_else(|| AppError::Internal(format!("ranking holds a bad content id {id:?}")))?;
            ranked.push((id, score.parse::<f64>().unwrap_or(0.0) as i64));
        }
        Ok((total, ranked))
    }

    /// Site-wide counters summed over the days (past days from a cache).
    pub async fn site_sum(&self, days: &[String], today: &str) -> Result<DayCounters> {
        let (Some(first), Some(_)) = (days.first(), days.last()) else {
            return Ok(DayCounters::new());
        };
        let (past, live) = split_days(days, today);
        let cache = past.last().map(|to| self.keys.site_sum(first, to));
        let mut sums = self.sum_ranges(vec![SumRange { cache, past: past.iter().map(|d| self.keys.site_day(d)).collect(), live: live.iter().map(|d| self.keys.site_day(d)).collect() }]).await?;
        Ok(sums.pop().unwrap_or_default())
    }

    /// Each content's counters summed over the days (past days from a cache).
    pub async fn contents_sums(&self, ids: &[ContentId], days: &[String], today: &str) -> Result<Vec<DayCounters>> {
        let Some(first) = days.first() else {
            return Ok(ids.iter().map(|_| DayCounters::new()).collect());
        };
        let (past, live) = split_days(days, today);
        let ranges = ids
            .iter()
            .map(|id| SumRange {
                cache: past.last().map(|to| self.keys.content_sum(id, first, to)),
                past: past.iter().map(|d| self.keys.content_day(id, d)).collect(),
                live: live.iter().map(|d| self.keys.content_day(id, d)).collect(),
            })
            .collect();
        self.sum_ranges(ranges).await
    }

    /// The cached sum of each range's past days plus its live days' hashes: one round trip
    /// for the sums and one for the live days.
    async fn sum_ranges(&self, ranges: Vec<SumRange>) -> Result<Vec<DayCounters>> {
        let invocations: Vec<redis::ScriptInvocation<'_>> = ranges
            .iter()
            .filter_map(|range| {
                range.cache.as_ref().map(|cache| {
                    let mut invocation = SUM_DAYS.prepare_invoke();
                    invocation.key(cache).key(&range.past).arg(PAST_CACHE_SECS);
                    invocation
                })
            })
            .collect();
        let (sums, live) = futures_util::future::try_join(
            self.run_scripts(&SUM_DAYS, &invocations),
            self.query_all(ranges.iter().flat_map(|r| r.live.iter().map(|key| redis::cmd("HGETALL").arg(key).to_owned())).collect()),
        )
        .await?;
        let (mut sums, mut live) = (sums.into_iter(), live.into_iter());
        let mut out = Vec::with_capacity(ranges.len());
        for range in &ranges {
            let parts = sums.by_ref().take(usize::from(range.cache.is_some())).chain(live.by_ref().take(range.live.len()));
            let mut summed = DayCounters::new();
            for part in parts {
                for (field, n) in parse_reply::<DayCounters>(part)? {
                    *summed.entry(field).or_default() += n;
                }
            }
            out.push(summed);
        }
        Ok(out)
    }

    /// Several contents at once, in the order asked (None for unknown ids).
    pub async fn get_contents(&self, ids: &[ContentId]) -> Result<Vec<Option<StoredContent>>> {
        let replies = self.query_all(ids.iter().map(|id| redis::cmd("HGETALL").arg(self.keys.content(id)).to_owned()).collect()).await?;
        ids.iter().zip(replies).map(|(id, reply)| Ok(StoredContent::from_fields(id, parse_reply(reply)?))).collect()
    }

    /// A content's most recent raw clicks, newest first. `limit` entries hold at least
    /// `limit` clicks (an entry holds one or more).
    pub async fn recent_clicks(&self, id: &ContentId, limit: usize) -> Result<Vec<RawClick>> {
        let reply: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
            .arg(self.keys.content_clicks(id))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(limit)
            .query_async(&mut self.conn())
            .await?;
        Ok(reply
            .ids
            .into_iter()
            .flat_map(|entry| {
                let fields = entry.map.into_iter().filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v))).collect();
                super::clicks::unpack_raw_clicks(fields).into_iter().rev()
            })
            .take(limit)
            .collect())
    }
}
