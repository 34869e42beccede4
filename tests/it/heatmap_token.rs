//! The heatmap page and the overlay's viewing token over HTTP: the page draws the chosen page
//! and links to it with a token; the token reads that site's page only, from its own origins
//! (CORS preflight included), nowhere else, and not once expired, forged or signed out.

use footfall::model::SiteId;
use footfall::web::heatmap_token::{HeatmapToken, MAX_LIFETIME_MS};
use serde_json::{Value, json};

use crate::common::{CHROME, TestApp, now_ms, send_from};
use crate::dashboard::{csrf_of, get, setup, signed_in};

async fn clicks_on_site_a(app: &TestApp) {
    let t = now_ms() - 60_000;
    let click = |id: &str, dt: i64, x: i32| {
        json!({"id": id, "ts": t + dt, "type": "click", "x": x, "y": 300, "page_y": 300,
               "selector": "button#buy", "vw": 1280, "vh": 800, "ex": 500, "ey": 500})
    };
    let batch = json!({
        "site": "a", "visitor_id": "v1", "session_id": "s1", "sent_at": now_ms(),
        "page": {"url": "https://a.example/shop"},
        "events": [
            {"id": "e1", "ts": t, "type": "pageview"},
            click("e2", 1_000, 640),
            click("e3", 5_000, 650),
            {"id": "e4", "ts": t + 6_000, "type": "scroll", "x": 0, "y": 400, "depth": 60, "vh": 800},
        ]
    });
    send_from(app, "198.51.100.7", CHROME, batch).await;
    app.settle().await;
}

/// The token the heatmap page put in its fragment field.
fn token_of(html: &str) -> String {
    let start = html
        .find("value=\"#footfall-heatmap=")
        .expect("the fragment field")
        + "value=\"#footfall-heatmap=".len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn heatmap(
    app: &TestApp,
    site: &str,
    path: &str,
    token: &str,
    origin: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/sites/{site}/heatmap")))
        .query(&[("path", path)])
        .bearer_auth(token);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.json().await.unwrap_or(Value::Null), headers)
}

#[tokio::test]
async fn the_heatmap_page_draws_the_page_and_links_it_with_a_token_for_it_only() {
    let app = setup().await;
    clicks_on_site_a(&app).await;
    let viewer = signed_in(&app, "viewer@example.com").await;
    let (status, html) = get(&viewer, app.url("/tracking/heatmaps/?site=a")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("<code>/shop</code>"),
        "the top page is chosen"
    );
    assert!(html.contains("chart-density") && html.contains("heat h10"));
    assert!(html.contains("chart-scroll"));
    assert!(html.contains("button#buy"), "the element table");
    assert!(
        html.contains("href=\"https://a.example/shop#footfall-heatmap="),
        "the live link opens the site's page"
    );
    let token = token_of(&html);

    // The token reads the page it was made for, with CORS for the site's own origin.
    let (status, body, headers) = heatmap(&app, "a", "/shop", &token, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 2);
    let (status, _, headers_a) =
        heatmap(&app, "a", "/shop", &token, Some("https://a.example")).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers_a
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://a.example")
    );
    assert!(headers.get("access-control-allow-origin").is_none());

    // Not another page, another site, another origin or another report.
    let (status, body, _) = heatmap(&app, "a", "/other", &token, None).await;
    assert_eq!(status, 403, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("/shop"), "{body}");
    let (status, body, _) = heatmap(&app, "b", "/shop", &token, None).await;
    assert_eq!(status, 403, "{body}");
    let (status, body, headers) =
        heatmap(&app, "a", "/shop", &token, Some("https://evil.example")).await;
    assert_eq!(status, 403, "{body}");
    assert!(headers.get("access-control-allow-origin").is_none());
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/sites/a/overview"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("overview");
    assert_eq!(r.status(), 401, "a viewing token is no API token");

    // Forged, expired and missing tokens: 401 with a JSON body.
    let mut forged = token.clone();
    let last = if forged.ends_with('A') { 'B' } else { 'A' };
    forged.pop();
    forged.push(last);
    let state = app.app.as_ref().expect("running").state();
    let user = state
        .store
        .user_by_email("viewer@example.com")
        .expect("store")
        .expect("viewer");
    let site = SiteId::parse("a").expect("id");
    let now = now_ms();
    let expired = HeatmapToken::new(
        &user,
        now - 3 * MAX_LIFETIME_MS,
        site,
        "/shop".into(),
        now - 2 * MAX_LIFETIME_MS,
        MAX_LIFETIME_MS,
    )
    .encode(state.keys.heatmap_key());
    for (what, bad) in [("forged", forged.as_str()), ("expired", &expired)] {
        let (status, body, _) = heatmap(&app, "a", "/shop", bad, None).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(
            body["error"]["code"], "invalid_heatmap_token",
            "{what}: {body}"
        );
    }
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/sites/a/heatmap?path=/shop"))
        .send()
        .await
        .expect("no token");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("a JSON body");
    assert!(body["error"]["message"].is_string());

    // Signing out ends the token with the session that made it.
    let (_, page) = get(&viewer, app.url("/tracking/heatmaps/?site=a")).await;
    let r = viewer
        .post(app.url("/tracking/logout"))
        .form(&[("csrf", csrf_of(&page).as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 303);
    let (status, body, _) = heatmap(&app, "a", "/shop", &token, None).await;
    assert_eq!(status, 401, "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_site_origin_passes_the_preflight_and_others_do_not() {
    let app = setup().await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(
                reqwest::Method::OPTIONS,
                app.url("/api/v1/sites/a/heatmap?path=/shop"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let r = preflight("https://shop.a.example")
        .await
        .expect("preflight");
    assert!(r.status().is_success(), "{}", r.status());
    let allowed = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(
        allowed("access-control-allow-origin"),
        "https://shop.a.example"
    );
    assert!(allowed("access-control-allow-headers").contains("authorization"));
    let r = preflight("https://b.example").await.expect("preflight");
    assert!(r.headers().get("access-control-allow-origin").is_none());
    app.shutdown().await;
}

#[tokio::test]
async fn the_overlay_script_is_served_like_the_tracker() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/footfall-heatmap.js"))
        .send()
        .await
        .expect("script");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/javascript"))
    );
    let text = r.text().await.expect("body");
    assert_eq!(text, footfall::web::assets::HEATMAP_OVERLAY_JS);
    app.shutdown().await;
}
