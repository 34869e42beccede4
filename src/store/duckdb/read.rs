//! Report plans turned into DuckDB SQL. Every request value is a bound parameter; the only
//! text chosen per request is from fixed fragments selected by enum (sort order).

use std::collections::HashMap;

use duckdb::types::Value;
use duckdb::{Connection, Row, params, params_from_iter};

use super::map_err;
pub(super) use super::overview::overview;
use super::sql::{Params, events_where};
use crate::model::{SessionId, VisitorId};
use crate::query::{
    Amount, EventRow, SessionDetail, SessionDetailPlan, SessionListPlan, SessionPage, SessionSort,
    SessionSummary,
};
use crate::store::StoreResult;

/// One row per session from `sessions`, shared by the list and the detail. `{where}` is a
/// fixed predicate chosen by the caller and `{page}` the fixed ORDER BY, LIMIT and OFFSET,
/// applied to the sort keys alone (`ids`) before the wide columns of the page's sessions are
/// read. Identity links are looked up only for the sessions on the page; user attribution falls
/// back to the visitor's identity link and events before a sign-in count for the user.
const SESSION_SUMMARY: &str = "
    WITH ids AS (
        SELECT site, session_id, epoch_ms(ts) AS start_ms, epoch_ms(last_ts) AS end_ms, events,
               count(*) OVER () AS total
        FROM sessions
        WHERE {where}
        {page}
    ),
    page AS (
        SELECT s.session_id, s.visitor_id, s.user_id, ids.start_ms, ids.end_ms, s.pageviews,
               s.events, s.entry_page, s.source, s.country, s.device, s.browser, s.os, ids.total
        FROM sessions s JOIN ids ON ids.site = s.site AND ids.session_id = s.session_id
    ),
    links AS (
        SELECT visitor_id, arg_min(user_id, ts) AS user_id
        FROM identities
        WHERE site = $1 AND visitor_id IN (SELECT visitor_id FROM page)
        GROUP BY visitor_id
    )
    SELECT s.session_id, s.visitor_id, coalesce(s.user_id, links.user_id), s.start_ms, s.end_ms,
           s.pageviews, s.events, s.entry_page, s.source, s.country, s.device, s.browser, s.os,
           s.total
    FROM page AS s
    LEFT JOIN links ON links.visitor_id = s.visitor_id
    {order}";

fn summary_from_row(r: &Row<'_>) -> duckdb::Result<(SessionSummary, u64)> {
    let start_ms: i64 = r.get(3)?;
    let end_ms: i64 = r.get(4)?;
    Ok((
        SessionSummary {
            session_id: SessionId(r.get::<_, i64>(0)? as u64).to_string(),
            visitor_id: VisitorId(r.get::<_, i64>(1)? as u64).to_string(),
            user_id: r.get(2)?,
            start_ms,
            end_ms,
            duration_ms: end_ms - start_ms,
            pageviews: r.get::<_, i64>(5)? as u64,
            events: r.get::<_, i64>(6)? as u64,
            entry_page: r.get(7)?,
            source: r.get(8)?,
            country: r.get(9)?,
            device: r.get(10)?,
            browser: r.get(11)?,
            os: r.get(12)?,
            purchases: Vec::new(),
        },
        r.get::<_, i64>(13)? as u64,
    ))
}

fn order_by(sort: SessionSort) -> &'static str {
    match sort {
        SessionSort::NewestFirst => "start_ms DESC, session_id",
        SessionSort::OldestFirst => "start_ms ASC, session_id",
        SessionSort::LongestFirst => "end_ms - start_ms DESC, session_id",
        SessionSort::MostEventsFirst => "events DESC, session_id",
    }
}

pub(super) fn sessions(conn: &Connection, plan: &SessionListPlan) -> StoreResult<SessionPage> {
    let mut p = Params::default();
    let filter = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let count_params = p.values.clone();
    let limit = p.bind(Value::BigInt(i64::from(plan.limit)));
    let offset = p.bind(Value::BigInt(plan.offset as i64));
    let order = format!("ORDER BY {}", order_by(plan.sort));
    let sql = SESSION_SUMMARY
        .replace("{where}", &filter)
        .replace("{page}", &format!("{order} LIMIT {limit} OFFSET {offset}"))
        .replace("{order}", &order);
    let mut stmt = conn.prepare(&sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&p.values), summary_from_row)
        .map_err(map_err)?;
    let mut total = 0;
    let mut sessions = Vec::new();
    for row in rows {
        let (s, t) = row.map_err(map_err)?;
        total = t;
        sessions.push(s);
    }
    if sessions.is_empty() && plan.offset > 0 {
        // The window count is only seen on returned rows; count separately past the end.
        total = conn
            .query_row(
                &format!("SELECT count(*) FROM sessions WHERE {filter}"),
                params_from_iter(&count_params),
                |r| r.get::<_, i64>(0),
            )
            .map_err(map_err)? as u64;
    }
    attach_purchases(conn, plan.site.as_str(), &mut sessions)?;
    Ok(SessionPage {
        total,
        limit: plan.limit,
        offset: plan.offset,
        sessions,
    })
}

/// Adds purchase totals per currency to each listed session.
fn attach_purchases(
    conn: &Connection,
    site: &str,
    sessions: &mut [SessionSummary],
) -> StoreResult<()> {
    if sessions.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = sessions
        .iter()
        .filter_map(|s| SessionId::parse_hex(&s.session_id).ok())
        .map(|s| s.0 as i64)
        .collect();
    let placeholders = vec!["?"; ids.len()].join(",");
    // The sessions' time span bounds the scan, so zone maps skip the rest of `events`.
    let from = sessions.iter().map(|s| s.start_ms).min().unwrap_or(0);
    let to = sessions.iter().map(|s| s.end_ms).max().unwrap_or(0);
    let sql = format!(
        "SELECT session_id, currency, sum(value_minor)::BIGINT FROM commerce
         WHERE site = ? AND ts >= epoch_ms(?) AND ts <= epoch_ms(?)
           AND name = 'purchase' AND value_minor IS NOT NULL AND session_id IN ({placeholders})
         GROUP BY session_id, currency ORDER BY currency"
    );
    let mut values: Vec<Value> = vec![
        Value::Text(site.to_owned()),
        Value::BigInt(from),
        Value::BigInt(to),
    ];
    values.extend(ids.iter().map(|i| Value::BigInt(*i)));
    let mut stmt = conn.prepare(&sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(map_err)?;
    let mut by_session: HashMap<String, Vec<Amount>> = HashMap::new();
    for row in rows {
        let (sid, currency, minor) = row.map_err(map_err)?;
        by_session
            .entry(SessionId(sid as u64).to_string())
            .or_default()
            .push(Amount {
                currency: currency.unwrap_or_default(),
                minor,
            });
    }
    for s in sessions {
        if let Some(p) = by_session.remove(&s.session_id) {
            s.purchases = p;
        }
    }
    Ok(())
}

pub(super) fn session_detail(
    conn: &Connection,
    plan: &SessionDetailPlan,
) -> StoreResult<Option<SessionDetail>> {
    let site = plan.site.as_str();
    let sid = plan.session.0 as i64;
    let sql = SESSION_SUMMARY
        .replace("{where}", "site = $1 AND session_id = $2")
        .replace("{page}", "")
        .replace("{order}", "");
    let mut stmt = conn.prepare(&sql).map_err(map_err)?;
    let mut rows = stmt
        .query_map(params![site, sid], summary_from_row)
        .map_err(map_err)?;
    let Some(first) = rows.next() else {
        return Ok(None);
    };
    let mut summary = first.map_err(map_err)?.0;
    drop(rows);
    attach_purchases(conn, site, std::slice::from_mut(&mut summary))?;

    let mut stmt = conn
        .prepare(
            &format!("SELECT {EVENT_ROW_COLUMNS} FROM events WHERE site = $1 AND session_id = $2 ORDER BY ts, rowid"),
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map(params![site, sid], |r| event_row(r, 0))
        .map_err(map_err)?;
    let events = rows.collect::<Result<Vec<_>, _>>().map_err(map_err)?;
    Ok(Some(SessionDetail::new(summary, events)))
}

/// The columns [`event_row`] reads, in its order.
pub(super) const EVENT_ROW_COLUMNS: &str = "epoch_ms(ts), kind, name, path, url, title, x, y, \
     page_y, depth, target, label, props, value_minor, currency, transaction_id, duration_ms, dead";

/// One event as reports show it, from [`EVENT_ROW_COLUMNS`] starting at column `at`.
pub(super) fn event_row(r: &Row<'_>, at: usize) -> duckdb::Result<EventRow> {
    Ok(EventRow {
        ts_ms: r.get(at)?,
        kind: r.get(at + 1)?,
        name: r.get(at + 2)?,
        path: r.get(at + 3)?,
        url: r.get(at + 4)?,
        title: r.get(at + 5)?,
        x: r.get(at + 6)?,
        y: r.get(at + 7)?,
        page_y: r.get(at + 8)?,
        depth_pct: r.get::<_, Option<i16>>(at + 9)?.map(i32::from),
        target: r.get(at + 10)?,
        label: r.get(at + 11)?,
        props: r.get(at + 12)?,
        value_minor: r.get(at + 13)?,
        currency: r.get(at + 14)?,
        transaction_id: r.get(at + 15)?,
        duration_ms: r.get(at + 16)?,
        dead: r.get(at + 17)?,
    })
}
