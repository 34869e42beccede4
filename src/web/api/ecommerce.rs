//! `GET /api/v1/sites/{site}/ecommerce`: revenue per currency, the purchase funnel, products
//! (`limit` 1..500, default 20) and orders over time (`interval`, default from the range).

use super::Report;
use crate::query::ecommerce::{Ecommerce, EcommercePlan};
use crate::store::{Store, StoreResult};

impl Report for EcommercePlan {
    type Answer = Ecommerce;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Ecommerce> {
        store.ecommerce(plan)
    }
}
