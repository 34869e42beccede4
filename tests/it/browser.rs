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
async fn session_id(page: &Page) -> String {
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
async fn stored_until(
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

fn has(events: &[Value], kind: &str, name: Option<&str>) -> bool {
    events
        .iter()
        .any(|e| e["type"] == kind && name.is_none_or(|n| e["name"] == n))
}

fn count(events: &[Value], pred: impl Fn(&Value) -> bool) -> usize {
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

    // The form really submits: the browser loads the page its action names.
    click(&page, "#f-submit").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url: String = eval(&page, "location.href").await;
        if url.contains("submitted=1") {
            break;
        }
        assert!(Instant::now() < deadline, "the form was not submitted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let note_hidden: bool = eval(
        &page,
        "document.getElementById('submitted-note') ? document.getElementById('submitted-note').hidden : true",
    )
    .await;
    assert!(!note_hidden, "the submitted page did not load");
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
    println!("footfall.js: {plain} bytes, {gz} bytes gzip (budget 4096)");
    assert!(
        gz <= 4096,
        "the tracker is {gz} bytes gzip, over the 4 KB budget"
    );
    app.shutdown().await;
}

/// Wraps `fetch` in the page: every tracker request is recorded (`__ff.times`, `__ff.bodies`),
/// and while `__ff.fail` is above zero a request fails like a network error (and counts it down).
const FETCH_SPY: &str = "(() => {
    window.__ff = {fail: 0, times: [], bodies: []};
    const realFetch = window.fetch;
    window.fetch = function (url, init) {
        if (String(url).includes('/api/v1/collect')) {
            __ff.times.push(Date.now());
            __ff.bodies.push(String(init.body));
            if (__ff.fail > 0) {
                __ff.fail--;
                return Promise.reject(new TypeError('offline'));
            }
        }
        return realFetch.apply(this, arguments);
    };
})()";

/// Every event the server stored for site `demo`, across its sessions.
async fn all_stored(app: &TestApp) -> Vec<Value> {
    app.settle().await;
    let (_, list) = app.get_api("/api/v1/sites/demo/sessions").await;
    let mut events = Vec::new();
    for s in list["sessions"].as_array().cloned().unwrap_or_default() {
        let id = s["session_id"].as_str().unwrap_or_default().to_owned();
        let (_, detail) = app
            .get_api(&format!("/api/v1/sites/demo/sessions/{id}"))
            .await;
        events.extend(detail["events"].as_array().cloned().unwrap_or_default());
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_batches_are_split_and_failed_sends_are_retried_with_backoff() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome.open(&app.url("/tracking/test/")).await;
    let session = session_id(&page).await;
    run(&page, FETCH_SPY).await;

    // 200 events of about 1 KB each close a batch of some 220 KB: more than a beacon carries.
    run(
        &page,
        "footfall.config({processTime: 600});
         for (let i = 0; i < 200; i++) footfall.track('bulk', {i, pad: 'x'.repeat(1000)})",
    )
    .await;
    stored_until(&app, &session, "the 200 events of the big batch", |ev| {
        count(ev, |e| e["type"] == "custom" && e["name"] == "bulk") == 200
    })
    .await;
    let sizes: Vec<usize> = eval(&page, "__ff.bodies.map(b => new Blob([b]).size)").await;
    assert!(
        sizes.iter().filter(|&&s| s > 20_000).count() >= 4,
        "the batch is sent in pieces: {sizes:?}"
    );
    assert!(
        sizes.iter().all(|&s| s <= 60_000),
        "every request fits a beacon: {sizes:?}"
    );

    // The next two sends fail: the batch goes again after 2 s, then after 4 s more.
    let before: usize = eval(&page, "__ff.times.length").await;
    run(
        &page,
        "__ff.fail = 2; footfall.track('retried', {n: 1}); footfall.flush()",
    )
    .await;
    let detail = stored_until(&app, &session, "the event whose first sends failed", |ev| {
        has(ev, "custom", Some("retried"))
    })
    .await;
    let times: Vec<f64> = eval(&page, "__ff.times").await;
    let tries = &times[before..];
    assert!(tries.len() >= 3, "two failures and a success: {tries:?}");
    let (first, second) = (tries[1] - tries[0], tries[2] - tries[1]);
    assert!(
        (1_900.0..3_500.0).contains(&first),
        "the first retry comes after about 2 s: {tries:?}"
    );
    assert!(
        (3_900.0..6_500.0).contains(&second),
        "the second after about 4 s more: {tries:?}"
    );
    let events = detail["events"].as_array().expect("events");
    assert_eq!(
        count(events, |e| e["name"] == "retried"),
        1,
        "a retried event is stored once"
    );
    chrome.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_a_page_left_offline_arrive_with_the_next_page_load() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome.open(&app.url("/tracking/test/")).await;
    let session = session_id(&page).await;
    run(&page, FETCH_SPY).await;
    // Offline: every send fails and leaving the page must store the batch, not beacon it.
    run(
        &page,
        "footfall.config({processTime: 600}); __ff.fail = 1e9;
         Object.defineProperty(navigator, 'onLine', {configurable: true, get: () => false});
         footfall.track('sent_later', {n: 1}); footfall.flush()",
    )
    .await;
    // The failed send has been made (and is backing off) before the page is left.
    let deadline = Instant::now() + Duration::from_secs(10);
    while eval::<usize>(&page, "__ff.times.length").await == 0 {
        assert!(Instant::now() < deadline, "the tracker never tried to send");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    run(&page, "location.href = '/tracking/test/?view=second'").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url: String = eval(&page, "location.href").await;
        if url.contains("view=second") {
            break;
        }
        assert!(Instant::now() < deadline, "the second page did not load");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stored_until(&app, &session, "the event queued offline", |ev| {
        has(ev, "custom", Some("sent_later"))
    })
    .await;
    // Once sent, the stored queue is emptied.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let queued: String = eval(&page, "localStorage.ff_q || ''").await;
        if !queued.contains("sent_later") {
            break;
        }
        assert!(Instant::now() < deadline, "the sent batch stays stored");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    chrome.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_starts_new_ids_and_opt_out_stops_everything_until_opt_in() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome.open(&app.url("/tracking/test/")).await;
    let first = session_id(&page).await;
    let visitor: String = eval(&page, "footfall.ids().visitor_id").await;

    run(
        &page,
        "footfall.identify('u-reset'); footfall.track('before_reset'); footfall.reset();
         footfall.track('after_reset'); footfall.flush()",
    )
    .await;
    let ids: Value = eval(&page, "footfall.ids()").await;
    let second = ids["session_id"]
        .as_str()
        .expect("a new session")
        .to_owned();
    assert_ne!(second, first, "reset makes a new session id");
    assert_ne!(ids["visitor_id"], visitor.as_str(), "and a new visitor id");
    let old = stored_until(&app, &first, "the events before reset", |ev| {
        has(ev, "custom", Some("before_reset")) && has(ev, "identify", None)
    })
    .await;
    assert_eq!(old["summary"]["user_id"], "u-reset");
    let new = stored_until(&app, &second, "the event after reset", |ev| {
        has(ev, "custom", Some("after_reset"))
    })
    .await;
    assert!(
        new["summary"]["user_id"].is_null(),
        "the user id is dropped by reset: {new}"
    );

    run(
        &page,
        "footfall.optOut(); footfall.track('while_out'); footfall.flush()",
    )
    .await;
    let ids: Value = eval(&page, "footfall.ids()").await;
    assert!(
        ids["visitor_id"].is_null() && ids["session_id"].is_null(),
        "{ids}"
    );
    let stored: Vec<String> = eval(
        &page,
        "Object.keys(localStorage).filter(k => k.startsWith('ff_')).sort()",
    )
    .await;
    assert_eq!(stored, ["ff_o"], "only the choice is kept");
    // The choice survives a page load.
    run(&page, "location.href = '/tracking/test/?view=out'").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ready: bool = eval(
            &page,
            "location.href.includes('view=out') && !!window.footfall && document.readyState == 'complete'",
        )
        .await;
        if ready {
            break;
        }
        assert!(Instant::now() < deadline, "the page did not load");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    run(&page, "footfall.track('still_out'); footfall.flush()").await;
    let ids: Value = eval(&page, "footfall.ids()").await;
    assert!(ids["session_id"].is_null(), "still opted out: {ids}");

    run(
        &page,
        "footfall.optIn(); footfall.track('after_in'); footfall.flush()",
    )
    .await;
    let third = session_id(&page).await;
    stored_until(&app, &third, "the event after opting in", |ev| {
        has(ev, "custom", Some("after_in"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = all_stored(&app).await;
    for name in ["while_out", "still_out"] {
        assert!(
            !has(&all, "custom", Some(name)),
            "nothing is sent while opted out: {name}"
        );
    }
    chrome.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_privacy_control_and_cookieless_mode_send_and_store_no_ids() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome
        .browser
        .new_page("about:blank")
        .await
        .expect("page opens");
    page.evaluate_on_new_document(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', \
         {configurable: true, get: () => true})",
    )
    .await
    .expect("GPC signal");
    page.goto(app.url("/tracking/test/"))
        .await
        .expect("page loads");
    page.wait_for_navigation().await.expect("page loads");
    let ids: Value = eval(&page, "footfall.ids()").await;
    assert!(
        ids["visitor_id"].is_null() && ids["session_id"].is_null(),
        "{ids}"
    );
    run(&page, FETCH_SPY).await;
    run(
        &page,
        "footfall.track('gpc_event', {n: 1}); footfall.flush()",
    )
    .await;

    // `gpc: false` ignores the signal; cookieless mode then turns the ids off again.
    run(
        &page,
        "footfall.config({gpc: false}); footfall.track('gpc_ignored')",
    )
    .await;
    let ids: Value = eval(&page, "footfall.ids()").await;
    assert!(
        ids["session_id"].is_string(),
        "ids once GPC is ignored: {ids}"
    );
    run(
        &page,
        "footfall.flush(); localStorage.clear(); footfall.config({cookieless: true});
         footfall.track('cookieless_event'); footfall.flush()",
    )
    .await;
    let ids: Value = eval(&page, "footfall.ids()").await;
    assert!(ids["session_id"].is_null(), "no ids when cookieless: {ids}");

    let deadline = Instant::now() + Duration::from_secs(15);
    let bodies: Vec<String> = loop {
        let bodies: Vec<String> = eval(&page, "__ff.bodies").await;
        if bodies.iter().any(|b| b.contains("cookieless_event")) {
            break bodies;
        }
        assert!(Instant::now() < deadline, "no batch was sent: {bodies:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for name in ["gpc_event", "cookieless_event"] {
        let body = bodies
            .iter()
            .find(|b| b.contains(name))
            .unwrap_or_else(|| panic!("{name} was sent"));
        let batch: Value = serde_json::from_str(body).expect("json");
        assert!(
            batch["visitor_id"].is_null() && batch["session_id"].is_null(),
            "{name} is sent without ids: {batch}"
        );
    }
    let stored: Vec<String> = eval(
        &page,
        "Object.keys(localStorage).filter(k => k.startsWith('ff_'))",
    )
    .await;
    assert!(stored.is_empty(), "cookieless stores nothing: {stored:?}");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = all_stored(&app).await;
        if ["gpc_event", "gpc_ignored", "cookieless_event"]
            .iter()
            .all(|&n| has(&all, "custom", Some(n)))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not store the three events"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    chrome.close().await;
    app.shutdown().await;
}
