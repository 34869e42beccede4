//! What footfall serves to browsers besides the API: the tracker (`/footfall.js`) and its
//! heatmap overlay (`/footfall-heatmap.js`), the interactive test page (`/tracking/test/`) and the demo shop (`/demo/`).
//!
//! All of it is compiled into the binary, so `cargo run` needs no files next to it. The tracker
//! is gzip-compressed once and served compressed to clients that accept it. The pages load only
//! same-origin scripts and styles and send a Content-Security-Policy that forbids anything else,
//! because they display values that came from trackers.

use std::collections::HashMap;
use std::io::Write;
use std::sync::LazyLock;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::blocking::blocking;
use super::error::ApiError;
use crate::model::{SessionId, SiteId};
use crate::query::{SessionDetail, SessionDetailPlan};

/// The tracker, as written in `assets/footfall.js`.
pub const TRACKER_JS: &str = include_str!("../../assets/footfall.js");

/// The heatmap overlay, as built into `assets/footfall-heatmap.js`; footfall.js loads it only
/// on a page opened with `#footfall-heatmap=TOKEN`.
pub const HEATMAP_OVERLAY_JS: &str = include_str!("../../assets/footfall-heatmap.js");

fn gzip_best(text: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(text.as_bytes());
    gz.finish().unwrap_or_default()
}

/// The tracker gzip-compressed at the best level, made on first use.
pub static TRACKER_GZ: LazyLock<Vec<u8>> = LazyLock::new(|| gzip_best(TRACKER_JS));
static HEATMAP_OVERLAY_GZ: LazyLock<Vec<u8>> = LazyLock::new(|| gzip_best(HEATMAP_OVERLAY_JS));

const TEST_HTML: &str = include_str!("../../assets/pages/test.html");
const TEST_JS: &str = include_str!("../../assets/pages/test.js");
const FRUSTRATION_HTML: &str = include_str!("../../assets/pages/frustration.html");
const FRUSTRATION_JS: &str = include_str!("../../assets/pages/frustration.js");
const SHOP_HTML: &str = include_str!("../../assets/pages/shop.html");
const SHOP_JS: &str = include_str!("../../assets/pages/shop.js");
const PAGES_CSS: &str = include_str!("../../assets/pages/pages.css");

/// Same-origin scripts, styles, media and connections only; no framing, no plugins.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self' blob: mediastream:; connect-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn with_type(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn page(html: &'static str) -> Response {
    let mut response = with_type(html, "text/html; charset=utf-8");
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /footfall.js`: gzip when the client accepts it; cached for an hour by browsers.
pub async fn tracker(headers: HeaderMap) -> Response {
    site_script(&headers, TRACKER_JS, &TRACKER_GZ)
}

/// `GET /footfall-heatmap.js`: served like the tracker, from the same origin as it.
pub async fn heatmap_overlay(headers: HeaderMap) -> Response {
    site_script(&headers, HEATMAP_OVERLAY_JS, &HEATMAP_OVERLAY_GZ)
}

/// A script that tracked sites on other origins load: gzip when the client accepts it, cached
/// for an hour, readable from any origin.
fn site_script(headers: &HeaderMap, plain: &'static str, gzipped: &'static [u8]) -> Response {
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut response = if gzip_ok {
        let mut r = with_type(gzipped, "text/javascript; charset=utf-8");
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        with_type(plain, "text/javascript; charset=utf-8")
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    // Sites on other origins load the scripts with `crossorigin` attributes sometimes.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

pub async fn test_page() -> Response {
    page(TEST_HTML)
}

/// `/tracking/test/frustration/` and `/tracking/test/frustration/away`: one element per
/// frustration signal, and the page a quick back returns from.
pub async fn frustration_page() -> Response {
    page(FRUSTRATION_HTML)
}

pub async fn frustration_js() -> Response {
    with_type(FRUSTRATION_JS, "text/javascript; charset=utf-8")
}

pub async fn test_js() -> Response {
    with_type(TEST_JS, "text/javascript; charset=utf-8")
}

/// Every path under `/demo/` is the shop's one page; its script routes on the path.
pub async fn shop_page() -> Response {
    page(SHOP_HTML)
}

/// `GET /tracking/test/tone.wav`: two seconds of a 440 Hz tone (8 kHz, 8-bit mono PCM), so the
/// test page has a media element every browser build can play, with no file to ship.
pub async fn tone() -> Response {
    static WAV: LazyLock<Vec<u8>> = LazyLock::new(|| {
        const RATE: u32 = 8_000;
        let samples: Vec<u8> = (0..RATE * 2)
            .map(|i| {
                let t = f64::from(i) / f64::from(RATE);
                (128.0 + 60.0 * (t * 440.0 * std::f64::consts::TAU).sin()) as u8
            })
            .collect();
        let len = samples.len() as u32;
        let mut wav = Vec::with_capacity(44 + samples.len());
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + len).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
        wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
        wav.extend_from_slice(&1u16.to_le_bytes()); // mono
        wav.extend_from_slice(&RATE.to_le_bytes());
        wav.extend_from_slice(&RATE.to_le_bytes()); // bytes per second
        wav.extend_from_slice(&1u16.to_le_bytes()); // block align
        wav.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&len.to_le_bytes());
        wav.extend_from_slice(&samples);
        wav
    });
    with_type(WAV.as_slice(), "audio/wav")
}

pub async fn shop_js() -> Response {
    with_type(SHOP_JS, "text/javascript; charset=utf-8")
}

pub async fn pages_css() -> Response {
    with_type(PAGES_CSS, "text/css; charset=utf-8")
}

/// `GET /tracking/test/stored?site=S&session_id=ID`: what the server stored for the session
/// whose client id (the tracker's `footfall.ids().session_id`) is given, so the test page can
/// show it. Knowing a session's random client id is what gives access to it, as it already
/// gives the power to write to it.
pub async fn stored(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if let Some(key) = params
        .keys()
        .find(|k| !matches!(k.as_str(), "site" | "session_id"))
    {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("unknown parameter `{key}`: use `site` and `session_id`"),
        ));
    }
    let site = params
        .get("site")
        .ok_or_else(|| ApiError::bad_request("missing_site", "`site` is required"))?;
    let site =
        SiteId::parse(site).map_err(|e| ApiError::bad_request("invalid_site", e.to_string()))?;
    if state.sites.get(&site).is_none() {
        return Err(ApiError::not_found(format!("site {site:?}")));
    }
    let client = params
        .get("session_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_session",
                "`session_id` is required: 1-128 characters, the tracker's session id",
            )
        })?;
    let plan = SessionDetailPlan {
        session: SessionId::from_client(&site, client),
        site,
    };
    let store = state.store.clone();
    let detail: Option<SessionDetail> = blocking(move || store.session_detail(&plan)).await?;
    let mut response = match detail {
        Some(d) => Json(d).into_response(),
        // Nothing stored yet is a normal state for a page that just opened.
        None => (StatusCode::OK, Json(serde_json::json!({"events": []}))).into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
