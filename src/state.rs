//! The state every handler shares.

use crate::clicks::Tracker;
use crate::config::Settings;
use crate::domain::{ChannelRegistry, ShortCode};
use crate::store::{LinkCache, Store};
use crate::telemetry::metrics::Metrics;
use crate::throttle::Throttles;
use std::sync::Arc;

/// Shared by every worker; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub links: LinkCache,
    pub channels: Arc<ChannelRegistry>,
    /// Classifies, enriches and queues clicks.
    pub tracker: Arc<Tracker>,
    /// Base of short links, without a trailing slash.
    pub public_base: Arc<str>,
    pub metrics: Arc<Metrics>,
    /// Per-client rate limits.
    pub throttles: Arc<Throttles>,
}

impl AppState {
    /// The short link of a code.
    pub fn short_url(&self, code: &ShortCode) -> String {
        format!("{}/{code}", self.public_base)
    }
}
