//! The stats API: site and content reports, recent clicks, and the CSV export.

use super::ApiCaller;
use crate::domain::{ContentId, DateRange};
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::stats::export::export_csv;
use crate::stats::{self, ContentReport, Page, SiteReport};
use super::openapi::ApiError;
use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// Most contents or clicks one call returns.
const MAX_LIMIT: usize = 500;

/// A range of UTC days; both ends optional (the last 30 days).
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(example = "2026-01-01")]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[param(example = "2026-01-31")]
    to: Option<String>,
}

/// A range of days and a page of contents.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(example = "2026-01-01")]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[param(example = "2026-01-31")]
    to: Option<String>,
    /// Contents per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// Contents to skip.
    offset: Option<usize>,
    /// Text the title or URL must contain (case-insensitive).
    search: Option<String>,
}

/// How many clicks.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// The range asked for, checked against the retention.
pub fn parse_range(state: &AppState, from: Option<&str>, to: Option<&str>) -> Result<DateRange> {
    let today = time::OffsetDateTime::now_utc().date();
    DateRange::parse(from, to, today, state.settings.clicks.retention_days)
}

fn parse_content(raw: &str) -> Result<ContentId> {
    ContentId::parse(raw).ok_or(AppError::NotFound("content"))
}

fn limit(raw: Option<usize>, default: usize) -> Result<usize> {
    match raw.unwrap_or(default) {
        0 => Err(AppError::invalid("invalid_query", "limit must be at least 1")),
        n if n > MAX_LIMIT => Err(AppError::invalid("invalid_query", format!("limit must be at most {MAX_LIMIT}"))),
        n => Ok(n),
    }
}

/// The site over a range: totals, channels, and contents by clicks.
#[utoipa::path(
    tag = "stats",
    params(ListQuery),
    responses(
        (status = 200, description = "The site report", body = SiteReport),
        (status = 400, description = "A bad date or query parameter, `from` after `to`, or a range past the retention", body = ApiError),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[get("/stats")]
pub async fn site(_: ApiCaller, query: web::Query<ListQuery>, state: web::Data<AppState>) -> Result<web::Json<SiteReport>> {
    let range = parse_range(&state, query.from.as_deref(), query.to.as_deref())?;
    let page = Page { limit: limit(query.limit, 50)?, offset: query.offset.unwrap_or(0), search: query.search.clone() };
    Ok(web::Json(stats::site_report(&state.store, &state.channels, &range, &page).await?))
}

/// One content over a range: totals, channels, devices, places, forwards and days.
#[utoipa::path(
    tag = "stats",
    params(("id" = String, Path, description = "The content id (16 hex digits)"), RangeQuery),
    responses(
        (status = 200, description = "The content report", body = ContentReport),
        (status = 400, description = "A bad date or query parameter, `from` after `to`, or a range past the retention", body = ApiError),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
        (status = 404, description = "No such content", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[get("/contents/{id}/stats")]
pub async fn content(_: ApiCaller, id: web::Path<String>, query: web::Query<RangeQuery>, state: web::Data<AppState>) -> Result<web::Json<ContentReport>> {
    let id = parse_content(&id)?;
    let range = parse_range(&state, query.from.as_deref(), query.to.as_deref())?;
    Ok(web::Json(stats::content_report(&state.store, &state.channels, &id, &range).await?))
}

/// A content's most recent clicks, newest first.
#[derive(Serialize, ToSchema)]
pub struct RecentClicks {
    content: String,
    #[schema(value_type = Vec<ClickRecord>)]
    clicks: Vec<Map<String, Value>>,
}

/// One raw click as the API shows it (built by `click_json`); no address: none is stored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ClickRecord {
    /// RFC 3339.
    time: Option<String>,
    code: Option<String>,
    channel: Option<String>,
    campaign: Option<String>,
    /// `person`, `preview` or `bot`.
    kind: Option<String>,
    /// The link-preview platform, for previews.
    platform: Option<String>,
    device: Option<String>,
    os: Option<String>,
    browser: Option<String>,
    in_app: Option<String>,
    country: Option<String>,
    city: Option<String>,
    /// The referrer's host, never its path.
    referrer: Option<String>,
    /// `link` or `qr`.
    source: Option<String>,
}

/// A content's most recent raw clicks, newest first.
#[utoipa::path(
    tag = "stats",
    params(("id" = String, Path, description = "The content id (16 hex digits)"), LimitQuery),
    responses(
        (status = 200, description = "The clicks", body = RecentClicks),
        (status = 400, description = "A bad limit", body = ApiError),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 404, description = "No such content", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[get("/contents/{id}/clicks")]
pub async fn clicks(_: ApiCaller, id: web::Path<String>, query: web::Query<LimitQuery>, state: web::Data<AppState>) -> Result<web::Json<RecentClicks>> {
    let id = parse_content(&id)?;
    let raw = stats::recent_clicks(&state.store, &id, limit(query.limit, 50)?).await?;
    Ok(web::Json(RecentClicks { content: id.to_string(), clicks: raw.into_iter().map(click_json).collect() }))
}

/// A stored click as JSON: the time as RFC 3339, empty fields as null.
fn click_json(mut raw: crate::store::stats::RawClick) -> Map<String, Value> {
    let time = raw
        .remove("t")
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|ms| time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
    let mut out = Map::new();
    out.insert("time".into(), time.map_or(Value::Null, Value::String));
    for field in ["code", "channel", "campaign", "kind", "platform", "device", "os", "browser", "in_app", "country", "city", "referrer", "source"] {
        let value = raw.remove(field).filter(|v| !v.is_empty());
        out.insert(field.into(), value.map_or(Value::Null, Value::String));
    }
    out
}

/// One CSV row per content, channel and day with any activity:
/// `date,content_id,url,title,channel,private,clicks,unique_visitors,shares,bots`.
#[utoipa::path(
    tag = "stats",
    params(RangeQuery),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        (status = 400, description = "A bad date or query parameter, `from` after `to`, or a range past the retention", body = ApiError),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[get("/stats/export.csv")]
pub async fn export(_: ApiCaller, query: web::Query<RangeQuery>, state: web::Data<AppState>) -> Result<HttpResponse> {
    let range = parse_range(&state, query.from.as_deref(), query.to.as_deref())?;
    let csv = export_csv(&state.store, &state.channels, &range).await?;
    let name = format!("sharetrail-{}-{}.csv", crate::domain::date_range::format_day(range.from), crate::domain::date_range::format_day(range.to));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(csv))
}
