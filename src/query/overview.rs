//! The overview report: totals, a time series, the previous period and the top lists.

use std::collections::BTreeMap;

use serde::Serialize;

use super::zone::Zone;
use super::{Filters, TimeRange};
use crate::model::SiteId;

/// The width of one time-series bucket (in the plan's time zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Hour,
    Day,
    Week,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Granularity> {
        match s {
            "hour" => Some(Granularity::Hour),
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            _ => None,
        }
    }

    /// Hours up to two days, days up to 92 days, weeks beyond.
    pub fn for_range(range: TimeRange) -> Granularity {
        let days = (range.to_ms - range.from_ms) as f64 / 86_400_000.0;
        if days <= 2.0 {
            Granularity::Hour
        } else if days <= 92.0 {
            Granularity::Day
        } else {
            Granularity::Week
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
        }
    }

    /// The start of the bucket holding `ms` (weeks start on Monday, as ISO 8601 has it).
    /// Works on UTC instants and on local wall-clock milliseconds alike.
    pub fn bucket_start(self, ms: i64) -> i64 {
        const HOUR: i64 = 3_600_000;
        const DAY: i64 = 24 * HOUR;
        match self {
            Granularity::Hour => ms.div_euclid(HOUR) * HOUR,
            Granularity::Day => ms.div_euclid(DAY) * DAY,
            // 1970-01-01 was a Thursday: shift by three days so buckets start on Mondays.
            Granularity::Week => (ms + 3 * DAY).div_euclid(7 * DAY) * 7 * DAY - 3 * DAY,
        }
    }

    pub fn step_ms(self) -> i64 {
        match self {
            Granularity::Hour => 3_600_000,
            Granularity::Day => 86_400_000,
            Granularity::Week => 7 * 86_400_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverviewPlan {
    pub site: SiteId,
    pub range: TimeRange,
    pub filters: Filters,
    pub granularity: Granularity,
    /// Buckets of the time series are local hours, days and weeks of this zone.
    pub zone: Zone,
    /// How many rows each top list keeps.
    pub top: u32,
    /// Also the series of the equally long period before `from`, bucket for bucket (the
    /// dashboard's comparison line). The API never sets it.
    pub previous_series: bool,
}

impl OverviewPlan {
    /// The equally long period just before the plan's range: what `previous` covers.
    pub fn previous_range(&self) -> TimeRange {
        let length = self.range.to_ms - self.range.from_ms;
        TimeRange {
            from_ms: self.range.from_ms - length,
            to_ms: self.range.from_ms,
        }
    }

    /// The plan of the previous period's series, if this plan asks for it.
    pub fn previous_series_plan(&self) -> Option<OverviewPlan> {
        self.previous_series.then(|| OverviewPlan {
            range: self.previous_range(),
            previous_series: false,
            ..self.clone()
        })
    }
}

/// The headline numbers of a range.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Totals {
    pub visitors: u64,
    pub sessions: u64,
    pub pageviews: u64,
    pub events: u64,
    /// Share of sessions with at most one pageview, 0..=1 (0 when there are no sessions).
    pub bounce_rate: f64,
    /// Mean of (last event − first event) over sessions, in milliseconds.
    pub avg_session_duration_ms: f64,
    /// Median of the same, in milliseconds.
    pub median_session_duration_ms: f64,
    /// Sum of the engaged time the tracker reported (visible and recently active).
    pub engaged_time_ms: i64,
    /// `engaged_time_ms / sessions` (0 when there are no sessions).
    pub avg_engaged_time_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeriesPoint {
    /// The UTC instant the bucket starts.
    pub start_ms: i64,
    /// The bucket's local start, e.g. `2026-11-24` or `2026-11-24T13:00`.
    pub local: String,
    pub visitors: u64,
    pub sessions: u64,
    pub pageviews: u64,
    pub events: u64,
}

/// One row of a top list: a value (None: unknown or direct) and how often it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopRow {
    pub value: Option<String>,
    pub visitors: u64,
    /// Sessions for session dimensions, pageviews for `pages`.
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Overview {
    #[serde(flatten)]
    pub totals: Totals,
    pub events_by_type: BTreeMap<String, u64>,
    /// The same totals over the equally long period just before `from`.
    pub previous: Totals,
    pub granularity: Option<Granularity>,
    /// The IANA zone of the series buckets.
    pub time_zone: String,
    pub series: Vec<SeriesPoint>,
    /// The previous period's series, when the plan asked for it (never in the API's JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_series: Option<Vec<SeriesPoint>>,
    /// Top lists by name: `pages` (pageviews), `entry_pages`, `exit_pages`, `sources`,
    /// `referrers`, `utm_campaigns`, `countries`, `browsers`, `os`, `devices`, `screen_sizes`
    /// (sessions).
    pub top: BTreeMap<String, Vec<TopRow>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_start_on_the_hour_day_and_monday() {
        // 2026-11-24T22:42:00Z is a Tuesday.
        let t = 1_795_560_120_000;
        assert_eq!(Granularity::Hour.bucket_start(t), 1_795_557_600_000);
        assert_eq!(Granularity::Day.bucket_start(t), 1_795_478_400_000);
        // Monday 2026-11-23T00:00:00Z.
        assert_eq!(Granularity::Week.bucket_start(t), 1_795_392_000_000);
    }

    #[test]
    fn granularity_follows_the_range() {
        let r = |days: i64| TimeRange::new(0, days * 86_400_000).unwrap();
        assert_eq!(Granularity::for_range(r(1)), Granularity::Hour);
        assert_eq!(Granularity::for_range(r(30)), Granularity::Day);
        assert_eq!(Granularity::for_range(r(365)), Granularity::Week);
    }
}
