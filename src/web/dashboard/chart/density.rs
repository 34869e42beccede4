//! The heatmap page's two drawings: the click or move density of one page and its scroll map,
//! as SVG in the page's own proportions.
//!
//! Bins come from `query::heatmap`: `x` in percent of the viewport width, `y` in document pixels
//! on a 16 px grid. The drawing maps 1 % to a fixed width and pixels by a reference viewport
//! width (the device's typical one), so a page reads at its real aspect ratio. Intensity is the
//! square root of a bin's share of the densest bin, in ten classes (`heat h1`..`heat h10`), so a
//! few hot spots do not hide everything else.

use std::fmt::Write as _;

use super::{C, Svg, W, escape, hline, no_data, open, rect, text};
use crate::query::heatmap::{Point, ScrollMap};

/// Pages taller than this many document pixels are cut here (the rows below are not drawn).
const MAX_PAGE_PX: i32 = 20_000;
const BIN_PX: i32 = 16;

/// View box units per document pixel, when pages are `reference_width` pixels wide.
fn scale(reference_width: u32) -> f64 {
    W / f64::from(reference_width.max(100))
}

/// The class of a bin holding `n` of a maximum `max`: `heat h1`..`heat h10`.
fn class(n: u64, max: u64) -> String {
    let share = n as f64 / max.max(1) as f64;
    let bucket = (share.sqrt() * 10.0).ceil().clamp(1.0, 10.0) as u8;
    format!("heat h{bucket}")
}

/// The density of `points` drawn over a page `reference_width` pixels wide. Points in fixed
/// or sticky elements are drawn where they sit in the viewport (they move with it) and say so.
pub fn density_map(id: &str, title: &str, points: &[Point], reference_width: u32) -> Svg {
    let shown: Vec<&Point> = points
        .iter()
        .filter(|p| p.n > 0 && (0..MAX_PAGE_PX).contains(&p.y))
        .collect();
    let Some(max) = shown.iter().map(|p| p.n).max() else {
        return no_data(id, "density", title);
    };
    let k = scale(reference_width);
    let bottom = shown.iter().map(|p| p.y).max().unwrap_or(0) + BIN_PX;
    let mut s = open(id, "density", title, W, f64::from(bottom) * k);
    rect(&mut s, "page", [0.0, 0.0, W, f64::from(bottom) * k], None);
    let bin_w = W / 100.0;
    for p in shown {
        let cell = [
            f64::from(p.x) * bin_w,
            f64::from(p.y) * k,
            bin_w,
            f64::from(BIN_PX) * k,
        ];
        let place = if p.fixed { ", in a fixed element" } else { "" };
        let tip = format!("{} at {}% × {} px{place}", p.n, p.x, p.y);
        rect(&mut s, &class(p.n, max), cell, Some(&escape(&tip)));
    }
    s.push_str("</svg>");
    Svg(s)
}

/// The scroll map: each 100 px band shaded by the share of page views that reached it, the
/// lines where 75, 50 and 25 % of views were still reading, and the median fold.
pub fn scroll_map(id: &str, title: &str, map: &ScrollMap, reference_width: u32) -> Svg {
    let bands: Vec<_> = map
        .bands
        .iter()
        .filter(|b| (0..MAX_PAGE_PX).contains(&b.y))
        .collect();
    if map.views == 0 || bands.is_empty() {
        return no_data(id, "scroll", title);
    }
    let k = scale(reference_width);
    let band_px = bands
        .windows(2)
        .map(|w| w[1].y - w[0].y)
        .find(|d| *d > 0)
        .unwrap_or(100);
    let bottom = bands.iter().map(|b| b.y).max().unwrap_or(0) + band_px;
    let mut s = open(id, "scroll", title, W, f64::from(bottom) * k);
    for b in &bands {
        let reached = b.reached.clamp(0.0, 1.0);
        let bucket = (reached * 10.0).round() as u8;
        let cell = [0.0, f64::from(b.y) * k, W, f64::from(band_px) * k];
        let tip = format!("{:.0}% of views reached {} px", reached * 100.0, b.y);
        rect(&mut s, &format!("heat h{bucket}"), cell, Some(&tip));
    }
    for line in [0.75, 0.5, 0.25] {
        // The first band fewer than `line` of the views reached.
        if let Some(b) = bands.iter().find(|b| b.reached < line) {
            let y = f64::from(b.y) * k;
            hline(&mut s, "reach", 0.0, W, y);
            let label = format!("{:.0}%", line * 100.0);
            text(&mut s, "tick", (W - 6.0, y - 4.0), "end", &label);
        }
    }
    if let Some(fold) = map.fold {
        let y = f64::from(fold) * k;
        hline(&mut s, "fold", 0.0, W, y);
        let _ = write!(
            s,
            r#"<text class="tick" x="6" y="{}" text-anchor="start">fold ({fold} px)</text>"#,
            C(y - 4.0)
        );
    }
    s.push_str("</svg>");
    Svg(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::heatmap::Band;

    fn point(x: u8, y: i32, n: u64) -> Point {
        Point {
            x,
            y,
            fixed: false,
            n,
        }
    }

    #[test]
    fn bins_are_placed_in_page_proportions_and_shaded_by_share() {
        let svg = density_map("d", "Clicks", &[point(50, 320, 4), point(0, 0, 1)], 1280).0;
        // 640 units for 1280 px: half a unit per pixel; 1 % is 6.4 units wide.
        assert!(svg.contains(r#"viewBox="0 0 640 168""#), "{svg}");
        assert!(svg.contains(r#"<rect class="heat h10" x="320" y="160" width="6.4" height="8">"#));
        assert!(svg.contains(r#"<rect class="heat h5" x="0" y="0" width="6.4" height="8">"#));
        assert!(!svg.contains("style"), "no inline styles (CSP)");
        assert!(density_map("d", "Clicks", &[], 1280).0.contains("No data"));
    }

    #[test]
    fn the_scroll_map_marks_the_reach_lines_and_the_fold() {
        let bands = [1.0, 0.8, 0.6, 0.4, 0.2]
            .iter()
            .enumerate()
            .map(|(i, r)| Band {
                y: i as i32 * 100,
                reached: *r,
            })
            .collect();
        let map = ScrollMap {
            views: 10,
            fold: Some(250),
            bands,
            depth: vec![],
        };
        let svg = scroll_map("s", "Scroll", &map, 640).0;
        assert!(svg.contains(r#"viewBox="0 0 640 500""#), "{svg}");
        assert!(svg.contains(r#"<rect class="heat h8" x="0" y="100" width="640" height="100">"#));
        // Each line sits on the first band fewer than that share of the views reached.
        assert!(svg.contains(r#"<line class="reach" x1="0" y1="200" x2="640" y2="200"/>"#));
        assert!(svg.contains(r#"<line class="reach" x1="0" y1="300" x2="640" y2="300"/>"#));
        assert!(svg.contains(r#"<line class="reach" x1="0" y1="400" x2="640" y2="400"/>"#));
        assert!(svg.contains(r#"<line class="fold" x1="0" y1="250" x2="640" y2="250"/>"#));
        assert!(svg.contains("fold (250 px)"));
    }
}
