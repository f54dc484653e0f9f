//! `GET` and `PATCH /api/v1/links/{code}`: one link, and switching it off or on.

use super::ApiCaller;
use crate::domain::{Link, ShortCode};
use crate::error::{AppError, Result};
use crate::state::AppState;
use super::openapi::ApiError;
use actix_web::{get, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One short link.
#[derive(Serialize, ToSchema)]
pub struct LinkView {
    code: String,
    short_url: String,
    channel: String,
    campaign: Option<String>,
    content: String,
    target: String,
    /// Creation time, RFC 3339.
    created: String,
    enabled: bool,
}

impl LinkView {
    fn new(state: &AppState, link: Link) -> LinkView {
        let created = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(link.created_ms) * 1_000_000)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        LinkView {
            short_url: state.short_url(&link.code),
            code: link.code.to_string(),
            channel: link.channel,
            campaign: link.campaign,
            content: link.content_id.to_string(),
            target: link.target.to_string(),
            created,
            enabled: link.enabled,
        }
    }
}

/// A change to a link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkPatch {
    /// False disables the link (its redirect answers 410), true enables it again.
    enabled: bool,
}

fn parse_code(raw: &str) -> Result<ShortCode> {
    ShortCode::parse(raw).ok_or(AppError::NotFound("link"))
}

/// Reads one link.
#[utoipa::path(
    tag = "links",
    params(("code" = String, Path, description = "The short code")),
    responses(
        (status = 200, description = "The link", body = LinkView),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 404, description = "No such link", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[get("/links/{code}")]
pub async fn show(_: ApiCaller, code: web::Path<String>, state: web::Data<AppState>) -> Result<web::Json<LinkView>> {
    let link = state.store.get_link(&parse_code(&code)?).await?.ok_or(AppError::NotFound("link"))?;
    Ok(web::Json(LinkView::new(&state, link)))
}

/// Disables (or enables) a link; this process redirects accordingly from the next request.
#[utoipa::path(
    tag = "links",
    params(("code" = String, Path, description = "The short code")),
    request_body = LinkPatch,
    responses(
        (status = 200, description = "The link after the change", body = LinkView),
        (status = 400, description = "Malformed JSON or wrong field types", body = ApiError),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 404, description = "No such link", body = ApiError),
        (status = 413, description = "Body over 16 KiB", body = ApiError),
        (status = 415, description = "Not application/json", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[patch("/links/{code}")]
pub async fn update(_: ApiCaller, code: web::Path<String>, patch: web::Json<LinkPatch>, state: web::Data<AppState>) -> Result<web::Json<LinkView>> {
    let code = parse_code(&code)?;
    let link = state.store.set_link_enabled(&code, patch.enabled).await?.ok_or(AppError::NotFound("link"))?;
    state.links.changed(link.clone()).await;
    Ok(web::Json(LinkView::new(&state, link)))
}
