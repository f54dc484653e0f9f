//! A range of UTC days asked of the stats, parsed and bounded by the retention.

use crate::error::{AppError, Result};
use time::{Date, Duration, format_description::BorrowedFormatItem, macros::format_description};

const DAY_FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Days shown when a request names none.
pub const DEFAULT_DAYS: i64 = 30;

/// An inclusive range of UTC days, never longer or older than the retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

impl DateRange {
    /// Parses `from` and `to` (YYYY-MM-DD, both optional: the last 30 days up to `today`).
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date, retention_days: u32) -> Result<DateRange> {
        let to = match to.filter(|s| !s.is_empty()) {
            Some(raw) => parse_day("to", raw)?,
            None => today,
        };
        let from = match from.filter(|s| !s.is_empty()) {
            Some(raw) => parse_day("from", raw)?,
            None => to - Duration::days(DEFAULT_DAYS - 1),
        };
        if from > to {
            return Err(AppError::invalid("invalid_range", "from must not be after to"));
        }
        let oldest = today - Duration::days(i64::from(retention_days));
        if from < oldest {
            return Err(AppError::invalid(
                "range_beyond_retention",
                format!("stats are kept for {retention_days} days: from must be {} or later", format_day(oldest)),
            ));
        }
        Ok(DateRange { from, to })
    }

    /// The last `days` days up to `today`.
    pub fn last(days: i64, today: Date) -> DateRange {
        DateRange { from: today - Duration::days(days.max(1) - 1), to: today }
    }

    /// Every day of the range, oldest first, as YYYY-MM-DD.
    pub fn days(&self) -> Vec<String> {
        let mut days = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            days.push(format_day(day));
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
        }
        days
    }

    pub fn len(&self) -> usize {
        (self.to - self.from).whole_days() as usize + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// YYYY-MM-DD.
pub fn format_day(day: Date) -> String {
    day.format(DAY_FORMAT).unwrap_or_default()
}

fn parse_day(field: &str, raw: &str) -> Result<Date> {
    Date::parse(raw, DAY_FORMAT).map_err(|_| AppError::invalid("invalid_date", format!("{field} must be a date as YYYY-MM-DD, not `{raw}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 23);

    #[test]
    fn the_default_is_the_last_30_days() {
        let range = DateRange::parse(None, None, TODAY, 400).expect("valid");
        assert_eq!((range.from, range.to), (date!(2026 - 10 - 25), TODAY));
        assert_eq!(range.days().len(), 30);
        assert_eq!(range.len(), 30);
    }

    #[test]
    fn explicit_dates_are_inclusive_and_cross_months() {
        let range = DateRange::parse(Some("2026-10-30"), Some("2026-11-02"), TODAY, 400).expect("valid");
        assert_eq!(range.days(), ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]);
    }

    #[test]
    fn bad_dates_reversed_ranges_and_ranges_past_retention_are_refused() {
        for (from, to, code) in [
            (Some("2026-13-01"), None, "invalid_date"),
            (Some("yesterday"), None, "invalid_date"),
            (None, Some("2026-11-31"), "invalid_date"),
            (Some("2026-11-20"), Some("2026-11-10"), "invalid_range"),
            (Some("2020-01-01"), None, "range_beyond_retention"),
        ] {
            let err = DateRange::parse(from, to, TODAY, 400).expect_err("refused");
            assert_eq!(err.code(), code, "{from:?} {to:?}");
        }
        assert!(DateRange::parse(Some("2025-10-19"), None, TODAY, 400).is_ok());
        assert!(DateRange::parse(Some("2025-10-18"), None, TODAY, 400).is_err());
    }
}
