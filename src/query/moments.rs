//! The frustration moments of one session: where its timeline and playback mark rage, dead and
//! error clicks, quick backs and JavaScript errors.
//!
//! A session's events are already in memory when its page is shown, so the signals are derived
//! here from them, by the rules `query::frustration` states and the stores' SQL follows
//! (`store/*/signals.rs`): clicks of one page in (ts, x, y, selector) order; a burst continues
//! while each click is within the window and radius of the one before (the same selector when
//! a position is missing), and one of at least `rage_clicks` clicks is one rage moment, at its
//! first click; an error belongs to the latest click at or before it when that click is at
//! most `error_window_ms` older; a return to the page before within `quick_back_ms` of leaving
//! it is a quick back, reported on the page left at once. The integration tests compare these
//! with the frustration report of the same traffic.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

use super::EventRow;
use super::frustration::{Signal, Thresholds};

/// One marked moment of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub ts_ms: i64,
    pub signal: Signal,
    /// The page it happened on (for a quick back, the page left at once).
    pub path: String,
    /// The clicked element, or for an error its message.
    pub what: Option<String>,
}

/// A JavaScript error of the session, as the timeline lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionError {
    pub ts_ms: i64,
    pub path: String,
    pub message: String,
    pub source: Option<String>,
    pub line: Option<i32>,
}

/// The moments of one session's events (in any order), sorted by time then signal.
pub fn session_moments(events: &[EventRow], t: &Thresholds) -> Vec<Moment> {
    let mut clicks: Vec<&EventRow> = events.iter().filter(|e| e.kind == "click").collect();
    clicks.sort_by(|a, b| click_order(a, b));
    let mut out = Vec::new();
    out.extend(rage(&clicks, t));
    out.extend(
        clicks
            .iter()
            .filter(|c| c.dead == Some(true))
            .map(|c| moment(c, Signal::Dead)),
    );
    out.extend(error_clicks(events, &clicks, t));
    out.extend(quick_backs(events, t));
    out.sort_by_key(|m| (m.ts_ms, m.signal as u8));
    out
}

/// The session's JavaScript errors, in time order.
pub fn session_errors(events: &[EventRow]) -> Vec<SessionError> {
    let mut errors: Vec<SessionError> = events
        .iter()
        .filter(|e| e.kind == "error")
        .map(|e| SessionError {
            ts_ms: e.ts_ms,
            path: e.path.clone(),
            message: e.label.clone().unwrap_or_default(),
            source: e.target.clone(),
            line: e.x,
        })
        .collect();
    errors.sort_by_key(|e| e.ts_ms);
    errors
}

fn moment(click: &EventRow, signal: Signal) -> Moment {
    Moment {
        ts_ms: click.ts_ms,
        signal,
        path: click.path.clone(),
        what: click.target.clone(),
    }
}

/// (ts, x, y, target) with missing values last, as the stores order clicks.
fn click_order(a: &EventRow, b: &EventRow) -> Ordering {
    fn last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    a.ts_ms
        .cmp(&b.ts_ms)
        .then_with(|| last(&a.x, &b.x))
        .then_with(|| last(&a.y, &b.y))
        .then_with(|| last(&a.target, &b.target))
}

fn continues_burst(prev: &EventRow, click: &EventRow, t: &Thresholds) -> bool {
    if click.ts_ms - prev.ts_ms > i64::from(t.rage_window_ms) {
        return false;
    }
    match (prev.x, prev.y, click.x, click.y) {
        (Some(px), Some(py), Some(x), Some(y)) => {
            let (dx, dy) = (i64::from(x - px), i64::from(y - py));
            let r = i64::from(t.rage_radius_px);
            dx * dx + dy * dy <= r * r
        }
        _ => prev.target.is_some() && prev.target == click.target,
    }
}

fn rage(clicks: &[&EventRow], t: &Thresholds) -> Vec<Moment> {
    let mut by_page: BTreeMap<&str, Vec<&EventRow>> = BTreeMap::new();
    for c in clicks {
        by_page.entry(c.path.as_str()).or_default().push(c);
    }
    let mut out = Vec::new();
    for page in by_page.values() {
        let mut start = 0;
        for i in 1..=page.len() {
            if i < page.len() && continues_burst(page[i - 1], page[i], t) {
                continue;
            }
            if i - start >= t.rage_clicks as usize {
                out.push(moment(page[start], Signal::Rage));
            }
            start = i;
        }
    }
    out
}

fn error_clicks(events: &[EventRow], clicks: &[&EventRow], t: &Thresholds) -> Vec<Moment> {
    let mut erred: Vec<usize> = events
        .iter()
        .filter(|e| e.kind == "error")
        .filter_map(|e| {
            // Clicks are sorted by time: the latest at or before the error is the last one.
            let i = clicks
                .partition_point(|c| c.ts_ms <= e.ts_ms)
                .checked_sub(1)?;
            (e.ts_ms - clicks[i].ts_ms <= i64::from(t.error_window_ms)).then_some(i)
        })
        .collect();
    erred.sort_unstable();
    erred.dedup();
    erred
        .into_iter()
        .map(|i| moment(clicks[i], Signal::Error))
        .collect()
}

fn quick_backs(events: &[EventRow], t: &Thresholds) -> Vec<Moment> {
    let mut views: Vec<&EventRow> = events.iter().filter(|e| e.kind == "pageview").collect();
    views.sort_by(|a, b| (a.ts_ms, &a.path).cmp(&(b.ts_ms, &b.path)));
    views
        .windows(3)
        .filter(|w| {
            w[0].path == w[2].path
                && w[1].path != w[2].path
                && w[2].ts_ms - w[1].ts_ms <= i64::from(t.quick_back_ms)
        })
        .map(|w| Moment {
            ts_ms: w[2].ts_ms,
            signal: Signal::QuickBack,
            path: w[1].path.clone(),
            what: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, ts_ms: i64, path: &str) -> EventRow {
        EventRow::bare(kind, ts_ms, path)
    }

    fn click(ts_ms: i64, x: i32, target: &str) -> EventRow {
        EventRow {
            x: Some(x),
            y: Some(100),
            target: Some(target.into()),
            ..event("click", ts_ms, "/p")
        }
    }

    fn signals(events: &[EventRow]) -> Vec<(i64, &'static str)> {
        session_moments(events, &Thresholds::default())
            .into_iter()
            .map(|m| (m.ts_ms, m.signal.as_str()))
            .collect()
    }

    #[test]
    fn a_burst_counts_once_and_breaks_on_distance_time_or_page() {
        // Near enough in time, too far away.
        let far = click(6_000, 500, "a");
        let events = vec![
            click(1_000, 10, "a"),
            click(1_900, 20, "a"),
            click(2_800, 30, "a"),
            click(3_700, 35, "a"),
            // 2 clicks only after a pause of more than a second: no burst.
            click(5_000, 10, "a"),
            click(5_100, 10, "a"),
            far,
        ];
        assert_eq!(signals(&events), [(1_000, "rage")]);
        let mut other_page = click(1_950, 20, "a");
        other_page.path = "/q".into();
        let split = vec![click(1_000, 10, "a"), other_page, click(2_000, 10, "a")];
        assert!(signals(&split).is_empty(), "pages are separate bursts");
    }

    #[test]
    fn clicks_without_positions_burst_on_the_same_selector() {
        let bare = |ts, target: &str| EventRow {
            target: Some(target.into()),
            ..event("click", ts, "/p")
        };
        let events = [bare(0, "a"), bare(300, "a"), bare(600, "a"), bare(900, "b")];
        assert_eq!(signals(&events), [(0, "rage")]);
    }

    #[test]
    fn errors_belong_to_the_latest_click_within_the_window() {
        let error = |ts| EventRow {
            label: Some("TypeError".into()),
            ..event("error", ts, "/p")
        };
        let mut dead = click(5_000, 400, "div");
        dead.dead = Some(true);
        let events = vec![
            click(0, 10, "a"),
            click(100, 200, "b"),
            error(900),
            error(950),
            dead,
            error(6_001),
        ];
        assert_eq!(signals(&events), [(100, "error"), (5_000, "dead")]);
        assert_eq!(session_errors(&events).len(), 3);
    }

    #[test]
    fn a_quick_back_is_reported_on_the_page_left_at_once() {
        let events = vec![
            event("pageview", 0, "/a"),
            event("pageview", 1_000, "/b"),
            event("pageview", 5_500, "/a"),
            event("pageview", 9_000, "/c"),
            event("pageview", 20_000, "/a"),
        ];
        let m = session_moments(&events, &Thresholds::default());
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].ts_ms, m[0].path.as_str()), (5_500, "/b"));
        assert_eq!(m[0].signal, Signal::QuickBack);
    }
}
