//! The e-commerce report endpoint, `GET /api/v1/sites/{site}/ecommerce`.
//!
//! Its own module so the report can grow (CSV, more parameters) without touching the other
//! report handlers; it shares their token check and parameter parsing from `api.rs`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};

use super::AppState;
use super::api::{ApiAuth, blocking, common};
use super::auth::Principal;
use super::error::ApiError;
use crate::query::ecommerce::{Ecommerce, EcommercePlan};

/// The report with the common parameters (`from`, `to`, `include_bots`, filters) and `limit`
/// (products listed, 1..=500, default 20) and `interval` (the series' buckets: hour, day
/// or week; default chosen from the range).
pub async fn ecommerce(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Ecommerce>, ApiError> {
    let plan = ecommerce_plan(&state, &principal, &site, &params)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.ecommerce(&plan)).await?))
}

/// Validates the request parameters of the report into its plan (shared with the dashboard).
pub(crate) fn ecommerce_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &HashMap<String, String>,
) -> Result<EcommercePlan, ApiError> {
    let c = common(state, principal, site, params, &["limit", "interval"])?;
    Ok(EcommercePlan {
        site: c.site,
        range: c.range,
        filters: c.filters,
        product_limit: EcommercePlan::product_limit(params.get("limit").map(String::as_str))?,
        granularity: super::api::parse_granularity(params, c.range)?,
        zone: c.zone,
    })
}
