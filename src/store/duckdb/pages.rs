//! DuckDB SQL of the pages and interactions report (`query::pages` states the counting rules).
//!
//! Three statements: the page rows (one page of them, with the total), then the clicked
//! elements and the forms of the listed pages only. The listed paths are handed to the last two
//! as one bound JSON array, so their SQL stays fixed. Every statement is built from fixed text
//! plus the bound filter predicate of `sql::events_where` and a fixed `ORDER BY` chosen by the
//! plan's sort, collapsed to one line so the snapshot test pins it exactly.
//!
//! The page rows read the `pageviews` projection, the scroll events (matched to their pageview
//! with an ASOF join) and the session rows: a window pass over every event of the sessions in
//! time order took about 0.4 s on 1M seeded events and several seconds on 10M.

use std::collections::HashMap;

use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

use super::map_err;
use super::sql::{Params, events_where};
use crate::query::pages::{
    ClickRow, FormRow, MAX_PER_PAGE, MAX_TIME_ON_PAGE_MS, PageRow, PageSort, Pages, PagesPlan,
    ScrollDepth, average_time_ms,
};
use crate::store::StoreResult;
use crate::store::assemble::count;

/// Per page: views, visitors, timed views, summed time, scroll depth counts; one page of rows
/// after the total (a row of `NULL`s past the end, so the total is always there).
/// Pageviews come from the `pageviews` projection with the next pageview of their session;
/// a view lasts until that one, or for the session's last view until the session's last event
/// (`sessions.last_ts`). Each scroll belongs to the latest pageview at or before it in its
/// session (an ASOF join), and counts for the view's depth when it is on the view's path.
const PAGES: &str = "
    WITH pv AS (
        SELECT session_id, visitor_id, path, ts,
               lead(ts) OVER (PARTITION BY session_id ORDER BY ts) AS next_ts
        FROM pageviews WHERE {filter}
    ),
    sc AS (
        SELECT session_id, path, ts, depth FROM events
        WHERE {filter} AND kind = 'scroll' AND depth IS NOT NULL
    ),
    d AS (
        SELECT pv.session_id, pv.ts AS pv_ts, max(sc.depth) AS depth
        FROM sc ASOF JOIN pv ON sc.session_id = pv.session_id AND sc.ts >= pv.ts
        WHERE sc.path = pv.path
        GROUP BY pv.session_id, pv.ts
    ),
    v AS (
        SELECT pv.path, pv.visitor_id, d.depth,
               CASE WHEN pv.next_ts IS NOT NULL
                        THEN least(epoch_ms(pv.next_ts) - epoch_ms(pv.ts), {cap})
                    WHEN s.last_ts > pv.ts
                        THEN least(epoch_ms(s.last_ts) - epoch_ms(pv.ts), {cap})
               END AS time_ms
        FROM pv
        LEFT JOIN d ON d.session_id = pv.session_id AND d.pv_ts = pv.ts
        LEFT JOIN (SELECT session_id, last_ts FROM sessions WHERE site = $1) s
               ON s.session_id = pv.session_id
    ),
    p AS (
        SELECT path, count(*) AS views, count(DISTINCT visitor_id) AS visitors,
               count(time_ms) AS timed_views, coalesce(sum(time_ms), 0)::BIGINT AS time_ms,
               count(*) FILTER (WHERE depth >= 25) AS r25,
               count(*) FILTER (WHERE depth >= 50) AS r50,
               count(*) FILTER (WHERE depth >= 75) AS r75,
               count(*) FILTER (WHERE depth >= 100) AS r100
        FROM v GROUP BY path
    )
    SELECT t.total, r.path, r.views, r.visitors, r.timed_views, r.time_ms,
           r.r25, r.r50, r.r75, r.r100
    FROM (SELECT count(*) AS total FROM p) t
    LEFT JOIN (
        SELECT *, row_number() OVER (ORDER BY {order}) AS rn FROM p
        ORDER BY rn LIMIT {limit} OFFSET {offset}
    ) r ON true
    ORDER BY r.rn";

/// The listed paths, from the bound JSON array.
const PATHS: &str = "SELECT unnest(from_json({paths}, '[\"VARCHAR\"]')) AS path";

/// Top clicked elements per listed page, each row with the page's click total.
const CLICKS: &str = "
    WITH paths AS ({paths_sql})
    SELECT path, target, label, count(*) AS clicks,
           sum(count(*)) OVER (PARTITION BY path)::BIGINT AS page_clicks FROM events
    WHERE {filter} AND kind = 'click' AND path IN (SELECT path FROM paths)
    GROUP BY path, target, label
    QUALIFY row_number() OVER (
        PARTITION BY path ORDER BY count(*) DESC, target, label NULLS FIRST) <= {per_page}
    ORDER BY path, clicks DESC, target, label NULLS FIRST";

/// Form starts, submits and abandons (in sessions) per listed page and form.
const FORMS: &str = "
    WITH paths AS ({paths_sql}),
    f AS (
        SELECT path, target, session_id,
               bool_or(name = 'focus') AS started,
               bool_or(name = 'submit') AS submitted,
               bool_or(name = 'abandon') AS abandoned
        FROM events
        WHERE {filter} AND kind = 'form' AND path IN (SELECT path FROM paths)
        GROUP BY path, target, session_id
    )
    SELECT path, target,
           count(*) FILTER (WHERE started) AS starts,
           count(*) FILTER (WHERE submitted) AS submits,
           count(*) FILTER (WHERE NOT submitted AND (abandoned OR started)) AS abandons
    FROM f GROUP BY path, target
    QUALIFY row_number() OVER (PARTITION BY path ORDER BY starts DESC, target) <= {per_page}
    ORDER BY path, starts DESC, target";

/// The report's statements for one plan, with their parameters.
#[derive(Debug)]
pub(super) struct Statements {
    pub pages: String,
    pub clicks: String,
    pub forms: String,
    /// Parameters of `pages` (the filter's, then limit and offset).
    pub page_params: Vec<Value>,
    /// Parameters of `clicks` and `forms` (the filter's, then the paths, which
    /// [`with_paths`] sets).
    pub detail_params: Vec<Value>,
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn order(sort: PageSort) -> &'static str {
    match sort {
        PageSort::Views => "views DESC, path",
        PageSort::Visitors => "visitors DESC, views DESC, path",
        PageSort::Time => "time_ms / nullif(timed_views, 0) DESC NULLS LAST, views DESC, path",
        PageSort::Path => "path",
    }
}

pub(super) fn statements(plan: &PagesPlan) -> Statements {
    let mut p = Params::default();
    let filter = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let filter_params = p.values.clone();

    let mut page_p = Params {
        values: filter_params.clone(),
    };
    let limit = page_p.bind(Value::BigInt(i64::from(plan.limit)));
    let offset = page_p.bind(Value::BigInt(
        i64::try_from(plan.offset).unwrap_or(i64::MAX),
    ));
    let pages = one_line(PAGES)
        .replace("{order}", order(plan.sort))
        .replace("{limit}", &limit)
        .replace("{offset}", &offset)
        .replace("{cap}", &MAX_TIME_ON_PAGE_MS.to_string())
        .replace("{filter}", &filter);

    let mut detail_p = Params {
        values: filter_params,
    };
    let paths = detail_p.bind(Value::Text("[]".into()));
    let paths_sql = PATHS.replace("{paths}", &paths);
    let detail = |template: &str| {
        one_line(template)
            .replace("{paths_sql}", &paths_sql)
            .replace("{per_page}", &MAX_PER_PAGE.to_string())
            .replace("{filter}", &filter)
    };
    Statements {
        pages,
        clicks: detail(CLICKS),
        forms: detail(FORMS),
        page_params: page_p.values,
        detail_params: detail_p.values,
    }
}

/// Sets the paths parameter (the last one) of the detail statements.
fn with_paths(params: &mut [Value], paths: &[String]) -> StoreResult<()> {
    let json = serde_json::to_string(paths)
        .map_err(|e| crate::store::StoreError::internal_because(e.to_string(), e))?;
    if let Some(last) = params.last_mut() {
        *last = Value::Text(json);
    }
    Ok(())
}

pub(super) fn pages(conn: &Connection, plan: &PagesPlan) -> StoreResult<Pages> {
    let mut st = statements(plan);
    let mut out = Pages {
        limit: plan.limit,
        offset: plan.offset,
        ..Pages::default()
    };

    let mut stmt = conn.prepare(&st.pages).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&st.page_params), |r| {
            let total: i64 = r.get(0)?;
            let path: Option<String> = r.get(1)?;
            let n = |i| r.get::<_, Option<i64>>(i).map(|v| count(v.unwrap_or(0)));
            let row = match path {
                None => None,
                Some(path) => {
                    let timed_views = n(4)?;
                    let time_ms = r.get::<_, Option<i64>>(5)?.unwrap_or(0);
                    Some(PageRow {
                        path,
                        views: n(2)?,
                        visitors: n(3)?,
                        timed_views,
                        avg_time_ms: average_time_ms(time_ms, timed_views),
                        scroll: ScrollDepth {
                            reached_25: n(6)?,
                            reached_50: n(7)?,
                            reached_75: n(8)?,
                            reached_100: n(9)?,
                        },
                        total_clicks: 0,
                        clicks: Vec::new(),
                        forms: Vec::new(),
                    })
                }
            };
            Ok((total, row))
        })
        .map_err(map_err)?;
    for row in rows {
        let (total, page) = row.map_err(map_err)?;
        out.total = count(total);
        out.pages.extend(page);
    }
    drop(stmt);
    if out.pages.is_empty() {
        return Ok(out);
    }

    let paths: Vec<String> = out.pages.iter().map(|p| p.path.clone()).collect();
    with_paths(&mut st.detail_params, &paths)?;
    let index: HashMap<String, usize> = paths.into_iter().zip(0..).collect();

    let mut stmt = conn.prepare(&st.clicks).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&st.detail_params), |r| {
            Ok((
                r.get::<_, String>(0)?,
                ClickRow {
                    selector: r.get(1)?,
                    text: r.get(2)?,
                    clicks: count(r.get(3)?),
                },
                count(r.get(4)?),
            ))
        })
        .map_err(map_err)?;
    for row in rows {
        let (path, click, page_clicks) = row.map_err(map_err)?;
        if let Some(page) = index.get(&path).and_then(|&i| out.pages.get_mut(i)) {
            page.clicks.push(click);
            page.total_clicks = page_clicks;
        }
    }
    drop(stmt);

    let mut stmt = conn.prepare(&st.forms).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&st.detail_params), |r| {
            Ok((
                r.get::<_, String>(0)?,
                FormRow::new(
                    r.get(1)?,
                    count(r.get(2)?),
                    count(r.get(3)?),
                    count(r.get(4)?),
                ),
            ))
        })
        .map_err(map_err)?;
    for row in rows {
        let (path, form) = row.map_err(map_err)?;
        if let Some(page) = index.get(&path).and_then(|&i| out.pages.get_mut(i)) {
            page.forms.push(form);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Filter, Filters, SessionField, TimeRange};

    /// The SQL of the report for a plan with two filters, pinned: a change here is a change of
    /// query plans.
    #[test]
    fn pages_sql_snapshot() {
        let plan = PagesPlan {
            site: crate::model::SiteId::parse("demo").unwrap(),
            range: TimeRange::new(1_000, 2_000).unwrap(),
            filters: Filters {
                include_bots: false,
                conditions: vec![
                    Filter::Session(SessionField::Country, "DE".into()),
                    Filter::PagePrefix("/shop/".into()),
                ],
            },
            sort: PageSort::Time,
            limit: 50,
            offset: 100,
        };
        let mut st = statements(&plan);
        let filter = "site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND ($4 OR NOT bot) AND session_id IN (SELECT session_id FROM sessions WHERE site = $1 AND country = $5) AND session_id IN (SELECT session_id FROM pageviews WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND starts_with(path, $6))";
        assert_eq!(
            st.pages,
            format!(
                "WITH pv AS ( SELECT session_id, visitor_id, path, ts, lead(ts) OVER (PARTITION BY session_id ORDER BY ts) AS next_ts FROM pageviews WHERE {filter} ), \
                 sc AS ( SELECT session_id, path, ts, depth FROM events WHERE {filter} AND kind = 'scroll' AND depth IS NOT NULL ), \
                 d AS ( SELECT pv.session_id, pv.ts AS pv_ts, max(sc.depth) AS depth FROM sc ASOF JOIN pv ON sc.session_id = pv.session_id AND sc.ts >= pv.ts WHERE sc.path = pv.path GROUP BY pv.session_id, pv.ts ), \
                 v AS ( SELECT pv.path, pv.visitor_id, d.depth, CASE WHEN pv.next_ts IS NOT NULL THEN least(epoch_ms(pv.next_ts) - epoch_ms(pv.ts), 1800000) WHEN s.last_ts > pv.ts THEN least(epoch_ms(s.last_ts) - epoch_ms(pv.ts), 1800000) END AS time_ms FROM pv LEFT JOIN d ON d.session_id = pv.session_id AND d.pv_ts = pv.ts LEFT JOIN (SELECT session_id, last_ts FROM sessions WHERE site = $1) s ON s.session_id = pv.session_id ), \
                 p AS ( SELECT path, count(*) AS views, count(DISTINCT visitor_id) AS visitors, count(time_ms) AS timed_views, coalesce(sum(time_ms), 0)::BIGINT AS time_ms, count(*) FILTER (WHERE depth >= 25) AS r25, count(*) FILTER (WHERE depth >= 50) AS r50, count(*) FILTER (WHERE depth >= 75) AS r75, count(*) FILTER (WHERE depth >= 100) AS r100 FROM v GROUP BY path ) \
                 SELECT t.total, r.path, r.views, r.visitors, r.timed_views, r.time_ms, r.r25, r.r50, r.r75, r.r100 FROM (SELECT count(*) AS total FROM p) t \
                 LEFT JOIN ( SELECT *, row_number() OVER (ORDER BY time_ms / nullif(timed_views, 0) DESC NULLS LAST, views DESC, path) AS rn FROM p ORDER BY rn LIMIT $7 OFFSET $8 ) r ON true ORDER BY r.rn"
            )
        );
        let paths = "SELECT unnest(from_json($7, '[\"VARCHAR\"]')) AS path";
        assert_eq!(
            st.clicks,
            format!(
                "WITH paths AS ({paths}) SELECT path, target, label, count(*) AS clicks, sum(count(*)) OVER (PARTITION BY path)::BIGINT AS page_clicks FROM events WHERE {filter} AND kind = 'click' AND path IN (SELECT path FROM paths) GROUP BY path, target, label \
                 QUALIFY row_number() OVER ( PARTITION BY path ORDER BY count(*) DESC, target, label NULLS FIRST) <= 10 ORDER BY path, clicks DESC, target, label NULLS FIRST"
            )
        );
        assert_eq!(
            st.forms,
            format!(
                "WITH paths AS ({paths}), f AS ( SELECT path, target, session_id, bool_or(name = 'focus') AS started, bool_or(name = 'submit') AS submitted, bool_or(name = 'abandon') AS abandoned FROM events WHERE {filter} AND kind = 'form' AND path IN (SELECT path FROM paths) GROUP BY path, target, session_id ) \
                 SELECT path, target, count(*) FILTER (WHERE started) AS starts, count(*) FILTER (WHERE submitted) AS submits, count(*) FILTER (WHERE NOT submitted AND (abandoned OR started)) AS abandons FROM f GROUP BY path, target \
                 QUALIFY row_number() OVER (PARTITION BY path ORDER BY starts DESC, target) <= 10 ORDER BY path, starts DESC, target"
            )
        );
        assert_eq!(st.page_params.len(), 8);
        assert_eq!(st.page_params[6], Value::BigInt(50));
        assert_eq!(st.page_params[7], Value::BigInt(100));
        assert_eq!(st.detail_params.len(), 7);
        with_paths(&mut st.detail_params, &["/a".into(), "/b\"".into()]).unwrap();
        assert_eq!(st.detail_params[6], Value::Text(r#"["/a","/b\""]"#.into()));

        let orders: Vec<_> = [PageSort::Views, PageSort::Visitors, PageSort::Path]
            .map(|s| {
                let st = statements(&PagesPlan {
                    sort: s,
                    ..plan.clone()
                });
                st.pages
                    .split("row_number() OVER (ORDER BY ")
                    .nth(1)
                    .and_then(|s| s.split(") AS rn").next())
                    .map(str::to_owned)
            })
            .into_iter()
            .collect();
        assert_eq!(
            orders,
            vec![
                Some("views DESC, path".to_owned()),
                Some("visitors DESC, views DESC, path".to_owned()),
                Some("path".to_owned()),
            ]
        );
    }
}
