//! The overview report in DuckDB SQL: totals (and the previous period's), a time series and
//! the top lists, each over the sessions the filters select.
//!
//! Totals and top lists read `sessions`, one row per session with its figures and attributes,
//! so a session counts in the range where it starts. The time series groups the per-batch
//! rollups in `batches` (a batch counts at the time of its first event), so a long session's
//! pageviews land in the hours they happened. Event counts by type come from the sessions'
//! per-kind counts, the page list from `pageviews`.

use std::collections::BTreeMap;

use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

use super::map_err;
use super::sql::{Params, events_where, local_ts};
use crate::model::EventKind;
use crate::query::{Granularity, Overview, OverviewPlan, SeriesPoint, TimeRange, TopRow, Totals};
use crate::store::rows::KIND_COLUMNS;
use crate::store::{StoreError, StoreResult};

fn totals(conn: &Connection, plan: &OverviewPlan, range: TimeRange) -> StoreResult<Totals> {
    let mut p = Params::default();
    let filter = events_where(&plan.site, range, &plan.filters, &mut p);
    let sql = format!(
        "SELECT count(DISTINCT visitor_id), count(*), coalesce(sum(pageviews), 0)::BIGINT,
                coalesce(sum(events), 0)::BIGINT,
                coalesce(avg(CASE WHEN pageviews <= 1 THEN 1.0 ELSE 0.0 END), 0)::DOUBLE,
                coalesce(avg(epoch_ms(last_ts) - epoch_ms(ts)), 0)::DOUBLE,
                coalesce(median(epoch_ms(last_ts) - epoch_ms(ts)), 0)::DOUBLE,
                coalesce(sum(engaged_ms), 0)::BIGINT
         FROM sessions WHERE {filter}"
    );
    conn.query_row(&sql, params_from_iter(&p.values), |r| {
        let sessions = r.get::<_, i64>(1)? as u64;
        let engaged: i64 = r.get(7)?;
        Ok(Totals {
            visitors: r.get::<_, i64>(0)? as u64,
            sessions,
            pageviews: r.get::<_, i64>(2)? as u64,
            events: r.get::<_, i64>(3)? as u64,
            bounce_rate: r.get(4)?,
            avg_session_duration_ms: r.get(5)?,
            median_session_duration_ms: r.get(6)?,
            engaged_time_ms: engaged,
            avg_engaged_time_ms: if sessions == 0 {
                0.0
            } else {
                engaged as f64 / sessions as f64
            },
        })
    })
    .map_err(map_err)
}

pub(super) fn trunc_unit(g: Granularity) -> &'static str {
    match g {
        Granularity::Hour => "hour",
        Granularity::Day => "day",
        // DuckDB's weeks start on Monday (ISO 8601), as `Granularity::bucket_start` does.
        Granularity::Week => "week",
    }
}

fn series(
    conn: &Connection,
    plan: &OverviewPlan,
    filter: &str,
    p: &Params,
) -> StoreResult<Vec<SeriesPoint>> {
    let mut p = Params {
        values: p.values.clone(),
    };
    let local = local_ts(plan.zone, plan.range, &mut p);
    let sql = format!(
        "SELECT epoch_ms(date_trunc('{}', {local})) AS bucket, count(DISTINCT visitor_id),
                count(DISTINCT session_id), sum(pageviews)::BIGINT, sum(events)::BIGINT
         FROM batches WHERE {filter} GROUP BY bucket ORDER BY bucket",
        trunc_unit(plan.granularity)
    );
    let mut stmt = conn.prepare(&sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&p.values), |r| {
            let wall: i64 = r.get(0)?;
            Ok(SeriesPoint {
                start_ms: wall,
                local: String::new(),
                visitors: r.get::<_, i64>(1)? as u64,
                sessions: r.get::<_, i64>(2)? as u64,
                pageviews: r.get::<_, i64>(3)? as u64,
                events: r.get::<_, i64>(4)? as u64,
            })
        })
        .map_err(map_err)?;
    // Keyed by local wall-clock bucket start.
    let mut found: BTreeMap<i64, SeriesPoint> = BTreeMap::new();
    for row in rows {
        let point = row.map_err(map_err)?;
        found.insert(point.start_ms, point);
    }
    Ok(crate::store::assemble::overview_series(
        found,
        plan.granularity,
        plan.zone,
        plan.range,
    ))
}

/// Session dimensions of the top lists: (list name, expression over `sessions`).
const SESSION_DIMENSIONS: [(&str, &str); 8] = [
    ("sources", "source"),
    ("referrers", "referrer_host"),
    ("utm_campaigns", "utm_campaign"),
    ("countries", "country"),
    ("browsers", "browser"),
    ("os", "os"),
    ("devices", "device"),
    (
        "screen_sizes",
        "CAST(screen_w AS VARCHAR) || 'x' || CAST(screen_h AS VARCHAR)",
    ),
];

fn top_lists(
    conn: &Connection,
    plan: &OverviewPlan,
    filter: &str,
    p: &Params,
) -> StoreResult<BTreeMap<String, Vec<TopRow>>> {
    let mut p = Params {
        values: p.values.clone(),
    };
    let limit = p.bind(Value::BigInt(i64::from(plan.top)));
    let unions: Vec<String> = SESSION_DIMENSIONS
        .iter()
        .map(|(name, expr)| {
            format!(
                "SELECT '{name}' AS list, {expr} AS value, count(DISTINCT visitor_id) AS visitors, count(*) AS n
                 FROM s GROUP BY value"
            )
        })
        .collect();
    let sql = format!(
        "WITH s AS MATERIALIZED (
             SELECT visitor_id, entry_page, exit_page, source, referrer_host, utm_campaign,
                    country, browser, os, device, screen_w, screen_h
             FROM sessions WHERE {filter}
         ),
         lists AS (
             SELECT 'entry_pages' AS list, entry_page AS value, count(DISTINCT visitor_id) AS visitors, count(*) AS n
             FROM s WHERE entry_page IS NOT NULL GROUP BY entry_page
             UNION ALL
             SELECT 'exit_pages', exit_page, count(DISTINCT visitor_id), count(*)
             FROM s WHERE exit_page IS NOT NULL GROUP BY exit_page
             UNION ALL
             {unions}
         ),
         ranked AS (
             SELECT *, row_number() OVER (PARTITION BY list ORDER BY n DESC, visitors DESC, value) AS rank
             FROM lists
         )
         SELECT list, value, visitors, n FROM ranked WHERE rank <= {limit} ORDER BY list, rank",
        unions = unions.join(" UNION ALL "),
    );
    let mut stmt = conn.prepare(&sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&p.values), |r| {
            Ok((
                r.get::<_, String>(0)?,
                TopRow {
                    value: r.get(1)?,
                    visitors: r.get::<_, i64>(2)? as u64,
                    count: r.get::<_, i64>(3)? as u64,
                },
            ))
        })
        .map_err(map_err)?;
    let mut out: BTreeMap<String, Vec<TopRow>> = BTreeMap::new();
    for name in ["entry_pages", "exit_pages"]
        .into_iter()
        .chain(SESSION_DIMENSIONS.map(|d| d.0))
    {
        out.insert(name.to_owned(), Vec::new());
    }
    for row in rows {
        let (list, top) = row.map_err(map_err)?;
        out.entry(list).or_default().push(top);
    }
    Ok(out)
}

/// The overview in two halves of about equal cost, each on its own connection and thread:
/// on two cores that takes about a third off the wall time of running them one after the other.
/// The second connection is handed back with the result, for the caller's pool.
pub(super) fn overview(
    figures_conn: &Connection,
    lists_conn: Connection,
    plan: &OverviewPlan,
) -> (StoreResult<Overview>, Option<Connection>) {
    std::thread::scope(|scope| {
        let lists = scope.spawn(move || {
            let mut p = Params::default();
            let filter = events_where(&plan.site, plan.range, &plan.filters, &mut p);
            let top = top_lists(&lists_conn, plan, &filter, &p);
            (top, lists_conn)
        });
        let figures = figures(figures_conn, plan);
        match lists.join() {
            Ok((top, conn)) => {
                let overview = figures.and_then(|mut f| {
                    let mut top = top?;
                    top.append(&mut f.top);
                    Ok(Overview { top, ..f })
                });
                (overview, Some(conn))
            }
            Err(_) => (
                Err(StoreError::internal("the top lists query panicked")),
                None,
            ),
        }
    })
}

/// Everything but the top lists: totals, the previous period's, events by type, the series.
fn figures(conn: &Connection, plan: &OverviewPlan) -> StoreResult<Overview> {
    let mut p = Params::default();
    let filter = events_where(&plan.site, plan.range, &plan.filters, &mut p);

    // Events by type of the sessions in range, from their per-kind counts (so they add up to
    // the totals' events); only kinds that occurred are listed.
    let counted: Vec<(EventKind, String)> = [
        (EventKind::Pageview, "pageviews".to_owned()),
        (EventKind::Click, "clicks".to_owned()),
    ]
    .into_iter()
    .chain(
        KIND_COLUMNS
            .iter()
            .map(|&(column, i)| (EventKind::ALL[i], column.to_owned())),
    )
    .collect();
    let sums: Vec<String> = counted
        .iter()
        .map(|(_, column)| format!("coalesce(sum({column}), 0)::BIGINT"))
        .collect();
    let counts: Vec<i64> = conn
        .query_row(
            &format!("SELECT {} FROM sessions WHERE {filter}", sums.join(", ")),
            params_from_iter(&p.values),
            |r| (0..counted.len()).map(|i| r.get(i)).collect(),
        )
        .map_err(map_err)?;
    let events_by_type: BTreeMap<String, u64> = counted
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|((kind, _), n)| (kind.as_str().to_owned(), n as u64))
        .collect();
    let limit = Value::BigInt(i64::from(plan.top));
    let mut stmt = conn
        .prepare(&format!(
            "SELECT path, count(DISTINCT visitor_id) AS visitors, count(*) AS n
             FROM pageviews WHERE {filter}
             GROUP BY path ORDER BY n DESC, visitors DESC, path LIMIT ${}",
            p.values.len() + 1
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map(
            params_from_iter(p.values.iter().chain(std::iter::once(&limit))),
            |r| {
                Ok(TopRow {
                    value: r.get(0)?,
                    visitors: r.get::<_, i64>(1)? as u64,
                    count: r.get::<_, i64>(2)? as u64,
                })
            },
        )
        .map_err(map_err)?;
    let pages = rows.collect::<Result<Vec<_>, _>>().map_err(map_err)?;
    let previous_series = match plan.previous_series_plan() {
        Some(before) => {
            let mut p = Params::default();
            let filter = events_where(&before.site, before.range, &before.filters, &mut p);
            Some(series(conn, &before, &filter, &p)?)
        }
        None => None,
    };
    Ok(Overview {
        totals: totals(conn, plan, plan.range)?,
        events_by_type,
        previous: totals(conn, plan, plan.previous_range())?,
        granularity: Some(plan.granularity),
        time_zone: plan.zone.name().to_owned(),
        series: series(conn, plan, &filter, &p)?,
        previous_series,
        top: BTreeMap::from([("pages".to_owned(), pages)]),
    })
}
