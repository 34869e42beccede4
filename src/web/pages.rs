//! The pages and interactions report endpoint, `GET /api/v1/sites/{site}/pages`.
//!
//! Its own module like the e-commerce handler; it shares the token check and the common
//! parameter parsing of `api.rs` and adds paging and sorting of the page list.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};

use super::AppState;
use super::api::{ApiAuth, blocking, common, parse_offset};
use super::auth::Principal;
use super::error::ApiError;
use crate::query::pages::{PageSort, Pages, PagesPlan};

/// The report with the common parameters (`from`, `to`, `include_bots`, filters), `limit`
/// (pages listed, 1..=500, default 50), `offset` (default 0) and `sort` (`-views`, the
/// default; `-visitors`, `-time`, `path`).
pub async fn pages(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Pages>, ApiError> {
    let plan = pages_plan(&state, &principal, &site, &params)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.pages(&plan)).await?))
}

/// Validates the request parameters of the report into its plan (shared with the dashboard).
pub(crate) fn pages_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &HashMap<String, String>,
) -> Result<PagesPlan, ApiError> {
    let c = common(state, principal, site, params, &["limit", "offset", "sort"])?;
    let limit = PagesPlan::limit(params.get("limit").map(String::as_str))?;
    let offset = parse_offset(params)?;
    let sort = match params.get("sort") {
        None => PageSort::default(),
        Some(v) => PageSort::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("`sort` must be one of {}; got {v:?}", PageSort::NAMES),
            )
        })?,
    };
    Ok(PagesPlan {
        site: c.site,
        range: c.range,
        filters: c.filters,
        sort,
        limit,
        offset,
    })
}
