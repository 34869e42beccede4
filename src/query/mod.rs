//! Backend-neutral report plans and report results.
//!
//! A plan is a plain value (site, time range, filters, paging) built from a validated request;
//! each store turns it into its own SQL with every request value bound as a parameter. Keeping
//! plans free of SQL is what lets DuckDB and ClickHouse answer the same reports.

use serde::Serialize;

use crate::model::{SessionId, SiteId};

pub mod ecommerce;
pub mod engagement;
pub mod filter;
pub mod frustration;
pub mod heatmap;
pub mod live;
pub mod moments;
pub mod overview;
pub mod pages;
pub mod params;
pub mod zone;

pub use filter::{Filter, FilterError, Filters, SessionField};
pub use overview::{Granularity, Overview, OverviewPlan, SeriesPoint, TopRow, Totals};

/// A half-open interval `[from_ms, to_ms)` of epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from_ms: i64,
    pub to_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("`from` must be before `to`")]
    EmptyRange,
    #[error("the time range may span at most {0} days")]
    RangeTooLong(i64),
    #[error("`limit` must be between 1 and {0}")]
    BadLimit(u32),
}

/// Validates a `limit` request parameter: absent gives `default`, otherwise 1..=`max`.
pub fn parse_limit(value: Option<&str>, default: u32, max: u32) -> Result<u32, PlanError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or(PlanError::BadLimit(max)),
    }
}

impl TimeRange {
    pub const MAX_DAYS: i64 = 3660;

    pub fn new(from_ms: i64, to_ms: i64) -> Result<TimeRange, PlanError> {
        if from_ms >= to_ms {
            return Err(PlanError::EmptyRange);
        }
        if to_ms - from_ms > Self::MAX_DAYS * 86_400_000 {
            return Err(PlanError::RangeTooLong(Self::MAX_DAYS));
        }
        Ok(TimeRange { from_ms, to_ms })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionSort {
    #[default]
    NewestFirst,
    OldestFirst,
    LongestFirst,
    MostEventsFirst,
}

impl SessionSort {
    pub fn parse(s: &str) -> Option<SessionSort> {
        match s {
            "-start" | "newest" => Some(SessionSort::NewestFirst),
            "start" | "oldest" => Some(SessionSort::OldestFirst),
            "-duration" | "longest" => Some(SessionSort::LongestFirst),
            "-events" => Some(SessionSort::MostEventsFirst),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionListPlan {
    pub site: SiteId,
    pub range: TimeRange,
    pub filters: Filters,
    pub sort: SessionSort,
    pub limit: u32,
    pub offset: u64,
}

impl SessionListPlan {
    pub const MAX_LIMIT: u32 = 500;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDetailPlan {
    pub site: SiteId,
    pub session: SessionId,
}

/// Money summed per currency; amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub currency: String,
    pub minor: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    pub session_id: String,
    pub visitor_id: String,
    pub user_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub duration_ms: i64,
    pub pageviews: u64,
    pub events: u64,
    pub entry_page: Option<String>,
    pub source: Option<String>,
    pub country: Option<String>,
    pub device: String,
    pub browser: String,
    pub os: String,
    pub purchases: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionPage {
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    pub sessions: Vec<SessionSummary>,
}

/// One stored event as the session detail shows it (enough to replay the visit).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub ts_ms: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub path: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub x: Option<i32>,
    pub y: Option<i32>,
    pub page_y: Option<i32>,
    pub depth_pct: Option<i32>,
    pub target: Option<String>,
    pub label: Option<String>,
    pub props: Option<String>,
    pub value_minor: Option<i64>,
    pub currency: Option<String>,
    pub transaction_id: Option<String>,
    pub duration_ms: Option<i64>,
    /// Clicks only: the tracker saw nothing answer it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead: Option<bool>,
}

#[cfg(test)]
impl EventRow {
    /// An event of `kind` at `ts_ms` on `path` with no other field, for tests to fill in.
    pub fn bare(kind: &str, ts_ms: i64, path: &str) -> EventRow {
        EventRow {
            ts_ms,
            kind: kind.into(),
            name: None,
            path: path.into(),
            url: None,
            title: None,
            x: None,
            y: None,
            page_y: None,
            depth_pct: None,
            target: None,
            label: None,
            props: None,
            value_minor: None,
            currency: None,
            transaction_id: None,
            duration_ms: None,
            dead: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionDetail {
    pub summary: SessionSummary,
    pub events: Vec<EventRow>,
    /// Rage, dead and error clicks and quick backs (`moments`); empty until
    /// [`SessionDetail::mark`] derives them.
    pub moments: Vec<moments::Moment>,
    pub errors: Vec<moments::SessionError>,
}

impl SessionDetail {
    /// A session as a store reads it, its moments not derived yet.
    pub fn new(summary: SessionSummary, events: Vec<EventRow>) -> SessionDetail {
        SessionDetail {
            summary,
            events,
            moments: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Derives the frustration moments and errors from the events, under the site's thresholds.
    pub fn mark(mut self, thresholds: &frustration::Thresholds) -> SessionDetail {
        self.moments = moments::session_moments(&self.events, thresholds);
        self.errors = moments::session_errors(&self.events);
        self
    }
}
