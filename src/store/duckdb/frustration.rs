//! DuckDB SQL of the frustration report (`query::frustration` states the rules): the
//! elements' signals, quick backs and errors, each for the range and the period before it.

use duckdb::Connection;
use duckdb::types::Value;

use super::signals::{marked_clicks, quick_backs};
use super::sql::{Params, events_where, one_line, query};
use crate::query::TimeRange;
use crate::query::frustration::{
    ElementCounts, ElementSignals, ErrorRow, Frustration, FrustrationPlan, assemble,
};
use crate::store::StoreResult;
use crate::store::assemble::count;

pub(super) fn frustration(conn: &Connection, plan: &FrustrationPlan) -> StoreResult<Frustration> {
    assemble(
        plan,
        |range| elements(conn, plan, range),
        |range| backs(conn, plan, range),
        errors(conn, plan)?,
    )
}

/// Every clicked element (page, selector) of the range with its signals.
fn elements(
    conn: &Connection,
    plan: &FrustrationPlan,
    range: TimeRange,
) -> StoreResult<Vec<ElementCounts>> {
    let mut p = Params::default();
    let scope = events_where(&plan.site, range, &plan.filters, &mut p);
    let marked = marked_clicks(&scope, "true", &plan.thresholds, &mut p);
    let sql = one_line(&format!(
        "WITH {marked}
         SELECT path, target, min(label), count(*), count(*) FILTER (WHERE rage),
                count(*) FILTER (WHERE dead), count(*) FILTER (WHERE error),
                count(DISTINCT session_id) FILTER (WHERE rage OR dead OR error)
         FROM marked GROUP BY path, target"
    ));
    query(conn, &sql, &p.values, |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            ElementSignals {
                clicks: count(r.get(3)?),
                rage_clicks: count(r.get(4)?),
                dead_clicks: count(r.get(5)?),
                error_clicks: count(r.get(6)?),
                sessions: count(r.get(7)?),
            },
        ))
    })
}

/// Quick backs per page (count, sessions) in the range.
fn backs(
    conn: &Connection,
    plan: &FrustrationPlan,
    range: TimeRange,
) -> StoreResult<Vec<(String, u64, u64)>> {
    let mut p = Params::default();
    let scope = events_where(&plan.site, range, &plan.filters, &mut p);
    let backs = quick_backs(&scope, &plan.thresholds, &mut p);
    let sql = one_line(&format!(
        "WITH {backs}
         SELECT page, count(*), count(DISTINCT session_id) FROM backs GROUP BY page"
    ));
    query(conn, &sql, &p.values, |r| {
        Ok((r.get(0)?, count(r.get(1)?), count(r.get(2)?)))
    })
}

/// The range's JavaScript errors by (message, source, line), the most frequent first.
fn errors(conn: &Connection, plan: &FrustrationPlan) -> StoreResult<Vec<ErrorRow>> {
    let mut p = Params::default();
    let scope = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let limit = p.bind(Value::BigInt(i64::from(plan.limit)));
    let sql = one_line(&format!(
        "SELECT coalesce(label, ''), target, x, count(*), count(DISTINCT session_id),
                epoch_ms(min(ts)), epoch_ms(max(ts))
         FROM events WHERE {scope} AND kind = 'error'
         GROUP BY 1, target, x
         ORDER BY count(*) DESC, 1, target NULLS FIRST, x NULLS FIRST LIMIT {limit}"
    ));
    query(conn, &sql, &p.values, |r| {
        Ok(ErrorRow {
            message: r.get(0)?,
            source: r.get(1)?,
            line: r.get(2)?,
            count: count(r.get(3)?),
            sessions: count(r.get(4)?),
            first_seen_ms: r.get(5)?,
            last_seen_ms: r.get(6)?,
        })
    })
}
