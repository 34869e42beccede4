//! Pages and interactions report: its plan and its result (per page: views, visitors, time on
//! page, scroll depth, top clicked elements, forms).
//!
//! Kept in its own module like the e-commerce report: the result nests click and form tables
//! inside each page row, and the few pure rules (averages, form rates, sort and limit parsing)
//! are tested here without a database.
//!
//! Counting rules every store must follow (a "page" is the `path` of pageview events; only
//! pages with at least one pageview in the range are listed):
//! - **Views** are pageviews; **visitors** are distinct visitors with a pageview of the page.
//! - **Time on page** of one pageview is the time until the session's next pageview (of any
//!   page), capped at [`MAX_TIME_ON_PAGE_MS`]. The session's last pageview has no next one:
//!   its time is that to the session's last event on the same path (capped too), and it counts
//!   only if there is such a later event; a last pageview with nothing after it has no time and
//!   is left out of the average. `avg_time_ms` is the sum over the timed pageviews divided by
//!   `timed_views`, rounded down. Engagement events are not used.
//! - **Scroll depth** of one pageview is the largest `depth` of the session's scroll events on
//!   the same path from that pageview up to (not including) the session's next pageview.
//!   `reached_25`..`reached_100` count pageviews whose depth is at least 25, 50, 75 and 100 %
//!   (cumulative: a pageview at 80 % counts in 25, 50 and 75). Pageviews without scroll events
//!   count in none; `views - reached_25` is the 0–25 % bucket.
//! - **Clicks**: click events on the page grouped by (selector, text), most clicks first, then by
//!   selector and text; at most [`MAX_PER_PAGE`] per page. `total_clicks` counts every click
//!   event on the page.
//! - **Forms**: form events on the page grouped by form name (`""`: an unnamed form), counted in
//!   sessions: **starts** are sessions with a `focus` on the form, **submits** sessions with a
//!   `submit`, **abandons** sessions with an explicit `abandon` or a `focus` but no `submit` on
//!   that form and page (a session that abandoned and later submitted counts as a submit only).
//!   Rates divide by starts (0 without starts; a submit without a focus, e.g. autofill and
//!   Enter, can make a rate exceed 1). Most starts first, then by name; at most
//!   [`MAX_PER_PAGE`] per page.

use serde::Serialize;

use super::ecommerce::rate;
use super::{Filters, PlanError, TimeRange};
use crate::model::SiteId;

/// The cap on one pageview's time on page (the session inactivity timeout).
pub const MAX_TIME_ON_PAGE_MS: i64 = 30 * 60 * 1000;

/// Clicked elements and forms listed per page.
pub const MAX_PER_PAGE: u32 = 10;

/// The order of the page list; each ends with the path so pages never tie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageSort {
    /// `-views`: most pageviews first.
    #[default]
    Views,
    /// `-visitors`: most unique visitors first, then most views.
    Visitors,
    /// `-time`: longest average time first (pages without a timed view last), then most views.
    Time,
    /// `path`: by path, ascending.
    Path,
}

impl PageSort {
    pub const NAMES: &str = "-views, -visitors, -time, path";

    pub fn parse(s: &str) -> Option<PageSort> {
        match s {
            "-views" => Some(PageSort::Views),
            "-visitors" => Some(PageSort::Visitors),
            "-time" => Some(PageSort::Time),
            "path" => Some(PageSort::Path),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesPlan {
    pub site: SiteId,
    pub range: TimeRange,
    pub filters: Filters,
    pub sort: PageSort,
    /// Pages per response.
    pub limit: u32,
    pub offset: u64,
}

impl PagesPlan {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    /// Validates the page limit (`None`: the default of 50).
    pub fn limit(limit: Option<&str>) -> Result<u32, PlanError> {
        super::parse_limit(limit, Self::DEFAULT_LIMIT, Self::MAX_LIMIT)
    }
}

/// One page of the page list.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Pages {
    /// Pages with a pageview in the range (after filters), over all result pages.
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
    pub pages: Vec<PageRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PageRow {
    pub path: String,
    /// Pageviews.
    pub views: u64,
    /// Distinct visitors with a pageview of the page.
    pub visitors: u64,
    /// Pageviews with a time on page (see the module doc).
    pub timed_views: u64,
    /// Average time on page of the timed pageviews, rounded down (`null` without any).
    pub avg_time_ms: Option<u64>,
    pub scroll: ScrollDepth,
    /// Click events on the page (all elements, not only the listed ones).
    pub total_clicks: u64,
    /// Top clicked elements, at most 10.
    pub clicks: Vec<ClickRow>,
    /// Forms, at most 10.
    pub forms: Vec<FormRow>,
}

/// Pageviews that scrolled at least so far (cumulative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct ScrollDepth {
    pub reached_25: u64,
    pub reached_50: u64,
    pub reached_75: u64,
    pub reached_100: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClickRow {
    /// The CSS selector of the clicked element.
    pub selector: String,
    /// The element's text, if sent.
    pub text: Option<String>,
    pub clicks: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormRow {
    /// The form's name or id (`""`: unnamed).
    pub form: String,
    /// Sessions with a focus on the form.
    pub starts: u64,
    /// Sessions with a submit of the form.
    pub submits: u64,
    /// Sessions with an abandon, or a focus, and no submit.
    pub abandons: u64,
    /// `submits / starts` (0 without starts).
    pub submit_rate: f64,
    /// `abandons / starts` (0 without starts).
    pub abandon_rate: f64,
}

impl FormRow {
    pub fn new(form: String, starts: u64, submits: u64, abandons: u64) -> FormRow {
        FormRow {
            form,
            starts,
            submits,
            abandons,
            submit_rate: rate(submits, starts),
            abandon_rate: rate(abandons, starts),
        }
    }
}

/// Average time on page in ms, rounded down; `None` without timed pageviews.
pub fn average_time_ms(total_ms: i64, timed_views: u64) -> Option<u64> {
    let total = u64::try_from(total_ms).unwrap_or(0);
    (timed_views > 0).then(|| total / timed_views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_and_limit_parse() {
        assert_eq!(PageSort::parse("-views"), Some(PageSort::Views));
        assert_eq!(PageSort::parse("-visitors"), Some(PageSort::Visitors));
        assert_eq!(PageSort::parse("-time"), Some(PageSort::Time));
        assert_eq!(PageSort::parse("path"), Some(PageSort::Path));
        assert_eq!(PageSort::parse("views"), None);
        assert_eq!(PageSort::default(), PageSort::Views);
        assert_eq!(PagesPlan::limit(None), Ok(50));
        assert_eq!(PagesPlan::limit(Some("500")), Ok(500));
        assert!(PagesPlan::limit(Some("501")).is_err());
        assert!(PagesPlan::limit(Some("0")).is_err());
        assert!(PagesPlan::limit(Some("-1")).is_err());
    }

    #[test]
    fn averages_round_down_and_form_rates_divide_by_starts() {
        assert_eq!(average_time_ms(10_001, 2), Some(5_000));
        assert_eq!(average_time_ms(0, 0), None);
        assert_eq!(average_time_ms(-5, 1), Some(0));
        let f = FormRow::new("signup".into(), 4, 1, 3);
        assert_eq!((f.submit_rate, f.abandon_rate), (0.25, 0.75));
        let f = FormRow::new(String::new(), 0, 1, 0);
        assert_eq!((f.submit_rate, f.abandon_rate), (0.0, 0.0));
    }
}
