//! The state every handler shares.

use crate::clicks::Tracker;
use crate::config::Settings;
use crate::domain::{ChannelRegistry, ShortCode};
use crate::error::{AppError, Result};
use crate::rate_limit::ClientRateLimiter;
use crate::store::link_cache::ResolvedLink;
use crate::store::{CachedLink, LinkCache, Store};
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
    /// Mint requests per client on the public (widget) endpoint.
    pub widget_limiter: ClientRateLimiter,
    pub metrics: Arc<Metrics>,
    /// Per-client rate limits.
    pub throttles: Arc<Throttles>,
}

impl AppState {
    /// The short link of a code.
    pub fn short_url(&self, code: &ShortCode) -> String {
        format!("{}/{code}", self.public_base)
    }

    /// Where a share button of a code points: `GET` counts the tap and goes on to the
    /// channel's share URL, `POST` (a beacon) just counts it.
    pub fn intent_url(&self, code: &ShortCode) -> String {
        format!("{}/share/{code}", self.public_base)
    }

    /// The link's QR code, an SVG.
    pub fn qr_url(&self, code: &ShortCode) -> String {
        format!("{}/{code}/qr.svg", self.public_base)
    }

    /// The enabled link of a code from a path: 404 for a malformed or unknown code (a
    /// malformed one costs no store lookup), 410 for a disabled link.
    pub async fn enabled_link(&self, raw_code: &str) -> Result<Arc<ResolvedLink>> {
        let code = ShortCode::parse(raw_code).ok_or(AppError::NotFound("link"))?;
        match self.links.get(&code).await? {
            CachedLink::Missing => Err(AppError::NotFound("link")),
            CachedLink::Found(resolved) if !resolved.link.enabled => Err(AppError::Gone),
            CachedLink::Found(resolved) => Ok(resolved),
        }
    }
}
