//! Redis: the only store. This module knows nothing of HTTP; every key comes from `keys`.

pub mod args;
pub mod clicks;
pub mod keys;
pub mod link_cache;
pub mod links;
pub mod login_throttle;
pub mod secrets;
pub mod sent_recently;
pub mod sessions;
pub mod stats;
pub mod tokens;

pub use keys::Keys;
pub use link_cache::{CachedLink, LinkCache};

use crate::error::{AppError, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// A handle on Redis: cheap to clone, reconnects by itself.
#[derive(Clone)]
pub struct Store {
    conn: ConnectionManager,
    keys: Keys,
}

impl Store {
    /// Connects lazily: the service starts even when Redis is down and connects once it
    /// is up, so a Redis restart or a slow Redis start never keeps sharetrail down.
    pub fn connect(url: &SecretString, prefix: &str) -> Result<Store> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| AppError::config("redis.url", format!("invalid Redis URL: {}", e.category())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Store { conn, keys: Keys::new(prefix) })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// A connection to run commands on (a cheap clone sharing one multiplexed socket).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Whether Redis answers, for /readyz.
    pub async fn ping(&self) -> Result<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        Ok(())
    }
}
