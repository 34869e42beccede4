//! The dashboard over HTTP: sign-in, throttling, CSRF, per-site access on every route, the
//! pages and their headers, admin changes that take effect, and the live stream.

use std::time::Duration;

use footfall::model::{IpMode, Role, Site, SiteId, SiteSettings, User};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::common::{CHROME, TestApp, native_batch, send_from};

pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) fn add_user(app: &TestApp, email: &str, role: Role, sites: &[&str]) {
    let store = &app.app.as_ref().expect("running").state().store;
    store
        .insert_user(&User {
            email: email.into(),
            role,
            password_hash: footfall::auth::hash_password(PASSWORD).expect("hash"),
            sites: sites
                .iter()
                .map(|s| SiteId::parse(s).expect("id"))
                .collect(),
        })
        .expect("user");
}

pub(crate) fn add_site(app: &TestApp, id: &str, domain: &str) {
    let state = app.app.as_ref().expect("running").state();
    state
        .store
        .insert_site(&Site {
            id: SiteId::parse(id).expect("id"),
            domains: vec![domain.into()],
            settings: SiteSettings::default(),
        })
        .expect("site");
    state.sites.reload(state.store.as_ref()).expect("reload");
}

/// An app with sites `a` and `b`, an admin, and a viewer of `a` only.
pub(crate) async fn setup() -> TestApp {
    let app = TestApp::spawn_with(
        |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")],
        Default::default(),
    )
    .await;
    add_site(&app, "a", "a.example");
    add_site(&app, "b", "b.example");
    add_user(&app, "admin@example.com", Role::Admin, &[]);
    add_user(&app, "viewer@example.com", Role::Viewer, &["a"]);
    app
}

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Signs in through the login form; returns the answer's status.
async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> u16 {
    let form = client
        .get(app.url("/tracking/login"))
        .send()
        .await
        .expect("login page");
    let csrf = csrf_of(&form.text().await.expect("body"));
    client
        .post(app.url("/tracking/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/tracking/sessions/"),
        ])
        .send()
        .await
        .expect("login")
        .status()
        .as_u16()
}

pub(crate) async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = browser();
    assert_eq!(sign_in(app, &client, email, PASSWORD).await, 303);
    client
}

pub(crate) async fn get(client: &reqwest::Client, url: String) -> (u16, String) {
    let r = client.get(url).send().await.expect("request");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn some_traffic(app: &TestApp, site: &str) -> String {
    let session = format!("s-{site}");
    send_from(
        app,
        "198.51.100.7",
        CHROME,
        native_batch(site, "v1", &session, site, 10),
    )
    .await;
    app.settle().await;
    let (_, page) = app.get_api(&format!("/api/v1/sites/{site}/sessions")).await;
    page["sessions"][0]["session_id"]
        .as_str()
        .expect("a session")
        .to_owned()
}

#[tokio::test]
async fn pages_send_people_to_the_sign_in_page_and_back() {
    let app = setup().await;
    let client = browser();
    let r = client
        .get(app.url("/tracking/sessions/?site=a"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().expect("ascii");
    assert_eq!(
        location,
        "/tracking/login?next=%2Ftracking%2Fsessions%2F%3Fsite%3Da"
    );
    // The API answers 401 JSON, not a redirect.
    let (status, body) = get(&client, app.url("/api/v1/sites/a/overview")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        sign_in(&app, &client, "admin@example.com", PASSWORD).await,
        303
    );
    let (status, html) = get(&client, app.url("/tracking/sessions/?site=a")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Sessions"), "{html}");
    app.shutdown().await;
}

#[tokio::test]
async fn every_page_renders_with_protective_headers() {
    let app = setup().await;
    let session = some_traffic(&app, "a").await;
    let client = signed_in(&app, "admin@example.com").await;
    for path in [
        "/tracking/dashboard/?site=a".to_owned(),
        "/tracking/sessions/?site=a".to_owned(),
        format!("/tracking/sessions/{session}?site=a"),
        "/tracking/ecommerce/?site=a".to_owned(),
        "/tracking/engagement/?site=a".to_owned(),
        "/tracking/engagement/?site=a&by=visitor".to_owned(),
        "/tracking/engagement/users/nobody?site=a".to_owned(),
        "/tracking/live/?site=a".to_owned(),
        "/tracking/admin/".to_owned(),
    ] {
        let r = client.get(app.url(&path)).send().await.expect("request");
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["cache-control"], "no-store");
        let html = r.text().await.expect("body");
        assert!(!html.contains("style=\""), "{path} has an inline style");
        assert!(!html.contains("<script>"), "{path} has an inline script");
    }
    let (status, overview) = get(&client, app.url("/tracking/dashboard/?site=a")).await;
    assert_eq!(status, 200);
    assert!(overview.contains("id=\"card-sessions\""));
    assert!(
        overview.contains("data-raw=\"1\""),
        "one session: {overview}"
    );
    assert!(overview.contains("<svg class=\"chart chart-line\""));
    // CSV of a table through the dashboard session.
    let (status, csv) = get(
        &client,
        app.url("/api/v1/sites/a/sessions?format=csv&table=sessions"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(csv.contains(&session), "{csv}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_viewer_of_site_a_can_never_read_site_b() {
    let app = setup().await;
    let session_a = some_traffic(&app, "a").await;
    let session_b = some_traffic(&app, "b").await;
    let client = signed_in(&app, "viewer@example.com").await;
    let pages = |site: &str, session: &str| {
        vec![
            format!("/tracking/dashboard/?site={site}"),
            format!("/tracking/sessions/?site={site}"),
            format!("/tracking/sessions/{session}?site={site}"),
            format!("/tracking/ecommerce/?site={site}"),
            format!("/tracking/engagement/?site={site}"),
            format!("/tracking/engagement/users/u1?site={site}"),
            format!("/tracking/live/?site={site}"),
            format!("/tracking/live/stream?site={site}"),
            format!("/api/v1/sites/{site}/overview"),
            format!("/api/v1/sites/{site}/sessions"),
            format!("/api/v1/sites/{site}/sessions/{session}"),
            format!("/api/v1/sites/{site}/ecommerce"),
            format!("/api/v1/sites/{site}/pages"),
            format!("/api/v1/sites/{site}/engagement"),
            format!("/api/v1/sites/{site}/live"),
            format!("/api/v1/sites/{site}/sessions?format=csv&table=sessions"),
        ]
    };
    for path in pages("b", &session_b) {
        let (status, body) = get(&client, app.url(&path)).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(!body.contains(&session_b), "{path} leaked a session of b");
    }
    // The same routes of site a, except the endless stream.
    for path in pages("a", &session_a)
        .into_iter()
        .filter(|p| !p.contains("stream"))
    {
        let (status, body) = get(&client, app.url(&path)).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    // Without `site`, pages show the viewer's own site; the picker lists only it.
    let (_, html) = get(&client, app.url("/tracking/dashboard/")).await;
    assert!(html.contains("<option value=\"a\" selected>"));
    assert!(!html.contains("<option value=\"b\""));
    // Admin pages and actions are refused.
    let (status, _) = get(&client, app.url("/tracking/admin/")).await;
    assert_eq!(status, 403);
    let r = client
        .post(app.url("/tracking/admin/users"))
        .form(&[
            ("action", "add"),
            ("email", "x@example.com"),
            ("role", "admin"),
            ("password", PASSWORD),
            ("csrf", ""),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 403);
    app.shutdown().await;
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_delayed_with_a_clear_message() {
    let app = setup().await;
    let client = browser();
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, &client, "viewer@example.com", "wrong password!").await,
            401
        );
    }
    // Even the right password waits now.
    let form = client
        .get(app.url("/tracking/login"))
        .send()
        .await
        .expect("page");
    let csrf = csrf_of(&form.text().await.expect("body"));
    let r = client
        .post(app.url("/tracking/login"))
        .form(&[
            ("email", "viewer@example.com"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let html = r.text().await.expect("body");
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    // Another account is not affected.
    assert_eq!(
        sign_in(&app, &client, "admin@example.com", PASSWORD).await,
        303
    );
    app.shutdown().await;
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused_and_sign_out_ends_the_session() {
    let app = setup().await;
    let client = browser();
    // A login post without the form's cookie and token.
    let r = client
        .post(app.url("/tracking/login"))
        .form(&[
            ("email", "admin@example.com"),
            ("password", PASSWORD),
            ("csrf", "00"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 403);
    let client = signed_in(&app, "admin@example.com").await;
    let r = client
        .post(app.url("/tracking/admin/tokens"))
        .form(&[("action", "create"), ("name", "x"), ("csrf", "0000")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    // Sign out with the page's token: the session ends.
    let (_, html) = get(&client, app.url("/tracking/admin/")).await;
    let r = client
        .post(app.url("/tracking/logout"))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 303);
    let (status, _) = get(&client, app.url("/tracking/admin/")).await;
    assert_eq!(status, 303, "signed out");
    app.shutdown().await;
}

#[tokio::test]
async fn admin_changes_take_effect() {
    let app = setup().await;
    let client = signed_in(&app, "admin@example.com").await;
    let (_, html) = get(&client, app.url("/tracking/admin/")).await;
    let csrf = csrf_of(&html);
    // A new site with its domain, dropping IP addresses.
    let r = client
        .post(app.url("/tracking/admin/sites"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "add"),
            ("id", "shop"),
            ("domains", "shop.example, www.shop.example"),
            ("ip_mode", "drop"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("origin", "https://www.shop.example")
        .header("user-agent", CHROME)
        .json(&json!({"site": "shop", "visitor_id": "v", "session_id": "s", "events": [{"id": "e1", "ts": crate::common::now_ms(), "type": "pageview", "url": "https://www.shop.example/"}]}))
        .send()
        .await
        .expect("collect");
    let status = r.status();
    assert_eq!(
        status,
        202,
        "the new site's domain is accepted: {}",
        r.text().await.unwrap_or_default()
    );
    app.settle().await;
    let state = app.app.as_ref().expect("running").state();
    assert_eq!(
        state
            .sites
            .get(&SiteId::parse("shop").expect("id"))
            .expect("site")
            .settings
            .ip_mode,
        IpMode::Drop
    );
    // A viewer added through the form can sign in and read only their site.
    let r = client
        .post(app.url("/tracking/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "add"),
            ("email", "new@example.com"),
            ("role", "viewer"),
            ("sites", "shop"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let viewer = signed_in(&app, "new@example.com").await;
    assert_eq!(
        get(&viewer, app.url("/tracking/dashboard/?site=shop"))
            .await
            .0,
        200
    );
    assert_eq!(
        get(&viewer, app.url("/tracking/dashboard/?site=a")).await.0,
        403
    );
    // Rotating the tests' token: the old secret stops working, the new one works.
    let r = client
        .post(app.url("/tracking/admin/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "rotate"),
            ("name", "tests"),
        ])
        .send()
        .await
        .expect("post");
    let html = r.text().await.expect("body");
    let start = html
        .find("id=\"new-token\">")
        .expect("the new secret is shown")
        + 15;
    let secret = html[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(app.get_api("/api/v1/sites/a/overview").await.0, 401);
    let r = app
        .client
        .get(app.url("/api/v1/sites/a/overview"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), 200);
    // Bad input gets a 400 page that says what was wrong, and changes nothing.
    let r = client
        .post(app.url("/tracking/admin/sites"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "add"),
            ("id", "bad site"),
            ("domains", "x.example"),
            ("ip_mode", "truncate"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    // An admin cannot lock themselves out.
    let r = client
        .post(app.url("/tracking/admin/users"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "delete"),
            ("email", "admin@example.com"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    app.shutdown().await;
}

#[tokio::test]
async fn the_live_stream_sends_snapshots_with_new_events() {
    let app = setup().await;
    let client = signed_in(&app, "admin@example.com").await;
    let mut r = client
        .get(app.url("/tracking/live/stream?site=a"))
        .send()
        .await
        .expect("stream");
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/event-stream")
    );
    let first = tokio::time::timeout(Duration::from_secs(5), r.chunk())
        .await
        .expect("a first snapshot")
        .expect("chunk")
        .expect("data");
    let first = String::from_utf8_lossy(&first).into_owned();
    assert!(first.starts_with("event: snapshot"), "{first}");
    send_from(
        &app,
        "198.51.100.7",
        CHROME,
        native_batch("a", "v9", "s9", "live", 5),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut seen = String::new();
    while !seen.contains("\"session_id\"") {
        let chunk = tokio::time::timeout_at(deadline, r.chunk())
            .await
            .expect("a snapshot with the event")
            .expect("chunk")
            .expect("data");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"active_visitors\":1"), "{seen}");
    app.shutdown().await;
}

#[tokio::test]
async fn bad_page_parameters_get_a_clear_400_page() {
    let app = setup().await;
    let client = signed_in(&app, "admin@example.com").await;
    let (status, html) = get(&client, app.url("/tracking/sessions/?site=a&sort=sideways")).await;
    assert_eq!(status, 400);
    assert!(html.contains("`sort` must be one of"), "{html}");
    let (status, _) = get(&client, app.url("/tracking/sessions/zz?site=a")).await;
    assert_eq!(status, 400);
    let (status, _) = get(&client, app.url("/tracking/dashboard/?site=nosuch")).await;
    assert_eq!(status, 404);
    app.shutdown().await;
}
