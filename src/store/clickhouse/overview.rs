//! The overview report in ClickHouse SQL, figure for figure the embedded store's: totals (and
//! the previous period's) and top lists over merged sessions starting in the range, the time
//! series over per-batch rollups, events by type from the sessions' per-kind counts, pages
//! from pageview events. Distinct counts are exact (`uniqExact`); the median is exact (the
//! middle of the sorted durations, the mean of the two middle ones for an even count, as
//! DuckDB's `median`).

use std::collections::BTreeMap;

use super::client::{Client, RowExt};
use super::sql::{events_where, local_ts, sessions_starting_in};
use crate::model::EventKind;
use crate::query::{Granularity, Overview, OverviewPlan, SeriesPoint, TimeRange, TopRow, Totals};
use crate::store::StoreResult;
use crate::store::rows::KIND_COLUMNS;

fn totals(c: &Client, plan: &OverviewPlan, range: TimeRange) -> StoreResult<Totals> {
    let from = sessions_starting_in(&plan.site, range);
    let filter = events_where(&plan.site, range, &plan.filters);
    let rows = c.query(&format!(
        "SELECT uniqExact(visitor_id), count() AS n, sum(pageviews), sum(events),
                if(n = 0, 0, countIf(pageviews <= 1) / n),
                if(n = 0, 0, toFloat64(sum(last_ts_ms - ts_ms)) / n),
                arraySort(groupArray(last_ts_ms - ts_ms)) AS d,
                sum(engaged_ms)
         FROM {from} WHERE {filter}"
    ))?;
    let Some(r) = rows.0.first() else {
        return Ok(Totals::default());
    };
    let sessions = r.at(1)?.u64()?;
    let engaged = r.at(7)?.i64()?;
    let durations: Vec<i64> = match r.at(6)?.0 {
        serde_json::Value::Array(a) => a
            .iter()
            .map(|v| super::client::Cell(v).i64())
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    Ok(Totals {
        visitors: r.at(0)?.u64()?,
        sessions,
        pageviews: r.at(2)?.u64()?,
        events: r.at(3)?.u64()?,
        bounce_rate: r.at(4)?.f64()?,
        avg_session_duration_ms: r.at(5)?.f64()?,
        median_session_duration_ms: median(&durations),
        engaged_time_ms: engaged,
        avg_engaged_time_ms: if sessions == 0 {
            0.0
        } else {
            engaged as f64 / sessions as f64
        },
    })
}

/// The median of sorted values (the mean of the middle two for an even count; 0 for none).
fn median(sorted: &[i64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0
    }
}

/// The bucket start (wall-clock milliseconds) of the local time expression `local`.
pub(super) fn bucket(g: Granularity, local: &str) -> String {
    const DAY: i64 = 86_400_000;
    match g {
        Granularity::Hour => format!("intDiv({local}, 3600000) * 3600000"),
        Granularity::Day => format!("intDiv({local}, {DAY}) * {DAY}"),
        // Weeks start on Monday: 1970-01-01 was a Thursday (as `Granularity::bucket_start`).
        Granularity::Week => format!(
            "intDiv({local} + {three}, {week}) * {week} - {three}",
            three = 3 * DAY,
            week = 7 * DAY
        ),
    }
}

fn series(c: &Client, plan: &OverviewPlan, filter: &str) -> StoreResult<Vec<SeriesPoint>> {
    let local = local_ts(plan.zone, plan.range);
    let rows = c.query(&format!(
        "SELECT {} AS bucket, uniqExact(visitor_id), uniqExact(session_id), sum(pageviews),
                sum(events)
         FROM batches WHERE {filter} GROUP BY bucket ORDER BY bucket",
        bucket(plan.granularity, &local)
    ))?;
    let mut found: BTreeMap<i64, SeriesPoint> = BTreeMap::new();
    for r in &rows.0 {
        let wall = r.at(0)?.i64()?;
        found.insert(
            wall,
            SeriesPoint {
                start_ms: wall,
                local: String::new(),
                visitors: r.at(1)?.u64()?,
                sessions: r.at(2)?.u64()?,
                pageviews: r.at(3)?.u64()?,
                events: r.at(4)?.u64()?,
            },
        );
    }
    Ok(crate::store::assemble::overview_series(
        found,
        plan.granularity,
        plan.zone,
        plan.range,
    ))
}

/// Top lists over sessions: (list name, expression over the merged sessions).
const SESSION_DIMENSIONS: [(&str, &str); 10] = [
    ("entry_pages", "entry_page"),
    ("exit_pages", "exit_page"),
    ("sources", "source"),
    ("referrers", "referrer_host"),
    ("utm_campaigns", "utm_campaign"),
    ("countries", "country"),
    ("browsers", "toNullable(browser)"),
    ("os", "toNullable(os)"),
    ("devices", "toNullable(device)"),
    (
        "screen_sizes",
        "concat(toString(screen_w), 'x', toString(screen_h))",
    ),
];

fn top_lists(
    c: &Client,
    plan: &OverviewPlan,
    filter: &str,
) -> StoreResult<BTreeMap<String, Vec<TopRow>>> {
    let from = sessions_starting_in(&plan.site, plan.range);
    let pairs: Vec<String> = SESSION_DIMENSIONS
        .iter()
        .map(|(name, expr)| format!("('{name}', {expr})"))
        .collect();
    // One pass: every session contributes one (list, value) pair per list. Entry and exit
    // pages leave out sessions without a pageview.
    let rows = c.query(&format!(
        "SELECT list, value, uniqExact(visitor_id) AS visitors, count() AS n FROM (
             SELECT visitor_id, tupleElement(pair, 1) AS list, tupleElement(pair, 2) AS value
             FROM (SELECT visitor_id, arrayJoin([{pairs}]) AS pair FROM {from} WHERE {filter})
         )
         WHERE NOT (list IN ('entry_pages', 'exit_pages') AND isNull(value))
         GROUP BY list, value
         ORDER BY list, n DESC, visitors DESC, value
         LIMIT {top} BY list",
        pairs = pairs.join(", "),
        top = plan.top
    ))?;
    let mut out: BTreeMap<String, Vec<TopRow>> = BTreeMap::new();
    for (name, _) in SESSION_DIMENSIONS {
        out.insert(name.to_owned(), Vec::new());
    }
    for r in &rows.0 {
        out.entry(r.at(0)?.string()?).or_default().push(TopRow {
            value: r.at(1)?.opt_string()?,
            visitors: r.at(2)?.u64()?,
            count: r.at(3)?.u64()?,
        });
    }
    Ok(out)
}

pub(super) fn overview(c: &Client, plan: &OverviewPlan) -> StoreResult<Overview> {
    let filter = events_where(&plan.site, plan.range, &plan.filters);

    // Events by type of the sessions in range, from their per-kind counts.
    let counted: Vec<(EventKind, &str)> = [
        (EventKind::Pageview, "pageviews"),
        (EventKind::Click, "clicks"),
    ]
    .into_iter()
    .chain(
        KIND_COLUMNS
            .iter()
            .map(|&(column, i)| (EventKind::ALL[i], column)),
    )
    .collect();
    let sums: Vec<String> = counted
        .iter()
        .map(|(_, column)| format!("sum({column})"))
        .collect();
    let rows = c.query(&format!(
        "SELECT {} FROM {} WHERE {filter}",
        sums.join(", "),
        sessions_starting_in(&plan.site, plan.range)
    ))?;
    let mut events_by_type = BTreeMap::new();
    if let Some(r) = rows.0.first() {
        for (i, (kind, _)) in counted.iter().enumerate() {
            let n = r.at(i)?.i64()?;
            if n > 0 {
                events_by_type.insert(kind.as_str().to_owned(), n as u64);
            }
        }
    }
    let rows = c.query(&format!(
        "SELECT path, uniqExact(visitor_id) AS visitors, count() AS n
         FROM events WHERE kind = 'pageview' AND {filter}
         GROUP BY path ORDER BY n DESC, visitors DESC, path LIMIT {}",
        plan.top
    ))?;
    let pages = rows
        .0
        .iter()
        .map(|r| {
            Ok(TopRow {
                value: r.at(0)?.opt_string()?,
                visitors: r.at(1)?.u64()?,
                count: r.at(2)?.u64()?,
            })
        })
        .collect::<Result<Vec<_>, super::client::ClientError>>()?;
    let mut top = top_lists(c, plan, &filter)?;
    top.insert("pages".to_owned(), pages);
    Ok(Overview {
        totals: totals(c, plan, plan.range)?,
        events_by_type,
        previous: totals(c, plan, plan.previous_range())?,
        granularity: Some(plan.granularity),
        time_zone: plan.zone.name().to_owned(),
        series: series(c, plan, &filter)?,
        previous_series: plan
            .previous_series_plan()
            .map(|before| {
                let filter = events_where(&before.site, before.range, &before.filters);
                series(c, &before, &filter)
            })
            .transpose()?,
        top,
    })
}
