//! `GET /api/v1/sites/{site}/sessions`: the sessions starting in the range, a page at a time
//! (`limit` 1..500, default 50; `offset`), sorted by `sort` (`-start`, the default; `start`,
//! `-duration`, `-events`).

use super::Report;
use crate::query::{SessionListPlan, SessionPage};
use crate::store::{Store, StoreResult};

impl Report for SessionListPlan {
    type Answer = SessionPage;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<SessionPage> {
        store.sessions(plan)
    }
}
