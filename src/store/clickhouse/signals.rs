//! ClickHouse SQL that derives the frustration signals of `query::frustration`, mark for mark
//! the embedded store's `signals.rs`: each click with its `rage` and `error` marks, and quick
//! backs. The heatmap's element table, the frustration report and the sessions filter use
//! these relations.
//!
//! 18.16 has no window functions, so each session's clicks become one sorted array: an
//! error's click is the last of the clicks at or before it (their count is its index, as
//! DuckDB's running maximum of click numbers finds it); then each session's clicks on one page
//! become another sorted array, in which a burst starts wherever a click does not continue the
//! one before it, and a burst's first click is a rage click when the next `rage_clicks - 1`
//! all continue it.

use crate::query::frustration::Thresholds;

/// The fields of a click tuple in the per-session array, by position (1-based).
const TS: usize = 1;
const X: usize = 2;
const Y: usize = 3;
const TARGET: usize = 4;
const NO_COORDS: usize = 5;
const PATH: usize = 6;
const VISITOR: usize = 7;
const LABEL: usize = 8;
const DEAD: usize = 9;
const VW: usize = 10;

/// A relation of every click in `scope` (restricted by `clicks_scope`, or `1`) with `rage`
/// and `error` marks. Columns: session_id, path, cn, ts_ms, target, visitor_id, label, dead,
/// vw, rage, error.
pub(super) fn marked_clicks(scope: &str, clicks_scope: &str, t: &Thresholds) -> String {
    let field = |i: usize| format!("tupleElement(tupleElement(p, 2), {i})");
    let k = t.rage_clicks;
    format!(
        "(SELECT session_id, path, tupleElement(p, 1) AS cn, {ts} AS ts_ms, {target} AS target,
                 {visitor} AS visitor_id, {label} AS label, {dead} AS dead, {vw} AS vw, rage,
                 tupleElement(p, 3) AS error
          FROM (
            SELECT session_id, path, pcs,
                   arrayMap(p -> {ts}, pcs) AS ts, arrayMap(p -> {x}, pcs) AS xs,
                   arrayMap(p -> {y}, pcs) AS ys, arrayMap(p -> {target}, pcs) AS tg,
                   arrayMap(p -> {no_coords}, pcs) AS nc,
                   arrayMap(i -> toUInt8(i = 1 OR ts[i] - ts[i - 1] > {window} OR
                                 if(nc[i] OR nc[i - 1], tg[i] != tg[i - 1],
                                    (xs[i] - xs[i - 1]) * (xs[i] - xs[i - 1])
                                    + (ys[i] - ys[i - 1]) * (ys[i] - ys[i - 1]) > {radius_sq})),
                            arrayEnumerate(pcs)) AS starts,
                   arrayMap(i -> toUInt8(starts[i] = 1 AND i + {k} - 1 <= length(starts)
                                         AND arraySum(arraySlice(starts, i + 1, {k} - 1)) = 0),
                            arrayEnumerate(pcs)) AS rages
            FROM (
              SELECT session_id, tupleElement(c, {PATH}) AS path,
                     arraySort(groupArray((cn, c, error))) AS pcs
              FROM (
                SELECT session_id, arrayJoin(arrayEnumerate(cs)) AS cn, cs[cn] AS c,
                       has(erred, cn) AS error
                FROM (
                  SELECT session_id, any(clicks) AS cs, groupUniqArrayIf(k, attributed) AS erred
                  FROM (
                    SELECT session_id, cs AS clicks,
                           arrayCount(c -> tupleElement(c, {TS}) <= e, cs) AS k,
                           k > 0 AND e - tupleElement(cs[k], {TS}) <= {error_window} AS attributed
                    FROM (
                      SELECT session_id,
                             arraySort(groupArrayIf((ts_ms, ifNull(x, 0), ifNull(y, 0),
                                 ifNull(target, ''), toUInt8(isNull(x) OR isNull(y)), path,
                                 visitor_id, label, ifNull(dead, 0), vw), kind = 'click')) AS cs,
                             groupArrayIf(ts_ms, kind = 'error') AS es
                      FROM events
                      WHERE {scope} AND kind IN ('click', 'error') AND {clicks_scope}
                      GROUP BY session_id HAVING length(cs) > 0
                    ) LEFT ARRAY JOIN es AS e
                  ) GROUP BY session_id
                )
              ) GROUP BY session_id, path
            )
          ) ARRAY JOIN pcs AS p, rages AS rage)",
        ts = field(TS),
        x = field(X),
        y = field(Y),
        target = field(TARGET),
        no_coords = field(NO_COORDS),
        visitor = field(VISITOR),
        label = field(LABEL),
        dead = field(DEAD),
        vw = field(VW),
        window = t.rage_window_ms,
        radius_sq = u64::from(t.rage_radius_px) * u64::from(t.rage_radius_px),
        error_window = t.error_window_ms,
    )
}

/// A relation of one row per quick back in `scope` (a predicate on events): the session and
/// the page visitors came back from (`page`). Pageviews in order of time, then path.
pub(super) fn quick_backs(scope: &str, t: &Thresholds) -> String {
    format!(
        "(SELECT session_id, tupleElement(pv[i - 1], 2) AS page
          FROM (
            SELECT session_id, arraySort(groupArray((ts_ms, path))) AS pv
            FROM events WHERE {scope} AND kind = 'pageview' GROUP BY session_id
          )
          ARRAY JOIN arrayFilter(i -> i >= 3
                                 AND tupleElement(pv[i], 2) = tupleElement(pv[i - 2], 2)
                                 AND tupleElement(pv[i - 1], 2) != tupleElement(pv[i], 2)
                                 AND tupleElement(pv[i], 1) - tupleElement(pv[i - 1], 1) <= {quick_back},
                                 arrayEnumerate(pv)) AS i)",
        quick_back = t.quick_back_ms,
    )
}
