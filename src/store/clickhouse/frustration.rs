//! The frustration report in ClickHouse SQL (`query::frustration` states the rules), figure
//! for figure the embedded store's `frustration.rs`.

use super::client::{Client, RowExt};
use super::signals::{marked_clicks, quick_backs};
use super::sql::events_where;
use crate::query::TimeRange;
use crate::query::frustration::{
    ElementCounts, ElementSignals, ErrorRow, Frustration, FrustrationPlan, assemble,
};
use crate::store::StoreResult;

pub(super) fn frustration(c: &Client, plan: &FrustrationPlan) -> StoreResult<Frustration> {
    assemble(
        plan,
        |range| elements(c, plan, range),
        |range| backs(c, plan, range),
        errors(c, plan)?,
    )
}

fn elements(
    c: &Client,
    plan: &FrustrationPlan,
    range: TimeRange,
) -> StoreResult<Vec<ElementCounts>> {
    let scope = events_where(&plan.site, range, &plan.filters);
    let rows = c.query(&format!(
        "SELECT path, target, min(label), count(), countIf(rage = 1), countIf(dead = 1),
                countIf(error = 1), uniqExactIf(session_id, rage = 1 OR dead = 1 OR error = 1)
         FROM {marked} GROUP BY path, target",
        marked = marked_clicks(&scope, "1", &plan.thresholds),
    ))?;
    rows.0
        .iter()
        .map(|r| {
            Ok((
                r.at(0)?.string()?,
                r.at(1)?.string()?,
                r.at(2)?.opt_string()?,
                ElementSignals {
                    clicks: r.at(3)?.u64()?,
                    rage_clicks: r.at(4)?.u64()?,
                    dead_clicks: r.at(5)?.u64()?,
                    error_clicks: r.at(6)?.u64()?,
                    sessions: r.at(7)?.u64()?,
                },
            ))
        })
        .collect()
}

fn backs(
    c: &Client,
    plan: &FrustrationPlan,
    range: TimeRange,
) -> StoreResult<Vec<(String, u64, u64)>> {
    let scope = events_where(&plan.site, range, &plan.filters);
    let rows = c.query(&format!(
        "SELECT page, count(), uniqExact(session_id) FROM {} GROUP BY page",
        quick_backs(&scope, &plan.thresholds)
    ))?;
    rows.0
        .iter()
        .map(|r| Ok((r.at(0)?.string()?, r.at(1)?.u64()?, r.at(2)?.u64()?)))
        .collect()
}

fn errors(c: &Client, plan: &FrustrationPlan) -> StoreResult<Vec<ErrorRow>> {
    let scope = events_where(&plan.site, plan.range, &plan.filters);
    let rows = c.query(&format!(
        "SELECT ifNull(label, '') AS message, target, x, count() AS n, uniqExact(session_id),
                min(ts_ms), max(ts_ms)
         FROM events WHERE {scope} AND kind = 'error'
         GROUP BY message, target, x
         ORDER BY n DESC, message, target NULLS FIRST, x NULLS FIRST LIMIT {}",
        plan.limit
    ))?;
    rows.0
        .iter()
        .map(|r| {
            Ok(ErrorRow {
                message: r.at(0)?.string()?,
                source: r.at(1)?.opt_string()?,
                line: r.at(2)?.opt_i64()?.and_then(|l| i32::try_from(l).ok()),
                count: r.at(3)?.u64()?,
                sessions: r.at(4)?.u64()?,
                first_seen_ms: r.at(5)?.i64()?,
                last_seen_ms: r.at(6)?.i64()?,
            })
        })
        .collect()
}
