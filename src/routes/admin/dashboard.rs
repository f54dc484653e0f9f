//! `GET /admin`: the dashboard. At a glance: which private channels carry which content
//! (the content × channel matrix), dark versus public traffic, and per channel its
//! shares (link previews), clicks and clicks per share.

use super::error::AdminResult;
use super::page::{Frame, Nav, render};
use super::range::{RangeQuery, RangeView};
use super::session::AdminSession;
use super::views::{BarItem, ChannelRow, Kpis, bar_items, channel_rows};
use crate::stats::format::thousands;
use crate::stats::{Page, SiteReport, site_report};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

/// Rows of the matrix.
const MATRIX_ROWS: usize = 25;

#[derive(askama::Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    frame: Frame,
    range: RangeView,
    search: String,
    kpis: Kpis,
    channels: Vec<ChannelRow>,
    columns: Vec<Column>,
    rows: Vec<MatrixRow>,
    total_contents: usize,
    devices: Vec<BarItem>,
    countries: Vec<BarItem>,
    /// No content was ever minted: the empty state explains how to start.
    no_links: bool,
}

struct Column {
    label: String,
    private: bool,
}

struct MatrixRow {
    id: String,
    title: String,
    url: String,
    total: String,
    /// Taps on the content's share buttons.
    taps: String,
    cells: Vec<Cell>,
}

/// One cell: clicks of a content through a channel, shaded by intensity (0–5).
struct Cell {
    text: String,
    level: u8,
    label: String,
}

pub async fn show(session: AdminSession, query: web::Query<RangeQuery>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let (range, range_view) = query.parse(&state)?;
    let search = query.q.clone().unwrap_or_default();
    let page = Page { limit: MATRIX_ROWS, offset: 0, search: Some(search.clone()).filter(|s| !s.trim().is_empty()) };
    let report = site_report(&state.store, &state.channels, &range, &page).await?;
    let no_links = report.total_contents == 0 && state.store.count_contents().await? == 0;
    let (columns, rows) = matrix(&state, &report);
    let dashboard = DashboardPage {
        frame: session.frame(Nav::Dashboard),
        range: range_view,
        search,
        kpis: Kpis::new(&report.totals, &report.channels, &state.channels),
        channels: channel_rows(&report.channels, &state.channels),
        columns,
        rows,
        total_contents: report.total_contents,
        devices: bar_items(&report.devices),
        countries: bar_items(&report.countries),
        no_links,
    };
    render(StatusCode::OK, &dashboard)
}

/// The content × channel matrix: columns are the channels with clicks in any row (private
/// first), cells are shaded relative to the busiest cell.
fn matrix(state: &AppState, report: &SiteReport) -> (Vec<Column>, Vec<MatrixRow>) {
    let mut used: Vec<_> = state.channels.iter().filter(|c| report.contents.iter().any(|row| row.channels.contains_key(&c.name))).collect();
    used.sort_by_key(|c| !c.private);
    let busiest = report.contents.iter().flat_map(|row| row.channels.values()).copied().max().unwrap_or(0).max(1);
    let columns = used.iter().map(|c| Column { label: c.label.clone(), private: c.private }).collect();
    let rows = report
        .contents
        .iter()
        .map(|row| {
            let title = row.title.clone().unwrap_or_else(|| row.url.clone());
            let cells = used
                .iter()
                .map(|channel| {
                    let clicks = row.channels.get(&channel.name).copied().unwrap_or(0);
                    let level = if clicks == 0 { 0 } else { ((clicks * 5 + busiest - 1) / busiest).clamp(1, 5) as u8 };
                    Cell { text: thousands(clicks), level, label: format!("{title}, {}: {} clicks", channel.label, thousands(clicks)) }
                })
                .collect();
            MatrixRow { id: row.id.clone(), title, url: row.url.clone(), total: thousands(row.clicks), taps: thousands(row.intents), cells }
        })
        .collect();
    (columns, rows)
}
