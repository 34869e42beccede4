//! Heatmaps and frustration in Chromium: the frustration test page gives exactly one of each
//! signal on both stores, and the overlay opened on the demo shop with a viewing token draws
//! inside the box of the element that was clicked, at two viewport widths. Without the
//! fragment the overlay script is never loaded.

use std::time::{Duration, Instant};

use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::page::Page;
use footfall::model::Role;
use serde_json::Value;

use crate::browser::{Chrome, click, eval, run, session_id, stored_until};
use crate::clickhouse::server::{fresh_url, store_config};
use crate::common::TestApp;
use crate::dashboard::{add_user, get, signed_in};

const PAGE: &str = "/tracking/test/frustration/";
const AWAY: &str = "/tracking/test/frustration/away";

async fn wait_for_path(page: &Page, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ready: bool = eval(
            page,
            &format!(
                "location.pathname == {path:?} && document.readyState == 'complete' && \
                 !!(window.footfall && footfall.ids().session_id)"
            ),
        )
        .await;
        if ready {
            return;
        }
        assert!(Instant::now() < deadline, "{path} did not load");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Plays each signal once on the frustration test page.
async fn frustrate(app: &TestApp, chrome: &Chrome) -> String {
    let page = chrome.open(&app.url(PAGE)).await;
    let session = session_id(&page).await;
    // The dead click first, and alone: any DOM change within 2.5 s would answer it.
    click(&page, "#dead").await;
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    click(&page, "#change").await;
    click(&page, "#throw").await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Three fast clicks on one spot: one rage click.
    for _ in 0..3 {
        click(&page, "#rage").await;
    }
    let counted: String = eval(&page, "document.getElementById('count').textContent").await;
    assert_eq!(counted, "3");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Away and straight back: a quick back from the other page.
    click(&page, "#away").await;
    wait_for_path(&page, AWAY).await;
    click(&page, "#back").await;
    wait_for_path(&page, PAGE).await;
    run(&page, "footfall.flush()").await;
    stored_until(app, &session, "the return to the page", |events| {
        events
            .iter()
            .filter(|e| e["type"] == "pageview" && e["path"] == PAGE)
            .count()
            == 2
    })
    .await;
    page.close().await.ok();
    session
}

fn element<'a>(report: &'a Value, selector: &str) -> Option<&'a Value> {
    report["elements"]
        .as_array()?
        .iter()
        .find(|e| e["selector"] == selector)
}

async fn frustration_on(app: TestApp) {
    let chrome = Chrome::launch().await;
    frustrate(&app, &chrome).await;
    app.settle().await;
    let (status, report) = app.get_api("/api/v1/sites/demo/frustration").await;
    assert_eq!(status, 200, "{report}");
    let signals = |selector: &str| {
        let e = element(&report, selector)
            .unwrap_or_else(|| panic!("{selector} is a frustrated element: {report}"));
        (
            e["rage_clicks"].as_u64(),
            e["dead_clicks"].as_u64(),
            e["error_clicks"].as_u64(),
        )
    };
    assert_eq!(signals("#dead"), (Some(0), Some(1), Some(0)), "{report}");
    assert_eq!(signals("#throw"), (Some(0), Some(0), Some(1)), "{report}");
    assert_eq!(signals("#rage"), (Some(1), Some(0), Some(0)), "{report}");
    assert!(
        element(&report, "#change").is_none(),
        "a click that changed the page is no frustration: {report}"
    );
    assert_eq!(
        report["elements"].as_array().map(Vec::len),
        Some(3),
        "{report}"
    );
    let backs = report["quick_backs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(backs.len(), 1, "{report}");
    assert_eq!(backs[0]["page"], AWAY);
    assert_eq!(backs[0]["count"], 1);
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("the Break button broke"),
        "{report}"
    );
    assert_eq!(errors[0]["count"], 1);
    chrome.close().await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frustration_page_shows_one_of_each_signal_on_duckdb() {
    frustration_on(TestApp::spawn().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_frustration_page_shows_one_of_each_signal_on_clickhouse() {
    let store = store_config(&fresh_url(), None);
    frustration_on(TestApp::spawn_with(move |c| c.store = store, Default::default()).await).await;
}

async fn set_width(page: &Page, width: i64) {
    page.execute(SetDeviceMetricsOverrideParams::new(width, 800, 1.0, false))
        .await
        .expect("viewport");
}

/// Pixels with some colour on the overlay's page layer inside the box of `selector`.
const DRAWN_IN_BOX: &str = "(() => {
    const layer = [...document.documentElement.children]
        .find(n => n.tagName == 'CANVAS' && getComputedStyle(n).position == 'absolute');
    const target = document.querySelector(SELECTOR);
    if (!layer || !target || !layer.width) return -1;
    const box = target.getBoundingClientRect();
    const k = layer.width / layer.getBoundingClientRect().width;
    if (!Number.isFinite(k) || k <= 0) return -2;
    const data = layer.getContext('2d').getImageData(
        Math.floor((box.left + scrollX) * k), Math.floor((box.top + scrollY) * k),
        Math.max(1, Math.floor(box.width * k)), Math.max(1, Math.floor(box.height * k))).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
})()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overlay_draws_the_clicks_inside_their_element_at_two_widths() {
    let app = TestApp::spawn().await;
    add_user(&app, "owner@example.com", Role::Admin, &[]);
    let chrome = Chrome::launch().await;
    let target = "#product-sku-trail-1";

    // Clicks on one product link at a desktop and a narrow width.
    for width in [1280, 600] {
        let page = chrome.open(&app.url("/demo/")).await;
        set_width(&page, width).await;
        let session = session_id(&page).await;
        page.find_element(target).await.expect("the product link");
        click(&page, target).await;
        page.find_element("#quantity").await.expect("product page");
        run(&page, "footfall.flush()").await;
        stored_until(&app, &session, "the click", |events| {
            events
                .iter()
                .any(|e| e["type"] == "click" && e["path"] == "/demo/")
        })
        .await;
        page.close().await.ok();
    }
    app.settle().await;

    let owner = signed_in(&app, "owner@example.com").await;
    let (status, html) = get(&owner, app.url("/tracking/heatmaps/?site=demo&path=/demo/")).await;
    assert_eq!(status, 200, "{html}");
    let start = html
        .find("href=\"/demo/#footfall-heatmap=")
        .expect("a live link")
        + 6;
    let live = html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();

    // Without the fragment the overlay is never loaded.
    let plain = chrome.open(&app.url("/demo/")).await;
    session_id(&plain).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded: bool = eval(
        &plain,
        "performance.getEntriesByType('resource').some(r => r.name.includes('footfall-heatmap.js')) \
         || !!document.querySelector('script[src*=\"footfall-heatmap\"]')",
    )
    .await;
    assert!(!loaded, "the overlay script loads only with the fragment");
    plain.close().await.ok();

    for width in [1280, 600] {
        let page = chrome.browser.new_page("about:blank").await.expect("page");
        set_width(&page, width).await;
        page.goto(app.url(&live)).await.expect("live page");
        page.find_element(target).await.expect("the product link");
        let deadline = Instant::now() + Duration::from_secs(15);
        let drawn = loop {
            let n: i64 = eval(
                &page,
                &DRAWN_IN_BOX.replace("SELECTOR", &format!("{target:?}")),
            )
            .await;
            if n > 0 || Instant::now() > deadline {
                break n;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert!(
            drawn > 0,
            "at {width} px the overlay drew inside {target}: {drawn}"
        );
        page.close().await.ok();
    }
    chrome.close().await;
    app.shutdown().await;
}
