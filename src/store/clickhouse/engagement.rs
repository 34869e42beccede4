//! The engagement report in ClickHouse SQL (`query::engagement` states the counting rules),
//! figure for figure the embedded store's: per-user (or per-visitor) figures over the merged
//! sessions starting in the range, the score in SQL with the same terms in the same order,
//! DAU/WAU/MAU and weekly cohorts.
//!
//! 18.16's `WITH` takes expressions only, not subqueries, so the session relation is spelled
//! out wherever it is used; JOIN keys must not be Nullable, so ids are made non-null (after
//! dropping the sessions without one, which no figure counts).

use std::collections::HashMap;

use super::client::{Client, ClientError, RowExt, quote};
use super::sql::{events_where, local_ts, sessions_starting_in};
use crate::model::VisitorId;
use crate::query::engagement::{
    Active, Engagement, EngagementBy, EngagementPlan, EngagementRow, EngagementSort, SCORE,
    ScoreInput,
};
use crate::query::{Amount, TimeRange};
use crate::store::StoreResult;
use crate::store::assemble::{count, local_cohorts};

/// The filtered sessions with who they belong to: `id` (non-null: sessions without one are
/// left out), `uid` (the user: the session's own, else the visitor's first identity link).
fn keyed_sessions(plan: &EngagementPlan, range: TimeRange) -> String {
    let site = quote(plan.site.as_str());
    let filter = events_where(&plan.site, range, &plan.filters);
    let key = match plan.by {
        EngagementBy::User => "coalesce(user_id, link_user)",
        EngagementBy::Visitor => "visitor_id",
    };
    format!(
        "(SELECT session_id, visitor_id, uid, assumeNotNull(k_id) AS id, ts_ms, last_ts_ms,
                 pageviews, clicks, engaged_ms, max_depth
          FROM (
              SELECT session_id, visitor_id, coalesce(user_id, link_user) AS uid,
                     {key} AS k_id, ts_ms, last_ts_ms, pageviews, clicks, engaged_ms, max_depth
              FROM (SELECT * FROM {sessions} WHERE {filter})
              ANY LEFT JOIN (
                  SELECT visitor_id, toNullable(argMin(user_id, ts_ms)) AS link_user
                  FROM identities WHERE site = {site} GROUP BY visitor_id
              ) USING visitor_id
          ) WHERE isNotNull(k_id))",
        sessions = sessions_starting_in(&plan.site, range),
    )
}

/// The orders of the filtered sessions (first purchase event per transaction at or after
/// `from`), with the id of the session they belong to.
fn orders(plan: &EngagementPlan, k: &str) -> String {
    let filter = events_where(&plan.site, plan.range, &plan.filters);
    format!(
        "(SELECT id, currency, value_minor FROM (
              SELECT tupleElement(o, 1) AS session_id, tupleElement(o, 2) AS currency,
                     tupleElement(o, 3) AS value_minor
              FROM (
                  SELECT argMin((session_id, currency, value_minor), (ts_ms, eid)) AS o
                  FROM events
                  WHERE site = {site} AND kind = 'commerce' AND name = 'purchase'
                    AND ts_ms >= {from}
                    AND session_id IN (SELECT session_id FROM {sessions} WHERE {filter})
                  GROUP BY transaction_id
              )
          ) ALL INNER JOIN (SELECT session_id, id FROM {k}) USING session_id)",
        site = quote(plan.site.as_str()),
        from = plan.range.from_ms,
        sessions = sessions_starting_in(&plan.site, plan.range),
    )
}

/// The score of `query::engagement::SCORE` over the columns of the per-row figures.
fn score_sql() -> String {
    let terms: Vec<String> = SCORE
        .iter()
        .map(|part| {
            let x = match part.input {
                ScoreInput::Sessions => "toFloat64(sessions)",
                ScoreInput::EngagedMinutes => "toFloat64(engaged_ms) / 60000",
                ScoreInput::Pageviews => "toFloat64(pageviews)",
                ScoreInput::Clicks => "toFloat64(clicks)",
                ScoreInput::Purchases => "toFloat64(purchases)",
            };
            format!(
                "{:?} * least(1., log(1 + {x}) / log({:?}))",
                part.weight,
                1.0 + part.cap
            )
        })
        .collect();
    format!("round({}, 1)", terms.join(" + "))
}

fn order_sql(sort: EngagementSort) -> &'static str {
    match sort {
        EngagementSort::Score => "score DESC, id",
        EngagementSort::Engaged => "engaged_ms DESC, id",
        EngagementSort::Sessions => "sessions DESC, id",
        EngagementSort::Pageviews => "pageviews DESC, id",
        EngagementSort::Purchases => "purchases DESC, id",
        EngagementSort::LastSeen => "last_seen_ms DESC, id",
        EngagementSort::LastSeenAsc => "last_seen_ms ASC, id",
        EngagementSort::FirstSeen => "first_seen_ms DESC, id",
        EngagementSort::FirstSeenAsc => "first_seen_ms ASC, id",
    }
}

pub(super) fn engagement(c: &Client, plan: &EngagementPlan) -> StoreResult<Engagement> {
    let k = keyed_sessions(plan, plan.range);
    let orders = orders(plan, &k);
    let search = match &plan.search {
        Some(q) => format!("position(lowerUTF8(user_id), lowerUTF8({})) > 0", quote(q)),
        None => "1".to_owned(),
    };
    // Per-row figures, renamed in an outer query (aliases equal to column names would be
    // substituted into the aggregates).
    let rows_of = format!(
        "(SELECT * FROM (
              SELECT id, f_user AS user_id, f_visitors AS visitors, f_first AS first_seen_ms,
                     f_last AS last_seen_ms, f_sessions AS sessions, f_engaged AS engaged_ms,
                     f_pageviews AS pageviews, f_clicks AS clicks, f_max_depth AS max_depth,
                     f_avg_depth AS avg_depth, purchases
              FROM (
                  SELECT id, max(uid) AS f_user, uniqExact(visitor_id) AS f_visitors,
                         min(ts_ms) AS f_first, max(last_ts_ms) AS f_last, count() AS f_sessions,
                         sum(engaged_ms) AS f_engaged, sum(pageviews) AS f_pageviews,
                         sum(clicks) AS f_clicks, max(max_depth) AS f_max_depth,
                         avg(max_depth) AS f_avg_depth
                  FROM {k} GROUP BY id
              ) ANY LEFT JOIN (SELECT id, count() AS purchases FROM {orders} GROUP BY id)
              USING id
          ) WHERE {search})"
    );
    let total = c.query(&format!("SELECT count() FROM {rows_of}"))?;
    let total = match total.0.first() {
        Some(r) => r.at(0)?.u64()?,
        None => 0,
    };
    let page = c.query(&format!(
        "SELECT id, user_id, visitors, first_seen_ms, last_seen_ms, sessions, engaged_ms,
                pageviews, clicks, max_depth, avg_depth, purchases, {} AS score
         FROM {rows_of} ORDER BY {} LIMIT {} OFFSET {}",
        score_sql(),
        order_sql(plan.sort),
        plan.limit,
        plan.offset
    ))?;
    let id_text = |cell: super::client::Cell<'_>| -> Result<String, ClientError> {
        match plan.by {
            EngagementBy::User => cell.string(),
            EngagementBy::Visitor => Ok(VisitorId(cell.i64()? as u64).to_string()),
        }
    };
    let mut rows: Vec<EngagementRow> = Vec::new();
    let mut raw_ids: Vec<String> = Vec::new();
    for r in &page.0 {
        let sessions = r.at(5)?.u64()?;
        let engaged_ms = count(r.at(6)?.i64()?);
        raw_ids.push(match plan.by {
            EngagementBy::User => quote(&r.at(0)?.string()?),
            EngagementBy::Visitor => r.at(0)?.i64()?.to_string(),
        });
        rows.push(EngagementRow {
            id: id_text(r.at(0)?)?,
            user_id: r.at(1)?.opt_string()?,
            visitors: r.at(2)?.u64()?,
            first_seen_ms: r.at(3)?.i64()?,
            last_seen_ms: r.at(4)?.i64()?,
            sessions,
            engaged_ms,
            avg_engaged_ms_per_session: engaged_ms.checked_div(sessions).unwrap_or(0),
            pageviews: count(r.at(7)?.i64()?),
            clicks: count(r.at(8)?.i64()?),
            max_scroll_depth: r.at(9)?.opt_i64()?.map(|d| d as i32),
            avg_session_scroll_depth: match r.at(10)?.0 {
                serde_json::Value::Null => None,
                _ => Some(r.at(10)?.f64()?),
            },
            purchases: r.at(11)?.u64()?,
            revenue: Vec::new(),
            engagement_score: r.at(12)?.f64()?,
        });
    }
    if !rows.is_empty() {
        let revenue = c.query(&format!(
            "SELECT id, currency, sum(value_minor) FROM {orders}
             WHERE currency IS NOT NULL AND value_minor IS NOT NULL AND id IN ({})
             GROUP BY id, currency ORDER BY id, currency",
            raw_ids.join(",")
        ))?;
        let index: HashMap<String, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        for r in &revenue.0 {
            let id = id_text(r.at(0)?)?;
            if let (Some(&i), Some(currency), Some(minor)) =
                (index.get(&id), r.at(1)?.opt_string()?, r.at(2)?.opt_i64()?)
            {
                rows[i].revenue.push(Amount { currency, minor });
            }
        }
    }

    let activity = plan.activity_range();
    let to = plan.range.to_ms;
    let active = c.query(&format!(
        "SELECT uniqExactIf(id, last_ts_ms >= {d1}), uniqExactIf(id, last_ts_ms >= {d7}),
                uniqExact(id)
         FROM {k}",
        d1 = to - 86_400_000,
        d7 = to - 604_800_000,
        k = keyed_sessions(plan, activity),
    ))?;
    let [dau, wau, mau] = match active.0.first() {
        Some(r) => [r.at(0)?.u64()?, r.at(1)?.u64()?, r.at(2)?.u64()?],
        None => [0; 3],
    };

    let week = super::overview::bucket(
        crate::query::Granularity::Week,
        &local_ts(plan.zone, plan.range),
    );
    let weeks = format!("(SELECT DISTINCT id, {week} AS week FROM {k})");
    let cells = c.query(&format!(
        "SELECT cohort, week, count() FROM {weeks}
         ANY LEFT JOIN (SELECT id, min(week) AS cohort FROM {weeks} GROUP BY id) USING id
         GROUP BY cohort, week ORDER BY cohort, week"
    ))?;
    let cells = cells
        .0
        .iter()
        .map(|r| Ok((r.at(0)?.i64()?, r.at(1)?.i64()?, r.at(2)?.u64()?)))
        .collect::<Result<Vec<_>, ClientError>>()?;

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
