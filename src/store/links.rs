//! Contents and their links in Redis: idempotent minting, lookup, enable/disable.

use super::Store;
use super::keys::link_field;
use crate::domain::{Campaign, Channel, ContentId, Link, ShortCode, TargetUrl, Title};
use crate::error::{AppError, Result};
use redis::AsyncCommands;
use std::collections::HashMap;
use std::sync::LazyLock;

/// Creates a link hash only if the code is still free: `SET … NX` for a whole hash.
/// One key, so it is also safe on Redis Cluster.
static CREATE_LINK: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end \
         redis.call('HSET', KEYS[1], unpack(ARGV)) return 1",
    )
});

/// How often a freshly generated code may collide before we give up (with 56^8 codes,
/// even one collision is rare).
const CODE_ATTEMPTS: usize = 5;

/// A content as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContent {
    pub id: ContentId,
    pub url: String,
    pub title: Option<String>,
    pub created_ms: i64,
}

impl StoredContent {
    /// A content from its hash; None when the hash is empty (no such content).
    pub fn from_fields(id: &ContentId, mut fields: HashMap<String, String>) -> Option<StoredContent> {
        if fields.is_empty() {
            return None;
        }
        Some(StoredContent {
            id: id.clone(),
            url: fields.remove("url").unwrap_or_default(),
            title: fields.remove("title"),
            created_ms: fields.get("created").and_then(|c| c.parse().ok()).unwrap_or_default(),
        })
    }
}

impl Store {
    /// Records a content; a new title replaces the old one (a CMS may rename a post).
    pub async fn save_content(&self, id: &ContentId, url: &TargetUrl, title: Option<&Title>, now_ms: i64) -> Result<()> {
        let key = self.keys.content(id);
        let mut commands = vec![redis::cmd("HSET").arg(&key).arg("url").arg(url.as_str()).to_owned()];
        commands.push(redis::cmd("HSETNX").arg(&key).arg("created").arg(now_ms).to_owned());
        if let Some(title) = title {
            commands.push(redis::cmd("HSET").arg(&key).arg("title").arg(title.as_str()).to_owned());
        }
        // ZADD's NX must precede the score. The index is another slot on a cluster.
        commands.push(redis::cmd("ZADD").arg(self.keys.contents()).arg("NX").arg(now_ms).arg(id.as_str()).to_owned());
        self.query_all(commands).await?;
        Ok(())
    }

    pub async fn get_content(&self, id: &ContentId) -> Result<Option<StoredContent>> {
        let fields: HashMap<String, String> = self.conn().hgetall(self.keys.content(id)).await?;
        Ok(StoredContent::from_fields(id, fields))
    }

    /// The link of a content for a channel and campaign: the existing one, or a new one.
    /// Concurrent calls agree on one code: the index field is claimed with `HSETNX`, and
    /// a loser deletes the link it created and takes the winner's.
    pub async fn mint_link(
        &self,
        content: &ContentId,
        target: &TargetUrl,
        channel: &Channel,
        campaign: Option<&Campaign>,
        code_len: usize,
        now_ms: i64,
    ) -> Result<Link> {
        let index = self.keys.content_links(content);
        let field = link_field(&channel.name, campaign.map(Campaign::as_str));
        if let Some(link) = self.link_in_index(&index, &field).await? {
            return Ok(link);
        }
        let mut link = Link {
            code: ShortCode::generate(code_len),
            content_id: content.clone(),
            channel: channel.name.clone(),
            campaign: campaign.map(|c| c.as_str().to_owned()),
            target: target.clone(),
            created_ms: now_ms,
            enabled: true,
        };
        link.code = self.create_unique_link(&link, code_len).await?;
        let claimed: bool = self.conn().hset_nx(&index, &field, link.code.as_str()).await?;
        if claimed {
            return Ok(link);
        }
        let () = self.conn().del(self.keys.link(&link.code)).await?;
        self.link_in_index(&index, &field).await?.ok_or_else(|| AppError::Internal("link index lost its winner".into()))
    }

    async fn link_in_index(&self, index: &str, field: &str) -> Result<Option<Link>> {
        let code: Option<String> = self.conn().hget(index, field).await?;
        match code.as_deref().and_then(ShortCode::parse) {
            Some(code) => self.get_link(&code).await,
            None => Ok(None),
        }
    }

    /// Stores `link` under a fresh code (its own `code` is ignored) and returns the code.
    async fn create_unique_link(&self, link: &Link, code_len: usize) -> Result<ShortCode> {
        for _ in 0..CODE_ATTEMPTS {
            let code = ShortCode::generate(code_len);
            let created: bool = CREATE_LINK
                .key(self.keys.link(&code))
                .arg(&["content", link.content_id.as_str(), "channel", &link.channel, "target", link.target.as_str()])
                .arg(&["campaign", link.campaign.as_deref().unwrap_or_default()])
                .arg("created")
                .arg(link.created_ms)
                .arg(&["enabled", "1"])
                .invoke_async(&mut self.conn())
                .await?;
            if created {
                return Ok(code);
            }
        }
        Err(AppError::Internal(format!("no free code after {CODE_ATTEMPTS} attempts")))
    }

    /// The newest contents, newest first.
    pub async fn recent_contents(&self, limit: usize) -> Result<Vec<ContentId>> {
        let ids: Vec<String> = self.conn().zrevrange(self.keys.contents(), 0, limit as isize - 1).await?;
        Ok(ids.iter().filter_map(|id| ContentId::parse(id)).collect())
    }

    /// How many contents have links.
    pub async fn count_contents(&self) -> Result<usize> {
        Ok(self.conn().zcard(self.keys.contents()).await?)
    }

    /// One link by code, or None.
    pub async fn get_link(&self, code: &ShortCode) -> Result<Option<Link>> {
        let fields: HashMap<String, String> = self.conn().hgetall(self.keys.link(code)).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        link_from_fields(code, &fields).map(Some)
    }

    /// Enables or disables a link; None when there is no such link.
    pub async fn set_link_enabled(&self, code: &ShortCode, enabled: bool) -> Result<Option<Link>> {
        let key = self.keys.link(code);
        let exists: bool = self.conn().exists(&key).await?;
        if !exists {
            return Ok(None);
        }
        let () = self.conn().hset(&key, "enabled", if enabled { "1" } else { "0" }).await?;
        self.get_link(code).await
    }

    /// Every link of a content, keyed by channel and campaign.
    pub async fn links_of_content(&self, content: &ContentId) -> Result<Vec<Link>> {
        let index: HashMap<String, String> = self.conn().hgetall(self.keys.content_links(content)).await?;
        let mut links = Vec::with_capacity(index.len());
        for code in index.values().filter_map(|c| ShortCode::parse(c)) {
            if let Some(link) = self.get_link(&code).await? {
                links.push(link);
            }
        }
        links.sort_by(|a, b| (a.created_ms, &a.channel).cmp(&(b.created_ms, &b.channel)));
        Ok(links)
    }
}

fn link_from_fields(code: &ShortCode, fields: &HashMap<String, String>) -> Result<Link> {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let corrupt = |what: &str| AppError::Internal(format!("link {code} has a corrupt {what}"));
    Ok(Link {
        code: code.clone(),
        content_id: ContentId::parse(field("content")).ok_or_else(|| corrupt("content"))?,
        channel: field("channel").to_owned(),
        campaign: Some(field("campaign")).filter(|c| !c.is_empty()).map(str::to_owned),
        target: TargetUrl::parse(field("target")).map_err(|_| corrupt("target"))?,
        created_ms: field("created").parse().map_err(|_| corrupt("created"))?,
        enabled: field("enabled") != "0",
    })
}
