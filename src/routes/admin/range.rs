//! The date range of the dashboard and content pages: 7, 30 or 90 days, or custom dates.

use crate::domain::DateRange;
use crate::domain::date_range::format_day;
use crate::error::Result;
use crate::state::AppState;
use serde::Deserialize;

/// The presets offered above every report.
const PRESETS: [i64; 3] = [7, 30, 90];

/// The query of a report page.
#[derive(Debug, Default, Deserialize)]
pub struct RangeQuery {
    pub days: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Search text (dashboard only).
    pub q: Option<String>,
}

/// A preset link, e.g. "Last 7 days".
pub struct Preset {
    pub days: i64,
    pub active: bool,
}

/// What the range form shows.
pub struct RangeView {
    pub from: String,
    pub to: String,
    pub presets: Vec<Preset>,
    /// The range was given as dates, not as a preset.
    pub custom: bool,
}

impl RangeQuery {
    /// The range asked for: dates win over a preset; neither means the last 30 days.
    pub fn parse(&self, state: &AppState) -> Result<(DateRange, RangeView)> {
        let today = time::OffsetDateTime::now_utc().date();
        let retention = state.settings.clicks.retention_days;
        let has_dates = self.from.as_deref().is_some_and(|f| !f.is_empty()) || self.to.as_deref().is_some_and(|t| !t.is_empty());
        let range = if has_dates {
            DateRange::parse(self.from.as_deref(), self.to.as_deref(), today, retention)?
        } else {
            let days = self.days.unwrap_or(30).clamp(1, i64::from(retention));
            DateRange::last(days, today)
        };
        let preset = (!has_dates).then(|| range.len() as i64);
        let view = RangeView {
            from: format_day(range.from),
            to: format_day(range.to),
            presets: PRESETS.iter().map(|&days| Preset { days, active: preset == Some(days) }).collect(),
            custom: has_dates,
        };
        Ok((range, view))
    }
}

impl RangeView {
    /// The query string that keeps this range, for links between pages.
    pub fn query(&self) -> String {
        format!("from={}&to={}", self.from, self.to)
    }
}
