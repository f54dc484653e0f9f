//! The stats API: site and content reports, recent clicks, and the CSV export.

use super::ApiCaller;
use crate::domain::{ContentId, DateRange};
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::stats::export::export_csv;
use crate::stats::{self, ContentReport, Page, SiteReport};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most contents or clicks one call returns.
const MAX_LIMIT: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
    search: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitQuery {
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

/// `GET /api/v1/stats`: totals, channels and contents by clicks.
pub async fn site(_: ApiCaller, query: web::Query<ListQuery>, state: web::Data<AppState>) -> Result<web::Json<SiteReport>> {
    let range = parse_range(&state, query.from.as_deref(), query.to.as_deref())?;
    let page = Page { limit: limit(query.limit, 50)?, offset: query.offset.unwrap_or(0), search: query.search.clone() };
    Ok(web::Json(stats::site_report(&state.store, &state.channels, &range, &page).await?))
}

/// `GET /api/v1/contents/{id}/stats`.
pub async fn content(_: ApiCaller, id: web::Path<String>, query: web::Query<RangeQuery>, state: web::Data<AppState>) -> Result<web::Json<ContentReport>> {
    let id = parse_content(&id)?;
    let range = parse_range(&state, query.from.as_deref(), query.to.as_deref())?;
    Ok(web::Json(stats::content_report(&state.store, &state.channels, &id, &range).await?))
}

#[derive(Serialize)]
pub struct RecentClicks {
    content: String,
    clicks: Vec<Map<String, Value>>,
}

/// `GET /api/v1/contents/{id}/clicks`: the most recent raw clicks, newest first.
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

/// `GET /api/v1/stats/export.csv`.
pub async fn export(_: ApiCaller, query: web::Query<RangeQuery>, state: web::Data<AppState>) -> Result<HttpResponse> {
    let range = parse_range(&state, query.from.as_deref(), query.to.as_deref())?;
    let csv = export_csv(&state.store, &state.channels, &range).await?;
    let name = format!("sharetrail-{}-{}.csv", crate::domain::date_range::format_day(range.from), crate::domain::date_range::format_day(range.to));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(csv))
}
