//! Charts drawn on the server: the geometry of a stacked bar chart of clicks per day and
//! channel, for a template to draw as inline SVG (no script, nothing for the CSP to block).

use super::DayRow;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// A stacked bar chart in a `WIDTH × HEIGHT` view box.
#[derive(Debug, Clone)]
pub struct StackedChart {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_bottom: f64,
    pub bars: Vec<BarColumn>,
    pub y_ticks: Vec<Tick>,
    pub x_labels: Vec<Tick>,
    pub legend: Vec<LegendItem>,
}

/// One day: its segments bottom-up, one per channel with clicks.
#[derive(Debug, Clone)]
pub struct BarColumn {
    pub x: f64,
    pub width: f64,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub struct Segment {
    pub y: f64,
    pub height: f64,
    /// Index of the series (its colour class).
    pub series: usize,
    /// Tooltip text, e.g. "2026-11-23 · WhatsApp: 12".
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub series: usize,
    pub label: String,
}

/// A series of the chart: a channel, its label and its colour index.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub label: String,
    pub color: usize,
}

/// The chart of `days`; `series` in the order to stack them, bottom up.
pub fn stacked_days(days: &[DayRow], series: &[Series]) -> StackedChart {
    let max = days.iter().map(|d| d.clicks).max().unwrap_or(0).max(1);
    let scale_max = nice_ceiling(max);
    let plot_height = HEIGHT - BOTTOM - TOP;
    let slot = (WIDTH - LEFT) / days.len().max(1) as f64;
    let bar_width = (slot * 0.7).max(1.0);
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let mut y = HEIGHT - BOTTOM;
            let segments = series
                .iter()
                .filter_map(|series| {
                    let value = *day.channels.get(&series.name)?;
                    let height = value as f64 / scale_max as f64 * plot_height;
                    y -= height;
                    Some(Segment { y, height, series: series.color, title: format!("{} · {}: {value}", day.date, series.label) })
                })
                .collect();
            BarColumn { x: LEFT + i as f64 * slot + (slot - bar_width) / 2.0, width: bar_width, segments }
        })
        .collect();
    let y_ticks = (0..=4)
        .map(|k| Tick { pos: HEIGHT - BOTTOM - plot_height * k as f64 / 4.0, label: super::format::thousands(scale_max * k / 4) })
        .collect();
    let every = days.len().div_ceil(6).max(1);
    let x_labels = days
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, day)| Tick { pos: LEFT + (i as f64 + 0.5) * slot, label: day.date.get(5..).unwrap_or(&day.date).to_owned() })
        .collect();
    let legend = series.iter().map(|s| LegendItem { series: s.color, label: s.label.clone() }).collect();
    StackedChart { width: WIDTH, height: HEIGHT, plot_left: LEFT, plot_bottom: HEIGHT - BOTTOM, bars, y_ticks, x_labels, legend }
}

/// A round top for the scale: four ticks of 1, 2 or 5 × 10^k each, at least `n` in all.
fn nice_ceiling(n: i64) -> i64 {
    let wanted_step = (n.max(1) + 3) / 4;
    let mut magnitude = 1;
    loop {
        for step in [1, 2, 5] {
            if step * magnitude >= wanted_step {
                return step * magnitude * 4;
            }
        }
        magnitude *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn day(date: &str, values: &[(&str, i64)]) -> DayRow {
        let channels: IndexMap<String, i64> = values.iter().map(|(c, n)| (c.to_string(), *n)).collect();
        DayRow { date: date.into(), clicks: channels.values().sum(), channels }
    }

    #[test]
    fn segments_stack_bottom_up_in_series_order_and_fit_the_plot() {
        let series = vec![
            Series { name: "whatsapp".into(), label: "WhatsApp".into(), color: 0 },
            Series { name: "sms".into(), label: "SMS".into(), color: 1 },
        ];
        let chart = stacked_days(&[day("2026-11-22", &[("whatsapp", 30), ("sms", 10)]), day("2026-11-23", &[])], &series);
        let first = &chart.bars[0];
        assert_eq!(first.segments.len(), 2);
        let (whatsapp, sms) = (&first.segments[0], &first.segments[1]);
        assert_eq!(whatsapp.series, 0);
        assert!((whatsapp.y + whatsapp.height - chart.plot_bottom).abs() < 1e-9, "first segment sits on the axis");
        assert!((sms.y + sms.height - whatsapp.y).abs() < 1e-9, "second sits on the first");
        assert!(sms.y >= TOP, "within the plot");
        assert!((whatsapp.height / sms.height - 3.0).abs() < 1e-9);
        assert_eq!(whatsapp.title, "2026-11-22 · WhatsApp: 30");
        assert!(chart.bars[1].segments.is_empty());
    }

    #[test]
    fn the_scale_is_round() {
        assert_eq!(nice_ceiling(1), 4);
        assert_eq!(nice_ceiling(4), 4);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(40), 40);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(1234), 2000);
    }
}
