//! `GET /api/v1/sites/{site}/pages`: pages with views, visitors, time on page and their
//! interactions; `limit` (1..500, default 50), `offset` and `sort` (`-views`, the default;
//! `-visitors`, `-time`, `path`).

use super::Report;
use crate::query::pages::{Pages, PagesPlan};
use crate::store::{Store, StoreResult};

impl Report for PagesPlan {
    type Answer = Pages;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Pages> {
        store.pages(plan)
    }
}
