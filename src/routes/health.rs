//! Liveness and readiness, for load balancers and orchestrators.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Redis answers, so the service can serve more than cached links. Also says whether geo
/// lookups are on (off is a warning, not unreadiness).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let geo = if state.tracker.geo.is_enabled() { "on" } else { "off" };
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready", "redis": "up", "geo": geo})),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: Redis does not answer");
            HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "redis": "down", "geo": geo}))
        }
    }
}
