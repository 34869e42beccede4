//! `GET /api/v1/sites/{site}/overview`: totals and the previous period's, events by type, a
//! time series (`interval=hour|day|week`, default from the range, in `tz`) and the top lists
//! (`top=1..100` rows each, default 10), after the common parameters and filters.

use super::Report;
use crate::query::{Overview, OverviewPlan};
use crate::store::{Store, StoreResult};

impl Report for OverviewPlan {
    type Answer = Overview;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Overview> {
        store.overview(plan)
    }
}
