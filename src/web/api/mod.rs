//! The JSON report API under `/api/v1/sites/{site}/...`, behind bearer tokens (or a dashboard
//! session).
//!
//! Every report is served by one generic handler, [`report`]: it reads the query into the
//! report's plan (`query::params`, the same code the dashboard uses), checks that the principal
//! may read the site, runs the plan on the blocking pool and answers the report as JSON. The
//! file of each report says what it answers and with which parameters.

mod ecommerce;
mod engagement;
mod frustration;
mod heatmap;
mod live;
mod overview;
mod pages;
mod session;
mod sessions;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;

pub use self::heatmap::heatmap;
pub use self::session::session_detail;
pub(crate) use self::session::session_detail_plan;
use super::AppState;
pub use super::auth::ApiAuth;
use super::auth::Principal;
use super::blocking::blocking;
use super::error::ApiError;
use crate::query::params::{self, Params, ReportParams};
use crate::store::{Store, StoreResult};

/// A report the API serves: how its plan is read and how a store answers it.
pub(crate) trait Report: ReportParams + Send + 'static {
    type Answer: Serialize + Send + 'static;

    fn answer(store: &dyn Store, plan: &Self) -> StoreResult<Self::Answer>;
}

/// `GET /api/v1/sites/{site}/<report>` for the report whose plan is `P`.
pub(crate) async fn report<P: Report>(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<P::Answer>, ApiError> {
    let plan: P = plan(&state, &principal, &site, &params)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || P::answer(&*store, &plan)).await?))
}

/// Validates a request for a report into its plan, checking access between the syntax and the
/// site's existence (shared with the dashboard).
pub(crate) fn plan<P: ReportParams>(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &Params,
) -> Result<P, ApiError> {
    let parsed = params::parse::<P>(site, params)?;
    principal.require(parsed.site())?;
    let exists = state.sites.get(parsed.site()).is_some();
    let thresholds = state.sites.thresholds(parsed.site());
    Ok(parsed
        .thresholds(thresholds)
        .plan(exists, crate::clock::now_ms())?)
}
