//! Frustration signals: where visitors click in anger (rage), into nothing (dead), into a
//! failure (error), or come straight back from a page (quick back), and the JavaScript errors
//! they met. The plan, the per-site thresholds and the result.
//!
//! The signals are derived by the stores from the stored events at query time, not by the
//! tracker, so they hold for every ingest format (userBehaviour.js, the native API) and for
//! events stored before a threshold changed. Every store follows these rules (the conformance
//! suite checks that both give the same figures):
//!
//! - **Order.** A session's clicks are taken in time order; clicks of the same millisecond by
//!   `x`, then `y`, then selector, so both stores see one order.
//! - **Rage click.** Within one session and page (path), a click *continues* the previous
//!   click when it comes at most `rage_window_ms` after it and lies within `rage_radius_px`
//!   of it (distance between the two `(x, y)` viewport points, `sqrt(dx² + dy²) <= radius`;
//!   when either click has no coordinates, the same selector instead).
//!   A run of continuing clicks is a burst; a burst of at least `rage_clicks` clicks is **one**
//!   rage click, on the element, text and page of its first click, at its first click's time.
//! - **Dead click.** A click the tracker marked `dead` (docs/tracker.md, "Dead clicks").
//! - **Error click.** A JavaScript `error` event is attributed to the session's latest click
//!   at or before it (same millisecond counts) when that click is at most `error_window_ms`
//!   earlier. A click with at least one error attributed is an error click.
//! - **Quick back.** Of a session's pageviews in time order, three consecutive ones
//!   `A, B, A` with `A != B` where the third comes at most `quick_back_ms` after the second:
//!   a quick back from page `B`, counted on `B`.
//! - **Errors.** `error` events grouped by (message, source, line): how many, in how many
//!   sessions, first and last seen.
//!
//! The figures cover the events in the time range of the sessions that pass the filters; a
//! burst or a quick back counts in the range where its first click (its return pageview)
//! falls. The previous period is the range of the same length just before, with the same
//! filters.

use serde::{Deserialize, Serialize};

use super::{Filters, TimeRange};
use crate::model::SiteId;

/// The per-site thresholds of the derived signals (a site setting; these defaults unless an
/// admin changed them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Clicks a burst needs to be a rage click.
    pub rage_clicks: u32,
    /// The longest pause between two clicks of a burst.
    pub rage_window_ms: u32,
    /// The farthest two clicks of a burst may lie apart, in CSS pixels.
    pub rage_radius_px: u32,
    /// How long after a click an error still belongs to it.
    pub error_window_ms: u32,
    /// How soon a return to the previous page is a quick back.
    pub quick_back_ms: u32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            rage_clicks: 3,
            rage_window_ms: 1_000,
            rage_radius_px: 30,
            error_window_ms: 1_000,
            quick_back_ms: 5_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("{field} must be between {min} and {max}, got {got}")]
    OutOfRange {
        field: &'static str,
        min: u32,
        max: u32,
        got: u32,
    },
}

impl Thresholds {
    /// Checks that every threshold is in a range that makes sense: at least 2 clicks for a
    /// rage burst, windows up to a minute, a radius up to 1,000 px.
    pub fn validate(self) -> Result<Thresholds, ThresholdError> {
        let check = |field, got, min, max| {
            if (min..=max).contains(&got) {
                Ok(())
            } else {
                Err(ThresholdError::OutOfRange {
                    field,
                    min,
                    max,
                    got,
                })
            }
        };
        check("rage_clicks", self.rage_clicks, 2, 100)?;
        check("rage_window_ms", self.rage_window_ms, 1, 60_000)?;
        check("rage_radius_px", self.rage_radius_px, 0, 1_000)?;
        check("error_window_ms", self.error_window_ms, 0, 60_000)?;
        check("quick_back_ms", self.quick_back_ms, 1, 600_000)?;
        Ok(self)
    }
}

/// The kinds of frustration a session can show (the sessions filter `frustration=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Rage,
    Dead,
    Error,
    QuickBack,
}

impl Signal {
    pub const ALL: [Signal; 4] = [Signal::Rage, Signal::Dead, Signal::Error, Signal::QuickBack];
    pub const NAMES: &str = "rage, dead, error, quick_back";

    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Rage => "rage",
            Signal::Dead => "dead",
            Signal::Error => "error",
            Signal::QuickBack => "quick_back",
        }
    }

    pub fn parse(s: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrustrationPlan {
    pub site: SiteId,
    pub range: TimeRange,
    pub filters: Filters,
    pub thresholds: Thresholds,
    /// Rows per table.
    pub limit: u32,
}

impl FrustrationPlan {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    /// The range of the same length just before this one.
    pub fn previous_range(&self) -> TimeRange {
        let len = self.range.to_ms - self.range.from_ms;
        TimeRange {
            from_ms: self.range.from_ms - len,
            to_ms: self.range.from_ms,
        }
    }
}

/// The frustration report.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Frustration {
    /// The thresholds the figures were derived with.
    pub thresholds: Thresholds,
    /// Elements (page and selector) with at least one rage, dead or error click in the range:
    /// most frustrated clicks (rage + dead + error) first, then by page and selector.
    pub elements: Vec<FrustratedElement>,
    /// Pages visitors came quickly back from: most first, then by page.
    pub quick_backs: Vec<QuickBack>,
    /// JavaScript errors: most first, then by message, source and line.
    pub errors: Vec<ErrorRow>,
}

/// What one element (page and selector) saw in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct ElementSignals {
    pub clicks: u64,
    pub rage_clicks: u64,
    pub dead_clicks: u64,
    pub error_clicks: u64,
    /// Sessions with a rage, dead or error click on the element.
    pub sessions: u64,
}

impl ElementSignals {
    pub fn frustrated(&self) -> u64 {
        self.rage_clicks + self.dead_clicks + self.error_clicks
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrustratedElement {
    pub page: String,
    pub selector: String,
    /// The element's text (the smallest one seen), if the tracker sent it.
    pub text: Option<String>,
    #[serde(flatten)]
    pub current: ElementSignals,
    /// The same figures for the previous period.
    pub previous: ElementSignals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuickBack {
    /// The page visitors came back from.
    pub page: String,
    pub count: u64,
    /// Sessions with a quick back from the page.
    pub sessions: u64,
    pub previous: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorRow {
    pub message: String,
    pub source: Option<String>,
    pub line: Option<i32>,
    pub count: u64,
    pub sessions: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

/// One element's figures as a store counts them: page, selector, the smallest text seen, and
/// the signals.
pub type ElementCounts = (String, String, Option<String>, ElementSignals);

/// Element rows of both periods, matched by (page, selector), into the report's element
/// table: those with a frustrated click in the current period, ranked, at most `limit`.
pub fn rank_elements(
    current: Vec<ElementCounts>,
    previous: Vec<ElementCounts>,
    limit: u32,
) -> Vec<FrustratedElement> {
    let previous: std::collections::HashMap<(String, String), ElementSignals> = previous
        .into_iter()
        .map(|(page, selector, _, s)| ((page, selector), s))
        .collect();
    let mut rows: Vec<FrustratedElement> = current
        .into_iter()
        .filter(|(_, _, _, s)| s.frustrated() > 0)
        .map(|(page, selector, text, current)| {
            let key = (page, selector);
            let previous = previous.get(&key).copied().unwrap_or_default();
            let (page, selector) = key;
            FrustratedElement {
                page,
                selector,
                text,
                current,
                previous,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.current
            .frustrated()
            .cmp(&a.current.frustrated())
            .then_with(|| a.page.cmp(&b.page))
            .then_with(|| a.selector.cmp(&b.selector))
    });
    rows.truncate(limit as usize);
    rows
}

/// The report from a store's counts: `elements` and `backs` count one range (asked for the
/// plan's and the previous one), `errors` are the plan's range's.
pub fn assemble<E>(
    plan: &FrustrationPlan,
    elements: impl Fn(TimeRange) -> Result<Vec<ElementCounts>, E>,
    backs: impl Fn(TimeRange) -> Result<Vec<(String, u64, u64)>, E>,
    errors: Vec<ErrorRow>,
) -> Result<Frustration, E> {
    let previous = plan.previous_range();
    Ok(Frustration {
        thresholds: plan.thresholds,
        elements: rank_elements(elements(plan.range)?, elements(previous)?, plan.limit),
        quick_backs: rank_quick_backs(backs(plan.range)?, backs(previous)?, plan.limit),
        errors: rank_errors(errors, plan.limit),
    })
}

/// Quick-back counts of both periods (page, count, sessions) into the report's table.
pub fn rank_quick_backs(
    current: Vec<(String, u64, u64)>,
    previous: Vec<(String, u64, u64)>,
    limit: u32,
) -> Vec<QuickBack> {
    let previous: std::collections::HashMap<String, u64> =
        previous.into_iter().map(|(p, n, _)| (p, n)).collect();
    let mut rows: Vec<QuickBack> = current
        .into_iter()
        .filter(|(_, n, _)| *n > 0)
        .map(|(page, count, sessions)| QuickBack {
            previous: previous.get(&page).copied().unwrap_or(0),
            page,
            count,
            sessions,
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.page.cmp(&b.page)));
    rows.truncate(limit as usize);
    rows
}

/// Error rows in report order, at most `limit`.
pub fn rank_errors(mut rows: Vec<ErrorRow>, limit: u32) -> Vec<ErrorRow> {
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.message.cmp(&b.message))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.line.cmp(&b.line))
    });
    rows.truncate(limit as usize);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_default_and_validate() {
        let t = Thresholds::default();
        assert_eq!(
            (
                t.rage_clicks,
                t.rage_window_ms,
                t.rage_radius_px,
                t.error_window_ms,
                t.quick_back_ms
            ),
            (3, 1_000, 30, 1_000, 5_000)
        );
        assert_eq!(t.validate(), Ok(t));
        let bad = Thresholds {
            rage_clicks: 1,
            ..t
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "rage_clicks must be between 2 and 100, got 1"
        );
        // Partial JSON fills in defaults; unknown fields are refused.
        let partial: Thresholds = serde_json::from_str(r#"{"rage_clicks": 4}"#).unwrap();
        assert_eq!(partial.rage_clicks, 4);
        assert_eq!(partial.quick_back_ms, 5_000);
        assert!(serde_json::from_str::<Thresholds>(r#"{"rage": 4}"#).is_err());
    }

    #[test]
    fn signals_round_trip_through_their_names() {
        for s in Signal::ALL {
            assert_eq!(Signal::parse(s.as_str()), Some(s));
        }
        assert_eq!(Signal::parse("angry"), None);
    }

    #[test]
    fn elements_rank_by_frustrated_clicks_and_carry_the_previous_period() {
        let s = |rage, dead, error| ElementSignals {
            clicks: 10,
            rage_clicks: rage,
            dead_clicks: dead,
            error_clicks: error,
            sessions: 1,
        };
        let row = |page: &str, sel: &str, sig| (page.to_owned(), sel.to_owned(), None, sig);
        let ranked = rank_elements(
            vec![
                row("/a", "#calm", s(0, 0, 0)),
                row("/a", "#b", s(1, 0, 0)),
                row("/a", "#a", s(1, 0, 0)),
                row("/b", "#x", s(0, 2, 1)),
            ],
            vec![row("/a", "#a", s(5, 0, 0)), row("/z", "#gone", s(9, 9, 9))],
            10,
        );
        let order: Vec<(&str, &str)> = ranked
            .iter()
            .map(|r| (r.page.as_str(), r.selector.as_str()))
            .collect();
        assert_eq!(order, [("/b", "#x"), ("/a", "#a"), ("/a", "#b")]);
        assert_eq!(ranked[1].previous.rage_clicks, 5);
        assert_eq!(ranked[2].previous, ElementSignals::default());
        assert_eq!(rank_elements(ranked_input(), vec![], 1).len(), 1);
    }

    fn ranked_input() -> Vec<ElementCounts> {
        let one = ElementSignals {
            dead_clicks: 1,
            ..ElementSignals::default()
        };
        vec![
            ("/a".into(), "#a".into(), None, one),
            ("/a".into(), "#b".into(), None, one),
        ]
    }

    #[test]
    fn quick_backs_and_errors_rank_most_first() {
        let q = rank_quick_backs(
            vec![
                ("/b".into(), 2, 2),
                ("/a".into(), 2, 1),
                ("/c".into(), 5, 3),
            ],
            vec![("/a".into(), 7, 7)],
            10,
        );
        let pages: Vec<(&str, u64, u64)> = q
            .iter()
            .map(|r| (r.page.as_str(), r.count, r.previous))
            .collect();
        assert_eq!(pages, [("/c", 5, 0), ("/a", 2, 7), ("/b", 2, 0)]);
        let e = |m: &str, n| ErrorRow {
            message: m.into(),
            source: None,
            line: None,
            count: n,
            sessions: 1,
            first_seen_ms: 0,
            last_seen_ms: 0,
        };
        let errors = rank_errors(vec![e("b", 1), e("a", 1), e("c", 3)], 2);
        let messages: Vec<&str> = errors.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(messages, ["c", "a"]);
    }
}
