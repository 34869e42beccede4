//! `GET /api/v1/sites/{site}/frustration`: elements by rage, dead and error clicks against the
//! previous period, quick-back pages and JavaScript errors (`limit` rows per table, 1..500,
//! default 50); `query::frustration` states how the signals are derived.

use super::Report;
use crate::query::frustration::{Frustration, FrustrationPlan};
use crate::store::{Store, StoreResult};

impl Report for FrustrationPlan {
    type Answer = Frustration;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Frustration> {
        store.frustration(plan)
    }
}
