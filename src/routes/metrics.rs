//! `GET /metrics`: Prometheus metrics, behind their own Bearer token
//! (`SHARETRAIL_METRICS_TOKEN`), so the public listener can serve them without exposing
//! traffic figures. Without a token set, the endpoint does not exist (404).

use crate::domain::secret::secrets_match;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::telemetry::metrics::CONTENT_TYPE;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;

pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    let Some(expected) = &state.settings.metrics_token else {
        return Err(AppError::NotFound("page"));
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if !secrets_match(presented, expected.expose_secret()) {
        return Err(AppError::Unauthorized);
    }
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render()))
}
