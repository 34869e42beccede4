//! `GET /api/v1/sites/{site}/engagement`: per-user (or per-visitor, `by=visitor`) engagement
//! with scores, active-user counts and weekly cohorts; `sort` (default `-score`), `limit`
//! (1..500, default 50), `offset` and `q` (a case-insensitive substring of the user id).

use super::Report;
use crate::query::engagement::{Engagement, EngagementPlan};
use crate::store::{Store, StoreResult};

impl Report for EngagementPlan {
    type Answer = Engagement;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Engagement> {
        store.engagement(plan)
    }
}
