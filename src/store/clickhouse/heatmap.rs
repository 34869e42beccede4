//! The heatmap report in ClickHouse SQL (`query::heatmap` states the counting rules), figure
//! for figure the embedded store's `heatmap.rs`: the same statements, with the frustration
//! marks of `signals.rs`.

use super::client::{Client, RowExt, quote};
use super::signals::marked_clicks;
use super::sql::events_where;
use crate::query::heatmap::{
    Cell, GRID, HeatElement, Heatmap, HeatmapKind, HeatmapPlan, MAX_ELEMENTS, Point, ROW_PX,
    ScrollCounts, WidthRange,
};
use crate::store::StoreResult;

/// The width bounds on the column `col`, or `1` without bounds.
fn width_cond(col: &str, w: WidthRange) -> String {
    let mut cond = vec![format!("isNotNull({col})")];
    if let Some(min) = w.min {
        cond.push(format!("{col} >= {min}"));
    }
    if let Some(max) = w.max {
        cond.push(format!("{col} <= {max}"));
    }
    if w.is_bounded() {
        format!("({})", cond.join(" AND "))
    } else {
        "1".to_owned()
    }
}

const BIN_X: &str = "least(99, intDiv(100 * greatest(assumeNotNull(x), 0), assumeNotNull(vw)))";

fn bin_y(fixed: &str) -> String {
    format!(
        "{ROW_PX} * intDiv(greatest(if({fixed}, assumeNotNull(y), ifNull(page_y, assumeNotNull(y))), 0), {ROW_PX})"
    )
}

pub(super) fn heatmap(c: &Client, plan: &HeatmapPlan) -> StoreResult<Heatmap> {
    let mut out = Heatmap::empty(plan);
    match plan.kind {
        HeatmapKind::Click => clicks(c, plan, &mut out)?,
        HeatmapKind::Move => moves(c, plan, &mut out)?,
        HeatmapKind::Scroll => out.scroll = Some(scroll(c, plan)?.into_map()),
    }
    Ok(out)
}

fn clicks(c: &Client, plan: &HeatmapPlan, out: &mut Heatmap) -> StoreResult<()> {
    let scope = events_where(&plan.site, plan.range, &plan.filters);
    let path = quote(&plan.path);
    let clicked_here = format!(
        "session_id IN (SELECT session_id FROM events WHERE {scope} AND kind = 'click' AND path = {path})"
    );
    let widths = width_cond("vw", plan.widths);
    let rows = c.query(&format!(
        "SELECT target, min(label), count(), uniqExact(visitor_id), countIf(rage = 1),
                countIf(dead = 1), countIf(error = 1)
         FROM {marked} WHERE path = {path} AND {widths}
         GROUP BY target ORDER BY count() DESC, target LIMIT {MAX_ELEMENTS}",
        marked = marked_clicks(&scope, &clicked_here, &plan.thresholds),
    ))?;
    for r in &rows.0 {
        out.elements.push(HeatElement {
            selector: r.at(0)?.string()?,
            text: r.at(1)?.opt_string()?,
            clicks: r.at(2)?.u64()?,
            visitors: r.at(3)?.u64()?,
            rage: r.at(4)?.u64()?,
            dead: r.at(5)?.u64()?,
            error: r.at(6)?.u64()?,
            grid: Vec::new(),
            points: Vec::new(),
        });
    }
    let rows = c.query(&format!(
        "SELECT ifNull(target, ''), {BIN_X} AS bin_x, {by} AS bin_y, ifNull(fixed, 0) AS f, count()
         FROM events WHERE {scope} AND kind = 'click' AND path = {path} AND vw > 0 AND {widths}
         GROUP BY target, bin_x, bin_y, f",
        by = bin_y("ifNull(fixed, 0) = 1"),
    ))?;
    let bins = rows
        .0
        .iter()
        .map(|r| {
            let point = Point {
                x: r.at(1)?.i64()?.clamp(0, 99) as u8,
                y: r.at(2)?.i64()?.clamp(0, i64::from(i32::MAX)) as i32,
                fixed: r.at(3)?.i64()? == 1,
                n: r.at(4)?.u64()?,
            };
            Ok((r.at(0)?.string()?, point))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    out.add_click_bins(bins);

    let cell = |col: &str| {
        format!(
            "least({}, intDiv(assumeNotNull({col}), {}))",
            GRID - 1,
            1000 / GRID
        )
    };
    let rows = c.query(&format!(
        "SELECT ifNull(target, ''), {gx} AS gx, {gy} AS gy, count()
         FROM events WHERE {scope} AND kind = 'click' AND path = {path}
           AND isNotNull(ex) AND isNotNull(ey) AND {widths}
         GROUP BY target, gx, gy",
        gx = cell("ex"),
        gy = cell("ey"),
    ))?;
    let cells = rows
        .0
        .iter()
        .map(|r| {
            let cell = Cell {
                x: r.at(1)?.i64()?.clamp(0, 9) as u8,
                y: r.at(2)?.i64()?.clamp(0, 9) as u8,
                n: r.at(3)?.u64()?,
            };
            Ok((r.at(0)?.string()?, cell))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    out.add_cells(cells);
    Ok(())
}

fn moves(c: &Client, plan: &HeatmapPlan, out: &mut Heatmap) -> StoreResult<()> {
    let scope = events_where(&plan.site, plan.range, &plan.filters);
    let rows = c.query(&format!(
        "SELECT {BIN_X} AS bin_x, {by} AS bin_y, count()
         FROM events WHERE {scope} AND kind = 'move' AND path = {path} AND vw > 0 AND {widths}
         GROUP BY bin_x, bin_y ORDER BY bin_x, bin_y",
        by = bin_y("0"),
        path = quote(&plan.path),
        widths = width_cond("vw", plan.widths),
    ))?;
    for r in &rows.0 {
        out.points.push(Point {
            x: r.at(0)?.i64()?.clamp(0, 99) as u8,
            y: r.at(1)?.i64()?.clamp(0, i64::from(i32::MAX)) as i32,
            fixed: false,
            n: r.at(2)?.u64()?,
        });
    }
    out.total = out.points.iter().map(|p| p.n).sum();
    Ok(())
}

/// Views per reach band, depth step and fold, as the embedded store's `scroll` counts them
/// (an aggregate with no row to take reads as NULL in 18.16, hence the `ifNull`s).
fn scroll(c: &Client, plan: &HeatmapPlan) -> StoreResult<ScrollCounts> {
    let scope = events_where(&plan.site, plan.range, &plan.filters);
    let known = "((kind = 'resize' AND y > 0) OR (kind = 'scroll' AND vh > 0))";
    let views = format!(
        "(SELECT session_id,
                 argMinIf(assumeNotNull(if(kind = 'resize', y, vh)),
                          ts_ms * 2 + if(kind = 'resize', 0, 1), {known}) AS fold,
                 countIf({known}) AS folds,
                 argMinIf(assumeNotNull(x), ts_ms, kind = 'resize' AND y > 0) AS width,
                 countIf(kind = 'resize' AND y > 0) AS widths,
                 maxIf(assumeNotNull(y) + assumeNotNull(vh), kind = 'scroll' AND vh > 0) AS deepest,
                 maxIf(assumeNotNull(depth), kind = 'scroll' AND isNotNull(depth)) AS view_depth,
                 countIf(kind = 'scroll' AND isNotNull(depth)) AS depths
          FROM events WHERE {scope} AND path = {path} AND kind IN ('resize', 'scroll')
          GROUP BY session_id)",
        path = quote(&plan.path),
    );
    let width = if plan.widths.is_bounded() {
        let mut cond = vec!["widths > 0".to_owned()];
        if let Some(min) = plan.widths.min {
            cond.push(format!("width >= {min}"));
        }
        if let Some(max) = plan.widths.max {
            cond.push(format!("width <= {max}"));
        }
        cond.join(" AND ")
    } else {
        "1".to_owned()
    };
    let rows = c.query(&format!(
        "SELECT t, k, n FROM (
           SELECT {reach} AS t, toInt64(intDiv(greatest(ifNull(fold, 0), ifNull(deepest, 0)) - 1, 100)) AS k, count() AS n
           FROM {views} WHERE folds > 0 AND {width} GROUP BY k
           UNION ALL
           SELECT {depth} AS t, toInt64(intDiv(ifNull(view_depth, 0), 5)) AS k, count() AS n
           FROM {views} WHERE folds > 0 AND depths > 0 AND {width} GROUP BY k
           UNION ALL
           SELECT {fold} AS t, toInt64(ifNull(fold, 0)) AS k, count() AS n
           FROM {views} WHERE folds > 0 AND {width} GROUP BY k
         )",
        reach = ScrollCounts::REACH,
        depth = ScrollCounts::DEPTH,
        fold = ScrollCounts::FOLD,
    ))?;
    let mut counts = ScrollCounts::default();
    for r in &rows.0 {
        counts.add(r.at(0)?.i64()?, r.at(1)?.i64()?, r.at(2)?.u64()?);
    }
    Ok(counts)
}
