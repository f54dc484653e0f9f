//! Contents and their links in Redis: idempotent minting, lookup, enable/disable.

use super::Store;
use super::keys::link_field;
use super::link_record;
use crate::domain::{Campaign, Channel, ContentId, Link, ShortCode, TargetUrl, Title};
use crate::error::{AppError, Result};
use redis::{AsyncCommands, ExistenceCheck, SetOptions};
use std::collections::HashMap;

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
        let mut link = link.clone();
        for _ in 0..CODE_ATTEMPTS {
            link.code = ShortCode::generate(code_len);
            if self.write_link(&link, ExistenceCheck::NX).await? {
                return Ok(link.code);
            }
        }
        Err(AppError::Internal(format!("no free code after {CODE_ATTEMPTS} attempts")))
    }

    /// Writes `link` packed, if its key does not exist yet (`NX`) or only if it does (`XX`);
    /// false when that condition failed. `XX` also turns a link stored as a hash into a string.
    async fn write_link(&self, link: &Link, condition: ExistenceCheck) -> Result<bool> {
        let options = SetOptions::default().conditional_set(condition);
        let written: Option<String> = self.conn().set_options(self.keys.link(&link.code), link_record::pack(link), options).await?;
        Ok(written.is_some())
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

    /// One link by code, or None. Reads links stored as hashes by earlier versions too.
    pub async fn get_link(&self, code: &ShortCode) -> Result<Option<Link>> {
        let key = self.keys.link(code);
        match self.conn().get::<_, Option<String>>(&key).await {
            Ok(packed) => packed.map(|p| link_record::unpack(code, &p)).transpose(),
            Err(e) if e.code() == Some("WRONGTYPE") => {
                let fields: HashMap<String, String> = self.conn().hgetall(&key).await?;
                Ok(Some(link_record::from_hash(code, &fields)?).filter(|_| !fields.is_empty()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Enables or disables a link; None when there is no such link. Two concurrent changes
    /// of one link each write the whole link, so the last one wins, as it should.
    pub async fn set_link_enabled(&self, code: &ShortCode, enabled: bool) -> Result<Option<Link>> {
        let Some(mut link) = self.get_link(code).await? else {
            return Ok(None);
        };
        link.enabled = enabled;
        Ok(self.write_link(&link, ExistenceCheck::XX).await?.then_some(link))
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
