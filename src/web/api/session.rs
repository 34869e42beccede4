//! `GET /api/v1/sites/{site}/sessions/{session}`: one session with every stored event, enough
//! to replay the visit, its frustration `moments` (`query::moments`) and its JavaScript
//! `errors`. It takes no query parameters.

use axum::Json;
use axum::extract::{Path, State};

use super::ApiAuth;
use crate::query::params::{known_site, session_id, site_id};
use crate::query::{SessionDetail, SessionDetailPlan};
use crate::web::AppState;
use crate::web::auth::Principal;
use crate::web::blocking::blocking;
use crate::web::error::ApiError;

pub async fn session_detail(
    ApiAuth(principal): ApiAuth,
    State(state): State<AppState>,
    Path((site, session)): Path<(String, String)>,
) -> Result<Json<SessionDetail>, ApiError> {
    let plan = session_detail_plan(&state, &principal, &site, &session)?;
    let session = plan.session;
    let thresholds = state.sites.thresholds(&plan.site);
    let store = state.store.clone();
    blocking(move || store.session_detail(&plan))
        .await?
        .map(|detail| Json(detail.mark(&thresholds)))
        .ok_or_else(|| ApiError::not_found(format!("session {session}")))
}

/// Validates a session detail request (shared with the dashboard's session page): the site id,
/// access, the site's existence, then the session id.
pub(crate) fn session_detail_plan(
    state: &AppState,
    principal: &Principal,
    site: &str,
    session: &str,
) -> Result<SessionDetailPlan, ApiError> {
    let site = site_id(site)?;
    principal.require(&site)?;
    let exists = state.sites.get(&site).is_some();
    let site = known_site(site, exists)?;
    let session = session_id(session)?;
    Ok(SessionDetailPlan { site, session })
}
