//! The engagement report endpoint, `GET /api/v1/sites/{site}/engagement`.
//!
//! Its own module, like the e-commerce report, so the report can grow (CSV) without touching
//! the other handlers; it shares their token check and parameter parsing from `api.rs`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};

use super::AppState;
use super::api::{ApiAuth, blocking, common, parse_offset};
use super::auth::Principal;
use super::error::ApiError;
use crate::query::engagement::{Engagement, EngagementBy, EngagementPlan, EngagementSort};

/// The report with the common parameters (`from`, `to`, `include_bots`, filters) and its own:
/// `by=user|visitor` (default `user`), `sort` (default `-score`), `limit` (1..=500, default
/// 50), `offset` and `q` (a case-insensitive substring of the user id).
pub async fn engagement(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Engagement>, ApiError> {
    let plan = engagement_plan(&state, &principal, &site, &params)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.engagement(&plan)).await?))
}

/// Validates the request parameters of the report into its plan (shared with the dashboard).
pub(crate) fn engagement_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &HashMap<String, String>,
) -> Result<EngagementPlan, ApiError> {
    let c = common(
        state,
        principal,
        site,
        params,
        &["by", "sort", "limit", "offset", "q"],
    )?;
    let by = match params.get("by") {
        None => EngagementBy::default(),
        Some(v) => EngagementBy::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("`by` must be user or visitor; got {v:?}"),
            )
        })?,
    };
    let sort = match params.get("sort") {
        None => EngagementSort::default(),
        Some(v) => EngagementSort::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!(
                    "`sort` must be one of {}; got {v:?}",
                    EngagementSort::VALUES
                ),
            )
        })?,
    };
    let offset = parse_offset(params)?;
    let search = match params.get("q").map(String::as_str) {
        None | Some("") => None,
        Some(q) if q.chars().count() > EngagementPlan::MAX_SEARCH_CHARS => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!(
                    "`q` may have at most {} characters",
                    EngagementPlan::MAX_SEARCH_CHARS
                ),
            ));
        }
        Some(q) => Some(q.to_owned()),
    };
    Ok(EngagementPlan {
        site: c.site,
        range: c.range,
        filters: c.filters,
        by,
        sort,
        search,
        limit: EngagementPlan::limit(params.get("limit").map(String::as_str))?,
        offset,
        zone: c.zone,
    })
}
