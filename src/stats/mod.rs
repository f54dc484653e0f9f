//! Stats reports, answered from the daily aggregates the click writer keeps: which private
//! channels carry which content, over a range of days. Shared by the API and the admin UI.

pub mod chart;
pub mod export;
pub mod format;

use crate::domain::click::{day_of, now_ms};
use crate::domain::{ChannelRegistry, ContentId, DateRange};
use crate::error::{AppError, Result};
use crate::store::Store;
use crate::store::links::StoredContent;
use crate::store::stats::{DayCounters, RawClick};
use indexmap::IndexMap;
use serde::Serialize;
use utoipa::ToSchema;
use std::collections::{BTreeMap, HashMap};

/// Totals over a range.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Totals {
    pub clicks: i64,
    pub unique_visitors: i64,
    /// Link previews (one per burst): the link was shared into an app.
    pub shares: i64,
    /// Taps on share buttons (the widget, the fragment, `/share/{code}`): the step
    /// before a share.
    pub intents: i64,
    pub bots: i64,
    /// Clicks through private channels / all clicks (0 without clicks).
    pub dark_share: f64,
}

/// One channel over a range.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ChannelStats {
    pub clicks: i64,
    pub unique_visitors: i64,
    pub shares: i64,
    /// Taps on this channel's share button.
    pub intents: i64,
    pub bots: i64,
}

/// A content in a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContentRow {
    pub id: String,
    pub url: String,
    pub title: Option<String>,
    pub clicks: i64,
    pub shares: i64,
    pub intents: i64,
    /// Clicks per channel (channels without clicks left out).
    pub channels: IndexMap<String, i64>,
}

/// Which channel a content was passed on from, to which app.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Forward {
    pub from: String,
    pub to: String,
    pub count: i64,
}

/// The site over a range: `GET /api/v1/stats` and the dashboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteReport {
    pub from: String,
    pub to: String,
    pub totals: Totals,
    pub channels: IndexMap<String, ChannelStats>,
    pub contents: Vec<ContentRow>,
    /// How many contents match (for paging).
    pub total_contents: usize,
    pub devices: BTreeMap<String, i64>,
    pub countries: BTreeMap<String, i64>,
    pub preview_platforms: BTreeMap<String, i64>,
    pub forwards: Vec<Forward>,
}

/// One day of a content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayRow {
    pub date: String,
    pub clicks: i64,
    pub channels: IndexMap<String, i64>,
}

/// The content as shown in a report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContentView {
    pub id: String,
    pub url: String,
    pub title: Option<String>,
}

/// One content over a range: `GET /api/v1/contents/{id}/stats` and the content page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContentReport {
    pub from: String,
    pub to: String,
    pub content: ContentView,
    pub totals: Totals,
    pub channels: IndexMap<String, ChannelStats>,
    pub devices: BTreeMap<String, i64>,
    pub countries: BTreeMap<String, i64>,
    pub cities: BTreeMap<String, i64>,
    pub in_app: BTreeMap<String, i64>,
    pub preview_platforms: BTreeMap<String, i64>,
    pub referrers: BTreeMap<String, i64>,
    pub campaigns: BTreeMap<String, i64>,
    pub forwards: Vec<Forward>,
    pub days: Vec<DayRow>,
}

/// Which contents of a listing to show.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: usize,
    pub offset: usize,
    /// Case-insensitive text that the title or URL must contain.
    pub search: Option<String>,
}

/// The site report for a range.
pub async fn site_report(store: &Store, channels: &ChannelRegistry, range: &DateRange, page: &Page) -> Result<SiteReport> {
    let days = range.days();
    let today = day_of(now_ms());
    let summed = store.site_sum(&days, &today).await?;
    let names = channels.names();
    let (unique, unique_by_channel) = store.site_visitors(&days, &names).await?;
    let (contents, total_contents) = content_rows(store, channels, &days, &today, page).await?;
    Ok(SiteReport {
        from: days.first().cloned().unwrap_or_default(),
        to: days.last().cloned().unwrap_or_default(),
        totals: totals(&summed, channels, unique),
        channels: channel_stats(&summed, channels, &unique_by_channel),
        contents,
        total_contents,
        devices: by_prefix(&summed, "dev:"),
        countries: by_prefix(&summed, "cc:"),
        preview_platforms: by_prefix(&summed, "pv:"),
        forwards: forwards(&summed),
    })
}

async fn content_rows(store: &Store, channels: &ChannelRegistry, days: &[String], today: &str, page: &Page) -> Result<(Vec<ContentRow>, usize)> {
    let needle = page.search.as_deref().map(str::to_lowercase).filter(|n| !n.is_empty());
    let (chosen, total) = match needle {
        None => {
            let (total, ranked) = store.ranked_contents(days, today, page.offset, Some(page.limit)).await?;
            (with_meta(store, ranked).await?, total)
        }
        Some(needle) => {
            let (_, ranked) = store.ranked_contents(days, today, 0, None).await?;
            let matching: Vec<_> = with_meta(store, ranked)
                .await?
                .into_iter()
                .filter(|(_, _, m)| m.url.to_lowercase().contains(&needle) || m.title.as_deref().is_some_and(|t| t.to_lowercase().contains(&needle)))
                .collect();
            let total = matching.len();
            (matching.into_iter().skip(page.offset).take(page.limit).collect(), total)
        }
    };
    let ids: Vec<ContentId> = chosen.iter().map(|(id, ..)| id.clone()).collect();
    let sums = store.contents_sums(&ids, days, today).await?;
    let rows = chosen
        .into_iter()
        .zip(sums)
        .map(|((id, clicks, meta), summed)| ContentRow {
            id: id.to_string(),
            url: meta.url,
            title: meta.title,
            clicks,
            shares: prefix_total(&summed, "shares:"),
            intents: prefix_total(&summed, "intents:"),
            channels: ordered(&by_prefix(&summed, "clicks:"), channels),
        })
        .collect();
    Ok((rows, total))
}

/// Ranked contents with their stored url and title (contents gone from the store dropped).
async fn with_meta(store: &Store, ranked: Vec<(ContentId, i64)>) -> Result<Vec<(ContentId, i64, StoredContent)>> {
    let ids: Vec<ContentId> = ranked.iter().map(|(id, _)| id.clone()).collect();
    let metas = store.get_contents(&ids).await?;
    Ok(ranked.into_iter().zip(metas).filter_map(|((id, clicks), meta)| meta.map(|m| (id, clicks, m))).collect())
}

/// One content's report for a range; 404 for an unknown content.
pub async fn content_report(store: &Store, channels: &ChannelRegistry, id: &ContentId, range: &DateRange) -> Result<ContentReport> {
    let content = store.get_content(id).await?.ok_or(AppError::NotFound("content"))?;
    let days = range.days();
    let daily = store.content_days(id, &days).await?;
    let summed = sum_days(&daily);
    let names = channels.names();
    let (unique, unique_by_channel) = store.content_visitors(id, &days, &names).await?;
    Ok(ContentReport {
        from: days.first().cloned().unwrap_or_default(),
        to: days.last().cloned().unwrap_or_default(),
        content: ContentView { id: id.to_string(), url: content.url, title: content.title },
        totals: totals(&summed, channels, unique),
        channels: channel_stats(&summed, channels, &unique_by_channel),
        devices: by_prefix(&summed, "dev:"),
        countries: by_prefix(&summed, "cc:"),
        cities: by_prefix(&summed, "city:"),
        in_app: by_prefix(&summed, "app:"),
        preview_platforms: by_prefix(&summed, "pv:"),
        referrers: by_prefix(&summed, "ref:"),
        campaigns: by_prefix(&summed, "camp:"),
        forwards: forwards(&summed),
        days: days
            .iter()
            .zip(&daily)
            .map(|(date, counters)| {
                let clicks = by_prefix(counters, "clicks:");
                DayRow { date: date.clone(), clicks: clicks.values().sum(), channels: ordered(&clicks, channels) }
            })
            .collect(),
    })
}

/// A content's most recent raw clicks; 404 for an unknown content.
pub async fn recent_clicks(store: &Store, id: &ContentId, limit: usize) -> Result<Vec<RawClick>> {
    store.get_content(id).await?.ok_or(AppError::NotFound("content"))?;
    store.recent_clicks(id, limit).await
}

/// Adds up days of counters.
pub fn sum_days(days: &[DayCounters]) -> DayCounters {
    let mut summed = DayCounters::new();
    for day in days {
        for (field, n) in day {
            *summed.entry(field.clone()).or_default() += n;
        }
    }
    summed
}

/// The counters whose field starts with `prefix`, by the rest of the field.
pub fn by_prefix(counters: &HashMap<String, i64>, prefix: &str) -> BTreeMap<String, i64> {
    counters
        .iter()
        .filter_map(|(field, n)| field.strip_prefix(prefix).map(|rest| (rest.to_owned(), *n)))
        .filter(|(_, n)| *n != 0)
        .collect()
}

fn prefix_total(counters: &DayCounters, prefix: &str) -> i64 {
    by_prefix(counters, prefix).values().sum()
}

/// Per-channel values in registry order, channels without a value left out.
fn ordered(values: &BTreeMap<String, i64>, channels: &ChannelRegistry) -> IndexMap<String, i64> {
    channels.iter().filter_map(|c| values.get(&c.name).map(|n| (c.name.clone(), *n))).collect()
}

fn totals(summed: &DayCounters, channels: &ChannelRegistry, unique_visitors: i64) -> Totals {
    let clicks = by_prefix(summed, "clicks:");
    let total: i64 = clicks.values().sum();
    let private: i64 = clicks.iter().filter(|(name, _)| channels.get(name).is_some_and(|c| c.private)).map(|(_, n)| n).sum();
    Totals {
        clicks: total,
        unique_visitors,
        shares: prefix_total(summed, "shares:"),
        intents: prefix_total(summed, "intents:"),
        bots: prefix_total(summed, "bots:"),
        dark_share: if total == 0 { 0.0 } else { private as f64 / total as f64 },
    }
}

/// Every registered channel, in registry order, zeros included.
fn channel_stats(summed: &DayCounters, channels: &ChannelRegistry, unique: &HashMap<String, i64>) -> IndexMap<String, ChannelStats> {
    let get = |field: String| summed.get(&field).copied().unwrap_or(0);
    channels
        .iter()
        .map(|c| {
            let name = &c.name;
            let stats = ChannelStats {
                clicks: get(format!("clicks:{name}")),
                unique_visitors: unique.get(name).copied().unwrap_or(0),
                shares: get(format!("shares:{name}")),
                intents: get(format!("intents:{name}")),
                bots: get(format!("bots:{name}")),
            };
            (name.clone(), stats)
        })
        .collect()
}

fn forwards(summed: &DayCounters) -> Vec<Forward> {
    let mut forwards: Vec<Forward> = by_prefix(summed, "fwd:")
        .into_iter()
        .filter_map(|(pair, count)| pair.split_once('>').map(|(from, to)| Forward { from: from.into(), to: to.into(), count }))
        .collect();
    forwards.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
    forwards
}
