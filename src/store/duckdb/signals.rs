//! DuckDB SQL that derives the frustration signals of `query::frustration` from stored
//! events: each click with its `rage` and `error` marks, and quick backs. The heatmap's
//! element table, the frustration report and the sessions filter `frustration=` all use these
//! fragments, so a signal cannot be counted two ways.
//!
//! Every fragment takes `scope`, a predicate on `events` (or `pageviews`) that selects the
//! site, range and sessions (`sql::events_where`, or the bare site-and-range predicate of a
//! filter), and binds the thresholds it uses as parameters.

use duckdb::types::Value;

use super::sql::Params;
use crate::query::frustration::Thresholds;

/// A threshold bound as a parameter (only those a statement uses are bound: DuckDB refuses
/// parameters a statement does not read).
fn bound(p: &mut Params, v: u32) -> String {
    p.bind(Value::BigInt(i64::from(v)))
}

/// CTEs ending in `marked`: every click in `scope` (restricted to `clicks_scope`, an extra
/// predicate such as the sessions that clicked on one page, or `true`) with `rage` (the first
/// click of a rage burst) and `error` (an error was attributed to it). Columns: session_id,
/// visitor_id, path, ts, x, y, page_y, vw, ex, ey, fixed, dead, target, label, cn, rage,
/// error.
pub(super) fn marked_clicks(
    scope: &str,
    clicks_scope: &str,
    t: &Thresholds,
    p: &mut Params,
) -> String {
    let radius = i64::from(t.rage_radius_px);
    let (window, radius_sq, rage_clicks, error_window) = (
        bound(p, t.rage_window_ms),
        p.bind(Value::BigInt(radius * radius)),
        bound(p, t.rage_clicks),
        bound(p, t.error_window_ms),
    );
    format!(
        "c AS (
            SELECT session_id, visitor_id, path, ts, x, y, page_y, vw, ex, ey,
                   coalesce(fixed, false) AS fixed, coalesce(dead, false) AS dead, target, label,
                   row_number() OVER (PARTITION BY session_id ORDER BY ts, x, y, target) AS cn
            FROM events WHERE {scope} AND kind = 'click' AND {clicks_scope}
        ),
        g AS (
            SELECT *,
                   CASE WHEN lag(ts) OVER w IS NULL THEN 1
                        WHEN epoch_ms(ts) - epoch_ms(lag(ts) OVER w) > {window} THEN 1
                        WHEN x IS NULL OR y IS NULL OR lag(x) OVER w IS NULL
                             OR lag(y) OVER w IS NULL
                            THEN CASE WHEN target = lag(target) OVER w THEN 0 ELSE 1 END
                        WHEN (x - lag(x) OVER w)::BIGINT * (x - lag(x) OVER w)
                             + (y - lag(y) OVER w)::BIGINT * (y - lag(y) OVER w) <= {radius_sq}
                            THEN 0
                        ELSE 1
                   END AS starts
            FROM c WINDOW w AS (PARTITION BY session_id, path ORDER BY cn)
        ),
        b AS (
            SELECT *, sum(starts) OVER (PARTITION BY session_id, path ORDER BY cn
                                        ROWS UNBOUNDED PRECEDING) AS burst
            FROM g
        ),
        r AS (
            SELECT *, starts = 1
                      AND count(*) OVER (PARTITION BY session_id, path, burst) >= {rage_clicks}
                      AS rage
            FROM b
        ),
        stream AS (
            SELECT session_id, ts, 0 AS ord, x, y, target, cn FROM c
            UNION ALL
            SELECT session_id, ts, 1, NULL, NULL, NULL, NULL FROM events
            WHERE {scope} AND kind = 'error'
              AND session_id IN (SELECT session_id FROM c)
        ),
        attributed AS (
            SELECT session_id, ts, ord,
                   max(cn) OVER (PARTITION BY session_id ORDER BY ts, ord, x, y, target
                                 ROWS UNBOUNDED PRECEDING) AS cn
            FROM stream
        ),
        erred AS (
            SELECT DISTINCT a.session_id, a.cn FROM attributed a
            JOIN c ON c.session_id = a.session_id AND c.cn = a.cn
            WHERE a.ord = 1 AND epoch_ms(a.ts) - epoch_ms(c.ts) <= {error_window}
        ),
        marked AS (
            SELECT r.session_id, r.visitor_id, r.path, r.ts, r.x, r.y, r.page_y, r.vw, r.ex,
                   r.ey, r.fixed, r.dead, r.target, r.label, r.cn, r.rage,
                   erred.cn IS NOT NULL AS error
            FROM r LEFT JOIN erred ON erred.session_id = r.session_id AND erred.cn = r.cn
        )"
    )
}

/// A CTE `backs`: one row per quick back in `scope` (a predicate on `pageviews`), with the
/// page visitors came back from (`page`) and the session.
pub(super) fn quick_backs(scope: &str, t: &Thresholds, p: &mut Params) -> String {
    let quick_back = bound(p, t.quick_back_ms);
    format!(
        "seq AS (
            SELECT session_id, path, ts,
                   lag(path) OVER w AS prev_path, lag(path, 2) OVER w AS prev2_path,
                   lag(ts) OVER w AS prev_ts
            FROM pageviews WHERE {scope}
            WINDOW w AS (PARTITION BY session_id ORDER BY ts, path)
        ),
        backs AS (
            SELECT session_id, prev_path AS page FROM seq
            WHERE prev2_path = path AND prev_path <> path
              AND epoch_ms(ts) - epoch_ms(prev_ts) <= {quick_back}
        )"
    )
}
