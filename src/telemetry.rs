//! Logging: human-readable text by default, one JSON object per line in production;
//! and the Prometheus metrics.

pub mod metrics;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. The level comes from SHARETRAIL_LOG (e.g. `debug`,
/// `sharetrail=debug,actix_web=info`), default `info`.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_env("SHARETRAIL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // try_init: a second call (tests) keeps the first subscriber instead of panicking.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
