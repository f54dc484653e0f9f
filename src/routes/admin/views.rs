//! View models shared by the report pages: figures formatted for people.

use crate::domain::ChannelRegistry;
use crate::stats::format::{per, percent, thousands};
use crate::stats::{ChannelStats, Totals};
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// The headline figures.
pub struct Kpis {
    pub clicks: String,
    pub unique_visitors: String,
    pub shares: String,
    pub intents: String,
    pub bots: String,
    pub dark_share: String,
    pub dark_clicks: String,
    pub public_clicks: String,
    /// Width of the dark part of the dark/public bar, 0–100.
    pub dark_width: f64,
}

impl Kpis {
    pub fn new(totals: &Totals, channels: &IndexMap<String, ChannelStats>, registry: &ChannelRegistry) -> Kpis {
        let dark: i64 = channels.iter().filter(|(name, _)| registry.get(name).is_some_and(|c| c.private)).map(|(_, s)| s.clicks).sum();
        Kpis {
            clicks: thousands(totals.clicks),
            unique_visitors: thousands(totals.unique_visitors),
            shares: thousands(totals.shares),
            intents: thousands(totals.intents),
            bots: thousands(totals.bots),
            dark_share: percent(totals.dark_share),
            dark_clicks: thousands(dark),
            public_clicks: thousands(totals.clicks - dark),
            dark_width: totals.dark_share * 100.0,
        }
    }
}

/// A channel's funnel: button taps (intents), shares (previews), clicks, unique visitors,
/// and clicks per share.
pub struct ChannelRow {
    pub label: String,
    pub private: bool,
    pub intents: String,
    pub shares: String,
    pub clicks: String,
    pub unique_visitors: String,
    pub clicks_per_share: String,
    /// The four steps as bars, each 0–100 of the channel's largest step.
    pub funnel: [FunnelStep; 4],
}

/// One bar of a channel's funnel.
pub struct FunnelStep {
    pub name: &'static str,
    pub width: f64,
    /// Its top edge in the funnel drawing.
    pub y: u32,
}

/// The bars of taps → shares → clicks → visitors, scaled to the largest of them, so each
/// channel shows where its readers drop off (or, with clicks above taps, that its links
/// travel further than its button).
fn funnel(s: &ChannelStats) -> [FunnelStep; 4] {
    let steps = [("taps", s.intents), ("shares", s.shares), ("clicks", s.clicks), ("visitors", s.unique_visitors)];
    let max = steps.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let mut y = 0;
    steps.map(|(name, n)| {
        let step = FunnelStep { name, width: n as f64 * 100.0 / max as f64, y };
        y += 7;
        step
    })
}

/// The channels with any activity, busiest first.
pub fn channel_rows(channels: &IndexMap<String, ChannelStats>, registry: &ChannelRegistry) -> Vec<ChannelRow> {
    let mut active: Vec<(&String, &ChannelStats)> = channels.iter().filter(|(_, s)| s.clicks + s.shares + s.intents > 0).collect();
    active.sort_by_key(|(_, totals)| std::cmp::Reverse((totals.clicks, totals.shares, totals.intents)));
    active
        .into_iter()
        .map(|(name, s)| {
            let channel = registry.get(name);
            ChannelRow {
                label: channel.map_or_else(|| name.clone(), |c| c.label.clone()),
                private: channel.is_none_or(|c| c.private),
                intents: thousands(s.intents),
                shares: thousands(s.shares),
                clicks: thousands(s.clicks),
                unique_visitors: thousands(s.unique_visitors),
                clicks_per_share: per(s.clicks, s.shares),
                funnel: funnel(s),
            }
        })
        .collect()
}

/// A labelled horizontal bar (devices, countries, …).
pub struct BarItem {
    pub label: String,
    pub value: String,
    /// 0–100, relative to the largest item.
    pub width: f64,
}

/// The largest items first, at most eight, each with its bar width.
pub fn bar_items(counts: &BTreeMap<String, i64>) -> Vec<BarItem> {
    let mut items: Vec<(&String, &i64)> = counts.iter().collect();
    items.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let max = items.first().map_or(1, |(_, n)| **n).max(1);
    items
        .into_iter()
        .take(8)
        .map(|(label, n)| BarItem { label: label.clone(), value: thousands(*n), width: *n as f64 * 100.0 / max as f64 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_funnel_is_scaled_to_its_largest_step() {
        let stats = ChannelStats { intents: 10, shares: 4, clicks: 20, unique_visitors: 5, bots: 3 };
        let widths: Vec<f64> = funnel(&stats).iter().map(|s| s.width).collect();
        assert_eq!(widths, [50.0, 20.0, 100.0, 25.0]);
        assert!(funnel(&ChannelStats::default()).iter().all(|s| s.width == 0.0), "no division by zero");
    }
}
