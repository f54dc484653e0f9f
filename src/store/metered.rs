//! A Redis connection that times every round trip and counts failures, so an operator
//! sees Redis trouble in the metrics before readers see it in 503s.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use super::RedisConn;
use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, Pipeline, RedisFuture, RedisResult, ServerErrorKind, Value};
use std::future::Future;
use std::time::Instant;

/// Round trips to Redis: how long they took, and how many failed.
#[derive(Debug, Clone)]
pub struct RedisMetrics {
    /// Seconds per round trip (a command, a pipeline or a script), failures included.
    pub latency: Histogram,
    /// Round trips that failed: Redis unreachable, timed out or answering an error.
    pub errors: Counter,
}

impl Default for RedisMetrics {
    fn default() -> Self {
        // 100 µs to ~3 s: a local Redis answers in well under a millisecond, a dead one
        // in the 2 s response timeout.
        let buckets = prometheus_client::metrics::histogram::exponential_buckets(0.0001, 2.5, 12);
        RedisMetrics { latency: Histogram::new(buckets), errors: Counter::default() }
    }
}

impl RedisMetrics {
    async fn time<T>(&self, round_trip: impl Future<Output = RedisResult<T>>) -> RedisResult<T> {
        let started = Instant::now();
        let result = round_trip.await;
        self.latency.observe(started.elapsed().as_secs_f64());
        if let Err(e) = &result {
            // NOSCRIPT is the normal first call of a script after a Redis restart: the
            // client loads the script and retries. Not a failure anyone should see.
            if e.kind() != ErrorKind::Server(ServerErrorKind::NoScript) {
                self.errors.inc();
            }
        }
        result
    }
}

/// A [`ConnectionManager`] whose round trips are measured.
#[derive(Clone)]
pub struct MeteredConnection {
    inner: RedisConn,
    metrics: RedisMetrics,
}

impl MeteredConnection {
    pub fn new(inner: RedisConn, metrics: RedisMetrics) -> Self {
        MeteredConnection { inner, metrics }
    }
}

impl ConnectionLike for MeteredConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(self.metrics.time(self.inner.req_packed_command(cmd)))
    }

    fn req_packed_commands<'a>(&'a mut self, pipeline: &'a Pipeline, offset: usize, count: usize) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(self.metrics.time(self.inner.req_packed_commands(pipeline, offset, count)))
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}
