//! API tokens created in the admin UI. Only digests are stored; every API request looks
//! its token up here, so a revoked token is refused at once by every instance.

use super::Store;
use crate::domain::{NewToken, TokenDigest, TokenLabel};
use crate::error::{AppError, Result};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What is kept about a token besides its digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRecord {
    label: String,
    /// Creation time, unix milliseconds.
    created: i64,
    last4: String,
}

/// A token as listed in the admin UI.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub digest: TokenDigest,
    pub label: String,
    pub created_ms: i64,
    pub last4: String,
}

impl Store {
    /// Creates a token and returns it: the only time its plain text exists.
    pub async fn create_token(&self, label: &TokenLabel, now_ms: i64) -> Result<NewToken> {
        let token = NewToken::generate();
        let record = TokenRecord { label: label.as_str().to_owned(), created: now_ms, last4: token.last4() };
        let json = serde_json::to_string(&record).map_err(|e| AppError::Internal(format!("token record: {e}")))?;
        let created: bool = self.conn().hset_nx(self.keys.api_tokens(), token.digest().as_str(), json).await?;
        if !created {
            // 190 random bits colliding means the random source is broken: refuse loudly.
            return Err(AppError::Internal("a new API token collided with an existing one".into()));
        }
        Ok(token)
    }

    /// Every token, newest first.
    pub async fn list_tokens(&self) -> Result<Vec<StoredToken>> {
        let all: HashMap<String, String> = self.conn().hgetall(self.keys.api_tokens()).await?;
        let mut tokens: Vec<StoredToken> = all
            .into_iter()
            .filter_map(|(digest, json)| {
                let record: TokenRecord = serde_json::from_str(&json)
                    .inspect_err(|e| tracing::warn!(error = %e, "skipping an unreadable API token record"))
                    .ok()?;
                Some(StoredToken { digest: TokenDigest::parse(&digest)?, label: record.label, created_ms: record.created, last4: record.last4 })
            })
            .collect();
        tokens.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then_with(|| a.label.cmp(&b.label)));
        Ok(tokens)
    }

    /// Revokes a token; false if there was none with that digest.
    pub async fn revoke_token(&self, digest: &TokenDigest) -> Result<bool> {
        let removed: u32 = self.conn().hdel(self.keys.api_tokens(), digest.as_str()).await?;
        Ok(removed > 0)
    }

    /// Whether `presented` is a stored token. The lookup is by digest, so its timing says
    /// nothing about any stored token's text.
    pub async fn token_is_valid(&self, presented: &str) -> Result<bool> {
        let exists: bool = self.conn().hexists(self.keys.api_tokens(), TokenDigest::of(presented).as_str()).await?;
        Ok(exists)
    }
}
