//! Server-side SVG charts for the dashboard.
//!
//! Charts are drawn here, on the server, as plain SVG markup: the dashboard needs no front-end
//! build and loads no third-party JavaScript. Every label (page paths, referrers, event names,
//! funnel steps) came from a tracker and is untrusted, so every text written into the markup goes
//! through [`escape`]. No element carries a `style` attribute and no `<style>` element is emitted:
//! the strict CSP (`style-src 'self'`) forbids inline styles, and colours come from CSS classes
//! (`s0`, `bar`, `h0`..`h10`, ...) defined in the dashboard stylesheet, so light and dark mode
//! both read well. Text equivalents (tables) are rendered elsewhere; this module only draws.

mod density;

use std::cmp::Ordering;
use std::fmt::{self, Write as _};

pub use self::density::{density_map, scroll_map};

/// Chart markup, safe to embed with askama's `|safe` filter: all text inside was escaped.
#[derive(Debug, Clone)]
pub struct Svg(pub String);

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of a [`line_chart`]: its name (shown as a tooltip) and one value per x label.
#[derive(Debug, Clone, Copy)]
pub struct LineSeries<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
}

/// Width of every chart's view box; heights depend on the chart.
const W: f64 = 640.0;

/// A coordinate written with at most one decimal ("12", "12.5"); NaN and infinities as 0.
struct C(f64);

impl fmt::Display for C {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `+ 0.0` turns a negative zero into a plain zero ("-0" would be noise).
        let v = (finite(self.0) * 10.0).round() / 10.0 + 0.0;
        if v.fract() == 0.0 {
            write!(f, "{v:.0}")
        } else {
            write!(f, "{v:.1}")
        }
    }
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// Escapes text for SVG/HTML content and attribute values; drops ASCII control characters.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_ascii_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Shortens `s` to at most `max` chars, ending with "…" when cut. Escape the result afterwards.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// `x` with one decimal, without a trailing ".0".
fn one_decimal(x: f64) -> String {
    let s = format!("{x:.1}");
    match s.strip_suffix(".0") {
        Some(t) => t.to_owned(),
        None => s,
    }
}

/// Compact number: "0", "999", "2.5", "1.2k", "12.3k", "1.2M", "3B"; non-finite as "–".
pub fn compact(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    let a = v.abs();
    let body = if a < 999.5 {
        if a.fract() == 0.0 || a >= 10.0 {
            format!("{a:.0}")
        } else {
            one_decimal(a)
        }
    } else if a < 999_950.0 {
        format!("{}k", one_decimal(a / 1e3))
    } else if a < 999_950_000.0 {
        format!("{}M", one_decimal(a / 1e6))
    } else {
        format!("{}B", one_decimal(a / 1e9))
    };
    if v < 0.0 && body != "0" {
        format!("-{body}")
    } else {
        body
    }
}

/// Smallest 1, 2, 2.5 or 5 × 10^k that is at least `v`; 1 for zero, negative or non-finite.
fn nice_max(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let exp = 10f64.powf(v.log10().floor());
    let f = v / exp;
    let step = [1.0, 2.0, 2.5, 5.0]
        .into_iter()
        .find(|&s| f <= s * (1.0 + 1e-9))
        .unwrap_or(10.0);
    step * exp
}

/// The root element and its title; the caller appends the body and `</svg>`.
fn open(id: &str, kind: &str, title: &str, width: f64, height: f64) -> String {
    let id = escape(id);
    format!(
        r#"<svg class="chart chart-{kind}" viewBox="0 0 {w} {h}" preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-t"><title id="{id}-t">{t}</title>"#,
        w = C(width),
        h = C(height),
        t = escape(title),
    )
}

fn no_data(id: &str, kind: &str, title: &str) -> Svg {
    let mut s = open(id, kind, title, W, 48.0);
    s.push_str(r#"<text class="tick" x="320" y="28" text-anchor="middle">No data</text></svg>"#);
    Svg(s)
}

/// Appends a text element; `body` must already be escaped.
fn text(s: &mut String, class: &str, (x, y): (f64, f64), anchor: &str, body: &str) {
    let _ = write!(
        s,
        r#"<text class="{class}" x="{}" y="{}" text-anchor="{anchor}">{body}</text>"#,
        C(x),
        C(y)
    );
}

/// Appends a rect at `[x, y, width, height]`, with a tooltip when `tip` (escaped) is given.
fn rect(s: &mut String, class: &str, [x, y, w, h]: [f64; 4], tip: Option<&str>) {
    let _ = write!(
        s,
        r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}""#,
        C(x),
        C(y),
        C(w.max(0.0)),
        C(h)
    );
    match tip {
        Some(t) => {
            let _ = write!(s, "><title>{t}</title></rect>");
        }
        None => s.push_str("/>"),
    }
}

/// Appends a horizontal line from `x1` to `x2` at `y`.
fn hline(s: &mut String, class: &str, x1: f64, x2: f64, y: f64) {
    let (x1, x2, y) = (C(x1), C(x2), C(y));
    let _ = write!(
        s,
        r#"<line class="{class}" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>"#
    );
}

/// Line chart over `labels` (one per point, at most ~8 shown). Series 0 is drawn with class
/// `s0` over an `area0` fill, series 1 (the comparison period) with `s1`; further series are
/// ignored. A series longer than the labels is cut; a shorter one stops early. The y axis runs
/// from 0 to a nice maximum with 4 grid lines.
pub fn line_chart(id: &str, title: &str, labels: &[String], series: &[LineSeries<'_>]) -> Svg {
    const H: f64 = 240.0;
    const L: f64 = 48.0;
    const R: f64 = 32.0;
    const T: f64 = 12.0;
    const B: f64 = 28.0;
    let series = &series[..series.len().min(2)];
    let n = if labels.is_empty() {
        series.iter().map(|s| s.values.len()).max().unwrap_or(0)
    } else {
        labels.len()
    };
    if n == 0 || series.iter().all(|s| s.values.is_empty()) {
        return no_data(id, "line", title);
    }
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().take(n))
        .map(|&v| finite(v))
        .fold(0.0, f64::max);
    let max = nice_max(top);
    let (pw, ph) = (W - L - R, H - T - B);
    let base = T + ph;
    let x = |i: usize| {
        if n == 1 {
            L + pw / 2.0
        } else {
            L + pw * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| base - ph * (finite(v).max(0.0) / max).min(1.0);

    let mut s = open(id, "line", title, W, H);
    for i in 0_u8..=4 {
        let v = max * f64::from(i) / 4.0;
        if i > 0 {
            hline(&mut s, "grid", L, W - R, y(v));
        }
        text(&mut s, "tick", (L - 6.0, y(v) + 4.0), "end", &compact(v));
    }
    hline(&mut s, "axis", L, W - R, base);
    let step = n.div_ceil(8).max(1);
    for (i, label) in labels.iter().enumerate().take(n).step_by(step) {
        let body = escape(&truncate(label, 16));
        text(&mut s, "tick", (x(i), H - 8.0), "middle", &body);
    }

    let points = |values: &[f64]| {
        let mut p = String::new();
        for (i, &v) in values.iter().enumerate().take(n) {
            if i > 0 {
                p.push(' ');
            }
            let _ = write!(p, "{},{}", C(x(i)), C(y(v)));
        }
        p
    };
    if let Some(first) = series.first() {
        let m = first.values.len().min(n);
        if m >= 2 {
            let (x0, xm, b) = (C(x(0)), C(x(m - 1)), C(base));
            let pts = points(first.values);
            let _ = write!(
                s,
                r#"<path class="area0" d="M{x0},{b} L{pts} {xm},{b} Z"/>"#
            );
        }
    }
    // Comparison first, so the current period is drawn on top of it.
    for (k, ser) in series.iter().enumerate().rev() {
        let name = escape(ser.name);
        match ser.values.len().min(n) {
            0 => {}
            1 => {
                let (cx, cy) = (C(x(0)), C(y(ser.values[0])));
                let _ = write!(
                    s,
                    r#"<circle class="s{k}" cx="{cx}" cy="{cy}" r="3"><title>{name}</title></circle>"#
                );
            }
            _ => {
                let pts = points(ser.values);
                let _ = write!(
                    s,
                    r#"<polyline class="s{k}" points="{pts}"><title>{name}</title></polyline>"#
                );
            }
        }
    }
    s.push_str("</svg>");
    Svg(s)
}

/// Horizontal bars, one row per (label, value), scaled to the largest value.
pub fn bar_chart(id: &str, title: &str, rows: &[(String, f64)]) -> Svg {
    const ROW: f64 = 24.0;
    const LABEL_W: f64 = 196.0;
    const VALUE_W: f64 = 56.0;
    if rows.is_empty() {
        return no_data(id, "bar", title);
    }
    let max = rows.iter().map(|(_, v)| finite(*v)).fold(0.0, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let full = W - LABEL_W - VALUE_W;
    let mut s = open(id, "bar", title, W, rows.len() as f64 * ROW + 8.0);
    for (i, (label, value)) in rows.iter().enumerate() {
        let value = finite(*value);
        let top = 4.0 + i as f64 * ROW;
        let len = full * (value.max(0.0) / max).min(1.0);
        let text_y = top + ROW / 2.0 + 4.0;
        let shown = compact(value);
        let short = escape(&truncate(label, 28));
        text(&mut s, "bar-label", (4.0, text_y), "start", &short);
        let tip = format!("{}: {shown}", escape(label));
        rect(
            &mut s,
            "bar",
            [LABEL_W, top + 4.0, len, ROW - 8.0],
            Some(&tip),
        );
        text(
            &mut s,
            "bar-value",
            (LABEL_W + len + 6.0, text_y),
            "start",
            &shown,
        );
    }
    s.push_str("</svg>");
    Svg(s)
}

/// `part` as a percentage of `whole` with one decimal ("41.2%"); 0 when `whole` is 0.
fn percent(part: u64, whole: u64) -> String {
    let p = if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64 * 100.0
    };
    format!("{p:.1}%")
}

/// Change from `prev` to `cur`: "−120 (−22.6%)", "+5 (+2.0%)", "0 (0.0%)".
fn change(cur: u64, prev: u64) -> String {
    let (sign, diff) = match cur.cmp(&prev) {
        Ordering::Less => ("−", prev - cur),
        Ordering::Greater => ("+", cur - prev),
        Ordering::Equal => ("", 0),
    };
    let abs = compact(diff as f64);
    if prev == 0 {
        format!("{sign}{abs}")
    } else {
        format!("{sign}{abs} ({sign}{})", percent(diff, prev))
    }
}

/// Funnel: one bar per (step, sessions) scaled to the first step; later steps show their share
/// of the first step and the change from the previous one, with the lost part as `funnel-drop`.
pub fn funnel(id: &str, title: &str, steps: &[(String, u64)]) -> Svg {
    const ROW: f64 = 44.0;
    const PAD: f64 = 4.0;
    let Some(&(_, first)) = steps.first() else {
        return no_data(id, "funnel", title);
    };
    let scale = if first > 0 {
        first
    } else {
        steps.iter().map(|s| s.1).max().unwrap_or(0).max(1)
    };
    let full = W - 2.0 * PAD;
    let width = |c: u64| full * (c as f64 / scale as f64).min(1.0);
    let mut s = open(id, "funnel", title, W, steps.len() as f64 * ROW + 4.0);
    let mut prev: Option<u64> = None;
    for (i, (label, count)) in steps.iter().enumerate() {
        let count = *count;
        let top = 4.0 + i as f64 * ROW;
        let mut info = compact(count as f64);
        if let Some(p) = prev {
            let (share, delta) = (percent(count, first), change(count, p));
            let _ = write!(info, " · {share} of first · {delta}");
        }
        let short = escape(&truncate(label, 40));
        text(&mut s, "bar-label", (PAD, top + 12.0), "start", &short);
        text(
            &mut s,
            "bar-value",
            (W - PAD, top + 12.0),
            "end",
            &escape(&info),
        );
        let len = width(count);
        rect(&mut s, "funnel-step", [PAD, top + 18.0, len, 18.0], None);
        if let Some(p) = prev
            && p > count
        {
            let lost = [PAD + len, top + 24.0, width(p) - len, 6.0];
            rect(&mut s, "funnel-drop", lost, None);
        }
        prev = Some(count);
    }
    s.push_str("</svg>");
    Svg(s)
}

/// Retention heat grid: one row per cohort, one column per week offset; a cell is a share in
/// 0..=1 (class `heat hN`, N = round(share × 10)) or None when not yet observable
/// (`heat heat-empty`). Rows shorter than the widest row get empty cells.
pub fn heat_grid(
    id: &str,
    title: &str,
    col_labels: &[String],
    rows: &[(String, Vec<Option<f64>>)],
) -> Svg {
    const LABEL_W: f64 = 150.0;
    const CW: f64 = 44.0;
    const CH: f64 = 24.0;
    const HEAD: f64 = 24.0;
    let widest = rows.iter().map(|(_, cells)| cells.len()).max();
    let ncols = widest.unwrap_or(0).max(col_labels.len());
    if rows.is_empty() || ncols == 0 {
        return no_data(id, "heat", title);
    }
    let width = LABEL_W + ncols as f64 * CW + 4.0;
    let height = HEAD + rows.len() as f64 * CH + 4.0;
    let mut s = open(id, "heat", title, width, height);
    for (j, label) in col_labels.iter().enumerate() {
        let at = (LABEL_W + j as f64 * CW + CW / 2.0, HEAD - 8.0);
        text(&mut s, "tick", at, "middle", &escape(&truncate(label, 8)));
    }
    for (r, (label, cells)) in rows.iter().enumerate() {
        let top = HEAD + r as f64 * CH;
        let text_y = top + CH / 2.0 + 4.0;
        let short = escape(&truncate(label, 24));
        text(&mut s, "tick", (LABEL_W - 6.0, text_y), "end", &short);
        for j in 0..ncols {
            let x = LABEL_W + j as f64 * CW;
            let cell = [x + 1.0, top + 1.0, CW - 2.0, CH - 2.0];
            let Some(v) = cells.get(j).copied().flatten() else {
                rect(&mut s, "heat heat-empty", cell, None);
                continue;
            };
            let v = finite(v).clamp(0.0, 1.0) + 0.0;
            let pct = format!("{:.0}%", v * 100.0);
            let col = match col_labels.get(j) {
                Some(c) => escape(c),
                None => format!("+{j}"),
            };
            let bucket = (v * 10.0).round() as u8;
            let class = format!("heat h{bucket}");
            let tip = format!("{} · {col}: {pct}", escape(label));
            rect(&mut s, &class, cell, Some(&tip));
            // Light text on the darker half of the scale, dark text on the lighter half.
            let text_class = if bucket >= 6 {
                "heat-text on-dark"
            } else {
                "heat-text"
            };
            text(&mut s, text_class, (x + CW / 2.0, text_y), "middle", &pct);
        }
    }
    s.push_str("</svg>");
    Svg(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script>\" onload=\"x";

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    fn ser<'a>(name: &'a str, values: &'a [f64]) -> LineSeries<'a> {
        LineSeries { name, values }
    }

    /// Every chart kind, with `label` as id, title and every label.
    fn all_charts(label: &str, values: &[f64]) -> Vec<String> {
        let labels = vec![label.to_owned(); values.len()];
        let series = [ser(label, values), ser(label, values)];
        let bars: Vec<(String, f64)> = values.iter().map(|&v| (label.to_owned(), v)).collect();
        let cells: Vec<Option<f64>> = values.iter().map(|&v| Some(v)).collect();
        vec![
            line_chart(label, label, &labels, &series).0,
            bar_chart(label, label, &bars).0,
            funnel(
                label,
                label,
                &[(label.to_owned(), 10), (label.to_owned(), 4)],
            )
            .0,
            heat_grid(label, label, &labels, &[(label.to_owned(), cells)]).0,
        ]
    }

    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg class=\"chart chart-"), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert_eq!(svg.matches('<').count(), svg.matches('>').count(), "{svg}");
        assert!(!svg.contains("style"), "{svg}");
    }

    #[test]
    fn escape_replaces_markup_and_drops_controls() {
        assert_eq!(
            escape("a&b<c>\"d'e\u{7}\nf"),
            "a&amp;b&lt;c&gt;&quot;d&#39;ef"
        );
        assert_eq!(escape("é·—"), "é·—");
    }

    #[test]
    fn hostile_labels_are_escaped_everywhere() {
        for svg in all_charts(HOSTILE, &[1.0, 2.0, 0.5]) {
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.contains("onload=\""), "{svg}");
            assert!(svg.contains("&lt;script&gt;"), "{svg}");
            assert!(svg.contains(r#"aria-labelledby="&lt;script"#), "{svg}");
            assert_well_formed(&svg);
        }
    }

    #[test]
    fn truncation_counts_chars() {
        assert_eq!(truncate("ééééé", 5), "ééééé");
        assert_eq!(truncate("éééééé", 5), "éééé…");
        let out = bar_chart("b", "t", &[("x".repeat(40), 1.0)]).0;
        assert!(out.contains(&format!(">{}…<", "x".repeat(27))), "{out}");
    }

    #[test]
    fn compact_formats() {
        let cases = [
            (0.0, "0"),
            (999.0, "999"),
            (1000.0, "1k"),
            (1234.0, "1.2k"),
            (12_345.0, "12.3k"),
            (999_700.0, "999.7k"),
            (999_960.0, "1M"),
            (1_234_567.0, "1.2M"),
            (3_000_000_000.0, "3B"),
            (2.5, "2.5"),
            (0.3, "0.3"),
            (12.7, "13"),
            (-1234.0, "-1.2k"),
            (-7.0, "-7"),
            (-0.01, "0"),
            (f64::NAN, "–"),
            (f64::INFINITY, "–"),
        ];
        for (v, want) in cases {
            assert_eq!(compact(v), want, "compact({v})");
        }
    }

    #[test]
    fn coordinates_have_at_most_one_decimal() {
        assert_eq!(C(12.0).to_string(), "12");
        assert_eq!(C(12.34).to_string(), "12.3");
        assert_eq!(C(-0.01).to_string(), "0");
        assert_eq!(C(f64::NAN).to_string(), "0");
    }

    #[test]
    fn nice_max_rounds_up() {
        let cases = [
            (0.0, 1.0),
            (-3.0, 1.0),
            (f64::NAN, 1.0),
            (1.0, 1.0),
            (1.5, 2.0),
            (2.2, 2.5),
            (3.0, 5.0),
            (7.0, 10.0),
            (120.0, 200.0),
            (1000.0, 1000.0),
            (0.3, 0.5),
        ];
        for (v, want) in cases {
            assert!(
                (nice_max(v) - want).abs() < 1e-9,
                "nice_max({v}) = {}",
                nice_max(v)
            );
        }
    }

    #[test]
    fn line_chart_draws_both_series() {
        let labels = strings(&["Mon", "Tue", "Wed"]);
        let cur = [3.0, 5.0, 4.0];
        let prev = [2.0, 1.0, 6.0];
        let series = [ser("This week", &cur), ser("Last week", &prev)];
        let out = line_chart("visits", "Visits", &labels, &series).0;
        assert!(out.contains(r#"<polyline class="s0""#), "{out}");
        assert!(out.contains(r#"<polyline class="s1""#), "{out}");
        assert!(out.contains(r#"<path class="area0""#), "{out}");
        assert!(
            out.contains(r#"class="grid""#) && out.contains(">10</text>"),
            "{out}"
        );
        assert!(
            out.contains(r#"<title id="visits-t">Visits</title>"#),
            "{out}"
        );
        assert_well_formed(&out);
    }

    #[test]
    fn line_chart_edge_cases() {
        let one = line_chart("a", "t", &strings(&["Mon"]), &[ser("x", &[4.0])]).0;
        assert!(one.contains("<circle class=\"s0\""), "{one}");
        assert_well_formed(&one);
        // Labels and series of different lengths; all zeros.
        let long = [0.0; 5];
        let short = [0.0];
        let series = [ser("a", &long), ser("b", &short)];
        let out = line_chart("a", "t", &strings(&["1", "2", "3"]), &series).0;
        assert!(out.contains("<polyline class=\"s0\"") && out.contains("<circle class=\"s1\""));
        assert_well_formed(&out);
        let no_labels = line_chart("a", "t", &[], &series).0;
        assert_well_formed(&no_labels);
        let many: Vec<String> = (0..100).map(|i| i.to_string()).collect();
        let out = line_chart("a", "t", &many, &series).0;
        assert!(out.matches("text-anchor=\"middle\"").count() <= 8, "{out}");
    }

    #[test]
    fn heat_grid_buckets() {
        let cols = strings(&["W0", "W1", "W2", "W3"]);
        let rows = [(
            "2026-11-02 (123)".to_owned(),
            vec![Some(0.0), Some(0.55), Some(1.0), None],
        )];
        let out = heat_grid("ret", "Retention", &cols, &rows).0;
        assert!(out.contains(r#"class="heat h0""#), "{out}");
        assert!(out.contains(r#"class="heat h6""#), "{out}");
        assert!(out.contains(r#"class="heat h10""#), "{out}");
        assert!(out.contains(r#"class="heat heat-empty""#), "{out}");
        assert!(
            out.contains(">55%</text>") || out.contains(">56%</text>"),
            "{out}"
        );
        assert_well_formed(&out);
    }

    #[test]
    fn funnel_shows_drop_off() {
        let steps = [
            ("Landing".to_owned(), 1000),
            ("Signup".to_owned(), 532),
            ("Paid".to_owned(), 412),
        ];
        let out = funnel("f", "Checkout", &steps).0;
        assert!(
            out.contains("412 · 41.2% of first · −120 (−22.6%)"),
            "{out}"
        );
        assert!(out.contains(r#"class="funnel-drop""#), "{out}");
        assert!(out.contains(r#"class="funnel-step""#), "{out}");
        assert_well_formed(&out);
        let zeros = funnel("f", "t", &[("a".to_owned(), 0), ("b".to_owned(), 3)]).0;
        assert!(zeros.contains("+3"), "{zeros}");
        assert_well_formed(&zeros);
    }

    #[test]
    fn empty_inputs_say_no_data() {
        let outs = [
            line_chart("a", "t", &[], &[]).0,
            line_chart("a", "t", &strings(&["x"]), &[ser("s", &[])]).0,
            bar_chart("a", "t", &[]).0,
            funnel("a", "t", &[]).0,
            heat_grid("a", "t", &[], &[]).0,
            heat_grid("a", "t", &[], &[("c".to_owned(), vec![])]).0,
        ];
        for out in outs {
            assert!(out.contains(">No data</text>"), "{out}");
            assert_well_formed(&out);
        }
    }

    #[test]
    fn nan_and_infinity_never_reach_the_markup() {
        for svg in all_charts("x", &[f64::NAN, 1.0, f64::INFINITY, f64::NEG_INFINITY]) {
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert_well_formed(&svg);
        }
        for svg in all_charts("x", &[f64::NAN]) {
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }
}
