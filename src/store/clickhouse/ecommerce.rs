//! The e-commerce report in ClickHouse SQL (`query::ecommerce` states the counting rules),
//! figure for figure the embedded store's.
//!
//! Orders are the first purchase event of each transaction (`argMin` by time and event id;
//! the columns taken as one tuple, because `argMin` of a Nullable skips NULLs). The in-order
//! funnel, which DuckDB computes with inequality joins that 18.16 lacks, walks each session's
//! commerce events as an array: each step's earliest event at or after the previous step's.

use std::collections::{BTreeMap, HashMap};

use super::client::{Client, ClientError, RowExt, quote};
use super::sql::{events_where, local_ts, sessions_starting_in};
use crate::query::Amount;
use crate::query::ecommerce::{Ecommerce, EcommercePlan, Funnel, ProductRow, rate};
use crate::store::StoreResult;
use crate::store::assemble::count;
use crate::store::assemble::{Breakdown, add_order_totals, ecommerce_series};

/// The orders among the filtered events: (session_id, eid, ts_ms, currency, value_minor).
fn orders(filter: &str) -> String {
    format!(
        "(SELECT tupleElement(o, 1) AS session_id, tupleElement(o, 2) AS eid,
                 tupleElement(o, 3) AS ts_ms, tupleElement(o, 4) AS currency,
                 tupleElement(o, 5) AS value_minor
          FROM (
              SELECT argMin((session_id, eid, ts_ms, currency, value_minor), (ts_ms, eid)) AS o
              FROM events WHERE {filter} AND kind = 'commerce' AND name = 'purchase'
              GROUP BY transaction_id
          ))"
    )
}

fn first_u64(c: &Client, sql: &str) -> StoreResult<u64> {
    let rows = c.query(sql)?;
    match rows.0.first() {
        Some(r) => Ok(r.at(0)?.u64()?),
        None => Ok(0),
    }
}

pub(super) fn ecommerce(c: &Client, plan: &EcommercePlan) -> StoreResult<Ecommerce> {
    let filter = events_where(&plan.site, plan.range, &plan.filters);
    let orders = orders(&filter);
    let mut out = Ecommerce::default();

    let sessions = first_u64(
        c,
        &format!(
            "SELECT count() FROM {} WHERE {filter}",
            sessions_starting_in(&plan.site, plan.range)
        ),
    )?;
    let step = |name: &str, after: &str| {
        format!("arrayFilter(x -> tupleElement(x, 2) = '{name}'{after}, ev)")
    };
    let rows = c.query(&format!(
        "SELECT countIf(viewed), countIf(carted), countIf(checked_out), countIf(purchased),
                countIf(carted AND NOT purchased), countIf(h1), countIf(h2), countIf(h3),
                countIf(h4)
         FROM (
             SELECT arrayExists(x -> tupleElement(x, 2) = 'view_item', ev) AS viewed,
                    arrayExists(x -> tupleElement(x, 2) = 'add_to_cart', ev) AS carted,
                    arrayExists(x -> tupleElement(x, 2) = 'begin_checkout', ev) AS checked_out,
                    arrayExists(x -> tupleElement(x, 2) = 'purchase', ev) AS purchased,
                    {a1} AS a1, length(a1) > 0 AS h1,
                    arrayReduce('min', arrayMap(x -> tupleElement(x, 1), a1)) AS t1,
                    {a2} AS a2, h1 AND length(a2) > 0 AS h2,
                    arrayReduce('min', arrayMap(x -> tupleElement(x, 1), a2)) AS t2,
                    {a3} AS a3, h2 AND length(a3) > 0 AS h3,
                    arrayReduce('min', arrayMap(x -> tupleElement(x, 1), a3)) AS t3,
                    {a4} AS a4, h3 AND length(a4) > 0 AS h4
             FROM (
                 SELECT session_id, groupArray((ts_ms, assumeNotNull(name))) AS ev FROM events
                 WHERE {filter} AND kind = 'commerce'
                   AND name IN ('view_item', 'add_to_cart', 'begin_checkout', 'purchase')
                 GROUP BY session_id
             )
         )",
        a1 = step("view_item", ""),
        a2 = step("add_to_cart", " AND tupleElement(x, 1) >= t1"),
        a3 = step("begin_checkout", " AND tupleElement(x, 1) >= t2"),
        a4 = step("purchase", " AND tupleElement(x, 1) >= t3"),
    ))?;
    let mut n = [0u64; 9];
    if let Some(r) = rows.0.first() {
        for (i, slot) in n.iter_mut().enumerate() {
            *slot = r.at(i)?.u64()?;
        }
    }
    let [
        viewed,
        carted,
        checked_out,
        purchased,
        abandoned,
        o1,
        o2,
        o3,
        o4,
    ] = n;
    out.sessions = sessions;
    out.converted_sessions = purchased;
    out.conversion_rate = rate(purchased, sessions);
    out.funnel = Funnel {
        any_order: Funnel::steps([viewed, carted, checked_out, purchased]),
        in_order: Funnel::steps([o1, o2, o3, o4]),
    };
    out.cart_sessions = carted;
    out.abandoned_carts = abandoned;
    out.cart_abandonment_rate = rate(abandoned, carted);

    let rows = c.query(&format!(
        "SELECT what, cur, n, valued, minor FROM (
             SELECT 'purchase' AS what, currency AS cur, count() AS n,
                    count(value_minor) AS valued, sum(value_minor) AS minor
             FROM {orders} GROUP BY currency
             UNION ALL
             SELECT 'refund' AS what, currency AS cur, count() AS n,
                    count(value_minor) AS valued, sum(value_minor) AS minor
             FROM events WHERE {filter} AND kind = 'commerce' AND name = 'refund'
             GROUP BY currency
         ) ORDER BY what, cur"
    ))?;
    for r in &rows.0 {
        let what = r.at(0)?.string()?;
        let currency = r.at(1)?.opt_string()?;
        let events = r.at(2)?.i64()?;
        let valued = r.at(3)?.i64()?;
        let minor = r.at(4)?.opt_i64()?.unwrap_or(0);
        add_order_totals(&mut out, &what, currency, events, valued, minor);
    }

    // Orders per (session, currency), then the sessions' source and country (their merged
    // attributes: the earliest part's, skipping NULLs).
    let rows = c.query(&format!(
        "SELECT session_id, currency, count(), sum(value_minor) FROM {orders}
         GROUP BY session_id, currency"
    ))?;
    let mut per_session: Vec<(i64, Option<String>, u64, i64)> = Vec::new();
    for r in &rows.0 {
        per_session.push((
            r.at(0)?.i64()?,
            r.at(1)?.opt_string()?,
            r.at(2)?.u64()?,
            r.at(3)?.opt_i64()?.unwrap_or(0),
        ));
    }
    let mut attributes: HashMap<i64, (Option<String>, Option<String>)> = HashMap::new();
    if !per_session.is_empty() {
        let ids: Vec<String> = per_session.iter().map(|o| o.0.to_string()).collect();
        let rows = c.query(&format!(
            "SELECT session_id, argMin(source, ts_ms), argMin(country, ts_ms)
             FROM session_parts WHERE site = {} AND session_id IN ({})
             GROUP BY session_id",
            quote(plan.site.as_str()),
            ids.join(",")
        ))?;
        for r in &rows.0 {
            attributes.insert(
                r.at(0)?.i64()?,
                (r.at(1)?.opt_string()?, r.at(2)?.opt_string()?),
            );
        }
    }
    let mut by_source = Breakdown::default();
    let mut by_country = Breakdown::default();
    for (session, currency, orders, minor) in per_session {
        let (source, country) = attributes.get(&session).cloned().unwrap_or_default();
        by_source.add(source, currency.clone(), orders, minor);
        by_country.add(country, currency, orders, minor);
    }
    out.revenue_by_source = by_source.by_source();
    out.revenue_by_country = by_country.by_country();

    let rows = c.query(&format!(
        "SELECT {} AS bucket, currency, count(), sum(value_minor)
         FROM {orders} GROUP BY bucket, currency ORDER BY bucket, currency",
        super::overview::bucket(plan.granularity, &local_ts(plan.zone, plan.range))
    ))?;
    let mut per_bucket: BTreeMap<i64, (u64, Vec<Amount>)> = BTreeMap::new();
    for r in &rows.0 {
        let (n, revenue) = per_bucket.entry(r.at(0)?.i64()?).or_default();
        *n += r.at(2)?.u64()?;
        if let Some(currency) = r.at(1)?.opt_string()? {
            revenue.push(Amount {
                currency,
                minor: r.at(3)?.opt_i64()?.unwrap_or(0),
            });
        }
    }
    out.series = ecommerce_series(per_bucket, plan.granularity, plan.zone, plan.range);

    out.top_products = products(c, plan, &filter, &orders)?;
    Ok(out)
}

/// The top products; purchased rows count only for the orders (first purchase events).
fn products(
    c: &Client,
    plan: &EcommercePlan,
    filter: &str,
    orders: &str,
) -> StoreResult<Vec<ProductRow>> {
    let items = format!(
        "(SELECT item_id, item_name, action, currency, price_minor, quantity, ts_ms FROM items
          WHERE site = {site} AND ts_ms >= {from} AND ts_ms < {to}
            AND action IN ('view_item', 'add_to_cart', 'purchase')
            AND eid IN (SELECT eid FROM events WHERE {filter} AND kind = 'commerce')
            AND (action != 'purchase' OR eid IN (SELECT eid FROM {orders})))",
        site = quote(plan.site.as_str()),
        from = plan.range.from_ms,
        to = plan.range.to_ms,
    );
    let rows = c.query(&format!(
        "SELECT item_id, argMax(item_name, ts_ms), countIf(action = 'view_item') AS views,
                sumIf(quantity, action = 'add_to_cart') AS carts,
                sumIf(quantity, action = 'purchase') AS bought
         FROM {items} GROUP BY item_id
         ORDER BY bought DESC, carts DESC, views DESC, item_id LIMIT {}",
        plan.product_limit
    ))?;
    let mut out: Vec<ProductRow> = rows
        .0
        .iter()
        .map(|r| {
            Ok(ProductRow {
                item_id: r.at(0)?.string()?,
                item_name: r.at(1)?.opt_string()?,
                views: r.at(2)?.u64()?,
                add_to_carts: count(r.at(3)?.i64()?),
                purchases: count(r.at(4)?.i64()?),
                revenue: Vec::new(),
            })
        })
        .collect::<Result<_, ClientError>>()?;
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = out.iter().map(|p| quote(&p.item_id)).collect();
    let rows = c.query(&format!(
        "SELECT item_id, currency, sum(price_minor * quantity) FROM {items}
         WHERE action = 'purchase' AND currency IS NOT NULL AND price_minor IS NOT NULL
           AND item_id IN ({})
         GROUP BY item_id, currency ORDER BY item_id, currency",
        ids.join(",")
    ))?;
    let index: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, p)| (p.item_id.clone(), i))
        .collect();
    for r in &rows.0 {
        let item = r.at(0)?.string()?;
        if let (Some(&i), Some(currency), Some(minor)) = (
            index.get(&item),
            r.at(1)?.opt_string()?,
            r.at(2)?.opt_i64()?,
        ) {
            out[i].revenue.push(Amount { currency, minor });
        }
    }
    Ok(out)
}
