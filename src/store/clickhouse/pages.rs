//! The pages and interactions report in ClickHouse SQL (`query::pages` states the counting
//! rules), figure for figure the embedded store's.
//!
//! DuckDB finds each pageview's successor with `lead()` and each scroll's pageview with an
//! ASOF join; 18.16 has neither (nor more than one JOIN per SELECT, nor lambdas capturing more
//! than one outer column: values are passed as arrays instead). Instead each session's filtered pageviews become one sorted array:
//! a view's successor is the next element, and a scroll belongs to the view whose index is the
//! number of the session's views at or before it (the latest one, as ASOF picks).

use std::collections::HashMap;

use super::client::{Client, RowExt, quote};
use super::sql::events_where;
use crate::query::pages::{
    ClickRow, FormRow, MAX_PER_PAGE, MAX_TIME_ON_PAGE_MS, PageRow, PageSort, Pages, PagesPlan,
    ScrollDepth, average_time_ms,
};
use crate::store::StoreResult;

fn order(sort: PageSort) -> &'static str {
    match sort {
        PageSort::Views => "views DESC, path",
        PageSort::Visitors => "visitors DESC, views DESC, path",
        PageSort::Time => "time_ms / nullIf(timed_views, 0) DESC NULLS LAST, views DESC, path",
        PageSort::Path => "path",
    }
}

/// Per path: views, visitors, timed views, summed time, views per scroll depth reached.
fn per_path(plan: &PagesPlan, filter: &str) -> String {
    let site = quote(plan.site.as_str());
    let pageviews = format!(
        "(SELECT session_id, arraySort(groupArray((ts_ms, path, visitor_id))) AS pvs
          FROM events WHERE {filter} AND kind = 'pageview' GROUP BY session_id)"
    );
    // The deepest scroll per (session, view index) on the view's own path.
    let depths = format!(
        "(SELECT session_id, idx, max(depth) AS depth FROM (
             SELECT session_id, depth, sc_path, pv_path,
                    arrayCount((x, t) -> x <= t, pv_ts,
                               arrayResize(emptyArrayInt64(), length(pv_ts), sc_ts)) AS idx
             FROM (SELECT session_id, ts_ms AS sc_ts, path AS sc_path, depth FROM events
                   WHERE {filter} AND kind = 'scroll' AND depth IS NOT NULL)
             ALL INNER JOIN (
                 SELECT session_id, arrayMap(x -> tupleElement(x, 1), pvs) AS pv_ts,
                        arrayMap(x -> tupleElement(x, 2), pvs) AS pv_path
                 FROM {pageviews}
             ) USING session_id
         ) WHERE idx > 0 AND pv_path[idx] = sc_path
         GROUP BY session_id, idx)"
    );
    let last = format!(
        "(SELECT session_id, max(last_ts_ms) AS last FROM session_parts
          WHERE site = {site} AND session_id IN (
              SELECT session_id FROM events WHERE {filter} AND kind = 'pageview')
          GROUP BY session_id)"
    );
    format!(
        "(SELECT path, count() AS views, uniqExact(visitor_id) AS visitors,
                 count(view_ms) AS timed_views, sum(view_ms) AS time_ms,
                 countIf(ifNull(depth, 0) >= 25) AS r25, countIf(ifNull(depth, 0) >= 50) AS r50,
                 countIf(ifNull(depth, 0) >= 75) AS r75, countIf(ifNull(depth, 0) >= 100) AS r100
          FROM (
              SELECT session_id, idx, tupleElement(pv, 2) AS path,
                     tupleElement(pv, 3) AS visitor_id,
                     if(idx < n, toNullable(least(next_ts - tupleElement(pv, 1), {cap})),
                        if(last > tupleElement(pv, 1),
                           toNullable(least(last - tupleElement(pv, 1), {cap})), NULL)) AS view_ms
              FROM (
                  SELECT session_id, pvs, length(pvs) AS n, last,
                         arrayPushBack(arrayPopFront(arrayMap(x -> tupleElement(x, 1), pvs)),
                                       toInt64(0)) AS nexts
                  FROM {pageviews} ANY LEFT JOIN {last} USING session_id
              )
              ARRAY JOIN pvs AS pv, arrayEnumerate(pvs) AS idx, nexts AS next_ts
          ) ANY LEFT JOIN {depths} USING (session_id, idx)
          GROUP BY path)",
        cap = MAX_TIME_ON_PAGE_MS
    )
}

pub(super) fn pages(c: &Client, plan: &PagesPlan) -> StoreResult<Pages> {
    let filter = events_where(&plan.site, plan.range, &plan.filters);
    let p = per_path(plan, &filter);
    let mut out = Pages {
        limit: plan.limit,
        offset: plan.offset,
        ..Pages::default()
    };
    let rows = c.query(&format!("SELECT count() FROM {p}"))?;
    if let Some(r) = rows.0.first() {
        out.total = r.at(0)?.u64()?;
    }
    let rows = c.query(&format!(
        "SELECT path, views, visitors, timed_views, time_ms, r25, r50, r75, r100 FROM {p}
         ORDER BY {} LIMIT {} OFFSET {}",
        order(plan.sort),
        plan.limit,
        plan.offset
    ))?;
    for r in &rows.0 {
        let timed_views = r.at(3)?.u64()?;
        out.pages.push(PageRow {
            path: r.at(0)?.string()?,
            views: r.at(1)?.u64()?,
            visitors: r.at(2)?.u64()?,
            timed_views,
            avg_time_ms: average_time_ms(r.at(4)?.opt_i64()?.unwrap_or(0), timed_views),
            scroll: ScrollDepth {
                reached_25: r.at(5)?.u64()?,
                reached_50: r.at(6)?.u64()?,
                reached_75: r.at(7)?.u64()?,
                reached_100: r.at(8)?.u64()?,
            },
            total_clicks: 0,
            clicks: Vec::new(),
            forms: Vec::new(),
        });
    }
    if out.pages.is_empty() {
        return Ok(out);
    }
    let paths: Vec<String> = out.pages.iter().map(|p| quote(&p.path)).collect();
    let paths = paths.join(",");
    let index: HashMap<String, usize> = out
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.path.clone(), i))
        .collect();

    let rows = c.query(&format!(
        "SELECT path, target, label, count() AS clicks FROM events
         WHERE {filter} AND kind = 'click' AND path IN ({paths})
         GROUP BY path, target, label
         ORDER BY path, clicks DESC, target, label NULLS FIRST
         LIMIT {MAX_PER_PAGE} BY path"
    ))?;
    for r in &rows.0 {
        let click = ClickRow {
            selector: r.at(1)?.string()?,
            text: r.at(2)?.opt_string()?,
            clicks: r.at(3)?.u64()?,
        };
        if let Some(&i) = index.get(&r.at(0)?.string()?) {
            out.pages[i].clicks.push(click);
        }
    }
    let rows = c.query(&format!(
        "SELECT path, count() FROM events
         WHERE {filter} AND kind = 'click' AND path IN ({paths}) GROUP BY path"
    ))?;
    for r in &rows.0 {
        if let Some(&i) = index.get(&r.at(0)?.string()?) {
            out.pages[i].total_clicks = r.at(1)?.u64()?;
        }
    }

    let rows = c.query(&format!(
        "SELECT path, target, countIf(started) AS starts, countIf(submitted) AS submits,
                countIf(NOT submitted AND (abandoned OR started)) AS abandons
         FROM (
             SELECT path, target, session_id,
                    max(ifNull(name, '') = 'focus') AS started,
                    max(ifNull(name, '') = 'submit') AS submitted,
                    max(ifNull(name, '') = 'abandon') AS abandoned
             FROM events
             WHERE {filter} AND kind = 'form' AND path IN ({paths})
             GROUP BY path, target, session_id
         )
         GROUP BY path, target
         ORDER BY path, starts DESC, target
         LIMIT {MAX_PER_PAGE} BY path"
    ))?;
    for r in &rows.0 {
        let form = FormRow::new(
            r.at(1)?.string()?,
            r.at(2)?.u64()?,
            r.at(3)?.u64()?,
            r.at(4)?.u64()?,
        );
        if let Some(&i) = index.get(&r.at(0)?.string()?) {
            out.pages[i].forms.push(form);
        }
    }
    Ok(out)
}
