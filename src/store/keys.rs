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
        let tag = |key: &str| key[key.find('{').expect("tag")..=key.find('}').expect("tag")].to_owned();
        assert_eq!(tag(&keys.content(&id)), tag(&keys.content_links(&id)));
        assert!(keys.content(&id).starts_with("st:"));
    }
}
