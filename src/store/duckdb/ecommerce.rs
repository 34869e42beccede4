//! DuckDB SQL of the e-commerce report (`query::ecommerce` states the counting rules).
//!
//! A module of its own because the report is four statements (funnel, money, breakdowns,
//! products) sharing one "first purchase event per transaction" fragment. Every statement is
//! built from fixed text plus the bound filter predicate of `sql::events_where`, collapsed to
//! one line so the snapshot test pins it exactly. Commerce events are read from `commerce`
//! (the same rows as in `events`, about 1% of them); sessions are counted in `sessions` (where
//! they start). Items carry no filter columns, so they are restricted to those whose commerce
//! event the filter selects.

use std::collections::BTreeMap;

use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

use super::map_err;
use super::sql::{Params, events_where, local_ts};
use crate::query::Amount;
use crate::query::ecommerce::{Ecommerce, EcommercePlan, Funnel, ProductRow, rate};
use crate::store::StoreResult;
use crate::store::assemble::count;
use crate::store::assemble::{Breakdown, add_order_totals, ecommerce_series};

/// The first purchase event of each transaction in the filtered events: the orders.
const ORDERS: &str = "
    SELECT session_id, eid, ts, currency, value_minor FROM commerce
    WHERE {filter} AND name = 'purchase'
    QUALIFY row_number() OVER (PARTITION BY transaction_id ORDER BY ts, eid) = 1";

/// One row: sessions, sessions per step (any order), abandoned carts, sessions per step (in
/// order). The ordered steps take, per session, the earliest event of each step at or after
/// the previous step's: if any in-order path exists, this greedy one finds it.
const FUNNEL: &str = "
    WITH c AS MATERIALIZED (
        SELECT session_id, name, ts FROM commerce
        WHERE {filter}
          AND name IN ('view_item', 'add_to_cart', 'begin_checkout', 'purchase')
    ),
    per AS (
        SELECT session_id,
               bool_or(name = 'view_item') AS viewed,
               bool_or(name = 'add_to_cart') AS carted,
               bool_or(name = 'begin_checkout') AS checked_out,
               bool_or(name = 'purchase') AS purchased
        FROM c GROUP BY session_id
    ),
    s1 AS (SELECT session_id, min(ts) AS t FROM c WHERE name = 'view_item' GROUP BY session_id),
    s2 AS (SELECT c.session_id, min(c.ts) AS t FROM c JOIN s1 ON c.session_id = s1.session_id
           AND c.ts >= s1.t WHERE c.name = 'add_to_cart' GROUP BY c.session_id),
    s3 AS (SELECT c.session_id, min(c.ts) AS t FROM c JOIN s2 ON c.session_id = s2.session_id
           AND c.ts >= s2.t WHERE c.name = 'begin_checkout' GROUP BY c.session_id),
    s4 AS (SELECT c.session_id, min(c.ts) AS t FROM c JOIN s3 ON c.session_id = s3.session_id
           AND c.ts >= s3.t WHERE c.name = 'purchase' GROUP BY c.session_id)
    SELECT (SELECT count(*) FROM sessions WHERE {filter}),
           count(*) FILTER (WHERE viewed),
           count(*) FILTER (WHERE carted),
           count(*) FILTER (WHERE checked_out),
           count(*) FILTER (WHERE purchased),
           count(*) FILTER (WHERE carted AND NOT purchased),
           (SELECT count(*) FROM s1),
           (SELECT count(*) FROM s2),
           (SELECT count(*) FROM s3),
           (SELECT count(*) FROM s4)
    FROM per";

/// Per (purchase|refund, currency): events, events with a value, sum of values.
const MONEY: &str = "
    WITH orders AS ({orders})
    SELECT 'purchase' AS what, currency, count(*), count(value_minor),
           coalesce(sum(value_minor), 0)::BIGINT
    FROM orders GROUP BY currency
    UNION ALL
    SELECT 'refund' AS what, currency, count(*), count(value_minor),
           coalesce(sum(value_minor), 0)::BIGINT
    FROM commerce WHERE {filter} AND name = 'refund' GROUP BY currency
    ORDER BY what, currency NULLS LAST";

/// Per (source|country, value, currency): orders and revenue, with the attributes of the
/// session's earliest attribute row (`sessions`).
const BREAKDOWN: &str = "
    WITH orders AS ({orders}),
    m AS (
        SELECT session_id, arg_min(source, ts) AS source, arg_min(country, ts) AS country
        FROM sessions
        WHERE site = $1 AND session_id IN (SELECT session_id FROM orders)
        GROUP BY session_id
    ),
    o AS (
        SELECT orders.currency, orders.value_minor, m.source, m.country
        FROM orders LEFT JOIN m ON m.session_id = orders.session_id
    )
    SELECT 'source' AS dim, source AS key, currency, count(*),
           coalesce(sum(value_minor), 0)::BIGINT
    FROM o GROUP BY source, currency
    UNION ALL
    SELECT 'country' AS dim, country AS key, currency, count(*),
           coalesce(sum(value_minor), 0)::BIGINT
    FROM o GROUP BY country, currency";

/// Orders and revenue per bucket of the local wall clock and currency.
const SERIES: &str = "
    WITH orders AS ({orders})
    SELECT epoch_ms(date_trunc('{unit}', {local})) AS bucket, currency, count(*),
           coalesce(sum(value_minor), 0)::BIGINT
    FROM orders GROUP BY bucket, currency ORDER BY bucket, currency NULLS LAST";

/// The top products, one row per (product, revenue currency). Purchased rows count only for
/// the first purchase event of each transaction (the orders).
const PRODUCTS: &str = "
    WITH orders AS ({orders}),
    i AS (
        SELECT item_id, item_name, action, currency, price_minor, quantity, ts FROM items
        WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3)
          AND action IN ('view_item', 'add_to_cart', 'purchase')
          AND eid IN (SELECT eid FROM commerce WHERE {filter})
          AND (action <> 'purchase' OR eid IN (SELECT eid FROM orders))
    ),
    p AS (
        SELECT item_id,
               arg_max(item_name, ts) AS item_name,
               count(*) FILTER (WHERE action = 'view_item') AS views,
               coalesce(sum(quantity) FILTER (WHERE action = 'add_to_cart'), 0)::BIGINT
                   AS add_to_carts,
               coalesce(sum(quantity) FILTER (WHERE action = 'purchase'), 0)::BIGINT
                   AS purchases
        FROM i GROUP BY item_id
        ORDER BY purchases DESC, add_to_carts DESC, views DESC, item_id
        LIMIT {limit}
    ),
    r AS (
        SELECT item_id, currency, sum(price_minor * quantity)::BIGINT AS minor FROM i
        WHERE action = 'purchase' AND currency IS NOT NULL AND price_minor IS NOT NULL
          AND item_id IN (SELECT item_id FROM p)
        GROUP BY item_id, currency
    )
    SELECT p.item_id, p.item_name, p.views, p.add_to_carts, p.purchases, r.currency, r.minor
    FROM p LEFT JOIN r ON r.item_id = p.item_id
    ORDER BY p.purchases DESC, p.add_to_carts DESC, p.views DESC, p.item_id, r.currency";

/// The report's statements for one plan, with their parameters.
#[derive(Debug)]
pub(super) struct Statements {
    pub funnel: String,
    pub money: String,
    pub breakdown: String,
    pub products: String,
    /// Orders and revenue per bucket, with its own parameters (`params` plus time offsets).
    pub series: String,
    pub series_params: Vec<Value>,
    /// Parameters of `funnel`, `money` and `breakdown`.
    pub params: Vec<Value>,
    /// Parameters of `products` (`params` plus the limit).
    pub product_params: Vec<Value>,
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn statements(plan: &EcommercePlan) -> Statements {
    let mut p = Params::default();
    let filter = events_where(&plan.site, plan.range, &plan.filters, &mut p);
    let params = p.values.clone();
    let mut series_params = Params {
        values: p.values.clone(),
    };
    let local = local_ts(plan.zone, plan.range, &mut series_params);
    let limit = p.bind(Value::BigInt(i64::from(plan.product_limit)));
    let orders = one_line(ORDERS);
    let build = |template: &str| {
        one_line(template)
            .replace("{orders}", &orders)
            .replace("{limit}", &limit)
            .replace("{filter}", &filter)
    };
    Statements {
        funnel: build(FUNNEL),
        money: build(MONEY),
        breakdown: build(BREAKDOWN),
        products: build(PRODUCTS),
        series: build(SERIES)
            .replace("{unit}", super::overview::trunc_unit(plan.granularity))
            .replace("{local}", &local),
        series_params: series_params.values,
        params,
        product_params: p.values,
    }
}

pub(super) fn ecommerce(conn: &Connection, plan: &EcommercePlan) -> StoreResult<Ecommerce> {
    let st = statements(plan);
    let mut out = Ecommerce::default();

    let counts: [i64; 10] = conn
        .query_row(&st.funnel, params_from_iter(&st.params), |r| {
            let mut c = [0i64; 10];
            for (i, slot) in c.iter_mut().enumerate() {
                *slot = r.get(i)?;
            }
            Ok(c)
        })
        .map_err(map_err)?;
    let [
        sessions,
        viewed,
        carted,
        checked_out,
        purchased,
        abandoned,
        o1,
        o2,
        o3,
        o4,
    ] = counts.map(count);
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

    let mut stmt = conn.prepare(&st.money).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&st.params), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(map_err)?;
    for row in rows {
        let (what, currency, events, valued, minor) = row.map_err(map_err)?;
        add_order_totals(&mut out, &what, currency, events, valued, minor);
    }
    drop(stmt);

    let mut by_source = Breakdown::default();
    let mut by_country = Breakdown::default();
    let mut stmt = conn.prepare(&st.breakdown).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&st.params), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(map_err)?;
    for row in rows {
        let (dim, key, currency, orders, minor) = row.map_err(map_err)?;
        let target = if dim == "source" {
            &mut by_source
        } else {
            &mut by_country
        };
        target.add(key, currency, count(orders), minor);
    }
    drop(stmt);
    out.revenue_by_source = by_source.by_source();
    out.revenue_by_country = by_country.by_country();

    let mut per_bucket: BTreeMap<i64, (u64, Vec<Amount>)> = BTreeMap::new();
    let mut stmt = conn.prepare(&st.series).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&st.series_params), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .map_err(map_err)?;
    for row in rows {
        let (wall, currency, orders, minor) = row.map_err(map_err)?;
        let (n, revenue) = per_bucket.entry(wall).or_default();
        *n += count(orders);
        if let Some(currency) = currency {
            revenue.push(Amount { currency, minor });
        }
    }
    drop(stmt);
    out.series = ecommerce_series(per_bucket, plan.granularity, plan.zone, plan.range);

    let mut stmt = conn.prepare(&st.products).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(&st.product_params), |r| {
            Ok((
                ProductRow {
                    item_id: r.get(0)?,
                    item_name: r.get(1)?,
                    views: count(r.get(2)?),
                    add_to_carts: count(r.get(3)?),
                    purchases: count(r.get(4)?),
                    revenue: Vec::new(),
                },
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })
        .map_err(map_err)?;
    for row in rows {
        let (product, currency, minor) = row.map_err(map_err)?;
        // Rows of one product are adjacent (ordered by product first, then currency).
        if out.top_products.last().map(|p| &p.item_id) != Some(&product.item_id) {
            out.top_products.push(product);
        }
        if let (Some(currency), Some(minor), Some(last)) =
            (currency, minor, out.top_products.last_mut())
        {
            last.revenue.push(Amount { currency, minor });
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
    fn ecommerce_sql_snapshot() {
        let plan = EcommercePlan {
            site: crate::model::SiteId::parse("demo").unwrap(),
            range: TimeRange::new(1_000, 2_000).unwrap(),
            filters: Filters {
                include_bots: false,
                conditions: vec![
                    Filter::Session(SessionField::Country, "DE".into()),
                    Filter::PagePrefix("/shop/".into()),
                ],
            },
            product_limit: 20,
            granularity: crate::query::Granularity::Day,
            zone: crate::query::zone::Zone::default(),
        };
        let st = statements(&plan);
        let filter = "site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND ($4 OR NOT bot) AND session_id IN (SELECT session_id FROM sessions WHERE site = $1 AND country = $5) AND session_id IN (SELECT session_id FROM pageviews WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND starts_with(path, $6))";
        let orders = format!(
            "SELECT session_id, eid, ts, currency, value_minor FROM commerce WHERE {filter} AND name = 'purchase' QUALIFY row_number() OVER (PARTITION BY transaction_id ORDER BY ts, eid) = 1"
        );
        assert_eq!(
            st.funnel,
            format!(
                "WITH c AS MATERIALIZED ( SELECT session_id, name, ts FROM commerce WHERE {filter} AND name IN ('view_item', 'add_to_cart', 'begin_checkout', 'purchase') ), \
                 per AS ( SELECT session_id, bool_or(name = 'view_item') AS viewed, bool_or(name = 'add_to_cart') AS carted, bool_or(name = 'begin_checkout') AS checked_out, bool_or(name = 'purchase') AS purchased FROM c GROUP BY session_id ), \
                 s1 AS (SELECT session_id, min(ts) AS t FROM c WHERE name = 'view_item' GROUP BY session_id), \
                 s2 AS (SELECT c.session_id, min(c.ts) AS t FROM c JOIN s1 ON c.session_id = s1.session_id AND c.ts >= s1.t WHERE c.name = 'add_to_cart' GROUP BY c.session_id), \
                 s3 AS (SELECT c.session_id, min(c.ts) AS t FROM c JOIN s2 ON c.session_id = s2.session_id AND c.ts >= s2.t WHERE c.name = 'begin_checkout' GROUP BY c.session_id), \
                 s4 AS (SELECT c.session_id, min(c.ts) AS t FROM c JOIN s3 ON c.session_id = s3.session_id AND c.ts >= s3.t WHERE c.name = 'purchase' GROUP BY c.session_id) \
                 SELECT (SELECT count(*) FROM sessions WHERE {filter}), count(*) FILTER (WHERE viewed), count(*) FILTER (WHERE carted), count(*) FILTER (WHERE checked_out), count(*) FILTER (WHERE purchased), count(*) FILTER (WHERE carted AND NOT purchased), (SELECT count(*) FROM s1), (SELECT count(*) FROM s2), (SELECT count(*) FROM s3), (SELECT count(*) FROM s4) FROM per"
            )
        );
        assert_eq!(
            st.money,
            format!(
                "WITH orders AS ({orders}) \
                 SELECT 'purchase' AS what, currency, count(*), count(value_minor), coalesce(sum(value_minor), 0)::BIGINT FROM orders GROUP BY currency \
                 UNION ALL \
                 SELECT 'refund' AS what, currency, count(*), count(value_minor), coalesce(sum(value_minor), 0)::BIGINT FROM commerce WHERE {filter} AND name = 'refund' GROUP BY currency \
                 ORDER BY what, currency NULLS LAST"
            )
        );
        assert_eq!(
            st.breakdown,
            format!(
                "WITH orders AS ({orders}), \
                 m AS ( SELECT session_id, arg_min(source, ts) AS source, arg_min(country, ts) AS country FROM sessions WHERE site = $1 AND session_id IN (SELECT session_id FROM orders) GROUP BY session_id ), \
                 o AS ( SELECT orders.currency, orders.value_minor, m.source, m.country FROM orders LEFT JOIN m ON m.session_id = orders.session_id ) \
                 SELECT 'source' AS dim, source AS key, currency, count(*), coalesce(sum(value_minor), 0)::BIGINT FROM o GROUP BY source, currency \
                 UNION ALL \
                 SELECT 'country' AS dim, country AS key, currency, count(*), coalesce(sum(value_minor), 0)::BIGINT FROM o GROUP BY country, currency"
            )
        );
        assert_eq!(
            st.products,
            format!(
                "WITH orders AS ({orders}), \
                 i AS ( SELECT item_id, item_name, action, currency, price_minor, quantity, ts FROM items WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND action IN ('view_item', 'add_to_cart', 'purchase') AND eid IN (SELECT eid FROM commerce WHERE {filter}) AND (action <> 'purchase' OR eid IN (SELECT eid FROM orders)) ), \
                 p AS ( SELECT item_id, arg_max(item_name, ts) AS item_name, count(*) FILTER (WHERE action = 'view_item') AS views, coalesce(sum(quantity) FILTER (WHERE action = 'add_to_cart'), 0)::BIGINT AS add_to_carts, coalesce(sum(quantity) FILTER (WHERE action = 'purchase'), 0)::BIGINT AS purchases FROM i GROUP BY item_id ORDER BY purchases DESC, add_to_carts DESC, views DESC, item_id LIMIT $7 ), \
                 r AS ( SELECT item_id, currency, sum(price_minor * quantity)::BIGINT AS minor FROM i WHERE action = 'purchase' AND currency IS NOT NULL AND price_minor IS NOT NULL AND item_id IN (SELECT item_id FROM p) GROUP BY item_id, currency ) \
                 SELECT p.item_id, p.item_name, p.views, p.add_to_carts, p.purchases, r.currency, r.minor FROM p LEFT JOIN r ON r.item_id = p.item_id ORDER BY p.purchases DESC, p.add_to_carts DESC, p.views DESC, p.item_id, r.currency"
            )
        );
        assert_eq!(st.params.len(), 6);
        assert_eq!(st.product_params.len(), 7);
        assert_eq!(st.product_params[6], Value::BigInt(20));
        assert_eq!(st.params[4], Value::Text("DE".into()));
    }
}
