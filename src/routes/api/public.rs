//! `POST /api/v1/public/shares`: minting for the widget, without a token. A page may ask
//! only when its origin is listed in SHARETRAIL_WIDGET_ORIGINS (the browser's `Origin`
//! header says which page asks), only for URLs on SHARETRAIL_ALLOWED_HOSTS (checked by
//! the minting itself), and only so often per client. Past that, the same minting and
//! the same errors as `POST /api/v1/shares`.
//!
//! The guard below answers CORS preflights and puts the CORS headers on every answer to
//! an allowed origin, error answers included, so the widget can read and report them.

use super::openapi::ApiError;
use super::shares::ShareBody;
use crate::enrich::client_ip::client_ip;
use crate::error::{AppError, Result};
use crate::routes::redirect::request_facts;
use crate::shares::{Minted, mint};
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, post, web};
use std::net::{IpAddr, Ipv6Addr};

/// How long a browser may reuse a preflight answer (Chromium caps it at two hours).
const PREFLIGHT_MAX_AGE_SECS: &str = "7200";

/// Mints links for the share widget, without a token: for a page whose `Origin` is listed
/// in SHARETRAIL_WIDGET_ORIGINS (browsers send it; the answer carries the CORS headers),
/// for a URL on SHARETRAIL_ALLOWED_HOSTS, and only so often per client. Otherwise the same
/// as `POST /api/v1/shares`.
#[utoipa::path(
    tag = "widget",
    request_body = ShareBody,
    params(("Origin" = String, Header, description = "The page asking: an origin listed in SHARETRAIL_WIDGET_ORIGINS", example = "https://blog.example.com")),
    responses(
        (status = 200, description = "Links minted or found", body = Minted),
        (status = 400, description = "Malformed JSON, an invalid URL, an unknown channel or an overlong field", body = ApiError),
        (status = 403, description = "No `Origin`, or one not listed in SHARETRAIL_WIDGET_ORIGINS", body = ApiError),
        (status = 413, description = "Body over 16 KiB", body = ApiError),
        (status = 415, description = "Not application/json", body = ApiError),
        (status = 422, description = "Host not in SHARETRAIL_ALLOWED_HOSTS", body = ApiError),
        (status = 429, description = "This client asked too often; see Retry-After", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
)]
#[post("/shares")]
pub async fn create(body: web::Json<ShareBody>, state: web::Data<AppState>) -> Result<web::Json<Minted>> {
    Ok(web::Json(mint(&state, &body.parse(&state)?).await?))
}

/// Checks the origin, answers preflights, counts the client's requests, and adds the
/// CORS headers for an allowed origin.
pub async fn guard(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    // A wrong method is a 405 whoever asks, as on every other API path.
    if req.method() != Method::POST && req.method() != Method::OPTIONS {
        let mut response = refuse(req, AppError::MethodNotAllowed, None);
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST, OPTIONS"));
        return Ok(response);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(refuse(req, AppError::Internal("no app state".into()), None));
    };
    let origin = match allowed_origin(&req, &state) {
        Ok(origin) => origin,
        Err(error) => return Ok(refuse(req, error, None)),
    };
    if req.method() == Method::OPTIONS {
        return Ok(preflight(req, origin));
    }
    if let Err(wait) = state.widget_limiter.check(client(&req, &state)).await {
        let mut response = refuse(req, AppError::TooManyRequests, Some(&origin));
        let retry_after = wait.as_secs().max(1).to_string();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::try_from(retry_after).map_err(actix_web::error::ErrorInternalServerError)?);
        return Ok(response);
    }
    let mut response = next.call(req).await?;
    allow(response.headers_mut(), &origin);
    Ok(response.map_into_left_body())
}

/// The request's `Origin` when it is allowed; otherwise the error that says why not.
fn allowed_origin(req: &ServiceRequest, state: &AppState) -> Result<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let text = origin.as_ref().and_then(|o| o.to_str().ok()).unwrap_or_default();
    match origin {
        Some(origin) if state.settings.widget_origins.permits(text) => Ok(origin),
        Some(_) => Err(AppError::OriginNotAllowed(format!(
            "the origin {text} may not use the share widget; list it in SHARETRAIL_WIDGET_ORIGINS"
        ))),
        None => Err(AppError::OriginNotAllowed(
            "this endpoint serves the share widget on pages listed in SHARETRAIL_WIDGET_ORIGINS; servers use POST /api/v1/shares with a token".into(),
        )),
    }
}

/// The answer to a preflight from an allowed origin: only `POST` with a JSON body.
fn preflight<B>(req: ServiceRequest, origin: HeaderValue) -> ServiceResponse<EitherBody<B>> {
    let method = req.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let headers = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let only_content_type = headers.split(',').map(str::trim).all(|h| h.is_empty() || h.eq_ignore_ascii_case("content-type"));
    if method != "POST" || !only_content_type {
        let error = AppError::invalid("invalid_preflight", "the widget endpoint takes POST with Content-Type: application/json only");
        return refuse(req, error, None);
    }
    let mut response = HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_SECS))
        .finish();
    allow(response.headers_mut(), &origin);
    req.into_response(response).map_into_right_body()
}

/// An error answer; with CORS headers only when the origin was allowed (then the page
/// may read why it was refused), never for another origin.
fn refuse<B>(req: ServiceRequest, error: AppError, origin: Option<&HeaderValue>) -> ServiceResponse<EitherBody<B>> {
    let mut response = error.error_response();
    match origin {
        Some(origin) => allow(response.headers_mut(), origin),
        None => vary(response.headers_mut()),
    }
    req.into_response(response).map_into_right_body()
}

fn allow(headers: &mut HeaderMap, origin: &HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    vary(headers);
}

/// The answer depends on the `Origin`: a shared cache must not give one page's answer
/// to another.
fn vary(headers: &mut HeaderMap) {
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
}

/// The client's address, for its rate limit (only a keyed hash of it is kept).
fn client(req: &ServiceRequest, state: &AppState) -> IpAddr {
    let facts = request_facts(req.request());
    let unknown = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    facts.peer.and_then(|peer| client_ip(peer, facts.forwarded, facts.x_forwarded_for, &state.tracker.proxies)).unwrap_or(unknown)
}
