//! Redis: the only store. This module knows nothing of HTTP; every key comes from `keys`.

pub mod args;
pub mod clicks;
pub mod connection;
pub mod held_counters;
pub mod keys;
pub mod link_cache;
pub mod link_record;
pub mod links;
pub mod login_throttle;
pub mod metered;
pub mod secrets;
pub mod sent_recently;
pub mod sessions;
pub mod stats;
pub mod tokens;

pub use keys::Keys;
pub use link_cache::{CachedLink, LinkCache};
pub use metered::{MeteredConnection, RedisMetrics};

pub use connection::RedisConn;

use crate::error::{AppError, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A handle on Redis: cheap to clone, reconnects by itself.
#[derive(Clone)]
pub struct Store {
    conn: RedisConn,
    keys: Keys,
    /// Where invalidation messages are subscribed (a cluster broadcasts PUBLISH to every
    /// node, so its first seed will do).
    pubsub_url: SecretString,
    metrics: RedisMetrics,
}

impl Store {
    /// Connects to a single Redis lazily: the service starts even when Redis is down and
    /// connects once it is up, so a Redis restart or a slow start never keeps it down.
    pub fn connect(url: &SecretString, prefix: &str) -> Result<Store> {
        let client = redis::Client::open(url.expose_secret())
            .map_err(|e| AppError::config("redis.url", format!("invalid Redis URL: {}", e.category())))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Store { conn: RedisConn::Single(conn), keys: Keys::new(prefix), pubsub_url: url.clone(), metrics: RedisMetrics::default() })
    }

    /// Connects to a Redis Cluster through its seed nodes (comma-separated URLs). The
    /// cluster must answer at startup; after that the client follows its topology.
    pub async fn connect_cluster(seeds: &SecretString, prefix: &str) -> Result<Store> {
        let nodes: Vec<&str> = seeds.expose_secret().split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        let first = nodes.first().copied().ok_or_else(|| AppError::config("redis.url", "no cluster seed node"))?;
        let client = ClusterClient::builder(nodes.iter().copied())
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .build()
            .map_err(|e| AppError::config("redis.url", format!("invalid cluster seed URLs: {}", e.category())))?;
        let conn = client.get_async_connection().await.map_err(|e| {
            AppError::config("redis.url", format!("cannot reach the Redis Cluster ({}: {:?})", e.category(), e.kind()))
        })?;
        Ok(Store { conn: RedisConn::Cluster(conn), keys: Keys::new(prefix), pubsub_url: SecretString::from(first.to_owned()), metrics: RedisMetrics::default() })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// A connection to run commands on (a cheap clone sharing one multiplexed socket),
    /// measured for the metrics.
    pub fn conn(&self) -> MeteredConnection {
        MeteredConnection::new(self.conn.clone(), self.metrics.clone())
    }

    /// The latency and error counts of every round trip this store made.
    pub fn metrics(&self) -> &RedisMetrics {
        &self.metrics
    }

    pub fn is_cluster(&self) -> bool {
        self.conn.is_cluster()
    }

    /// Runs commands and returns their replies in order: one pipeline on a single Redis;
    /// on a cluster, where a pipeline must stay within one slot, every command on its own,
    /// all at once.
    pub async fn query_all(&self, commands: Vec<redis::Cmd>) -> Result<Vec<redis::Value>, redis::RedisError> {
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        if self.is_cluster() {
            let calls = commands.iter().map(|cmd| {
                let mut conn = self.conn();
                async move { cmd.query_async::<redis::Value>(&mut conn).await }
            });
            return futures_util::future::try_join_all(calls).await;
        }
        let mut pipe = redis::pipe();
        for cmd in commands {
            pipe.add_command(cmd);
        }
        pipe.query_async(&mut self.conn()).await
    }

    /// Runs script invocations and returns their replies in order: one pipeline (with the
    /// script loaded first, for a Redis that restarted) on a single Redis; each on its own,
    /// all at once, on a cluster (EVALSHA, falling back to EVAL on the node that lacks it).
    pub async fn run_scripts(&self, script: &redis::Script, invocations: &[redis::ScriptInvocation<'_>]) -> Result<Vec<redis::Value>, redis::RedisError> {
        if invocations.is_empty() {
            return Ok(Vec::new());
        }
        if self.is_cluster() {
            let calls = invocations.iter().map(|invocation| {
                let mut conn = self.conn();
                async move { invocation.invoke_async::<redis::Value>(&mut conn).await }
            });
            return futures_util::future::try_join_all(calls).await;
        }
        let mut pipe = redis::pipe();
        pipe.load_script(script).ignore();
        for invocation in invocations {
            pipe.invoke_script(invocation);
        }
        pipe.query_async(&mut self.conn()).await
    }

    /// Announces an event to every instance.
    pub async fn publish(&self, message: &str) -> Result<(), redis::RedisError> {
        redis::cmd("PUBLISH").arg(self.keys.events()).arg(message).query_async(&mut self.conn()).await
    }

    /// The URL to subscribe to invalidation messages on.
    pub fn pubsub_url(&self) -> &SecretString {
        &self.pubsub_url
    }

    /// Whether Redis answers, for /readyz.
    pub async fn ping(&self) -> Result<()> {
        let _: String = redis::cmd("PING").query_async(&mut self.conn()).await?;
        Ok(())
    }
}
