//! Heatmaps and frustration signals over the API, on traffic counted by hand: rage, dead and
//! error clicks, a quick back and one that is too slow, page bins, element grids, the scroll
//! map, the device split, the sessions filter, CSV, and a userBehaviour.js rage burst.

use serde_json::{Value, json};

use crate::clickhouse::server::{fresh_url, store_config};
use crate::common::{CHROME, TestApp, now_ms, send_from};

/// Two sessions on `/p` (timings in ms after `t`), as docs/tracker.md describes the events.
fn traffic(t: i64) -> Vec<Value> {
    let url = |p: &str| format!("http://localhost{p}");
    let click = |id: &str, dt: i64, sel: &str, xy: (i32, i32), extra: Value| {
        let mut e = json!({"id": id, "ts": t + dt, "type": "click", "x": xy.0, "y": xy.1,
                           "page_y": xy.1, "selector": sel, "vw": 1000, "vh": 800,
                           "ex": 500, "ey": 500});
        if let (Some(e), Value::Object(extra)) = (e.as_object_mut(), extra) {
            e.extend(extra);
        }
        e
    };
    let desktop = json!({
        "site": "demo", "visitor_id": "v1", "session_id": "s1", "sent_at": now_ms(),
        "page": {"url": url("/p")},
        "events": [
            {"id": "a1", "ts": t, "type": "pageview"},
            {"id": "a2", "ts": t + 10, "type": "resize", "width": 1000, "height": 800},
            click("a3", 1_000, "#ok", (100, 100), json!({})),
            // Three clicks, each within 1 s and 30 px of the one before: one rage click.
            click("a4", 2_000, "#r", (200, 200), json!({})),
            click("a5", 2_300, "#r", (205, 203), json!({})),
            click("a6", 2_600, "#r", (210, 200), json!({})),
            // Too late to continue the burst: a burst of one.
            click("a7", 5_000, "#r", (200, 200), json!({})),
            click("a8", 7_000, "#d", (300, 300), json!({"dead": 1})),
            click("a9", 9_000, "#e", (400, 400), json!({})),
            {"id": "a10", "ts": t + 9_400, "type": "error", "message": "boom",
             "source": "http://localhost/app.js", "line": 3, "column": 9},
            {"id": "a11", "ts": t + 11_000, "type": "scroll", "x": 0, "y": 400, "depth": 50, "vh": 800},
            // Away to /q and back within 2 s: a quick back from /q.
            {"id": "a12", "ts": t + 12_000, "type": "pageview", "url": url("/q")},
            {"id": "a13", "ts": t + 14_000, "type": "pageview", "url": url("/p")},
            // 11 s after the last click: an error of no click.
            {"id": "a14", "ts": t + 20_000, "type": "error", "message": "late"},
            // Away and back after 10 s: not quick.
            {"id": "a15", "ts": t + 30_000, "type": "pageview", "url": url("/q")},
            {"id": "a16", "ts": t + 40_000, "type": "pageview", "url": url("/p")},
        ]
    });
    let mobile = json!({
        "site": "demo", "visitor_id": "v2", "session_id": "s2", "sent_at": now_ms(),
        "page": {"url": url("/p")},
        "events": [
            {"id": "b1", "ts": t, "type": "pageview"},
            {"id": "b2", "ts": t + 500, "type": "click", "x": 50, "y": 60, "page_y": 60,
             "selector": "#ok", "vw": 390, "vh": 700, "ex": 100, "ey": 900},
            {"id": "b3", "ts": t + 900, "type": "click", "x": 70, "y": 500, "page_y": 500,
             "selector": "#d", "vw": 390, "vh": 700, "ex": 500, "ey": 500, "dead": true},
            {"id": "b4", "ts": t + 1_000, "type": "move", "x": 195, "y": 100, "page_y": 1100, "vw": 390},
        ]
    });
    vec![desktop, mobile]
}

/// Which store the app runs on.
#[derive(Clone, Copy)]
enum On {
    DuckDb,
    ClickHouse,
}

async fn app_with_traffic(on: On) -> TestApp {
    let app = match on {
        On::DuckDb => TestApp::spawn().await,
        On::ClickHouse => {
            let store = store_config(&fresh_url(), None);
            TestApp::spawn_with(move |c| c.store = store, Default::default()).await
        }
    };
    for batch in traffic(now_ms() - 3_600_000) {
        send_from(&app, "203.0.113.9", CHROME, batch).await;
    }
    app.settle().await;
    app
}

fn selectors(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .map(|a| a.iter().filter_map(|r| r["selector"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_frustration_report_counts_rage_dead_error_clicks_quick_backs_and_errors() {
    frustration_counts(On::DuckDb).await;
}

#[tokio::test]
async fn the_frustration_report_counts_the_same_on_clickhouse() {
    frustration_counts(On::ClickHouse).await;
}

#[tokio::test]
async fn the_heatmap_bins_clicks_keeps_element_grids_and_splits_devices() {
    heatmap_counts(On::DuckDb).await;
}

#[tokio::test]
async fn the_heatmap_counts_the_same_on_clickhouse() {
    heatmap_counts(On::ClickHouse).await;
}

async fn frustration_counts(on: On) {
    let app = app_with_traffic(on).await;
    let (status, r) = app.get_api("/api/v1/sites/demo/frustration").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["thresholds"]["rage_clicks"], 3);
    assert_eq!(r["thresholds"]["quick_back_ms"], 5000);
    let elements = &r["elements"];
    assert_eq!(selectors(elements), ["#d", "#e", "#r"], "{elements}");
    let figures = |i: usize| {
        let e = &elements[i];
        (
            e["clicks"].as_u64(),
            e["rage_clicks"].as_u64(),
            e["dead_clicks"].as_u64(),
            e["error_clicks"].as_u64(),
            e["sessions"].as_u64(),
        )
    };
    assert_eq!(figures(0), (Some(2), Some(0), Some(2), Some(0), Some(2)));
    assert_eq!(figures(1), (Some(1), Some(0), Some(0), Some(1), Some(1)));
    assert_eq!(figures(2), (Some(4), Some(1), Some(0), Some(0), Some(1)));
    assert_eq!(elements[0]["page"], "/p");
    assert_eq!(elements[0]["previous"]["clicks"], 0);
    assert_eq!(
        r["quick_backs"],
        json!([{"page": "/q", "count": 1, "sessions": 1, "previous": 0}])
    );
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["message"], "boom");
    assert_eq!(errors[0]["source"], "http://localhost/app.js");
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(
        (errors[0]["count"].as_u64(), errors[0]["sessions"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(errors[1]["message"], "late");

    // Sessions by signal.
    let sessions_with = |signal: &'static str| {
        let app = &app;
        async move {
            let (status, r) = app
                .get_api(&format!("/api/v1/sites/demo/sessions?frustration={signal}"))
                .await;
            assert_eq!(status, 200, "{r}");
            r["total"].as_u64()
        }
    };
    assert_eq!(sessions_with("rage").await, Some(1));
    assert_eq!(sessions_with("dead").await, Some(2));
    assert_eq!(sessions_with("error").await, Some(1));
    assert_eq!(sessions_with("quick_back").await, Some(1));
    let (status, r) = app
        .get_api("/api/v1/sites/demo/sessions?frustration=angry")
        .await;
    assert_eq!(status, 400, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("rage, dead, error, quick_back")
    );

    // Every table exports as CSV.
    let csv = app
        .client
        .get(app.url("/api/v1/sites/demo/frustration?format=csv&table=elements"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");

    // Each session's detail marks the same moments the report counted, by the same rules.
    let (_, list) = app.get_api("/api/v1/sites/demo/sessions").await;
    let mut marked: Vec<(String, String)> = Vec::new();
    let mut errors = 0;
    for s in list["sessions"].as_array().cloned().unwrap_or_default() {
        let id = s["session_id"].as_str().unwrap_or_default();
        let (status, detail) = app
            .get_api(&format!("/api/v1/sites/demo/sessions/{id}"))
            .await;
        assert_eq!(status, 200, "{detail}");
        for m in detail["moments"].as_array().cloned().unwrap_or_default() {
            let what = m["what"]
                .as_str()
                .unwrap_or(m["path"].as_str().unwrap_or_default());
            marked.push((m["signal"].as_str().unwrap_or_default().into(), what.into()));
        }
        errors += detail["errors"].as_array().map_or(0, Vec::len);
    }
    marked.sort();
    let expected = [
        ("dead", "#d"),
        ("dead", "#d"),
        ("error", "#e"),
        ("quick_back", "/q"),
        ("rage", "#r"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).into(), (*b).into()))
        .collect();
    assert_eq!(marked, expected);
    assert_eq!(errors, 2, "both errors are listed with their session");
    app.shutdown().await;
}

async fn heatmap_counts(on: On) {
    let app = app_with_traffic(on).await;
    let (status, r) = app.get_api("/api/v1/sites/demo/heatmap?path=/p").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["type"], "click");
    assert_eq!(r["total"], 9);
    assert_eq!(selectors(&r["elements"]), ["#r", "#d", "#ok", "#e"]);
    let r0 = &r["elements"][0];
    assert_eq!(
        (
            r0["clicks"].as_u64(),
            r0["visitors"].as_u64(),
            r0["rage"].as_u64()
        ),
        (Some(4), Some(1), Some(1))
    );
    let ok = &r["elements"][2];
    assert_eq!(
        ok["grid"],
        json!([{"x": 1, "y": 9, "n": 1}, {"x": 5, "y": 5, "n": 1}])
    );
    // #ok at x 100 of 1000 (10 %), y 100 (row 96), and at x 50 of 390 (12 %), y 60 (row 48).
    assert_eq!(
        ok["points"],
        json!([{"x": 10, "y": 96, "fixed": false, "n": 1}, {"x": 12, "y": 48, "fixed": false, "n": 1}])
    );
    let points = r["points"].as_array().unwrap();
    assert_eq!(
        points.iter().map(|p| p["n"].as_u64().unwrap()).sum::<u64>(),
        9
    );

    let (_, mobile) = app
        .get_api("/api/v1/sites/demo/heatmap?path=/p&device=mobile")
        .await;
    assert_eq!(mobile["device"], "mobile");
    assert_eq!(mobile["total"], 2);
    assert_eq!(selectors(&mobile["elements"]), ["#d", "#ok"]);
    assert_eq!(mobile["elements"][0]["dead"], 1);

    let (_, moves) = app
        .get_api("/api/v1/sites/demo/heatmap?path=/p&type=move")
        .await;
    assert_eq!(
        moves["points"],
        json!([{"x": 50, "y": 1088, "fixed": false, "n": 1}])
    );

    // One view with a known viewport: fold 800, reaching 400 + 800 px, 50 % deep.
    let (_, scroll) = app
        .get_api("/api/v1/sites/demo/heatmap?path=/p&type=scroll")
        .await;
    let map = &scroll["scroll"];
    assert_eq!(
        (map["views"].as_u64(), map["fold"].as_u64()),
        (Some(1), Some(800))
    );
    assert_eq!(map["bands"].as_array().unwrap().len(), 12);
    assert_eq!(map["bands"][11], json!({"y": 1100, "reached": 1.0}));
    assert_eq!(map["depth"][9], json!({"pct": 50, "reached": 1.0}));
    assert_eq!(map["depth"][10], json!({"pct": 55, "reached": 0.0}));

    let (status, err) = app.get_api("/api/v1/sites/demo/heatmap").await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("`path` is required")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn three_fast_user_behaviour_clicks_are_one_rage_click() {
    let app = TestApp::spawn().await;
    let t = now_ms() - 60_000;
    let path = "html>body>div.cart>button.pay";
    let results = json!({
        "userInfo": {"windowSize": [1280, 800], "userAgent": CHROME},
        "time": {"startTime": t, "currentTime": t + 5_000, "stopTime": 0},
        "clicks": {"clickCount": 3, "clickDetails": [
            [640, 400, path, t + 100], [642, 401, path, t + 400], [641, 399, path, t + 700]
        ]},
    });
    let envelope = json!({"site": "demo", "session_id": "ub-1", "url": "http://localhost/cart",
                          "results": results});
    let r = app
        .client
        .post(app.url("/api/track-behavior/"))
        .body(envelope.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    app.settle().await;
    let (_, f) = app.get_api("/api/v1/sites/demo/frustration").await;
    assert_eq!(f["elements"][0]["selector"], path, "{f}");
    assert_eq!(f["elements"][0]["rage_clicks"], 1);
    assert_eq!(f["elements"][0]["clicks"], 3);
    app.shutdown().await;
}
