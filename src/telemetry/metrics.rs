//! The service's Prometheus metrics: requests and their latency (observed by the request
//! middleware), redirects by status, the click pipeline (read from the recorder's counters
//! at scrape time) and Redis round trips (measured by the store's connection).

use crate::clicks::recorder::Counters;
use crate::store::RedisMetrics;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The content type of [`Metrics::render`]'s output (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One request: the route pattern (never the raw path, so codes do not become label
/// values), the method and the status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatusLabel {
    status: u16,
}

/// Every metric, and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram>,
    redirects: Family<StatusLabel, Counter>,
}

impl Metrics {
    /// Registers the request metrics and those the store and the recorder keep.
    pub fn new(redis: &RedisMetrics, clicks: Arc<Counters>) -> Metrics {
        let mut registry = Registry::with_prefix("sharetrail");
        // 0.5 ms to ~8 s: a cached redirect takes well under a millisecond.
        let requests = Family::<RequestLabels, Histogram>::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 15)));
        registry.register("http_request_duration_seconds", "Time to answer HTTP requests, by route pattern, method and status", requests.clone());
        let redirects = Family::<StatusLabel, Counter>::default();
        registry.register("redirects", "Short-link requests (GET and HEAD /{code}) by status: 302 redirected, 404 unknown, 410 disabled, 429 throttled, 503 Redis unavailable", redirects.clone());
        registry.register("redis_round_trip_duration_seconds", "Time of Redis round trips (commands, pipelines, scripts)", redis.latency.clone());
        registry.register("redis_errors", "Redis round trips that failed (unreachable, timed out or an error reply)", redis.errors.clone());
        registry.register_collector(Box::new(ClickCollector(clicks)));
        Metrics { registry, requests, redirects }
    }

    /// Records one answered request.
    pub fn observe_request(&self, labels: RequestLabels, seconds: f64) {
        self.requests.get_or_create(&labels).observe(seconds);
    }

    /// Counts one answered short-link request.
    pub fn count_redirect(&self, status: u16) {
        self.redirects.get_or_create(&StatusLabel { status }).inc();
    }

    /// The metrics in the text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail; an encoder error would be a bug in a metric.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "metrics could not be encoded");
        }
        text
    }
}

/// Reads the recorder's counters at each scrape, so the hot path only bumps atomics.
#[derive(Debug)]
struct ClickCollector(Arc<Counters>);

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

impl Collector for ClickCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = &self.0;
        let load = |n: &std::sync::atomic::AtomicU64| n.load(Ordering::Relaxed);
        let handed = encoder.encode_descriptor(
            "clicks",
            "Taps of short links handed to the click recorder, by who made them: person (a click), preview (a messaging app's link preview: a share) or bot",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        let mut handed = handed;
        for (kind, n) in [("person", &c.people), ("preview", &c.previews), ("bot", &c.bots)] {
            ConstCounter::new(load(n)).encode(handed.encode_family(&KindLabel { kind })?)?;
        }
        for (name, help, n) in [
            ("clicks_recorded", "Clicks written to Redis, directly or replayed from the spool", &c.recorded),
            ("clicks_spooled", "Clicks written to the disk spool while Redis was unavailable", &c.spooled),
            ("clicks_dropped", "Clicks lost: the queue was full or the spool could not be written", &c.dropped),
        ] {
            let counter = ConstCounter::new(load(n));
            counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)?;
        }
        let depth = ConstGauge::new(c.queue_depth() as i64);
        depth.encode(encoder.encode_descriptor(
            "click_queue_depth",
            "Clicks waiting in memory for the writer (lost on SIGKILL)",
            None,
            depth.metric_type(),
        )?)
    }
}
