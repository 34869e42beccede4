//! `GET /api/v1/sites/{site}/heatmap?path=/p`: one page's click, move or scroll map (`type`,
//! default `click`), for a `device` (`mobile`, `tablet`, `desktop`, by viewport width) or
//! `min_width`/`max_width`; `query::heatmap` states how it is counted.

use super::Report;
use crate::query::heatmap::{Heatmap, HeatmapPlan};
use crate::store::{Store, StoreResult};

impl Report for HeatmapPlan {
    type Answer = Heatmap;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Heatmap> {
        store.heatmap(plan)
    }
}
