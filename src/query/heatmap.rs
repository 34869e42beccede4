//! Heatmaps of one page: where visitors click and move (as page bins and per element), and how
//! far down they get (the scroll map). The plan, the result and the pure rules that turn the
//! stores' counts into shares.
//!
//! footfall records no page content, but it knows the element of every click and the click's
//! position inside that element's box, so a click map can follow a responsive layout: the
//! overlay draws each element's clicks inside wherever the element is now. Counting rules every
//! store follows (the conformance suite checks both give the same figures):
//!
//! - **Which events.** Events of the plan's page (`path`) in the range, of the sessions that pass
//!   the filters. With a device or width bound, only events whose viewport width is known and
//!   in bounds (mobile: under 768 px, tablet: 768 to 1,023, desktop: 1,024 and wider).
//! - **Points** (`type=click|move`): clicks or moves with a known viewport width, binned by
//!   `x` as a percentage of the viewport width (`floor(100 * x / width)`, clamped to 0..=99)
//!   and `y` on a 16 px grid (`16 * floor(y / 16)`), where `y` is the document coordinate
//!   (`page_y`, else the viewport `y`), except for clicks in a fixed or sticky element, whose
//!   `y` stays the viewport's (`fixed: true`). Events without a viewport width (the
//!   userBehaviour.js format sends none) count in the element table only.
//! - **Elements** (`type=click`): clicks by selector (the element table counts them whatever
//!   the viewport), with distinct visitors, the rage, dead and error clicks of
//!   `query::frustration` (rage by the burst's first click), the smallest text seen, and a
//!   10 x 10 grid of the positions inside the element (`min(9, floor(offset / 100))` on each
//!   axis) for clicks that carry one. Most clicks first, then by selector; at most
//!   [`MAX_ELEMENTS`].
//! - **Scroll map** (`type=scroll`): a page view is a session's visit of the page (one per
//!   session and path). Its viewport height (the fold) is that of its first `resize` or `scroll`
//!   event that has one (footfall.js reports the viewport at load); views with neither are
//!   left out. A view *reaches* the deepest `scroll` `y + viewport height` it had, at least
//!   its fold. `bands[i].reached` is the share of views whose reach is beyond `100 * i` px
//!   (up to the deepest band any view reached, at most [`MAX_BANDS`]); `depth` the share whose
//!   deepest `depth` is at least each 5 %; `fold` the lower median of the folds.

use serde::Serialize;

use super::frustration::Thresholds;
use super::{Filters, TimeRange};
use crate::model::SiteId;

/// Elements listed in a click map.
pub const MAX_ELEMENTS: usize = 200;
/// 100 px bands of the scroll map: 20,000 px of document.
pub const MAX_BANDS: usize = 200;
/// The grid inside an element: this many cells on each axis.
pub const GRID: u16 = 10;
/// The page grid's row height in document pixels.
pub const ROW_PX: i32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapKind {
    Click,
    Move,
    Scroll,
}

impl HeatmapKind {
    pub const NAMES: &str = "click, move, scroll";

    pub fn parse(s: &str) -> Option<HeatmapKind> {
        match s {
            "click" => Some(HeatmapKind::Click),
            "move" => Some(HeatmapKind::Move),
            "scroll" => Some(HeatmapKind::Scroll),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HeatmapKind::Click => "click",
            HeatmapKind::Move => "move",
            HeatmapKind::Scroll => "scroll",
        }
    }
}

/// Devices as heatmaps tell them apart: by the viewport's width, not the user agent, because
/// the layout follows the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewportClass {
    Mobile,
    Tablet,
    Desktop,
}

impl ViewportClass {
    pub const NAMES: &str = "mobile, tablet, desktop";
    pub const ALL: [ViewportClass; 3] = [
        ViewportClass::Mobile,
        ViewportClass::Tablet,
        ViewportClass::Desktop,
    ];

    pub fn parse(s: &str) -> Option<ViewportClass> {
        ViewportClass::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ViewportClass::Mobile => "mobile",
            ViewportClass::Tablet => "tablet",
            ViewportClass::Desktop => "desktop",
        }
    }

    /// The widths of the class, inclusive.
    pub fn widths(self) -> WidthRange {
        match self {
            ViewportClass::Mobile => WidthRange {
                min: None,
                max: Some(767),
            },
            ViewportClass::Tablet => WidthRange {
                min: Some(768),
                max: Some(1023),
            },
            ViewportClass::Desktop => WidthRange {
                min: Some(1024),
                max: None,
            },
        }
    }
}

/// Viewport widths in CSS pixels, both bounds inclusive; no bound at all takes every event,
/// those without a known width too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WidthRange {
    pub min: Option<i32>,
    pub max: Option<i32>,
}

impl WidthRange {
    pub fn is_bounded(self) -> bool {
        self.min.is_some() || self.max.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatmapPlan {
    pub site: SiteId,
    pub range: TimeRange,
    pub filters: Filters,
    pub path: String,
    pub kind: HeatmapKind,
    /// The device asked for, if any (its widths are in `widths`).
    pub device: Option<ViewportClass>,
    pub widths: WidthRange,
    /// For the element table's rage and error clicks.
    pub thresholds: Thresholds,
}

/// One bin of the page grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Point {
    /// Percent of the viewport width, 0..=99 (the bin's left edge).
    pub x: u8,
    /// Document pixels, a multiple of 16 (viewport pixels when `fixed`).
    pub y: i32,
    pub fixed: bool,
    pub n: u64,
}

/// One cell of an element's 10 x 10 grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Cell {
    pub x: u8,
    pub y: u8,
    pub n: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeatElement {
    pub selector: String,
    pub text: Option<String>,
    pub clicks: u64,
    pub visitors: u64,
    pub rage: u64,
    pub dead: u64,
    pub error: u64,
    /// Where inside the element (clicks that carry a position), sparse.
    pub grid: Vec<Cell>,
    /// The element's clicks as page bins, for an overlay that cannot find the element.
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    /// The band's top, in document pixels.
    pub y: i32,
    pub reached: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DepthShare {
    pub pct: u8,
    pub reached: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScrollMap {
    /// Page views with a known viewport.
    pub views: u64,
    /// The lower median viewport height, `null` without views.
    pub fold: Option<i32>,
    pub bands: Vec<Band>,
    pub depth: Vec<DepthShare>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heatmap {
    pub path: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub device: Option<&'static str>,
    pub min_width: Option<i32>,
    pub max_width: Option<i32>,
    /// Events counted in `points` (clicks or moves with a viewport width).
    pub total: u64,
    pub points: Vec<Point>,
    pub elements: Vec<HeatElement>,
    pub scroll: Option<ScrollMap>,
    pub thresholds: Thresholds,
}

impl Heatmap {
    /// An empty heatmap for the plan (the stores fill in what they count).
    pub fn empty(plan: &HeatmapPlan) -> Heatmap {
        Heatmap {
            path: plan.path.clone(),
            kind: plan.kind.as_str(),
            device: plan.device.map(ViewportClass::as_str),
            min_width: plan.widths.min,
            max_width: plan.widths.max,
            total: 0,
            points: Vec::new(),
            elements: Vec::new(),
            scroll: None,
            thresholds: plan.thresholds,
        }
    }
}

impl Heatmap {
    /// Adds a click map's page bins, as a store counts them per (selector, bin): summed into
    /// `points` and `total`, and kept on the listed elements.
    pub fn add_click_bins(&mut self, bins: impl IntoIterator<Item = (String, Point)>) {
        let index = self.element_index();
        let mut page: std::collections::HashMap<(u8, i32, bool), u64> = Default::default();
        for (selector, point) in bins {
            *page.entry((point.x, point.y, point.fixed)).or_default() += point.n;
            self.total += point.n;
            if let Some(&i) = index.get(&selector) {
                self.elements[i].points.push(point);
            }
        }
        self.points = page
            .into_iter()
            .map(|((x, y, fixed), n)| Point { x, y, fixed, n })
            .collect();
        self.points.sort();
        for e in &mut self.elements {
            e.points.sort();
        }
    }

    /// Adds the cells of the listed elements' grids, as a store counts them per (selector, cell).
    pub fn add_cells(&mut self, cells: impl IntoIterator<Item = (String, Cell)>) {
        let index = self.element_index();
        for (selector, cell) in cells {
            if let Some(&i) = index.get(&selector) {
                self.elements[i].grid.push(cell);
            }
        }
        for e in &mut self.elements {
            e.grid.sort();
        }
    }

    fn element_index(&self) -> std::collections::HashMap<String, usize> {
        self.elements
            .iter()
            .enumerate()
            .map(|(i, e)| (e.selector.clone(), i))
            .collect()
    }
}

/// The counts a store gathers for a scroll map: views per 100 px band of their reach
/// (`floor((reach - 1) / 100)`, reach at least 1), per 5 % step of their depth
/// (`floor(depth / 5)`, views without a depth in none), and per fold height.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrollCounts {
    pub views: u64,
    pub by_reach_band: Vec<(i64, u64)>,
    pub by_depth_step: Vec<(i64, u64)>,
    pub by_fold: Vec<(i32, u64)>,
}

impl ScrollCounts {
    /// The table a store's row counts for: views per reach band.
    pub const REACH: i64 = 0;
    /// Views per depth step.
    pub const DEPTH: i64 = 1;
    /// Views per fold height (their sum is `views`).
    pub const FOLD: i64 = 2;

    /// Adds one row of a store's counts: `n` views with `key` in `table`.
    pub fn add(&mut self, table: i64, key: i64, n: u64) {
        match table {
            Self::REACH => self.by_reach_band.push((key, n)),
            Self::DEPTH => self.by_depth_step.push((key, n)),
            _ => {
                self.views += n;
                self.by_fold
                    .push((key.clamp(0, i64::from(i32::MAX)) as i32, n));
            }
        }
    }

    /// The shares: a view whose reach falls in band `b` reached bands `0..=b`.
    pub fn into_map(self) -> ScrollMap {
        let views = self.views;
        let share = |n: u64| {
            if views == 0 {
                0.0
            } else {
                n as f64 / views as f64
            }
        };
        let deepest = self
            .by_reach_band
            .iter()
            .map(|(b, _)| *b)
            .max()
            .map_or(0, |b| (b.max(0) as usize + 1).min(MAX_BANDS));
        let mut bands = Vec::with_capacity(deepest);
        for band in 0..deepest {
            let reached: u64 = self
                .by_reach_band
                .iter()
                .filter(|(b, _)| *b >= band as i64)
                .map(|(_, n)| n)
                .sum();
            bands.push(Band {
                y: band as i32 * 100,
                reached: share(reached),
            });
        }
        let depth = (1..=20u8)
            .map(|step| DepthShare {
                pct: step * 5,
                reached: share(
                    self.by_depth_step
                        .iter()
                        .filter(|(s, _)| *s >= i64::from(step))
                        .map(|(_, n)| n)
                        .sum(),
                ),
            })
            .collect();
        ScrollMap {
            views,
            fold: lower_median(self.by_fold),
            bands,
            depth,
        }
    }
}

/// The lower median of values given with their counts: the value at position
/// `(n - 1) / 2` of the sorted list.
pub fn lower_median(mut counts: Vec<(i32, u64)>) -> Option<i32> {
    counts.sort();
    let n: u64 = counts.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return None;
    }
    let mut position = (n - 1) / 2;
    for (value, count) in counts {
        if position < count {
            return Some(value);
        }
        position -= count;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_devices_parse() {
        for k in ["click", "move", "scroll"] {
            assert_eq!(HeatmapKind::parse(k).map(HeatmapKind::as_str), Some(k));
        }
        assert_eq!(HeatmapKind::parse("clicks"), None);
        for c in ViewportClass::ALL {
            assert_eq!(ViewportClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(ViewportClass::Mobile.widths().max, Some(767));
        assert_eq!(ViewportClass::Tablet.widths().min, Some(768));
        assert_eq!(ViewportClass::Desktop.widths().min, Some(1024));
        assert!(!WidthRange::default().is_bounded());
    }

    #[test]
    fn scroll_shares_are_cumulative_from_the_top() {
        // Four views: reaching 250 px (band 2), 100 px (band 0), 1000 px (band 9) twice.
        let counts = ScrollCounts {
            views: 4,
            by_reach_band: vec![(2, 1), (0, 1), (9, 2)],
            by_depth_step: vec![(20, 2), (10, 1)],
            by_fold: vec![(800, 2), (600, 1), (900, 1)],
        };
        let map = counts.into_map();
        assert_eq!(map.views, 4);
        assert_eq!(map.bands.len(), 10);
        assert_eq!(map.bands[0], Band { y: 0, reached: 1.0 });
        assert_eq!(map.bands[1].reached, 0.75);
        assert_eq!(map.bands[2].reached, 0.75);
        assert_eq!(
            map.bands[3],
            Band {
                y: 300,
                reached: 0.5
            }
        );
        assert_eq!(map.bands[9].reached, 0.5);
        assert_eq!(map.depth.len(), 20);
        assert_eq!(
            map.depth[0],
            DepthShare {
                pct: 5,
                reached: 0.75
            }
        );
        assert_eq!(map.depth[9].reached, 0.75);
        assert_eq!(map.depth[10].reached, 0.5);
        assert_eq!(
            map.depth[19],
            DepthShare {
                pct: 100,
                reached: 0.5
            }
        );
        // Folds 600, 800, 800, 900: the lower median is the second.
        assert_eq!(map.fold, Some(800));
        let empty = ScrollCounts::default().into_map();
        assert_eq!((empty.views, empty.fold, empty.bands.len()), (0, None, 0));
    }

    #[test]
    fn lower_median_takes_the_lower_middle() {
        assert_eq!(lower_median(vec![(5, 1)]), Some(5));
        assert_eq!(lower_median(vec![(9, 1), (1, 1)]), Some(1));
        assert_eq!(lower_median(vec![(1, 1), (2, 1), (3, 1)]), Some(2));
        assert_eq!(lower_median(vec![(1, 0)]), None);
    }

    #[test]
    fn bands_stop_at_the_cap() {
        let map = ScrollCounts {
            views: 1,
            by_reach_band: vec![(10_000, 1)],
            ..ScrollCounts::default()
        }
        .into_map();
        assert_eq!(map.bands.len(), MAX_BANDS);
    }
}
