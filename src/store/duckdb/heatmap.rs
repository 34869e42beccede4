//! DuckDB SQL of the heatmap report (`query::heatmap` states the counting rules).
//!
//! A click map is three statements: the element table (with the frustration marks of
//! `signals`, over the clicks of the sessions that clicked on the page, because an error is
//! attributed to a session's latest click wherever it was), the page bins per element, and the
//! grid inside each element. A move map is one statement of bins; a scroll map one statement
//! of view counts by reach, depth and fold.

use duckdb::Connection;
use duckdb::types::Value;

use super::signals::marked_clicks;
use super::sql::{Params, events_where, one_line, query};
use crate::query::heatmap::{
    Cell, GRID, HeatElement, Heatmap, HeatmapKind, HeatmapPlan, MAX_ELEMENTS, Point, ROW_PX,
    ScrollCounts, WidthRange,
};
use crate::store::StoreResult;
use crate::store::assemble::count;

/// The width bounds on the column `col` (bound), or `true` without bounds.
fn width_cond(col: &str, w: WidthRange, p: &mut Params) -> String {
    let mut cond = Vec::new();
    if let Some(min) = w.min {
        cond.push(format!("{col} >= {}", p.bind(Value::Int(min))));
    }
    if let Some(max) = w.max {
        cond.push(format!("{col} <= {}", p.bind(Value::Int(max))));
    }
    if cond.is_empty() {
        "true".to_owned()
    } else {
        format!("({col} IS NOT NULL AND {})", cond.join(" AND "))
    }
}

/// The page bin of an event: `x` in percent of `vw`, `y` on the 16 px grid of the document
/// (the viewport's for fixed elements), both from 0.
const BIN_X: &str = "least(99, (100 * greatest(x, 0)) // vw)";
fn bin_y(fixed: &str) -> String {
    format!(
        "{ROW_PX} * (greatest(CASE WHEN {fixed} THEN y ELSE coalesce(page_y, y) END, 0) // {ROW_PX})"
    )
}

pub(super) fn heatmap(conn: &Connection, plan: &HeatmapPlan) -> StoreResult<Heatmap> {
    let mut out = Heatmap::empty(plan);
    match plan.kind {
        HeatmapKind::Click => clicks(conn, plan, &mut out)?,
        HeatmapKind::Move => moves(conn, plan, &mut out)?,
        HeatmapKind::Scroll => out.scroll = Some(scroll(conn, plan)?.into_map()),
    }
    Ok(out)
}

fn clicks(conn: &Connection, plan: &HeatmapPlan, out: &mut Heatmap) -> StoreResult<()> {
    // The element table.
    let mut p = Params::default();
    let scope = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let path = p.bind(Value::Text(plan.path.clone()));
    let widths = width_cond("vw", plan.widths, &mut p);
    let clicked_here = format!(
        "session_id IN (SELECT session_id FROM events WHERE {scope} AND kind = 'click' AND path = {path})"
    );
    let marked = marked_clicks(&scope, &clicked_here, &plan.thresholds, &mut p);
    let sql = one_line(&format!(
        "WITH {marked}
         SELECT target, min(label), count(*), count(DISTINCT visitor_id),
                count(*) FILTER (WHERE rage), count(*) FILTER (WHERE dead),
                count(*) FILTER (WHERE error)
         FROM marked WHERE path = {path} AND {widths}
         GROUP BY target ORDER BY count(*) DESC, target LIMIT {MAX_ELEMENTS}"
    ));
    out.elements = query(conn, &sql, &p.values, |r| {
        Ok(HeatElement {
            selector: r.get(0)?,
            text: r.get(1)?,
            clicks: count(r.get(2)?),
            visitors: count(r.get(3)?),
            rage: count(r.get(4)?),
            dead: count(r.get(5)?),
            error: count(r.get(6)?),
            grid: Vec::new(),
            points: Vec::new(),
        })
    })?;
    // Page bins per element: summed into the page's points, kept for listed elements.
    let mut p = Params::default();
    let scope = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let path = p.bind(Value::Text(plan.path.clone()));
    let widths = width_cond("vw", plan.widths, &mut p);
    let sql = one_line(&format!(
        "SELECT target, {BIN_X} AS bin_x, {by} AS bin_y, coalesce(fixed, false) AS f, count(*)
         FROM events WHERE {scope} AND kind = 'click' AND path = {path} AND vw > 0 AND {widths}
         GROUP BY target, bin_x, bin_y, f",
        by = bin_y("coalesce(fixed, false)"),
    ));
    let bins = query(conn, &sql, &p.values, |r| {
        Ok((
            r.get::<_, String>(0)?,
            Point {
                x: r.get::<_, i64>(1)?.clamp(0, 99) as u8,
                y: r.get::<_, i64>(2)?.clamp(0, i64::from(i32::MAX)) as i32,
                fixed: r.get(3)?,
                n: count(r.get(4)?),
            },
        ))
    })?;
    out.add_click_bins(bins);

    // The grid inside each element.
    let mut p = Params::default();
    let scope = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let path = p.bind(Value::Text(plan.path.clone()));
    let widths = width_cond("vw", plan.widths, &mut p);
    let cell = |col: &str| format!("least({}, {col} // {})", GRID - 1, 1000 / GRID);
    let sql = one_line(&format!(
        "SELECT target, {gx} AS gx, {gy} AS gy, count(*)
         FROM events WHERE {scope} AND kind = 'click' AND path = {path}
           AND ex IS NOT NULL AND ey IS NOT NULL AND {widths}
         GROUP BY target, gx, gy",
        gx = cell("ex"),
        gy = cell("ey"),
    ));
    let cells = query(conn, &sql, &p.values, |r| {
        Ok((
            r.get::<_, String>(0)?,
            Cell {
                x: r.get::<_, i64>(1)?.clamp(0, 9) as u8,
                y: r.get::<_, i64>(2)?.clamp(0, 9) as u8,
                n: count(r.get(3)?),
            },
        ))
    })?;
    out.add_cells(cells);
    Ok(())
}

fn moves(conn: &Connection, plan: &HeatmapPlan, out: &mut Heatmap) -> StoreResult<()> {
    let mut p = Params::default();
    let scope = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let path = p.bind(Value::Text(plan.path.clone()));
    let widths = width_cond("vw", plan.widths, &mut p);
    let sql = one_line(&format!(
        "SELECT {BIN_X} AS bin_x, {by} AS bin_y, count(*)
         FROM events WHERE {scope} AND kind = 'move' AND path = {path} AND vw > 0 AND {widths}
         GROUP BY bin_x, bin_y ORDER BY bin_x, bin_y",
        by = bin_y("false"),
    ));
    out.points = query(conn, &sql, &p.values, |r| {
        Ok(Point {
            x: r.get::<_, i64>(0)?.clamp(0, 99) as u8,
            y: r.get::<_, i64>(1)?.clamp(0, i64::from(i32::MAX)) as i32,
            fixed: false,
            n: count(r.get(2)?),
        })
    })?;
    out.total = out.points.iter().map(|p| p.n).sum();
    Ok(())
}

/// Views per reach band, depth step and fold (see `ScrollCounts`). A view's fold and width
/// are its first `resize` or `scroll` with a viewport height (a resize before a scroll of the
/// same millisecond); `resize` events keep the viewport in `x` (width) and `y` (height).
fn scroll(conn: &Connection, plan: &HeatmapPlan) -> StoreResult<ScrollCounts> {
    let mut p = Params::default();
    let scope = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let path = p.bind(Value::Text(plan.path.clone()));
    let widths = width_cond("width", plan.widths, &mut p);
    let sql = one_line(&format!(
        "WITH v AS (
            SELECT session_id,
                   arg_min(CASE WHEN kind = 'resize' THEN y ELSE vh END,
                           epoch_ms(ts) * 2 + CASE WHEN kind = 'resize' THEN 0 ELSE 1 END)
                       FILTER (WHERE (kind = 'resize' AND y > 0) OR (kind = 'scroll' AND vh > 0))
                       AS fold,
                   arg_min(x, epoch_ms(ts)) FILTER (WHERE kind = 'resize' AND y > 0) AS width,
                   max(y + vh) FILTER (WHERE kind = 'scroll' AND vh > 0) AS deepest,
                   max(depth) FILTER (WHERE kind = 'scroll') AS view_depth
            FROM events WHERE {scope} AND path = {path} AND kind IN ('resize', 'scroll')
            GROUP BY session_id
        ),
        w AS (SELECT * FROM v WHERE fold IS NOT NULL AND {widths})
        SELECT {reach}, (greatest(fold, coalesce(deepest, 0)) - 1) // 100 AS k, count(*) FROM w GROUP BY k
        UNION ALL
        SELECT {depth}, view_depth // 5 AS k, count(*) FROM w WHERE view_depth IS NOT NULL GROUP BY k
        UNION ALL
        SELECT {fold}, fold AS k, count(*) FROM w GROUP BY k",
        reach = ScrollCounts::REACH,
        depth = ScrollCounts::DEPTH,
        fold = ScrollCounts::FOLD,
    ));
    let rows = query(conn, &sql, &p.values, |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, count(r.get(2)?)))
    })?;
    let mut counts = ScrollCounts::default();
    for (table, key, n) in rows {
        counts.add(table, key, n);
    }
    Ok(counts)
}
