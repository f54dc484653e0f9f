//! Reading the aggregates the click writer keeps. Every read here is bounded by the number
//! of days and contents asked for, never by the number of clicks.

use super::Store;
use super::links::StoredContent;
use crate::domain::ContentId;
use crate::error::Result;
use std::collections::HashMap;

/// A day's counters: field (`clicks:whatsapp`, `dev:pc`, …) → count.
pub type DayCounters = HashMap<String, i64>;

/// One raw click as stored in a content's stream.
pub type RawClick = HashMap<String, String>;

impl Store {
    /// Site-wide counters, one map per day asked.
    pub async fn site_days(&self, days: &[String]) -> Result<Vec<DayCounters>> {
        self.hgetall_many(days.iter().map(|d| self.keys.site_day(d))).await
    }

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
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.hgetall(key);
        }
        // An empty pipeline has no reply to parse.
        if pipe.is_empty() {
            return Ok(Vec::new());
        }
        Ok(pipe.query_async(&mut self.conn()).await?)
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

    /// Contents active in the days (clicks, shares or bots), most clicked first.
    pub async fn ranked_contents(&self, days: &[String]) -> Result<Vec<(ContentId, i64)>> {
        let keys: Vec<String> = days.iter().map(|d| self.keys.site_top(d)).collect();
        let ranked: Vec<(String, f64)> = redis::cmd("ZUNION").arg(keys.len()).arg(&keys).arg("WITHSCORES").query_async(&mut self.conn()).await?;
        let mut ranked: Vec<(ContentId, i64)> =
            ranked.into_iter().filter_map(|(id, score)| ContentId::parse(&id).map(|id| (id, score as i64))).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(ranked)
    }

    /// Several contents at once, in the order asked (None for unknown ids).
    pub async fn get_contents(&self, ids: &[ContentId]) -> Result<Vec<Option<StoredContent>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.hgetall(self.keys.content(id));
        }
        let all: Vec<HashMap<String, String>> = pipe.query_async(&mut self.conn()).await?;
        Ok(ids.iter().zip(all).map(|(id, fields)| StoredContent::from_fields(id, fields)).collect())
    }

    /// A content's most recent raw clicks, newest first.
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
            .map(|entry| {
                entry.map.into_iter().filter_map(|(k, v)| redis::from_redis_value::<String>(v).ok().map(|v| (k, v))).collect()
            })
            .collect())
    }
}
