//! The state every handler shares.

use crate::config::Settings;
use crate::domain::{ChannelRegistry, ShortCode};
use crate::store::{LinkCache, Store};
use std::sync::Arc;

/// Shared by every worker; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub links: LinkCache,
    pub channels: Arc<ChannelRegistry>,
    /// Base of short links, without a trailing slash.
    pub public_base: Arc<str>,
}

impl AppState {
    /// The short link of a code.
    pub fn short_url(&self, code: &ShortCode) -> String {
        format!("{}/{code}", self.public_base)
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}
