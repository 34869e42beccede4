//! `GET /api/v1/sites/{site}/live`: visitors of the last 5 minutes, their current pages and the
//! newest events (`events` 1..500, default 50). `from` and `to` are refused: the window is fixed.

use super::Report;
use crate::query::live::{Live, LivePlan};
use crate::store::{Store, StoreResult};

impl Report for LivePlan {
    type Answer = Live;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Live> {
        store.live(plan)
    }
}
