//! Hooks for test suites and benchmarks, mounted only with `test_hooks = true`.

use crate::error::Result;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::json;
use std::sync::atomic::Ordering;

/// `POST /__test/flush`: answers once every click queued before it is in Redis, so a test
/// can assert on stored clicks without sleeping. 503 while Redis is away. Also answers the
/// recorder's counters and the longest the click queue has been since the last flush.
pub async fn flush(state: web::Data<AppState>) -> Result<HttpResponse> {
    let recorder = &state.tracker.recorder;
    recorder.flush().await?;
    let counters = recorder.counters();
    Ok(HttpResponse::Ok().json(json!({
        "recorded": counters.recorded.load(Ordering::Relaxed),
        "spooled": counters.spooled.load(Ordering::Relaxed),
        "dropped": counters.dropped.load(Ordering::Relaxed),
        "peak_queued": counters.take_peak_queued(),
    })))
}
