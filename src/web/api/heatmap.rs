//! `GET /api/v1/sites/{site}/heatmap?path=/p`: one page's click, move or scroll map (`type`,
//! default `click`), for a `device` (`mobile`, `tablet`, `desktop`, by viewport width) or
//! `min_width`/`max_width`; `query::heatmap` states how it is counted.
//!
//! Besides API tokens and dashboard sessions it accepts the overlay's viewing token
//! (`web/heatmap_token.rs`) for the one page it was made for, from the site's own origins
//! (the router adds CORS for them).

use axum::Json;
use axum::extract::{Path, Query, State};

use super::{Report, plan};
use crate::query::heatmap::{Heatmap, HeatmapPlan};
use crate::query::params::Params;
use crate::store::{Store, StoreResult};
use crate::web::AppState;
use crate::web::blocking::blocking;
use crate::web::error::ApiError;
use crate::web::heatmap_token::HeatmapAuth;

impl Report for HeatmapPlan {
    type Answer = Heatmap;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Heatmap> {
        store.heatmap(plan)
    }
}

/// `GET /api/v1/sites/{site}/heatmap`: the generic report handler, with the viewing token.
pub async fn heatmap(
    auth: HeatmapAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<Heatmap>, ApiError> {
    let plan: HeatmapPlan = plan(&state, &auth.principal(), &site, &params)?;
    auth.require_page(&plan.path)?;
    let store = state.store.clone();
    Ok(Json(
        blocking(move || HeatmapPlan::answer(&*store, &plan)).await?,
    ))
}
