//! What protects people reading the dashboard from the data it shows: every value came from
//! a tracker on some website, so pages forbid every script, style and connection that is not
//! footfall's own, may not be framed, and leak nothing through referrers or caches.
//!
//! Browsers report CSP violations to `/tracking/csp-report`; they are counted in the metrics
//! (`footfall_csp_violations`) and logged, so an escaping bug shows up in production too.

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::web::AppState;
use crate::web::error::ApiError;

/// Same-origin scripts, styles and connections only, no inline anything, no framing.
pub const DASHBOARD_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'; report-uri /tracking/csp-report";

/// Adds the protective headers to every dashboard response.
pub async fn headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/tracking/assets/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: header::HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, DASHBOARD_CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if !is_asset {
        // Reports are private: no shared caches, no back-button copies after signing out.
        set(h, header::CACHE_CONTROL, "no-store");
    }
    response
}

const CSS: &str = include_str!("../../../assets/dashboard/dashboard.css");
const PLAYBACK_JS: &str = include_str!("../../../assets/dashboard/playback.js");
const LIVE_JS: &str = include_str!("../../../assets/dashboard/live.js");

/// The dashboard's stylesheet and scripts, compiled into the binary.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "dashboard.css" => (CSS, "text/css; charset=utf-8"),
        "playback.js" => (PLAYBACK_JS, "text/javascript; charset=utf-8"),
        "live.js" => (LIVE_JS, "text/javascript; charset=utf-8"),
        _ => return ApiError::not_found(format!("no dashboard asset {file:?}")).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// Counts and logs a browser's CSP violation report (the body is the browser's JSON, capped
/// by the router's body limit; only its size and a prefix are logged).
pub async fn csp_report(State(state): State<AppState>, body: Bytes) -> StatusCode {
    state.metrics.csp_violations.inc();
    let text = String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned();
    tracing::warn!(bytes = body.len(), report = %text, "CSP violation reported by a browser");
    StatusCode::NO_CONTENT
}
