//! `GET /admin/contents/{id}`: one content in depth — clicks per day and channel, devices,
//! places, in-app browsers, previews and forwards, recent clicks, and its links.

use super::error::AdminResult;
use super::links::{LinkRow, link_rows};
use super::page::{Frame, Nav, render};
use super::range::{RangeQuery, RangeView};
use super::session::AdminSession;
use super::views::{BarItem, ChannelRow, Kpis, bar_items, channel_rows};
use crate::domain::ContentId;
use crate::error::AppError;
use crate::state::AppState;
use crate::stats::chart::{Series, StackedChart, stacked_days};
use crate::stats::format::thousands;
use crate::stats::{content_report, recent_clicks};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

/// Recent clicks shown on the page.
const RECENT: usize = 20;

#[derive(askama::Template)]
#[template(path = "admin/content.html")]
struct ContentPage {
    frame: Frame,
    range: RangeView,
    title: String,
    url: String,
    kpis: Kpis,
    chart: StackedChart,
    channels: Vec<ChannelRow>,
    devices: Vec<BarItem>,
    countries: Vec<BarItem>,
    in_app: Vec<BarItem>,
    previews: Vec<BarItem>,
    forwards: Vec<String>,
    recent: Vec<RecentRow>,
    links: Vec<LinkRow>,
    /// Where the enable/disable forms send the admin back to.
    back: String,
}

/// A raw click as the table shows it.
struct RecentRow {
    time: String,
    channel: String,
    kind: String,
    device: String,
    place: String,
    in_app: String,
    referrer: String,
}

pub async fn show(session: AdminSession, id: web::Path<String>, query: web::Query<RangeQuery>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let id = ContentId::parse(&id).ok_or(AppError::NotFound("content"))?;
    let (range, range_view) = query.parse(&state)?;
    let report = content_report(&state.store, &state.channels, &id, &range).await?;
    let series: Vec<Series> = state
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| report.days.iter().any(|d| d.channels.contains_key(&c.name)))
        .map(|(i, c)| Series { name: c.name.clone(), label: c.label.clone(), color: i % 17 })
        .collect();
    let label = |name: &str| state.channels.get(name).map_or_else(|| name.to_owned(), |c| c.label.clone());
    let forwards = report
        .forwards
        .iter()
        .map(|f| format!("{} link passed on to {}: {}", label(&f.from), label(&f.to), thousands(f.count)))
        .collect();
    let recent = recent_clicks(&state.store, &id, RECENT).await?.into_iter().map(RecentRow::from).collect();
    let links = link_rows(&state, state.store.links_of_content(&id).await?, report.content.title.as_deref());
    let page = ContentPage {
        frame: session.frame(Nav::Dashboard),
        back: format!("/admin/contents/{id}?{}", range_view.query()),
        range: range_view,
        title: report.content.title.clone().unwrap_or_else(|| report.content.url.clone()),
        url: report.content.url.clone(),
        kpis: Kpis::new(&report.totals, &report.channels, &state.channels),
        chart: stacked_days(&report.days, &series),
        channels: channel_rows(&report.channels, &state.channels),
        devices: bar_items(&report.devices),
        countries: bar_items(&report.countries),
        in_app: bar_items(&report.in_app),
        previews: bar_items(&report.preview_platforms),
        forwards,
        recent,
        links,
    };
    render(StatusCode::OK, &page)
}

impl From<crate::store::stats::RawClick> for RecentRow {
    fn from(mut raw: crate::store::stats::RawClick) -> RecentRow {
        let mut take = |field: &str| raw.remove(field).unwrap_or_default();
        let time = take("t")
            .parse::<i64>()
            .ok()
            .and_then(|ms| time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok())
            .and_then(|t| t.format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]")).ok())
            .unwrap_or_default();
        let kind = match (take("kind").as_str(), take("platform")) {
            ("preview", platform) => format!("preview ({platform})"),
            ("intent", _) => "share button tap".to_owned(),
            (kind, _) => kind.to_owned(),
        };
        let (country, city) = (take("country"), take("city"));
        RecentRow {
            time,
            channel: take("channel"),
            kind,
            device: take("device"),
            place: if city.is_empty() { country } else { format!("{city}, {country}") },
            in_app: take("in_app"),
            referrer: take("referrer"),
        }
    }
}
