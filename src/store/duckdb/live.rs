//! The live report in DuckDB SQL: visitors active in the last minutes and the newest events.

use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

use super::map_err;
use super::read::{EVENT_ROW_COLUMNS, event_row};
use super::sql::{Params, events_where};
use crate::model::{SessionId, VisitorId};
use crate::query::TimeRange;
use crate::query::live::{ACTIVE_WINDOW_MS, ActiveVisitor, Live, LiveEvent, LivePlan};
use crate::store::StoreResult;

pub(super) fn live(conn: &Connection, plan: &LivePlan) -> StoreResult<Live> {
    // Clock skew correction never places events after their arrival, so `now` bounds them.
    let range = TimeRange {
        from_ms: plan.now_ms - ACTIVE_WINDOW_MS,
        to_ms: plan.now_ms + 1,
    };
    let mut p = Params::default();
    let filter = events_where(&plan.site, range, &plan.filters, &mut p);
    let visitors_sql = format!(
        "WITH v AS (
             SELECT visitor_id, arg_max(session_id, ts) AS session_id, arg_max(path, ts) AS page,
                    epoch_ms(max(ts)) AS last_seen
             FROM events WHERE {filter} GROUP BY visitor_id
         ),
         m AS (
             SELECT session_id, arg_min(country, ts) AS country, arg_min(device, ts) AS device
             FROM sessions WHERE site = $1 AND session_id IN (SELECT session_id FROM v)
             GROUP BY session_id
         )
         SELECT v.visitor_id, v.session_id, v.page, v.last_seen, m.country, m.device
         FROM v LEFT JOIN m ON m.session_id = v.session_id
         ORDER BY v.last_seen DESC, v.visitor_id"
    );
    let mut stmt = conn.prepare(&visitors_sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&p.values), |r| {
            Ok(ActiveVisitor {
                visitor_id: VisitorId(r.get::<_, i64>(0)? as u64).to_string(),
                session_id: SessionId(r.get::<_, i64>(1)? as u64).to_string(),
                current_page: r.get(2)?,
                last_seen_ms: r.get(3)?,
                country: r.get(4)?,
                device: r.get(5)?,
            })
        })
        .map_err(map_err)?;
    let all: Vec<ActiveVisitor> = rows.collect::<Result<_, _>>().map_err(map_err)?;

    let pages = crate::store::assemble::live_pages(&all);

    let limit = p.bind(Value::BigInt(i64::from(plan.events)));
    let events_sql = format!(
        "SELECT session_id, {EVENT_ROW_COLUMNS} FROM events WHERE {filter}
         ORDER BY ts DESC, rowid DESC LIMIT {limit}"
    );
    let mut stmt = conn.prepare(&events_sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&p.values), |r| {
            Ok(LiveEvent {
                session_id: SessionId(r.get::<_, i64>(0)? as u64).to_string(),
                event: event_row(r, 1)?,
            })
        })
        .map_err(map_err)?;
    let events = rows.collect::<Result<_, _>>().map_err(map_err)?;
    Ok(Live {
        now_ms: plan.now_ms,
        window_ms: ACTIVE_WINDOW_MS,
        active_visitors: all.len() as u64,
        visitors: all.into_iter().take(100).collect(),
        pages,
        events,
    })
}
