//! The dashboard in Debian's headless chromium: sign in, open every page over seeded data,
//! compare the figures with the JSON API, filter and change the range, play a session, watch
//! the live view receive an event, and check that a viewer is refused another site. A second
//! test stores more than 100 XSS payloads through every tracked field and opens every page:
//! no payload may run and no Content-Security-Policy violation may be reported.
//!
//! Screenshots of every page are saved under `target/tmp/screenshots/` (not committed).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::emulation::{
    MediaFeature, SetDeviceMetricsOverrideParams, SetEmulatedMediaParams,
};
use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
use chromiumoxide::page::{Page, ScreenshotParams};
use footfall::model::SiteId;
use footfall::seed::{SeedOptions, generate};
use serde_json::{Value, json};

use crate::browser::{Chrome, click, eval, run, type_into};
use crate::common::{CHROME, TestApp, now_ms};
use crate::dashboard::setup;

/// Installed before any page script: records CSP violations and any payload that runs.
const GUARD: &str = r#"
window.__csp = [];
window.__xssRan = [];
window.__xss = function (n) { window.__xssRan.push(n); };
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"#;

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn guarded_page(chrome: &Chrome) -> Page {
    let page = chrome
        .browser
        .new_page("about:blank")
        .await
        .expect("page opens");
    page.evaluate_on_new_document(AddScriptToEvaluateOnNewDocumentParams::new(GUARD))
        .await
        .expect("guard installed");
    page
}

/// Opens `url`, then asserts that nothing ran that should not and no CSP rule was broken.
async fn visit(page: &Page, url: &str) {
    page.goto(url)
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    page.wait_for_navigation().await.expect("loads");
    // Give deferred scripts (playback, live) a moment to run and report.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_clean(page, url).await;
}

async fn assert_clean(page: &Page, what: &str) {
    let csp: Vec<String> = eval(page, "window.__csp || []").await;
    assert!(csp.is_empty(), "CSP violations on {what}: {csp:?}");
    let ran: Vec<u32> = eval(page, "window.__xssRan || []").await;
    assert!(
        ran.is_empty(),
        "payloads (line numbers) ran on {what}: {ran:?}"
    );
}

async fn shoot(page: &Page, name: &str) {
    let path = screenshot_dir().join(format!("{name}.png"));
    page.save_screenshot(ScreenshotParams::builder().full_page(true).build(), &path)
        .await
        .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
}

async fn wait_until(page: &Page, condition: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ok: bool = page
            .evaluate(format!("!!({condition})"))
            .await
            .ok()
            .and_then(|v| v.into_value().ok())
            .unwrap_or(false);
        if ok {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_in(app: &TestApp, page: &Page, email: &str) {
    visit(
        page,
        &app.url("/tracking/login?next=%2Ftracking%2Fdashboard%2F%3Fsite%3Da"),
    )
    .await;
    type_into(page, "#email", email).await;
    type_into(page, "#password", crate::dashboard::PASSWORD).await;
    click(page, "#sign-in").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        // Evaluating fails while the page navigates; try again.
        let path: String = page
            .evaluate("location.pathname + ' ' + ((document.querySelector('#login-error') || {}).textContent || '')")
            .await
            .ok()
            .and_then(|v| v.into_value().ok())
            .unwrap_or_default();
        if path.starts_with("/tracking/dashboard/") {
            break;
        }
        assert!(Instant::now() < deadline, "still not signed in: {path}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    page.wait_for_navigation().await.expect("signed in");
}

/// The same report through the JSON API, with the page's own query (minus `site`).
async fn api_figure(page: &Page, report: &str, pointer: &str) -> Value {
    eval(
        page,
        &format!(
            "(() => {{ const q = new URLSearchParams(location.search); q.delete('site');
               for (const [k, v] of [...q]) {{ if (!v) q.delete(k); }}
               return fetch('/api/v1/sites/a/{report}?' + q).then(r => r.json())
                 .then(j => {{ try {{ return j{pointer} ?? JSON.stringify(j); }} catch (e) {{ return JSON.stringify(j); }} }}); }})()"
        ),
    )
    .await
}

async fn raw(page: &Page, selector: &str) -> Value {
    let text: String = eval(
        page,
        &format!("document.querySelector('{selector}').dataset.raw || document.querySelector('{selector}').dataset.total"),
    )
    .await;
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// The figure a page shows at `selector` (its `data-raw` or `data-total`), asserted equal to
/// the same report's figure from the JSON API with the page's query.
async fn shown_as_in_api(page: &Page, selector: &str, report: &str, pointer: &str) -> f64 {
    let shown = raw(page, selector).await;
    let api = api_figure(page, report, pointer).await;
    assert_eq!(
        shown.as_f64(),
        api.as_f64(),
        "{selector} against {report}{pointer}: {api}"
    );
    shown.as_f64().unwrap_or(f64::NAN)
}

fn seed(app: &TestApp, events: u64) {
    let state = app.app.as_ref().expect("running").state();
    let site = state
        .sites
        .get(&SiteId::parse("a").expect("id"))
        .expect("site a");
    let opts = SeedOptions {
        site,
        events,
        days: 30,
        now_ms: now_ms() - 60_000,
        rng_seed: 7,
    };
    generate(&opts, 5_000, |chunk| state.store.append(&chunk, None)).expect("seeded");
}

/// CSP violation reports the server received (browsers send them to `/tracking/csp-report`).
fn csp_reports(app: &TestApp) -> u64 {
    let state = app.app.as_ref().expect("running").state();
    state.metrics.csp_violations.get()
}

async fn collect(app: &TestApp, batch: &Value) {
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("user-agent", CHROME)
        .json(batch)
        .send()
        .await
        .expect("collect");
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_works_in_a_browser() {
    let app = setup().await;
    seed(&app, 20_000);
    // A short visit with moves and four clicks, to play back.
    let mut visit_batch = crate::common::native_batch("a", "v-play", "s-play", "pb", 20);
    visit_batch["user_id"] = json!("player");
    collect(&app, &visit_batch).await;
    app.settle().await;

    let chrome = Chrome::launch().await;
    let page = guarded_page(&chrome).await;
    // A desktop-sized viewport for the screenshots (the phone size comes at the end).
    page.execute(SetDeviceMetricsOverrideParams::new(1280, 800, 1.0, false))
        .await
        .expect("desktop viewport");
    sign_in(&app, &page, "admin@example.com").await;
    assert_clean(&page, "the overview after sign-in").await;

    // Overview: cards agree with the API, then with a filter, then with a range.
    shoot(&page, "overview").await;
    for (card, pointer) in [
        ("sessions", ".sessions"),
        ("visitors", ".visitors"),
        ("pageviews", ".pageviews"),
    ] {
        let shown = shown_as_in_api(
            &page,
            &format!("#card-{card} .card-value"),
            "overview",
            pointer,
        )
        .await;
        assert!(shown > 0.0, "{card} has data");
    }
    click(&page, "#top-countries summary").await;
    click(&page, "#top-countries tbody a").await;
    wait_until(
        &page,
        "location.search.includes('country=')",
        "the filtered page",
    )
    .await;
    page.wait_for_navigation().await.expect("filtered");
    assert_clean(&page, "the filtered overview").await;
    let url = page.url().await.expect("url").unwrap_or_default();
    assert!(url.contains("country="), "the filter is in the URL: {url}");
    let chips: u32 = eval(
        &page,
        "document.querySelectorAll('ul.active-filters li').length",
    )
    .await;
    assert_eq!(chips, 1);
    let filtered =
        shown_as_in_api(&page, "#card-sessions .card-value", "overview", ".sessions").await;
    let from =
        footfall::web::dashboard::format::date(now_ms() - 6 * 86_400_000, &Default::default());
    run(
        &page,
        &format!("document.querySelector('#f-from').value = '{from}'"),
    )
    .await;
    click(&page, "#f-apply").await;
    wait_until(&page, "location.search.includes('from=')", "the new range").await;
    page.wait_for_navigation().await.expect("range applied");
    let url = page.url().await.expect("url").unwrap_or_default();
    assert!(
        url.contains(&format!("from={from}")) && url.contains("country="),
        "{url}"
    );
    let ranged =
        shown_as_in_api(&page, "#card-sessions .card-value", "overview", ".sessions").await;
    assert!(ranged <= filtered, "a shorter range has no more sessions");
    shoot(&page, "overview-filtered").await;

    // Sessions list and the session page with its playback.
    visit(&page, &app.url("/tracking/sessions/?site=a")).await;
    shown_as_in_api(&page, "#sessions-total", "sessions", ".total").await;
    shoot(&page, "sessions").await;
    let (_, list) = app.get_api("/api/v1/sites/a/sessions?user=player").await;
    let session = list["sessions"][0]["session_id"]
        .as_str()
        .expect("the played session")
        .to_owned();
    visit(
        &page,
        &app.url(&format!("/tracking/sessions/{session}?site=a")),
    )
    .await;
    wait_until(
        &page,
        "document.querySelector('#playback').dataset.state === 'ready'",
        "the playback to load",
    )
    .await;
    click(&page, "#pb-play").await;
    wait_until(
        &page,
        "document.querySelector('#playback').dataset.state === 'ended'",
        "the playback to end",
    )
    .await;
    let drawn: String = eval(
        &page,
        "document.querySelector('#playback').dataset.clicksDrawn",
    )
    .await;
    assert_eq!(drawn, "4", "every click is drawn");
    let timeline: u32 = eval(&page, "document.querySelectorAll('#timeline li').length").await;
    assert_eq!(timeline, 16, "20 events less 4 mouse moves");
    assert_clean(&page, "the session page after playback").await;
    shoot(&page, "session").await;

    // E-commerce and engagement agree with the API.
    visit(&page, &app.url("/tracking/ecommerce/?site=a")).await;
    let orders = shown_as_in_api(&page, "#card-orders .card-value", "ecommerce", ".orders").await;
    assert!(orders > 0.0, "the seed has orders");
    shoot(&page, "ecommerce").await;
    visit(&page, &app.url("/tracking/engagement/?site=a&by=visitor")).await;
    shown_as_in_api(&page, "#engagement-total", "engagement", ".total").await;
    shoot(&page, "engagement").await;
    visit(&page, &app.url("/tracking/engagement/users/player?site=a")).await;
    let rows: u32 = eval(
        &page,
        "document.querySelectorAll('#sessions-table tbody tr[data-session]').length",
    )
    .await;
    assert_eq!(rows, 1, "the user's session is listed");
    shoot(&page, "user").await;

    // Live: an event sent now appears without reloading.
    visit(&page, &app.url("/tracking/live/?site=a")).await;
    wait_until(
        &page,
        "document.querySelector('#live').dataset.state === 'open'",
        "the live stream",
    )
    .await;
    collect(&app, &json!({"site": "a", "visitor_id": "v-live", "session_id": "s-live", "events": [
        {"id": "live-1", "ts": now_ms(), "type": "pageview", "url": "http://a.example/live-check", "title": "Live"}]})).await;
    wait_until(
        &page,
        "document.querySelector('#live-events').textContent.includes('/live-check')",
        "the live event",
    )
    .await;
    assert_clean(&page, "the live page").await;
    shoot(&page, "live").await;

    visit(&page, &app.url("/tracking/admin/")).await;
    shoot(&page, "admin").await;

    // Sign out, sign in as the viewer of site a: site b is refused, a works.
    click(&page, "form.logout button").await;
    wait_until(
        &page,
        "location.pathname === '/tracking/login'",
        "the sign-in page",
    )
    .await;
    page.wait_for_navigation().await.expect("signed out");
    sign_in(&app, &page, "viewer@example.com").await;
    let admin_links: u32 = eval(&page, "[...document.querySelectorAll('nav.main a')].filter(a => a.textContent === 'Admin').length").await;
    assert_eq!(admin_links, 0);
    for path in [
        "/tracking/dashboard/?site=b",
        "/tracking/sessions/?site=b",
        "/tracking/ecommerce/?site=b",
        "/tracking/engagement/?site=b",
        "/tracking/live/?site=b",
    ] {
        visit(&page, &app.url(path)).await;
        let code: String = eval(
            &page,
            "(document.querySelector('#page-error') || {dataset: {}}).dataset.code || ''",
        )
        .await;
        assert_eq!(code, "forbidden", "{path}");
    }
    shoot(&page, "viewer-refused").await;
    // A phone-sized overview still reads (screenshot for a person to look at).
    page.execute(SetDeviceMetricsOverrideParams::new(390, 844, 2.0, true))
        .await
        .expect("phone viewport");
    visit(&page, &app.url("/tracking/dashboard/?site=a")).await;
    shoot(&page, "overview-phone").await;
    // And in dark mode.
    let dark = SetEmulatedMediaParams {
        media: None,
        features: Some(vec![MediaFeature::new("prefers-color-scheme", "dark")]),
    };
    page.execute(dark).await.expect("dark mode");
    page.execute(SetDeviceMetricsOverrideParams::new(1280, 800, 1.0, false))
        .await
        .expect("desktop viewport");
    visit(&page, &app.url("/tracking/engagement/?site=a")).await;
    shoot(&page, "engagement-dark").await;
    chrome.close().await;
    assert_eq!(
        csp_reports(&app),
        0,
        "the server received CSP violation reports"
    );
    app.shutdown().await;
}

/// The payloads of `tests/fixtures/xss-payloads.txt`, one per line (split on `\n` only: some
/// contain U+2028).
fn payloads() -> Vec<String> {
    include_str!("../fixtures/xss-payloads.txt")
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_xss_payload_runs_on_any_page() {
    let app = setup().await;
    let payloads = payloads();
    assert!(payloads.len() >= 100, "at least 100 payloads");
    let t = now_ms() - 60_000;
    for (i, p) in payloads.iter().enumerate() {
        let encoded: String = url::form_urlencoded::byte_serialize(p.as_bytes()).collect();
        let short: String = p.chars().take(100).collect();
        let batch = json!({
            "site": "a", "visitor_id": format!("xv{i}"), "session_id": format!("xs{i}"),
            "user_id": p,
            "page": {"url": format!("http://a.example/x?utm_campaign={encoded}"), "referrer": format!("https://{i}.example/{encoded}")},
            "events": [
                {"id": format!("x{i}-1"), "ts": t + i as i64, "type": "pageview", "url": format!("http://a.example/p/{p}"), "title": p},
                {"id": format!("x{i}-2"), "ts": t + i as i64 + 1, "type": "click", "x": 10, "y": 10, "selector": p, "text": p},
                {"id": format!("x{i}-3"), "ts": t + i as i64 + 2, "type": "custom", "name": short, "props": {"payload": p}},
                {"id": format!("x{i}-4"), "ts": t + i as i64 + 3, "type": "purchase", "currency": "EUR", "value": 1, "transaction_id": p,
                 "items": [{"item_id": p, "item_name": p, "price": 1, "quantity": 1}]},
                {"id": format!("x{i}-5"), "ts": t + i as i64 + 4, "type": "identify", "user_id": p},
            ],
        });
        let r = app
            .client
            .post(app.url("/api/v1/collect"))
            .header("user-agent", CHROME)
            .json(&batch)
            .send()
            .await
            .expect("collect");
        // Some payloads are too long for some fields; the rest of the batch is stored.
        assert!(
            r.status() == 202 || r.status() == 207,
            "payload {}: {}",
            i + 1,
            r.text().await.unwrap_or_default()
        );
    }
    app.settle().await;
    let (_, list) = app.get_api("/api/v1/sites/a/sessions?limit=500").await;
    let sessions: Vec<String> = list["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .filter_map(|s| s["session_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(sessions.len(), payloads.len());

    let chrome = Chrome::launch().await;
    let page = guarded_page(&chrome).await;
    sign_in(&app, &page, "admin@example.com").await;
    let mut pages = vec![
        "/tracking/dashboard/?site=a".to_owned(),
        "/tracking/sessions/?site=a&limit=500".to_owned(),
        "/tracking/ecommerce/?site=a&limit=500".to_owned(),
        "/tracking/engagement/?site=a&limit=500".to_owned(),
        "/tracking/engagement/?site=a&by=visitor&limit=500".to_owned(),
        "/tracking/live/?site=a".to_owned(),
        "/tracking/admin/".to_owned(),
    ];
    for s in &sessions {
        pages.push(format!("/tracking/sessions/{s}?site=a"));
    }
    for p in payloads.iter().step_by(5) {
        let user: String = url::form_urlencoded::byte_serialize(p.as_bytes()).collect();
        pages.push(format!("/tracking/engagement/users/{user}?site=a"));
        pages.push(format!("/tracking/dashboard/?site=a&page={user}"));
    }
    for path in &pages {
        visit(&page, &app.url(path)).await;
    }
    // The payloads are shown as text: one title and one selector at least.
    visit(
        &page,
        &app.url(&format!("/tracking/sessions/{}?site=a", sessions[0])),
    )
    .await;
    wait_until(
        &page,
        "['ready', 'ended', 'paused'].includes(document.querySelector('#playback').dataset.state)",
        "the playback",
    )
    .await;
    click(&page, "#pb-play").await;
    wait_until(
        &page,
        "document.querySelector('#playback').dataset.state === 'ended'",
        "the playback to end",
    )
    .await;
    assert_clean(&page, "a played session").await;
    let text: String = eval(&page, "document.querySelector('#timeline').textContent").await;
    assert!(
        payloads.iter().any(|p| text.contains(p.as_str())),
        "payloads appear as text: {text}"
    );
    visit(&page, &app.url("/tracking/live/?site=a")).await;
    wait_until(
        &page,
        "Number(document.querySelector('#live').dataset.updates) > 0",
        "a live snapshot",
    )
    .await;
    assert_clean(&page, "the live page with payload events").await;
    shoot(&page, "xss-live").await;
    visit(&page, &app.url("/tracking/ecommerce/?site=a&limit=500")).await;
    shoot(&page, "xss-ecommerce").await;
    chrome.close().await;
    assert_eq!(
        csp_reports(&app),
        0,
        "the server received CSP violation reports"
    );
    println!(
        "{} payloads, {} pages opened, nothing ran",
        payloads.len(),
        pages.len() + 3
    );
    app.shutdown().await;
}
