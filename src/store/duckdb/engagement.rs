//! DuckDB SQL of the engagement report (`query::engagement` states the counting rules and why
//! the figures are computed at query time).
//!
//! Three statements: the paged rows (with revenue per currency joined on, one output row per
//! (row, currency) like the e-commerce product table), the activity counts over the 30 days
//! ending at `to`, and the cohort cells. Each is fixed text plus the bound filter predicate of
//! `sql::events_where`; the only text chosen per request is the "who" key and the sort order,
//! picked by enum, and the score expression, rendered from the constants of `query::SCORE`.
//! All are collapsed to one line so the snapshot test pins them exactly.

use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

use super::map_err;
use super::sql::{Params, events_where, local_ts};
use crate::model::VisitorId;
use crate::query::Amount;
use crate::query::engagement::{
    Active, Engagement, EngagementBy, EngagementPlan, EngagementRow, EngagementSort, SCORE,
    ScoreInput,
};
use crate::store::StoreResult;
use crate::store::assemble::{count, local_cohorts};

/// Identity links: the user each visitor first signed in as.
const LINKS: &str = "
    links AS (
        SELECT visitor_id, arg_min(user_id, ts) AS user_id
        FROM identities WHERE site = $1 GROUP BY visitor_id
    )";

/// Per-row figures. `{key}` is who a session belongs to, `{score}` the score expression,
/// `{search}` the `q` predicate (or `true`), `{order}` / `{g_order}` the sort order.
const ROWS: &str = "
    WITH {links},
    s AS (
        SELECT session_id, visitor_id, user_id, ts AS start_ts, last_ts AS end_ts, pageviews,
               clicks, engaged_ms, max_depth
        FROM sessions WHERE {filter}
    ),
    k AS (
        SELECT s.*, coalesce(s.user_id, links.user_id) AS uid, {key} AS id
        FROM s LEFT JOIN links ON links.visitor_id = s.visitor_id
    ),
    orders AS (
        SELECT k.id, e.currency, e.value_minor FROM commerce e JOIN k ON k.session_id = e.session_id
        WHERE e.site = $1 AND e.ts >= epoch_ms($2) AND e.name = 'purchase'
        QUALIFY row_number() OVER (PARTITION BY e.transaction_id ORDER BY e.ts, e.eid) = 1
    ),
    p AS (SELECT id, count(*) AS purchases FROM orders WHERE id IS NOT NULL GROUP BY id),
    f AS (
        SELECT k.id, max(k.uid) AS user_id, count(DISTINCT k.visitor_id) AS visitors,
               epoch_ms(min(k.start_ts)) AS first_seen_ms, epoch_ms(max(k.end_ts)) AS last_seen_ms,
               count(*) AS sessions, sum(k.engaged_ms)::BIGINT AS engaged_ms,
               sum(k.pageviews)::BIGINT AS pageviews, sum(k.clicks)::BIGINT AS clicks,
               max(k.max_depth)::INTEGER AS max_depth, avg(k.max_depth) AS avg_depth,
               coalesce(any_value(p.purchases), 0) AS purchases
        FROM k LEFT JOIN p ON p.id = k.id
        WHERE k.id IS NOT NULL
        GROUP BY k.id
    ),
    fs AS (SELECT * FROM f WHERE {search}),
    g AS (SELECT *, {score} AS score FROM fs ORDER BY {order} LIMIT {limit} OFFSET {offset}),
    rev AS (
        SELECT id, currency, sum(value_minor)::BIGINT AS minor FROM orders
        WHERE currency IS NOT NULL AND value_minor IS NOT NULL AND id IN (SELECT id FROM g)
        GROUP BY id, currency
    )
    SELECT (SELECT count(*) FROM fs) AS total, g.id, g.user_id, g.visitors, g.first_seen_ms,
           g.last_seen_ms, g.sessions, g.engaged_ms, g.pageviews, g.clicks, g.max_depth,
           g.avg_depth, g.purchases, g.score, rev.currency, rev.minor
    FROM (SELECT 1) AS one
    LEFT JOIN g ON true
    LEFT JOIN rev ON rev.id = g.id
    ORDER BY {g_order}, rev.currency";

/// Distinct active ids in the last day, 7 days and 30 days before `$3` (the filter's range is
/// the 30 days).
const ACTIVE: &str = "
    WITH {links},
    s AS (
        SELECT visitor_id, user_id, last_ts >= epoch_ms($3 - 86400000) AS d1,
               last_ts >= epoch_ms($3 - 604800000) AS d7
        FROM sessions WHERE {filter}
    ),
    k AS (SELECT {key} AS id, d1, d7 FROM s LEFT JOIN links ON links.visitor_id = s.visitor_id)
    SELECT count(DISTINCT id) FILTER (WHERE d1), count(DISTINCT id) FILTER (WHERE d7),
           count(DISTINCT id)
    FROM k";

/// (cohort week, active week, members) cells: weeks start on Monday 00:00 wall-clock time in
/// the plan's zone (`date_trunc('week')` over `{local}`, the session start shifted to local).
const COHORTS: &str = "
    WITH {links},
    s AS (SELECT visitor_id, user_id, {local} AS local_ts FROM sessions WHERE {filter}),
    w AS (
        SELECT DISTINCT {key} AS id, date_trunc('week', s.local_ts) AS week
        FROM s LEFT JOIN links ON links.visitor_id = s.visitor_id
        WHERE {key} IS NOT NULL
    ),
    c AS (SELECT id, min(week) AS cohort FROM w GROUP BY id)
    SELECT epoch_ms(c.cohort), epoch_ms(w.week), count(*)
    FROM w JOIN c ON c.id = w.id
    GROUP BY c.cohort, w.week ORDER BY c.cohort, w.week";

fn key_sql(by: EngagementBy) -> &'static str {
    match by {
        EngagementBy::User => "coalesce(s.user_id, links.user_id)",
        EngagementBy::Visitor => "s.visitor_id",
    }
}

/// Sort columns of the `g` rows (descending or not); ties broken by id.
fn order_columns(sort: EngagementSort) -> (&'static str, bool) {
    match sort {
        EngagementSort::Score => ("score", true),
        EngagementSort::Engaged => ("engaged_ms", true),
        EngagementSort::Sessions => ("sessions", true),
        EngagementSort::Pageviews => ("pageviews", true),
        EngagementSort::Purchases => ("purchases", true),
        EngagementSort::LastSeen => ("last_seen_ms", true),
        EngagementSort::LastSeenAsc => ("last_seen_ms", false),
        EngagementSort::FirstSeen => ("first_seen_ms", true),
        EngagementSort::FirstSeenAsc => ("first_seen_ms", false),
    }
}

fn order_sql(sort: EngagementSort, prefix: &str) -> String {
    let (column, desc) = order_columns(sort);
    let dir = if desc { "DESC" } else { "ASC" };
    format!("{prefix}{column} {dir}, {prefix}id")
}

/// The score of `query::engagement::SCORE` over the columns of `f`, from its constants only.
fn score_sql() -> String {
    let terms: Vec<String> = SCORE
        .iter()
        .map(|part| {
            let x = match part.input {
                ScoreInput::Sessions => "sessions::DOUBLE",
                ScoreInput::EngagedMinutes => "engaged_ms::DOUBLE / 60000",
                ScoreInput::Pageviews => "pageviews::DOUBLE",
                ScoreInput::Clicks => "clicks::DOUBLE",
                ScoreInput::Purchases => "purchases::DOUBLE",
            };
            format!(
                "{:?}::DOUBLE * least(1::DOUBLE, ln(1 + {x}) / ln({:?}::DOUBLE))",
                part.weight,
                1.0 + part.cap
            )
        })
        .collect();
    format!("round({}, 1)", terms.join(" + "))
}

/// The report's statements for one plan, with their parameters.
#[derive(Debug)]
pub(super) struct Statements {
    pub rows: String,
    pub row_params: Vec<Value>,
    pub active: String,
    pub active_params: Vec<Value>,
    pub cohorts: String,
    pub cohort_params: Vec<Value>,
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn statements(plan: &EngagementPlan) -> Statements {
    let key = key_sql(plan.by);
    let links = one_line(LINKS);

    let mut p = Params::default();
    let filter = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let mut c = Params {
        values: p.values.clone(),
    };
    let local = local_ts(plan.zone, plan.range, &mut c);
    let cohort_params = c.values;
    let search = match &plan.search {
        Some(q) => format!(
            "contains(lower(user_id), lower({}))",
            p.bind(Value::Text(q.clone()))
        ),
        None => "true".to_owned(),
    };
    let limit = p.bind(Value::BigInt(i64::from(plan.limit)));
    let offset = p.bind(Value::BigInt(
        i64::try_from(plan.offset).unwrap_or(i64::MAX),
    ));
    let rows = one_line(ROWS)
        .replace("{links}", &links)
        .replace("{key}", key)
        .replace("{search}", &search)
        .replace("{score}", &score_sql())
        .replace("{g_order}", &order_sql(plan.sort, "g."))
        .replace("{order}", &order_sql(plan.sort, ""))
        .replace("{limit}", &limit)
        .replace("{offset}", &offset)
        .replace("{filter}", &filter);
    let cohorts = one_line(COHORTS)
        .replace("{links}", &links)
        .replace("{key}", key)
        .replace("{local}", &local)
        .replace("{filter}", &filter);

    let mut a = Params::default();
    let filter = events_where(&plan.site, plan.activity_range(), &plan.filters, &mut a);
    let active = one_line(ACTIVE)
        .replace("{links}", &links)
        .replace("{key}", key)
        .replace("{filter}", &filter);
    Statements {
        rows,
        row_params: p.values,
        active,
        active_params: a.values,
        cohorts,
        cohort_params,
    }
}

/// The row id as the API shows it: the user id, or the visitor id in hex.
fn id_text(v: Value) -> Option<String> {
    match v {
        Value::Text(s) => Some(s),
        Value::BigInt(n) => Some(VisitorId(n as u64).to_string()),
        _ => None,
    }
}

pub(super) fn engagement(conn: &Connection, plan: &EngagementPlan) -> StoreResult<Engagement> {
    let st = statements(plan);

    let mut total = 0;
    let mut rows: Vec<EngagementRow> = Vec::new();
    let mut stmt = conn.prepare(&st.rows).map_err(map_err)?;
    let mut cursor = stmt
        .query(params_from_iter(&st.row_params))
        .map_err(map_err)?;
    while let Some(r) = cursor.next().map_err(map_err)? {
        total = count(r.get(0).map_err(map_err)?);
        let Some(id) = id_text(r.get(1).map_err(map_err)?) else {
            continue; // the one row of an empty page
        };
        if rows.last().map(|row| &row.id) != Some(&id) {
            let sessions = count(r.get(6).map_err(map_err)?);
            let engaged_ms = count(r.get(7).map_err(map_err)?);
            rows.push(EngagementRow {
                id,
                user_id: r.get(2).map_err(map_err)?,
                visitors: count(r.get(3).map_err(map_err)?),
                first_seen_ms: r.get(4).map_err(map_err)?,
                last_seen_ms: r.get(5).map_err(map_err)?,
                sessions,
                engaged_ms,
                avg_engaged_ms_per_session: engaged_ms.checked_div(sessions).unwrap_or(0),
                pageviews: count(r.get(8).map_err(map_err)?),
                clicks: count(r.get(9).map_err(map_err)?),
                max_scroll_depth: r.get(10).map_err(map_err)?,
                avg_session_scroll_depth: r.get(11).map_err(map_err)?,
                purchases: count(r.get(12).map_err(map_err)?),
                revenue: Vec::new(),
                engagement_score: r.get(13).map_err(map_err)?,
            });
        }
        let currency: Option<String> = r.get(14).map_err(map_err)?;
        let minor: Option<i64> = r.get(15).map_err(map_err)?;
        if let (Some(currency), Some(minor), Some(last)) = (currency, minor, rows.last_mut()) {
            last.revenue.push(Amount { currency, minor });
        }
    }
    drop(cursor);
    drop(stmt);

    let [dau, wau, mau] = conn
        .query_row(&st.active, params_from_iter(&st.active_params), |r| {
            Ok([r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?])
        })
        .map_err(map_err)?
        .map(count);

    let mut stmt = conn.prepare(&st.cohorts).map_err(map_err)?;
    let cells = stmt
        .query_map(params_from_iter(&st.cohort_params), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(map_err)?
        .map(|c| c.map(|(a, b, n)| (a, b, count(n))).map_err(map_err))
        .collect::<StoreResult<Vec<_>>>()?;

    Ok(Engagement {
        by: plan.by.as_str(),
        total,
        limit: plan.limit,
        offset: plan.offset,
        rows,
        active: Active::new(plan.range.to_ms, dau, wau, mau),
        cohorts: local_cohorts(plan, &cells),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::engagement::{ScoreInputs, engagement_score};
    use crate::query::{Filter, Filters, SessionField, TimeRange};

    /// The SQL of the report for a plan with a filter and a search, pinned: a change here is a
    /// change of query plans.
    #[test]
    fn engagement_sql_snapshot() {
        let plan = EngagementPlan {
            site: crate::model::SiteId::parse("demo").unwrap(),
            range: TimeRange::new(1_000, 2_000).unwrap(),
            filters: Filters {
                include_bots: false,
                conditions: vec![Filter::Session(SessionField::Country, "DE".into())],
            },
            by: EngagementBy::User,
            sort: EngagementSort::Engaged,
            search: Some("acme".into()),
            limit: 50,
            offset: 100,
            zone: Default::default(),
        };
        let st = statements(&plan);
        let filter = "site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND ($4 OR NOT bot) AND session_id IN (SELECT session_id FROM sessions WHERE site = $1 AND country = $5)";
        let links = "links AS ( SELECT visitor_id, arg_min(user_id, ts) AS user_id FROM identities WHERE site = $1 GROUP BY visitor_id )";
        let key = "coalesce(s.user_id, links.user_id)";
        let score = "round(25.0::DOUBLE * least(1::DOUBLE, ln(1 + sessions::DOUBLE) / ln(21.0::DOUBLE)) + 30.0::DOUBLE * least(1::DOUBLE, ln(1 + engaged_ms::DOUBLE / 60000) / ln(61.0::DOUBLE)) + 15.0::DOUBLE * least(1::DOUBLE, ln(1 + pageviews::DOUBLE) / ln(51.0::DOUBLE)) + 10.0::DOUBLE * least(1::DOUBLE, ln(1 + clicks::DOUBLE) / ln(101.0::DOUBLE)) + 20.0::DOUBLE * least(1::DOUBLE, ln(1 + purchases::DOUBLE) / ln(6.0::DOUBLE)), 1)";
        assert_eq!(
            st.rows,
            format!(
                "WITH {links}, \
                 s AS ( SELECT session_id, visitor_id, user_id, ts AS start_ts, last_ts AS end_ts, pageviews, clicks, engaged_ms, max_depth FROM sessions WHERE {filter} ), \
                 k AS ( SELECT s.*, coalesce(s.user_id, links.user_id) AS uid, {key} AS id FROM s LEFT JOIN links ON links.visitor_id = s.visitor_id ), \
                 orders AS ( SELECT k.id, e.currency, e.value_minor FROM commerce e JOIN k ON k.session_id = e.session_id WHERE e.site = $1 AND e.ts >= epoch_ms($2) AND e.name = 'purchase' QUALIFY row_number() OVER (PARTITION BY e.transaction_id ORDER BY e.ts, e.eid) = 1 ), \
                 p AS (SELECT id, count(*) AS purchases FROM orders WHERE id IS NOT NULL GROUP BY id), \
                 f AS ( SELECT k.id, max(k.uid) AS user_id, count(DISTINCT k.visitor_id) AS visitors, epoch_ms(min(k.start_ts)) AS first_seen_ms, epoch_ms(max(k.end_ts)) AS last_seen_ms, count(*) AS sessions, sum(k.engaged_ms)::BIGINT AS engaged_ms, sum(k.pageviews)::BIGINT AS pageviews, sum(k.clicks)::BIGINT AS clicks, max(k.max_depth)::INTEGER AS max_depth, avg(k.max_depth) AS avg_depth, coalesce(any_value(p.purchases), 0) AS purchases FROM k LEFT JOIN p ON p.id = k.id WHERE k.id IS NOT NULL GROUP BY k.id ), \
                 fs AS (SELECT * FROM f WHERE contains(lower(user_id), lower($6))), \
                 g AS (SELECT *, {score} AS score FROM fs ORDER BY engaged_ms DESC, id LIMIT $7 OFFSET $8), \
                 rev AS ( SELECT id, currency, sum(value_minor)::BIGINT AS minor FROM orders WHERE currency IS NOT NULL AND value_minor IS NOT NULL AND id IN (SELECT id FROM g) GROUP BY id, currency ) \
                 SELECT (SELECT count(*) FROM fs) AS total, g.id, g.user_id, g.visitors, g.first_seen_ms, g.last_seen_ms, g.sessions, g.engaged_ms, g.pageviews, g.clicks, g.max_depth, g.avg_depth, g.purchases, g.score, rev.currency, rev.minor \
                 FROM (SELECT 1) AS one LEFT JOIN g ON true LEFT JOIN rev ON rev.id = g.id \
                 ORDER BY g.engaged_ms DESC, g.id, rev.currency"
            )
        );
        assert_eq!(
            st.row_params,
            vec![
                Value::Text("demo".into()),
                Value::BigInt(1_000),
                Value::BigInt(2_000),
                Value::Boolean(false),
                Value::Text("DE".into()),
                Value::Text("acme".into()),
                Value::BigInt(50),
                Value::BigInt(100),
            ]
        );
        assert_eq!(
            st.active,
            format!(
                "WITH {links}, \
                 s AS ( SELECT visitor_id, user_id, last_ts >= epoch_ms($3 - 86400000) AS d1, last_ts >= epoch_ms($3 - 604800000) AS d7 FROM sessions WHERE {filter} ), \
                 k AS (SELECT {key} AS id, d1, d7 FROM s LEFT JOIN links ON links.visitor_id = s.visitor_id) \
                 SELECT count(DISTINCT id) FILTER (WHERE d1), count(DISTINCT id) FILTER (WHERE d7), count(DISTINCT id) FROM k"
            )
        );
        // The activity windows end at `to` and span 30 days, whatever `from` is.
        assert_eq!(st.active_params[1], Value::BigInt(2_000 - 30 * 86_400_000));
        assert_eq!(st.active_params[2], Value::BigInt(2_000));
        assert_eq!(st.active_params.len(), 5);
        assert_eq!(
            st.cohorts,
            format!(
                "WITH {links}, \
                 s AS (SELECT visitor_id, user_id, ts + to_milliseconds($6) AS local_ts FROM sessions WHERE {filter}), \
                 w AS ( SELECT DISTINCT {key} AS id, date_trunc('week', s.local_ts) AS week FROM s LEFT JOIN links ON links.visitor_id = s.visitor_id WHERE {key} IS NOT NULL ), \
                 c AS (SELECT id, min(week) AS cohort FROM w GROUP BY id) \
                 SELECT epoch_ms(c.cohort), epoch_ms(w.week), count(*) FROM w JOIN c ON c.id = w.id GROUP BY c.cohort, w.week ORDER BY c.cohort, w.week"
            )
        );
        assert_eq!(st.cohort_params.len(), 6);
        assert_eq!(st.cohort_params[5], Value::BigInt(0), "UTC: no shift");

        // By visitor, without a search, oldest first: only the key, search and order change.
        let plan = EngagementPlan {
            by: EngagementBy::Visitor,
            sort: EngagementSort::FirstSeenAsc,
            search: None,
            ..plan
        };
        let st = statements(&plan);
        assert!(st.rows.contains("AS uid, s.visitor_id AS id FROM s"));
        assert!(st.rows.contains("fs AS (SELECT * FROM f WHERE true)"));
        assert!(
            st.rows
                .contains("ORDER BY g.first_seen_ms ASC, g.id, rev.currency")
        );
        assert!(st.cohorts.contains(
            "SELECT DISTINCT s.visitor_id AS id, date_trunc('week', s.local_ts) AS week"
        ));
        assert_eq!(st.row_params.len(), 7);
    }

    /// The SQL score and the documented Rust formula agree, rounding included.
    #[test]
    fn sql_score_matches_the_formula() {
        let conn = Connection::open_in_memory().unwrap();
        let cases = [
            (0, 0, 0, 0, 0),
            (1, 0, 0, 0, 0),
            (2, 90_000, 3, 2, 1),
            (1, 20_000, 1, 0, 0),
            (7, 1_234_567, 33, 71, 2),
            (20, 3_600_000, 50, 100, 5),
            (500, 99_999_999, 9_999, 9_999, 99),
        ];
        for (sessions, engaged_ms, pageviews, clicks, purchases) in cases {
            let sql = format!(
                "SELECT {} FROM (SELECT ?::BIGINT AS sessions, ?::BIGINT AS engaged_ms, \
                 ?::BIGINT AS pageviews, ?::BIGINT AS clicks, ?::BIGINT AS purchases)",
                score_sql()
            );
            let got: f64 = conn
                .query_row(
                    &sql,
                    [sessions, engaged_ms, pageviews, clicks, purchases],
                    |r| r.get(0),
                )
                .unwrap();
            let want = engagement_score(ScoreInputs {
                sessions: sessions as u64,
                engaged_ms: engaged_ms as u64,
                pageviews: pageviews as u64,
                clicks: clicks as u64,
                purchases: purchases as u64,
            });
            assert_eq!(got, want, "{sessions} {engaged_ms} {pageviews} {clicks}");
        }
    }
}
