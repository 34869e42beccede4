//! E-commerce report: its plan and its result (revenue, orders, funnel, products, breakdowns).
//!
//! Kept in its own module because the report has many result types and a few pure rules
//! (drop-offs, rates, average order value) that are tested here without a database. Money is
//! always per currency in integer minor units ([`Amount`]); nothing here sums across currencies.
//!
//! Counting rules every store must follow:
//! - An **order** is a distinct `transaction_id` of a purchase; when a transaction was sent more
//!   than once (a reloaded thank-you page), only its first purchase event counts, for revenue,
//!   for the per-source/country breakdowns and for the purchased item rows.
//! - **Revenue** is the sum of the orders' `value` per currency, before refunds; **refunds** are
//!   counted and summed separately (every refund event counts: partial refunds are separate).
//! - A session "reaches" a funnel step if it has that event ([`Funnel::any_order`]); the strict
//!   version ([`Funnel::in_order`]) needs the steps at non-decreasing times.

use serde::Serialize;

use super::{Amount, Filters, PlanError, TimeRange};
use crate::model::{CommerceAction, SiteId};

/// The four steps of the funnel, in order.
pub const FUNNEL_STEPS: [CommerceAction; 4] = [
    CommerceAction::ViewItem,
    CommerceAction::AddToCart,
    CommerceAction::BeginCheckout,
    CommerceAction::Purchase,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcommercePlan {
    pub site: SiteId,
    pub range: TimeRange,
    pub filters: Filters,
    /// How many products the product table lists.
    pub product_limit: u32,
    /// The buckets of the orders-over-time series, and the zone they are read in.
    pub granularity: super::Granularity,
    pub zone: super::zone::Zone,
}

impl EcommercePlan {
    pub const DEFAULT_PRODUCT_LIMIT: u32 = 20;
    pub const MAX_PRODUCT_LIMIT: u32 = 500;

    /// Validates the product limit (`None`: the default of 20).
    pub fn product_limit(limit: Option<&str>) -> Result<u32, PlanError> {
        super::parse_limit(limit, Self::DEFAULT_PRODUCT_LIMIT, Self::MAX_PRODUCT_LIMIT)
    }
}

/// The e-commerce report of a site over a time range (after filters).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Ecommerce {
    /// Sessions with any event in the range.
    pub sessions: u64,
    /// Sessions with at least one purchase.
    pub converted_sessions: u64,
    /// `converted_sessions / sessions`, 0..=1 (0 when there are no sessions).
    pub conversion_rate: f64,
    /// Distinct purchase transactions (all currencies, including orders sent without a value).
    pub orders: u64,
    /// Sum of order values per currency, before refunds, sorted by currency.
    pub revenue: Vec<Amount>,
    /// Per currency: revenue / orders of that currency that carry a value, **rounded down to
    /// a whole minor unit** (integer division), sorted by currency.
    pub average_order_value: Vec<Amount>,
    pub refunds: Refunds,
    pub funnel: Funnel,
    /// Sessions with an `add_to_cart`.
    pub cart_sessions: u64,
    /// Sessions with an `add_to_cart` and no purchase.
    pub abandoned_carts: u64,
    /// `abandoned_carts / cart_sessions`, 0..=1 (0 when nobody added to a cart).
    pub cart_abandonment_rate: f64,
    /// Products ordered by purchased quantity, then add-to-cart quantity, then views, then id.
    pub top_products: Vec<ProductRow>,
    /// Orders and revenue by the session's traffic source (`null`: direct), most orders first.
    pub revenue_by_source: Vec<SourceRevenue>,
    /// Orders and revenue by the session's country (`null`: unknown), most orders first.
    pub revenue_by_country: Vec<CountryRevenue>,
    /// Orders and revenue per bucket of the range (every bucket, empty ones with zeros).
    pub series: Vec<EcommercePoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EcommercePoint {
    /// The bucket's start (epoch ms, UTC).
    pub start_ms: i64,
    /// The bucket's start on the wall clock of the plan's zone.
    pub local: String,
    pub orders: u64,
    pub revenue: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Refunds {
    /// Refund events (a transaction refunded in two parts counts twice).
    pub count: u64,
    /// Sum of refund values per currency, sorted by currency.
    pub amount: Vec<Amount>,
}

/// Session counts per funnel step, in the two definitions.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Funnel {
    /// A session reaches a step if it has that event at all. Sessions may skip steps, so a
    /// later step can have more sessions than an earlier one (a negative drop-off).
    pub any_order: Vec<FunnelStep>,
    /// A session reaches a step if it did every step up to it in order (each at or after the
    /// previous one); counts never grow from step to step.
    pub in_order: Vec<FunnelStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    /// `view_item`, `add_to_cart`, `begin_checkout` or `purchase`.
    pub step: &'static str,
    pub sessions: u64,
    /// Sessions of the previous step minus sessions of this one (`null` for the first step).
    pub drop_off: Option<i64>,
    /// `drop_off` / sessions of the previous step (`null` for the first step, 0 when the
    /// previous step had no sessions).
    pub drop_off_rate: Option<f64>,
}

impl Funnel {
    /// Builds the steps with drop-offs from the session counts of the four steps.
    pub fn steps(counts: [u64; 4]) -> Vec<FunnelStep> {
        let mut out = Vec::with_capacity(4);
        for (i, (action, sessions)) in FUNNEL_STEPS.iter().zip(counts).enumerate() {
            let (drop_off, drop_off_rate) = match i.checked_sub(1).map(|p| counts[p]) {
                None => (None, None),
                Some(prev) => {
                    let d = prev as i64 - sessions as i64;
                    (Some(d), Some(rate_signed(d, prev)))
                }
            };
            out.push(FunnelStep {
                step: action.as_str(),
                sessions,
                drop_off,
                drop_off_rate,
            });
        }
        out
    }
}

/// One product of the product table (`items` rows grouped by `item_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductRow {
    pub item_id: String,
    /// The most recently sent name of the item.
    pub item_name: Option<String>,
    /// `view_item` item rows.
    pub views: u64,
    /// Quantity added to carts.
    pub add_to_carts: u64,
    /// Quantity purchased.
    pub purchases: u64,
    /// Sum of unit price × quantity of purchased rows, per currency.
    pub revenue: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRevenue {
    pub source: Option<String>,
    pub orders: u64,
    pub revenue: Vec<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountryRevenue {
    pub country: Option<String>,
    pub orders: u64,
    pub revenue: Vec<Amount>,
}

/// `part / whole`, or 0 when `whole` is 0.
pub fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn rate_signed(part: i64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Average order value in minor units, rounded down (integer division); `None` without orders.
pub fn average_order_value(revenue_minor: i64, orders: u64) -> Option<i64> {
    i64::try_from(orders)
        .ok()
        .filter(|o| *o > 0)
        .map(|o| revenue_minor.div_euclid(o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_offs_are_between_consecutive_steps() {
        let steps = Funnel::steps([4, 2, 0, 1]);
        let got: Vec<_> = steps
            .iter()
            .map(|s| (s.step, s.sessions, s.drop_off, s.drop_off_rate))
            .collect();
        assert_eq!(
            got,
            vec![
                ("view_item", 4, None, None),
                ("add_to_cart", 2, Some(2), Some(0.5)),
                ("begin_checkout", 0, Some(2), Some(1.0)),
                // A session that bought without a checkout event: more than the step before.
                ("purchase", 1, Some(-1), Some(0.0)),
            ]
        );
    }

    #[test]
    fn average_order_value_rounds_down_and_rates_handle_zero() {
        assert_eq!(average_order_value(2498 + 1000, 2), Some(1749));
        assert_eq!(average_order_value(1001, 2), Some(500));
        assert_eq!(average_order_value(100, 0), None);
        assert_eq!(rate(1, 4), 0.25);
        assert_eq!(rate(0, 0), 0.0);
    }

    #[test]
    fn product_limit_defaults_and_bounds() {
        assert_eq!(EcommercePlan::product_limit(None), Ok(20));
        assert_eq!(EcommercePlan::product_limit(Some("5")), Ok(5));
        assert!(EcommercePlan::product_limit(Some("0")).is_err());
        assert!(EcommercePlan::product_limit(Some("x")).is_err());
    }
}
