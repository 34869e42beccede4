//! The HTTP surface: one axum router, which is also the seam integration tests drive.
//!
//! Handlers extract, call one function and return; errors become JSON with a status chosen by
//! their kind (`error.rs`). Ingest routes answer CORS preflights from any origin (tracked sites
//! live on other hosts); report routes need an API token.

pub mod api;
pub mod assets;
pub mod auth;
pub mod blocking;
pub mod csv;
pub mod dashboard;
pub mod error;
pub mod heatmap_token;
pub mod ingest;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;
use crate::ingest::Ingestor;
use crate::metrics::Metrics;
use crate::query::ecommerce::EcommercePlan;
use crate::query::engagement::EngagementPlan;
use crate::query::frustration::FrustrationPlan;
use crate::query::live::LivePlan;
use crate::query::pages::PagesPlan;
use crate::query::{OverviewPlan, SessionListPlan};
use crate::ratelimit::KeyedLimit;
use crate::sites::SiteRegistry;
use crate::store::Store;

/// Everything handlers need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub sites: Arc<SiteRegistry>,
    pub ingestor: Arc<Ingestor>,
    pub metrics: Arc<Metrics>,
    pub ip_limit: Arc<KeyedLimit<IpAddr>>,
    /// Valid API token hashes and when this node last confirmed them (epoch ms).
    pub token_cache: Arc<quick_cache::sync::Cache<String, i64>>,
    /// Signs dashboard cookies and derives CSRF tokens; the same on every node.
    pub keys: auth::Keys,
    pub login_throttle: Arc<crate::throttle::LoginThrottle>,
}

pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            HeaderName::from_static("x-csrftoken"),
            HeaderName::from_static("x-requested-with"),
        ])
        .max_age(Duration::from_secs(86_400));
    let ingest_routes = Router::new()
        .route("/api/v1/collect", post(ingest::collect))
        .route("/api/track-behavior/", post(ingest::track_behavior))
        .route("/api/track-behavior", post(ingest::track_behavior))
        .layer(cors);
    // Every report answers JSON, or CSV of one of its tables with `format=csv&table=NAME`.
    let report_routes = Router::new()
        .route(
            "/api/v1/sites/{site}/overview",
            get(api::report::<OverviewPlan>),
        )
        .route(
            "/api/v1/sites/{site}/sessions",
            get(api::report::<SessionListPlan>),
        )
        .route(
            "/api/v1/sites/{site}/sessions/{session}",
            get(api::session_detail),
        )
        .route(
            "/api/v1/sites/{site}/ecommerce",
            get(api::report::<EcommercePlan>),
        )
        .route("/api/v1/sites/{site}/pages", get(api::report::<PagesPlan>))
        .route(
            "/api/v1/sites/{site}/engagement",
            get(api::report::<EngagementPlan>),
        )
        .route("/api/v1/sites/{site}/live", get(api::report::<LivePlan>))
        .route(
            "/api/v1/sites/{site}/heatmap",
            get(api::heatmap).layer(heatmap_cors(state.sites.clone())),
        )
        .route(
            "/api/v1/sites/{site}/frustration",
            get(api::report::<FrustrationPlan>),
        )
        .layer(axum::middleware::from_fn(csv::export));
    let bench_routes = if state.config.bench_endpoint {
        Router::new().route("/bench/null", post(bench_null))
    } else {
        Router::new()
    };
    Router::new()
        .merge(ingest_routes)
        .merge(bench_routes)
        .merge(report_routes)
        .merge(dashboard::routes())
        .route("/footfall.js", get(assets::tracker))
        .route("/footfall-heatmap.js", get(assets::heatmap_overlay))
        .route("/tracking/test/", get(assets::test_page))
        .route("/tracking/test", get(assets::test_page))
        .route("/tracking/test/test.js", get(assets::test_js))
        .route("/tracking/test/frustration/", get(assets::frustration_page))
        .route(
            "/tracking/test/frustration/away",
            get(assets::frustration_page),
        )
        .route("/tracking/test/frustration.js", get(assets::frustration_js))
        .route("/tracking/test/stored", get(assets::stored))
        .route("/tracking/test/tone.wav", get(assets::tone))
        .route("/assets/pages.css", get(assets::pages_css))
        .route("/demo/shop.js", get(assets::shop_js))
        .route("/demo", get(assets::shop_page))
        .route("/demo/", get(assets::shop_page))
        .route("/demo/{*path}", get(assets::shop_page))
        .route("/api/v1/schema.json", get(schema))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/", get(home))
        .fallback(not_found)
        .with_state(state)
}

/// CORS for the heatmap overlay, which runs on the tracked site's pages and sends its viewing
/// token in `Authorization`: only the site's own origins (the site named in the path) may read
/// the answer, without cookies.
fn heatmap_cors(sites: Arc<SiteRegistry>) -> CorsLayer {
    let site_origin = move |origin: &HeaderValue, parts: &axum::http::request::Parts| {
        let site = parts
            .uri
            .path()
            .strip_prefix("/api/v1/sites/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|id| crate::model::SiteId::parse(id).ok())
            .and_then(|id| sites.get(&id));
        let host = origin.to_str().ok().and_then(heatmap_token::origin_host);
        matches!((site, host), (Some(site), Some(host)) if site.serves_host(&host))
    };
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(site_origin))
        .allow_methods([Method::GET, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION])
        .max_age(Duration::from_secs(3_600))
}

/// The ingest benchmark's baseline: reads the body (same 1 MiB limit as ingest) and answers
/// 204, so "what this server can do at all" is measured in the same run as ingestion.
async fn bench_null(body: axum::body::Body) -> StatusCode {
    match axum::body::to_bytes(body, crate::ingest::body::MAX_BODY_BYTES).await {
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::PAYLOAD_TOO_LARGE,
    }
}

async fn not_found() -> error::ApiError {
    error::ApiError::not_found("no such route")
}

async fn schema() -> impl IntoResponse {
    Json(crate::ingest::native::schema())
}

async fn healthz(State(state): State<AppState>) -> Response {
    let pending = state.ingestor.spool().pending_bytes();
    let body = serde_json::json!({
        "status": "ok",
        "spool_pending_bytes": pending,
        "spool_committed_seq": state.ingestor.spool().committed_seq(),
        "spool_applied_seq": state.ingestor.spool().applied_seq(),
    });
    (StatusCode::OK, Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    state
        .metrics
        .spool_pending
        .set(state.ingestor.spool().pending_bytes() as i64);
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

async fn home() -> Html<&'static str> {
    Html(
        "<!doctype html><meta charset=utf-8><title>footfall</title>\
         <h1>footfall</h1><p>Ingestion: <code>POST /api/v1/collect</code> \
         (<a href=\"/api/v1/schema.json\">schema</a>) and <code>POST /api/track-behavior/</code>. \
         Reports: <code>/api/v1/sites/{site}/overview</code> with an API token. \
         Tracker: <a href=\"/footfall.js\">/footfall.js</a>; try it on the \
         <a href=\"/tracking/test/\">test page</a> and the <a href=\"/demo/\">demo shop</a>. \
         Health: <a href=\"/healthz\">/healthz</a>, metrics: <a href=\"/metrics\">/metrics</a>.</p>",
    )
}
