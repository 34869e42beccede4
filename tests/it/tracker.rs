//! The tracker's own behaviour in Chromium, beyond capturing a visit (`browser.rs`): batches
//! split to fit a beacon, retries with backoff, events kept across an offline page load,
//! sign-out and opt-out, Global Privacy Control and cookieless mode, and the debug switch.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::browser::{Chrome, count, eval, has, run, session_id, stored_until};
use crate::common::TestApp;

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

/// Records `console.error` calls and uncaught errors in the page (`__logged`, `__uncaught`).
const ERROR_SPY: &str = "(() => {
    window.__logged = []; window.__uncaught = 0;
    console.error = (...args) => __logged.push(args.map(String).join(' '));
    addEventListener('error', () => __uncaught++);
})()";

/// Polls `js` (a boolean expression) for up to 10 s.
async fn until(page: &chromiumoxide::page::Page, js: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if eval::<bool>(page, js).await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_inside_the_tracker_never_reach_the_page_and_are_logged_only_in_debug_mode() {
    let app = TestApp::spawn().await;
    let chrome = Chrome::launch().await;
    let page = chrome.open(&app.url("/tracking/test/")).await;
    let session = session_id(&page).await;
    run(&page, ERROR_SPY).await;

    // An onEvent hook that throws, without debug: nothing is logged, nothing escapes, and
    // the events are still sent.
    run(
        &page,
        "footfall.config({onEvent: () => { throw new Error('hook failed') }});
         footfall.track('quiet'); window.__tracked = 1",
    )
    .await;
    stored_until(&app, &session, "the event whose hook threw", |ev| {
        has(ev, "custom", Some("quiet"))
    })
    .await;
    let logged: Vec<String> = eval(&page, "__logged").await;
    assert!(logged.is_empty(), "no logging without debug: {logged:?}");

    // With debug on, the same error is logged with the tracker's prefix; a bad call to the
    // API is logged too, and still does not throw into the page.
    run(
        &page,
        "footfall.config({debug: true});
         footfall.track('loud');
         window.__returned = footfall.ecommerce.purchase({items: 5})",
    )
    .await;
    assert!(
        until(
            &page,
            "__logged.some(m => m.startsWith('footfall:') && m.includes('hook failed'))"
        )
        .await,
        "the hook's error is logged in debug mode: {:?}",
        eval::<Vec<String>>(&page, "__logged").await
    );
    assert!(
        until(
            &page,
            "__logged.some(m => m.startsWith('footfall:') && m.includes('TypeError'))"
        )
        .await,
        "the failed API call is logged: {:?}",
        eval::<Vec<String>>(&page, "__logged").await
    );
    let uncaught: u32 = eval(&page, "__uncaught").await;
    assert_eq!(uncaught, 0, "no error escapes to the page");
    stored_until(&app, &session, "the event tracked in debug mode", |ev| {
        has(ev, "custom", Some("loud"))
    })
    .await;
    chrome.close().await;
    app.shutdown().await;
}
