//! Browser tests: Debian's `chromium`, headless, driven over the DevTools protocol
//! (chromiumoxide), against a real footfall on a loopback port. They load the test page, the
//! demo shop and a userBehaviour.js-style page, act like a visitor, and assert on what the
//! server stored. No test here skips: without chromium they fail and say how to get it.

use std::path::Path;
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::page::Page;
use futures_util::StreamExt;
use serde_json::Value;

use crate::common::TestApp;

/// A headless chromium with its own profile directory, closed on drop of the test.
/// At most two Chromium instances at once: on 2 cores more of them starve each other and the
/// server under test, and timing-sensitive checks (navigation, live updates) turn flaky.
static BROWSER_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

pub(crate) struct Chrome {
    pub(crate) browser: Browser,
    _slot: tokio::sync::SemaphorePermit<'static>,
    handler: tokio::task::JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chrome {
    pub(crate) async fn launch() -> Chrome {
        let slot = BROWSER_SLOTS
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let exe = std::env::var("FOOTFALL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            Path::new(&exe).exists(),
            "chromium is not installed at {exe}: run `scripts/test.sh` (it installs Debian's \
             `chromium` with apt-get) or set FOOTFALL_CHROMIUM to a Chromium binary"
        );
        let profile = tempfile::tempdir().expect("profile dir");
        let config = BrowserConfig::builder()
            .chrome_executable(&exe)
            .no_sandbox()
            .user_data_dir(profile.path())
            .window_size(1280, 800)
            .arg(("autoplay-policy", "no-user-gesture-required"))
            // Headless Chromium says "HeadlessChrome", which footfall rightly flags as a bot
            // and leaves out of reports; these tests play a person.
            .arg(("user-agent", crate::common::CHROME))
            .arg("disable-gpu")
            .arg("disable-dev-shm-usage")
            .launch_timeout(Duration::from_secs(60))
            .request_timeout(Duration::from_secs(30))
            .build()
            .expect("browser config");
        let (browser, mut handler) = Browser::launch(config).await.expect("chromium starts");
        // CDP messages this crate does not know are reported as errors; keep reading.
        let handler = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Chrome {
            browser,
            _slot: slot,
            handler,
            _profile: profile,
        }
    }

    pub(crate) async fn open(&self, url: &str) -> Page {
        let page = self.browser.new_page(url).await.expect("page opens");
        page.wait_for_navigation().await.expect("page loads");
        page
    }

    pub(crate) async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// Evaluates `js` in the page. While the page navigates its old execution context is gone
/// ("Cannot find context", "Inspected target navigated or closed"); that is retried for up
/// to 5 s instead of failing the test.
pub(crate) async fn eval<T: serde::de::DeserializeOwned>(page: &Page, js: &str) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    let result = loop {
        match page.evaluate(js).await {
            Err(e)
                if ["Cannot find context", "navigated or closed"]
                    .iter()
                    .any(|m| e.to_string().contains(m))
                    && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => break other,
        }
    };
    result
        .unwrap_or_else(|e| panic!("evaluating {js}: {e}"))
        .into_value()
        .unwrap_or_else(|e| panic!("value of {js}: {e}"))
}

/// Runs a statement for its effect.
pub(crate) async fn run(page: &Page, js: &str) {
    let _: bool = eval(page, &format!("{js}; true")).await;
}

pub(crate) async fn click(page: &Page, selector: &str) {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("no element {selector}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {selector}: {e}"));
}

pub(crate) async fn type_into(page: &Page, selector: &str, text: &str) {
    page.find_element(selector)
        .await
        .unwrap_or_else(|e| panic!("no element {selector}: {e}"))
        .click()
        .await
        .expect("focus")
        .type_str(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {selector}: {e}"));
}

/// Waits for the tracker to have made its ids and returns the session id.
pub(crate) async fn session_id(page: &Page) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let id: Option<String> =
            eval(page, "window.footfall && footfall.ids().session_id || null").await;
        if let Some(id) = id {
            return id;
        }
        assert!(Instant::now() < deadline, "the tracker made no session id");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The stored events of the session with this client id, polled until `done` holds.
pub(crate) async fn stored_until(
    app: &TestApp,
    session: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let url = app.url(&format!(
            "/tracking/test/stored?site=demo&session_id={session}"
        ));
        let detail: Value = app
            .client
            .get(url)
            .send()
            .await
            .expect("stored")
            .json()
            .await
            .expect("json");
        let events = detail["events"].as_array().cloned().unwrap_or_default();
        if done(&events) {
            return detail;
        }
        assert!(
            Instant::now() < deadline,
            "the server never stored {what}; it has: {}",
            serde_json::to_string_pretty(&events).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub(crate) fn has(events: &[Value], kind: &str, name: Option<&str>) -> bool {
    events
        .iter()
        .any(|e| e["type"] == kind && name.is_none_or(|n| e["name"] == n))
}

pub(crate) fn count(events: &[Value], pred: impl Fn(&Value) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_page_captures_a_visit_and_shows_what_was_stored() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome.open(&app.url("/tracking/test/")).await;
    let session = session_id(&page).await;

    click(&page, "#btn-primary").await;
    // A single-page navigation by link, the same URL pushed again, a way back and a hash.
    click(&page, "#link-spa").await;
    run(
        &page,
        "history.pushState({}, '', '/tracking/test/?view=spa')",
    )
    .await;
    click(&page, "#link-back").await;
    type_into(&page, "#f-name", "Ann").await;
    type_into(&page, "#f-password", "hunter2").await;
    type_into(&page, "#f-masked", "secret99").await;
    run(
        &page,
        "window.scrollTo(0, document.documentElement.scrollHeight)",
    )
    .await;
    // The tracker samples the position 0.5 s after a scroll starts; stay there until it has.
    tokio::time::sleep(Duration::from_millis(900)).await;
    click(&page, "#custom-track").await;
    click(&page, "#custom-dom").await;
    click(&page, "#identify").await;
    click(&page, "#video-play").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    click(&page, "#video-pause").await;

    // The form really submits: the browser loads the page its action names. The address
    // changes before the new page has run its scripts, so wait for the note they show.
    click(&page, "#f-submit").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url: String = eval(&page, "location.href").await;
        let note_shown: bool = eval(
            &page,
            "document.readyState != 'loading' && !!document.getElementById('submitted-note') \
             && !document.getElementById('submitted-note').hidden",
        )
        .await;
        if url.contains("submitted=1") && note_shown {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the submitted page did not load: {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        session_id(&page).await,
        session,
        "the session survives the reload"
    );

    let detail = stored_until(&app, &session, "the whole visit", |ev| {
        has(ev, "form", Some("submit"))
            && has(ev, "media", Some("play"))
            && has(ev, "identify", None)
            && has(ev, "custom", Some("test-dom-event"))
            && count(ev, |e| {
                e["type"] == "pageview"
                    && e["url"].as_str().is_some_and(|u| u.contains("submitted=1"))
            }) == 1
    })
    .await;
    let events = detail["events"].as_array().expect("events");

    let click_row = events
        .iter()
        .find(|e| {
            e["type"] == "click"
                && e["target"]
                    .as_str()
                    .is_some_and(|t| t.contains("#btn-primary"))
        })
        .expect("the button click is stored with its selector");
    assert!(click_row["x"].as_i64().is_some_and(|x| x > 0));
    assert!(click_row["y"].as_i64().is_some_and(|y| y > 0));
    assert_eq!(click_row["label"], "Primary button");

    let spa_views = count(events, |e| {
        e["type"] == "pageview" && e["url"].as_str().is_some_and(|u| u.ends_with("?view=spa"))
    });
    assert_eq!(spa_views, 1, "the SPA navigation and its repeat count once");

    let keys: Vec<&Value> = events.iter().filter(|e| e["type"] == "key").collect();
    assert!(
        keys.len() >= 3,
        "typing in the name field is stored as key classes"
    );
    assert!(
        keys.iter().all(|k| k["label"].is_null()),
        "no raw keys by default"
    );
    for secret in ["hunter2", "secret99"] {
        let leaks: Vec<&Value> = events
            .iter()
            .filter(|e| e.to_string().contains(secret))
            .collect();
        assert!(
            leaks.is_empty(),
            "nothing typed in the password or a masked field is stored: {leaks:?}"
        );
    }
    assert!(
        keys.len() <= 3 + 1,
        "only the three letters typed into the name field count, not the password or the masked field: {keys:?}"
    );

    let submit = events
        .iter()
        .find(|e| e["type"] == "form" && e["name"] == "submit")
        .expect("form submit");
    assert_eq!(submit["target"], "signup");

    let depth = events
        .iter()
        .filter(|e| e["type"] == "scroll")
        .filter_map(|e| e["depth_pct"].as_i64())
        .max()
        .expect("scroll depth");
    assert!(depth >= 90, "scrolled to the bottom: depth {depth}");

    let custom = events
        .iter()
        .find(|e| e["type"] == "custom" && e["name"] == "test_custom")
        .expect("footfall.track");
    assert!(
        custom["props"]
            .as_str()
            .is_some_and(|p| p.contains("test-page"))
    );
    assert_eq!(
        detail["summary"]["user_id"], "test-user",
        "identify links the session"
    );

    // The page shows the stored events too.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status: String = eval(
            &page,
            "document.getElementById('stored-status').textContent",
        )
        .await;
        if status.contains("events stored") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the page never showed the stored events: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    chrome.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_batch_arrives_after_the_tab_is_closed() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome.open(&app.url("/tracking/test/")).await;
    let session = session_id(&page).await;
    // No timer send for ten minutes: only leaving the page can deliver the next event.
    run(
        &page,
        "footfall.config({processTime: 600}); footfall.track('before_close', {n: 1})",
    )
    .await;
    page.close().await.expect("tab closes");
    stored_until(
        &app,
        &session,
        "the event queued before the tab closed",
        |ev| has(ev, "custom", Some("before_close")),
    )
    .await;
    chrome.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_in_the_demo_shop_reaches_the_reports() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome.open(&app.url("/demo/")).await;
    let session = session_id(&page).await;

    click(&page, "#sign-in").await;
    click(&page, "#product-sku-trail-1").await;
    page.find_element("#quantity").await.expect("product page");
    run(&page, "document.getElementById('quantity').value = '2'").await;
    click(&page, "#add-to-cart").await;
    page.find_element("#checkout").await.expect("cart page");
    click(&page, "#checkout").await;
    type_into(&page, "#c-name", "Ann Example").await;
    type_into(&page, "#c-email", "ann@example.com").await;
    click(&page, "#place-order").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let order = loop {
        let order: String = eval(
            &page,
            "document.getElementById('order-id') ? document.getElementById('order-id').textContent : ''",
        )
        .await;
        if !order.is_empty() {
            break order;
        }
        assert!(Instant::now() < deadline, "no order confirmation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let detail = stored_until(&app, &session, "the purchase", |ev| {
        has(ev, "commerce", Some("purchase"))
    })
    .await;
    let events = detail["events"].as_array().expect("events");
    for step in ["view_item", "add_to_cart", "begin_checkout", "purchase"] {
        assert!(has(events, "commerce", Some(step)), "{step} is stored");
    }
    let purchase = events
        .iter()
        .find(|e| e["type"] == "commerce" && e["name"] == "purchase")
        .expect("purchase");
    assert_eq!(purchase["transaction_id"], order.as_str());
    assert_eq!(purchase["value_minor"], 17_980);
    assert_eq!(purchase["currency"], "EUR");
    let product_views = count(events, |e| {
        e["type"] == "pageview" && e["path"] == "/demo/product/sku-trail-1"
    });
    assert_eq!(product_views, 1, "the SPA product page is one pageview");

    app.settle().await;
    let (status, report) = app.get_api("/api/v1/sites/demo/ecommerce").await;
    assert_eq!(status, 200, "{report}");
    let text = report.to_string();
    assert!(
        text.contains("sku-trail-1"),
        "the product is in the report: {report}"
    );
    assert!(text.contains("17980"), "the revenue is exact: {report}");

    let (status, engagement) = app.get_api("/api/v1/sites/demo/engagement?by=user").await;
    assert_eq!(status, 200, "{engagement}");
    let rows = engagement["rows"].as_array().cloned().unwrap_or_default();
    let customer = rows
        .iter()
        .find(|r| r["id"] == "demo-customer")
        .unwrap_or_else(|| panic!("identify links the visitor to the user: {engagement}"));
    assert_eq!(customer["purchases"], 1);
    chrome.close().await;
    app.shutdown().await;
}

/// A page in the style of userBehaviour.js (1.3's `results` shape, raw keys, doubled pushState)
/// whose `processData` posts to `/api/track-behavior/` from another origin.
const UBJS_PAGE: &str = include_str!("../fixtures/ubjs-page.html");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_userbehaviour_page_posts_to_track_behavior_and_its_events_arrive() {
    let app = TestApp::spawn().await;
    // The page comes from a second loopback origin, as a customer's site would.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let page_server = tokio::spawn(async move {
        let router = axum::Router::new().route(
            "/shop",
            axum::routing::get(|| async { axum::response::Html(UBJS_PAGE) }),
        );
        axum::serve(listener, router).await.expect("page server");
    });
    let chrome = Chrome::launch().await;
    let page = chrome
        .open(&format!("{origin}/shop?footfall={}", app.base))
        .await;
    click(&page, "#buy").await;
    type_into(&page, "#pw", "hunter2").await;
    click(&page, "#nav").await;
    let status: u16 = eval(&page, "window.ubSend()").await;
    assert_eq!(status, 202, "the batch is acknowledged");

    app.settle().await;
    let (_, list) = app.get_api("/api/v1/sites/demo/sessions").await;
    let sessions = list["sessions"].as_array().cloned().unwrap_or_default();
    assert_eq!(sessions.len(), 1, "one session: {list}");
    let id = sessions[0]["session_id"].as_str().expect("id").to_owned();
    let (_, detail) = app
        .get_api(&format!("/api/v1/sites/demo/sessions/{id}"))
        .await;
    let events = detail["events"].as_array().cloned().unwrap_or_default();
    assert!(
        events.iter().any(|e| e["type"] == "click"
            && e["target"]
                .as_str()
                .is_some_and(|t| t.ends_with("button.btn#buy"))),
        "the click with the library's selector: {detail}"
    );
    assert_eq!(
        count(&events, |e| e["type"] == "key"),
        7,
        "seven keys as classes"
    );
    assert!(
        !detail.to_string().contains("hunter2"),
        "no raw keys stored"
    );
    assert_eq!(
        count(&events, |e| e["type"] == "pageview"
            && e["path"] == "/shop/next"),
        1,
        "the doubled pushState is one pageview"
    );
    chrome.close().await;
    page_server.abort();
    app.shutdown().await;
}

#[tokio::test]
async fn the_served_tracker_fits_its_budget() {
    let app = TestApp::spawn().await;
    // A client that leaves the body compressed, to see what is on the wire.
    let raw = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let r = raw
        .get(app.url("/footfall.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("tracker");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let gz = footfall::web::assets::TRACKER_GZ.len();
    let plain = footfall::web::assets::TRACKER_JS.len();
    println!("footfall.js: {plain} bytes, {gz} bytes gzip (budget 4608)");
    assert!(
        gz <= 4608,
        "the tracker is {gz} bytes gzip, over the 4.5 KiB budget"
    );
    app.shutdown().await;
}
