//! The JSON report API under `/api/v1/sites/{site}/...`, behind bearer tokens.
//!
//! Handlers validate query parameters into report plans (unknown parameters are a 400 that
//! names them), run the plan on the blocking pool and return the report as JSON.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, NaiveDate};

use super::AppState;
pub use super::auth::ApiAuth;
use super::auth::Principal;
use super::error::ApiError;
use crate::model::{SessionId, SiteId};
use crate::query::filter::FILTER_KEYS;
use crate::query::live::{Live, LivePlan};
use crate::query::zone::Zone;
use crate::query::{
    Filter, Filters, Granularity, Overview, OverviewPlan, SessionDetail, SessionDetailPlan,
    SessionListPlan, SessionPage, SessionSort, TimeRange,
};

const DAY_MS: i64 = 86_400_000;

/// Parses `from`/`to`: epoch milliseconds, RFC 3339, or a date in the report's time zone (a
/// `to` date includes that day).
fn parse_time(key: &str, value: &str, end_of_day: bool, zone: Zone) -> Result<i64, ApiError> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let day = if end_of_day {
            d.succ_opt().unwrap_or(d)
        } else {
            d
        };
        return Ok(zone.midnight_ms(day));
    }
    Err(ApiError::bad_request(
        "invalid_query",
        format!(
            "`{key}` must be epoch milliseconds, an RFC 3339 time or a YYYY-MM-DD date, got {value:?}"
        ),
    ))
}

/// Validated common parameters of report queries.
pub(super) struct Common {
    pub site: SiteId,
    /// `tz=`: how dates in `from`/`to` and the overview's series buckets are read (default UTC).
    pub zone: Zone,
    pub range: TimeRange,
    pub filters: Filters,
}

pub(super) fn common(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &HashMap<String, String>,
    extra_keys: &[&str],
) -> Result<Common, ApiError> {
    const KEYS: &[&str] = &["from", "to", "include_bots", "tz"];
    let known = |k: &str| KEYS.contains(&k) || FILTER_KEYS.contains(&k) || extra_keys.contains(&k);
    if let Some(unknown) = params.keys().find(|k| !known(k)) {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("unknown query parameter `{unknown}`"),
        ));
    }
    let mut conditions = Vec::new();
    for (key, value) in params {
        if let Some(parsed) = Filter::parse(key, value) {
            conditions
                .push(parsed.map_err(|e| ApiError::bad_request("invalid_filter", e.to_string()))?);
        }
    }
    // A stable order keeps the generated SQL the same for the same set of filters.
    conditions.sort_by_key(|f| format!("{f:?}"));
    let site =
        SiteId::parse(site).map_err(|e| ApiError::bad_request("invalid_site", e.to_string()))?;
    principal.require(&site)?;
    if state.sites.get(&site).is_none() {
        return Err(ApiError::not_found(format!("site {site:?}")));
    }
    let zone = match params.get("tz") {
        None => Zone::default(),
        Some(name) => Zone::parse(name).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("`tz` must be an IANA time zone such as Europe/Berlin, got {name:?}"),
            )
        })?,
    };
    let now = crate::clock::now_ms();
    let to = match params.get("to") {
        Some(v) => parse_time("to", v, true, zone)?,
        None => now + 1,
    };
    let from = match params.get("from") {
        Some(v) => parse_time("from", v, false, zone)?,
        None => to - 30 * DAY_MS,
    };
    let include_bots = match params.get("include_bots").map(String::as_str) {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("`include_bots` must be true or false, got {other:?}"),
            ));
        }
    };
    Ok(Common {
        site,
        zone,
        range: TimeRange::new(from, to)?,
        filters: Filters {
            include_bots,
            conditions,
        },
    })
}

/// Validates an `offset` request parameter (absent: 0).
pub(super) fn parse_offset(params: &HashMap<String, String>) -> Result<u64, ApiError> {
    match params.get("offset") {
        None => Ok(0),
        Some(v) => v.parse::<u64>().map_err(|_| {
            ApiError::bad_request("invalid_query", "`offset` must be a non-negative integer")
        }),
    }
}

/// `interval=hour|day|week` (default: chosen from the range), at most 5000 points.
pub(super) fn parse_granularity(
    params: &HashMap<String, String>,
    range: TimeRange,
) -> Result<Granularity, ApiError> {
    let granularity = match params.get("interval") {
        None => Granularity::for_range(range),
        Some(v) => Granularity::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("`interval` must be hour, day or week; got {v:?}"),
            )
        })?,
    };
    let buckets = (range.to_ms - range.from_ms) / granularity.step_ms();
    if buckets > 5000 {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "`interval` {} gives {buckets} points over this range; at most 5000",
                granularity.as_str()
            ),
        ));
    }
    Ok(granularity)
}

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(ApiError::from)
}

pub async fn overview(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Overview>, ApiError> {
    let plan = overview_plan(&state, &principal, &site, &params)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.overview(&plan)).await?))
}

/// Validates the request parameters of the report into its plan (shared with the dashboard).
pub(crate) fn overview_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &HashMap<String, String>,
) -> Result<OverviewPlan, ApiError> {
    let c = common(state, principal, site, params, &["interval", "top"])?;
    let granularity = parse_granularity(params, c.range)?;
    let top = match params.get("top") {
        None => 10,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|t| (1..=100).contains(t))
            .ok_or_else(|| {
                ApiError::bad_request("invalid_query", "`top` must be between 1 and 100")
            })?,
    };
    Ok(OverviewPlan {
        site: c.site,
        range: c.range,
        filters: c.filters,
        granularity,
        zone: c.zone,
        top,
    })
}

pub async fn sessions(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<SessionPage>, ApiError> {
    let plan = sessions_plan(&state, &principal, &site, &params)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.sessions(&plan)).await?))
}

/// Validates the request parameters of the report into its plan (shared with the dashboard).
pub(crate) fn sessions_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &HashMap<String, String>,
) -> Result<SessionListPlan, ApiError> {
    let c = common(state, principal, site, params, &["limit", "offset", "sort"])?;
    let limit = crate::query::parse_limit(
        params.get("limit").map(String::as_str),
        50,
        SessionListPlan::MAX_LIMIT,
    )?;
    let offset = parse_offset(params)?;
    let sort = match params.get("sort") {
        None => SessionSort::default(),
        Some(v) => SessionSort::parse(v).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("`sort` must be one of -start, start, -duration, -events; got {v:?}"),
            )
        })?,
    };
    Ok(SessionListPlan {
        site: c.site,
        range: c.range,
        filters: c.filters,
        sort,
        limit,
        offset,
    })
}

pub async fn session_detail(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path((site, session)): Path<(String, String)>,
) -> Result<Json<SessionDetail>, ApiError> {
    let plan = session_detail_plan(&state, &principal, &site, &session)?;
    let session = plan.session;
    let store = state.store.clone();
    blocking(move || store.session_detail(&plan))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("session {session}")))
}

/// Validates a session detail request (shared with the dashboard's session page).
pub(crate) fn session_detail_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    session: &str,
) -> Result<SessionDetailPlan, ApiError> {
    let site =
        SiteId::parse(site).map_err(|e| ApiError::bad_request("invalid_site", e.to_string()))?;
    principal.require(&site)?;
    if state.sites.get(&site).is_none() {
        return Err(ApiError::not_found(format!("site {site:?}")));
    }
    let session = SessionId::parse_hex(session)
        .map_err(|e| ApiError::bad_request("invalid_session", e.to_string()))?;
    Ok(SessionDetailPlan { site, session })
}

pub async fn live(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Live>, ApiError> {
    let plan = live_plan(&state, &principal, &site, &params)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.live(&plan)).await?))
}

/// Validates the request parameters of the report into its plan (shared with the dashboard).
pub(crate) fn live_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    params: &HashMap<String, String>,
) -> Result<LivePlan, ApiError> {
    if let Some(key) = ["from", "to"].into_iter().find(|k| params.contains_key(*k)) {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("`{key}` does not apply: the live view covers the last 5 minutes"),
        ));
    }
    let c = common(state, principal, site, params, &["events"])?;
    let events = match params.get("events") {
        None => 50,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request("invalid_query", "`events` must be between 1 and 500")
            })?,
    };
    Ok(LivePlan {
        site: c.site,
        now_ms: crate::clock::now_ms(),
        filters: c.filters,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::{Zone, parse_time};

    #[test]
    fn times_parse_in_three_forms() {
        assert_eq!(
            parse_time("from", "1795560144125", false, Zone::default()).unwrap(),
            1795560144125
        );
        assert_eq!(
            parse_time("from", "2026-11-24", false, Zone::default()).unwrap(),
            1795478400000
        );
        assert_eq!(
            parse_time("to", "2026-11-24", true, Zone::default()).unwrap(),
            1795478400000 + 86_400_000
        );
        assert_eq!(
            parse_time("from", "2026-11-24T00:00:00Z", false, Zone::default()).unwrap(),
            1795478400000
        );
        let err = parse_time("from", "yesterday", false, Zone::default()).unwrap_err();
        assert!(err.message.contains("`from`"));
    }
}
