//! The live report: who is on the site right now and the newest events (the real-time view).

use serde::Serialize;

use super::{EventRow, Filters};
use crate::model::SiteId;

/// Visitors with an event in this window count as active.
pub const ACTIVE_WINDOW_MS: i64 = 5 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePlan {
    pub site: SiteId,
    pub now_ms: i64,
    pub filters: Filters,
    /// How many of the newest events to return.
    pub events: u32,
}

/// A visitor active in the window, where they are now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveVisitor {
    pub visitor_id: String,
    pub session_id: String,
    pub current_page: String,
    pub last_seen_ms: i64,
    pub country: Option<String>,
    pub device: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveEvent {
    pub session_id: String,
    #[serde(flatten)]
    pub event: EventRow,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Live {
    pub now_ms: i64,
    pub window_ms: i64,
    pub active_visitors: u64,
    /// Active visitors, most recently seen first (at most 100).
    pub visitors: Vec<ActiveVisitor>,
    /// Current pages by active visitors.
    pub pages: Vec<super::TopRow>,
    /// The newest events, newest first.
    pub events: Vec<LiveEvent>,
}
