//! Every Redis key sharetrail uses is built here, and nowhere else. docs/redis-keys.md
//! describes each one. Keys of one content carry the content id as a hash tag (`{…}`), so
//! that on Redis Cluster they live in one slot and a content's work never spans slots.

use crate::domain::{ContentId, ShortCode};

/// Builds keys under the deployment's prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: impl Into<String>) -> Keys {
        Keys { prefix: prefix.into() }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The prefix and `parts`, in one allocation. For the keys the click writer builds for
    /// every batch (over a thousand a batch at saturation): `format!` cost about ten times
    /// as many instructions, 8 % of the writer's (docs/performance.md).
    fn join(&self, parts: &[&str]) -> String {
        let mut key = String::with_capacity(self.prefix.len() + parts.iter().map(|part| part.len()).sum::<usize>());
        key.push_str(&self.prefix);
        parts.iter().for_each(|part| key.push_str(part));
        key
    }

    /// Hash: one link (content, channel, campaign, target, created, enabled).
    pub fn link(&self, code: &ShortCode) -> String {
        format!("{}link:{{{code}}}", self.prefix)
    }

    /// Hash: a content's url, title and creation time.
    pub fn content(&self, id: &ContentId) -> String {
        format!("{}c:{{{id}}}", self.prefix)
    }

    /// Hash: `channel␟campaign` → code; the index that makes minting idempotent.
    pub fn content_links(&self, id: &ContentId) -> String {
        format!("{}c:{{{id}}}:links", self.prefix)
    }

    /// Sorted set: every content id, scored by creation time (ms), for listings.
    pub fn contents(&self) -> String {
        format!("{}contents", self.prefix)
    }

    /// Hash: a content's counters for one UTC day (`clicks:<channel>`, `shares:<channel>`,
    /// `intents:<channel>`, `bots:<channel>`, `dev:<class>`, `cc:<country>`, `app:<in-app>`, `pv:<platform>`,
    /// `fwd:<channel>><platform>`, …).
    pub fn content_day(&self, id: &ContentId, day: &str) -> String {
        self.join(&["c:{", id.as_str(), "}:d:", day])
    }

    /// HyperLogLog: a content's unique visitors through one channel on one day.
    pub fn content_visitors(&self, id: &ContentId, day: &str, channel: &str) -> String {
        self.join(&["c:{", id.as_str(), "}:uv:", day, ":", channel])
    }

    /// Stream: a content's most recent raw clicks (no addresses).
    pub fn content_clicks(&self, id: &ContentId) -> String {
        self.join(&["c:{", id.as_str(), "}:clicks"])
    }

    /// String with a short TTL: a preview of this link by this platform was just counted,
    /// so the rest of the burst is not a new share.
    pub fn content_preview_seen(&self, id: &ContentId, code: &ShortCode, platform: &str) -> String {
        self.join(&["c:{", id.as_str(), "}:pv:", code.as_str(), ":", platform])
    }

    /// Hash: site-wide counters for one day (`clicks:<channel>`, `shares:<channel>`, …).
    pub fn site_day(&self, day: &str) -> String {
        self.join(&["{site}:d:", day])
    }

    /// HyperLogLog: site-wide unique visitors through one channel on one day.
    pub fn site_visitors(&self, day: &str, channel: &str) -> String {
        self.join(&["{site}:uv:", day, ":", channel])
    }

    /// Sorted set: content ids by clicks on one day, for "top content" over a range.
    pub fn site_top(&self, day: &str) -> String {
        self.join(&["{site}:top:", day])
    }

    /// Hash: a content's counters summed over past days `from..=to` (a cache).
    pub fn content_sum(&self, id: &ContentId, from: &str, to: &str) -> String {
        format!("{}c:{{{id}}}:sum:{from}:{to}", self.prefix)
    }

    /// Hash: site-wide counters summed over past days `from..=to` (a cache).
    pub fn site_sum(&self, from: &str, to: &str) -> String {
        format!("{}{{site}}:sum:{from}:{to}", self.prefix)
    }

    /// Sorted set: contents by clicks over past days `from..=to` (a cache).
    pub fn rank_past(&self, from: &str, to: &str) -> String {
        format!("{}{{site}}:rank:{from}:{to}", self.prefix)
    }

    /// Sorted set: contents by clicks over `from..=to` including today (a seconds-long cache).
    pub fn rank_live(&self, from: &str, to: &str) -> String {
        format!("{}{{site}}:rank:{from}:{to}:live", self.prefix)
    }

    /// The site-wide twin of [`Keys::content_preview_seen`] (another slot on a cluster).
    pub fn site_preview_seen(&self, code: &ShortCode, platform: &str) -> String {
        self.join(&["{site}:pv:", code.as_str(), ":", platform])
    }

    /// String with a TTL: a batch of clicks was applied to the keys of `tag`, so a retry
    /// of the same batch (after a lost reply, or from the spool) changes nothing.
    pub fn batch_marker(&self, tag: &str, batch: &str) -> String {
        self.join(&["{", tag, "}:batch:", batch])
    }

    /// The day counter sums one process (`incarnation`, one per start) holds and has not yet
    /// written, by batch (held_counters.rs). Only on a single Redis.
    pub fn held_sums(&self, incarnation: &str) -> String {
        format!("{}held:{incarnation}", self.prefix)
    }

    /// Pub/sub channel: "link:<code>" when a link changed, so every instance drops it from
    /// its cache.
    pub fn events(&self) -> String {
        format!("{}events", self.prefix)
    }

    /// String: the random secret of one UTC day for visitor hashes; expires after the day.
    pub fn day_secret(&self, day: &str) -> String {
        format!("{}secret:{day}", self.prefix)
    }

    /// Hash: API tokens created in the admin UI, by the SHA-256 hex of the token →
    /// JSON `{label, created, last4}`. The token itself is never stored.
    pub fn api_tokens(&self) -> String {
        format!("{}tokens", self.prefix)
    }

    /// Hash with a sliding TTL: one admin session (`csrf`, `created`), under the SHA-256
    /// hex of the session id, so the ids in cookies are not readable from Redis.
    pub fn admin_session(&self, id_digest: &str) -> String {
        format!("{}admin:session:{id_digest}", self.prefix)
    }

    /// Counter with a TTL: failed admin logins of one client, under a keyed hash of its
    /// address (never the address itself).
    pub fn admin_login_failures(&self, client: &str) -> String {
        format!("{}admin:login-failures:{client}", self.prefix)
    }
}

/// The hash tag of a key (the text between its first `{` and the next `}`), which decides
/// its slot on a cluster.
pub fn hash_tag(key: &str) -> &str {
    key.find('{')
        .and_then(|open| key[open + 1..].find('}').map(|close| &key[open + 1..open + 1 + close]))
        .filter(|tag| !tag.is_empty())
        .unwrap_or(key)
}

/// The field of [`Keys::content_links`] for one channel and campaign. The unit separator
/// cannot occur in either (channel names are `[a-z0-9_-]`, campaigns refuse control chars).
pub fn link_field(channel: &str, campaign: Option<&str>) -> String {
    format!("{channel}\u{1f}{}", campaign.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_content_share_a_hash_tag() {
        let keys = Keys::new("st:");
        let id = ContentId::parse("0123456789abcdef").expect("id");
            let code = ShortCode::parse("abc23456").expect("code");
        for key in [keys.content_links(&id), keys.content_day(&id, "2026-01-01"), keys.content_visitors(&id, "2026-01-01", "sms"), keys.content_clicks(&id), keys.content_preview_seen(&id, &code, "slack")] {
            assert_eq!(hash_tag(&key), id.as_str(), "{key}");
        }
        assert!(keys.content(&id).starts_with("st:"));
        assert_eq!(hash_tag(&keys.site_day("2026-01-01")), "site");
        assert_eq!(hash_tag("plain"), "plain");
    }

    #[test]
    fn the_click_writers_keys_read_as_documented() {
        let keys = Keys::new("st:");
        let id = ContentId::parse("0123456789abcdef").expect("id");
        let code = ShortCode::parse("abc23456").expect("code");
        let day = "2026-01-01";
        assert_eq!(keys.content_day(&id, day), "st:c:{0123456789abcdef}:d:2026-01-01");
        assert_eq!(keys.content_visitors(&id, day, "sms"), "st:c:{0123456789abcdef}:uv:2026-01-01:sms");
        assert_eq!(keys.content_clicks(&id), "st:c:{0123456789abcdef}:clicks");
        assert_eq!(keys.content_preview_seen(&id, &code, "slack"), "st:c:{0123456789abcdef}:pv:abc23456:slack");
        assert_eq!(keys.site_day(day), "st:{site}:d:2026-01-01");
        assert_eq!(keys.site_visitors(day, "sms"), "st:{site}:uv:2026-01-01:sms");
        assert_eq!(keys.site_top(day), "st:{site}:top:2026-01-01");
        assert_eq!(keys.site_preview_seen(&code, "slack"), "st:{site}:pv:abc23456:slack");
        assert_eq!(keys.batch_marker("site", "b1"), "st:{site}:batch:b1");
    }
}
