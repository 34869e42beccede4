//! The pages and interactions report on a hand-built fixture whose every figure is computed by
//! hand. Times are offsets in ms from a base an hour ago; every event names its page.
//!
//! | session | visitor | country | events |
//! |---|---|---|---|
//! | A | va | US | 0 pageview /home, 2000 scroll 30, 4000 scroll 60, 5000 click #cta "Start", 10000 pageview /pricing, 12000 scroll 100, 13000 + 14000 click #plan-pro "Pro", 15000 scroll 95 on /home (after /home's pageview ended: not counted), 20000 pageview /signup, 21000 focus signup, 25000 change signup, 45000 submit signup |
//! | B | vb | NL | 0 pageview /home, 1000 scroll 80, 3000 click #cta "Start", 3500 click a.nav (no text), 6000 pageview /signup, 7000 focus signup, 8000 scroll 20, 9000 abandon signup |
//! | C | va | US | 100000 pageview /home, 200000 scroll 25, 2500000 pageview /pricing (nothing after it) |
//! | E (bot) | ve | US | 0 pageview /home |
//!
//! Time on page: /home A 10000, B 6000, C 2400000 capped at 1800000 → 1816000 / 3 = 605333;
//! /pricing A 10000, C untimed (last pageview, nothing after) → 10000 / 1; /signup A 25000 (last
//! pageview, last /signup event at 45000), B 3000 → 28000 / 2 = 14000.

use serde_json::{Value, json};

use crate::common::{BOT, CHROME, TestApp, now_ms, send_from as send};

fn url(path: &str) -> String {
    format!("http://localhost{path}")
}

fn batch(session: &str, visitor: &str, events: Vec<Value>) -> Value {
    json!({"site": "demo", "visitor_id": visitor, "session_id": session,
           "page": {"url": url("/home")}, "events": events})
}

/// An event of `kind` at `t` on `path` with extra fields.
fn ev(id: &str, t: i64, kind: &str, path: &str, extra: Value) -> Value {
    let mut e = json!({"id": id, "ts": t, "type": kind, "url": url(path)});
    if let (Some(e), Value::Object(extra)) = (e.as_object_mut(), extra) {
        e.extend(extra);
    }
    e
}

fn pageview(id: &str, t: i64, path: &str) -> Value {
    ev(id, t, "pageview", path, json!({}))
}

fn scroll(id: &str, t: i64, path: &str, depth: u32) -> Value {
    ev(
        id,
        t,
        "scroll",
        path,
        json!({"x": 0, "y": 100, "depth": depth}),
    )
}

fn click(id: &str, t: i64, path: &str, selector: &str, text: Option<&str>) -> Value {
    let mut extra = json!({"x": 10, "y": 20, "selector": selector});
    if let Some(text) = text {
        extra["text"] = json!(text);
    }
    ev(id, t, "click", path, extra)
}

fn form(id: &str, t: i64, path: &str, action: &str) -> Value {
    ev(
        id,
        t,
        "form",
        path,
        json!({"action": action, "form": "signup", "field": "email"}),
    )
}

async fn fixture() -> TestApp {
    let app = TestApp::spawn_with(
        |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()],
        Default::default(),
    )
    .await;
    let t = now_ms() - 3_600_000;
    let a = vec![
        pageview("a1", t, "/home"),
        scroll("a2", t + 2000, "/home", 30),
        scroll("a3", t + 4000, "/home", 60),
        click("a4", t + 5000, "/home", "#cta", Some("Start")),
        pageview("a5", t + 10_000, "/pricing"),
        scroll("a6", t + 12_000, "/pricing", 100),
        click("a7", t + 13_000, "/pricing", "#plan-pro", Some("Pro")),
        click("a8", t + 14_000, "/pricing", "#plan-pro", Some("Pro")),
        scroll("a9", t + 15_000, "/home", 95),
        pageview("a10", t + 20_000, "/signup"),
        form("a11", t + 21_000, "/signup", "focus"),
        form("a12", t + 25_000, "/signup", "change"),
        form("a13", t + 45_000, "/signup", "submit"),
    ];
    send(&app, "8.8.8.8", CHROME, batch("sa", "va", a)).await;
    let b = vec![
        pageview("b1", t, "/home"),
        scroll("b2", t + 1000, "/home", 80),
        click("b3", t + 3000, "/home", "#cta", Some("Start")),
        click("b4", t + 3500, "/home", "a.nav", None),
        pageview("b5", t + 6000, "/signup"),
        form("b6", t + 7000, "/signup", "focus"),
        scroll("b7", t + 8000, "/signup", 20),
        form("b8", t + 9000, "/signup", "abandon"),
    ];
    send(&app, "193.0.6.139", CHROME, batch("sb", "vb", b)).await;
    let c = vec![
        pageview("c1", t + 100_000, "/home"),
        scroll("c2", t + 200_000, "/home", 25),
        pageview("c3", t + 2_500_000, "/pricing"),
    ];
    send(&app, "8.8.8.8", CHROME, batch("sc", "va", c)).await;
    let e = vec![pageview("e1", t, "/home")];
    send(&app, "8.8.8.8", BOT, batch("se", "ve", e)).await;
    app.settle().await;
    app
}

async fn report(app: &TestApp, query: &str) -> Value {
    let (status, body) = app
        .get_api(&format!("/api/v1/sites/demo/pages?{query}"))
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn scrolls(r: [u64; 4]) -> Value {
    json!({"reached_25": r[0], "reached_50": r[1], "reached_75": r[2], "reached_100": r[3]})
}

fn page(path: &str, views: u64, visitors: u64, timed: u64, avg: Option<u64>) -> Value {
    json!({"path": path, "views": views, "visitors": visitors, "timed_views": timed,
           "avg_time_ms": avg})
}

/// The page row with its nested lists; every page of the fixture has all its clicked elements
/// listed, so its `total_clicks` is their sum.
fn full(mut row: Value, scroll: [u64; 4], clicks: Value, forms: Value) -> Value {
    row["scroll"] = scrolls(scroll);
    let total: u64 = clicks
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["clicks"].as_u64()).sum())
        .unwrap_or(0);
    row["total_clicks"] = json!(total);
    row["clicks"] = clicks;
    row["forms"] = forms;
    row
}

fn paths(r: &Value) -> Vec<&str> {
    r["pages"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["path"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_figure_matches_the_hand_computed_fixture() {
    every_figure_matches_the_hand_computed_fixture_check().await;
}

/// The body of [`every_figure_matches_the_hand_computed_fixture`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn every_figure_matches_the_hand_computed_fixture_check() {
    let app = fixture().await;
    let r = report(&app, "").await;
    assert_eq!(r["total"], 3, "{r}");
    assert_eq!(r["limit"], 50);
    assert_eq!(r["offset"], 0);
    assert_eq!(
        r["pages"],
        json!([
            full(
                page("/home", 3, 2, 3, Some(605_333)),
                [3, 2, 1, 0],
                json!([
                    {"selector": "#cta", "text": "Start", "clicks": 2},
                    {"selector": "a.nav", "text": null, "clicks": 1},
                ]),
                json!([]),
            ),
            full(
                page("/pricing", 2, 1, 1, Some(10_000)),
                [1, 1, 1, 1],
                json!([{"selector": "#plan-pro", "text": "Pro", "clicks": 2}]),
                json!([]),
            ),
            full(
                page("/signup", 2, 2, 2, Some(14_000)),
                [0, 0, 0, 0],
                json!([]),
                json!([{"form": "signup", "starts": 2, "submits": 1, "abandons": 1,
                        "submit_rate": 0.5, "abandon_rate": 0.5}]),
            ),
        ]),
        "{r}"
    );

    // Sorting and paging.
    let r = report(&app, "sort=-visitors").await;
    assert_eq!(paths(&r), ["/home", "/signup", "/pricing"], "{r}");
    let r = report(&app, "sort=-time").await;
    assert_eq!(paths(&r), ["/home", "/signup", "/pricing"], "{r}");
    let r = report(&app, "sort=path&limit=2").await;
    assert_eq!(paths(&r), ["/home", "/pricing"], "{r}");
    let r = report(&app, "limit=1&offset=1").await;
    assert_eq!(paths(&r), ["/pricing"], "{r}");
    assert_eq!(r["total"], 3);
    assert_eq!(r["pages"][0]["clicks"][0]["clicks"], 2);
    let r = report(&app, "offset=10").await;
    assert_eq!(r["total"], 3, "{r}");
    assert_eq!(r["pages"], json!([]));
    app.shutdown().await;
}

#[tokio::test]
async fn filters_bots_and_bad_parameters() {
    filters_bots_and_bad_parameters_check().await;
}

/// The body of [`filters_bots_and_bad_parameters`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn filters_bots_and_bad_parameters_check() {
    let app = fixture().await;

    // NL: session B only.
    let r = report(&app, "country=NL").await;
    assert_eq!(r["total"], 2, "{r}");
    assert_eq!(
        r["pages"],
        json!([
            full(
                page("/home", 1, 1, 1, Some(6_000)),
                [1, 1, 1, 0],
                json!([
                    {"selector": "#cta", "text": "Start", "clicks": 1},
                    {"selector": "a.nav", "text": null, "clicks": 1},
                ]),
                json!([]),
            ),
            full(
                page("/signup", 1, 1, 1, Some(3_000)),
                [0, 0, 0, 0],
                json!([]),
                json!([{"form": "signup", "starts": 1, "submits": 0, "abandons": 1,
                        "submit_rate": 0.0, "abandon_rate": 1.0}]),
            ),
        ]),
        "{r}"
    );

    // Sessions that viewed /pricing: A and C (one visitor).
    let r = report(&app, "page=/pricing").await;
    assert_eq!(r["pages"][0]["path"], "/home", "{r}");
    assert_eq!(r["pages"][0]["views"], 2);
    assert_eq!(r["pages"][0]["visitors"], 1);
    // (10000 + 1800000) / 2
    assert_eq!(r["pages"][0]["avg_time_ms"], 905_000);
    assert_eq!(r["pages"][0]["scroll"], scrolls([2, 1, 0, 0]));

    // The bot's lone pageview: a view and a visitor, but no time.
    let r = report(&app, "include_bots=true").await;
    assert_eq!(
        r["pages"][0],
        full(
            page("/home", 4, 3, 3, Some(605_333)),
            [3, 2, 1, 0],
            r["pages"][0]["clicks"].clone(),
            json!([]),
        ),
        "{r}"
    );

    for bad in [
        "sort=views",
        "sort=-path",
        "limit=0",
        "limit=501",
        "limit=x",
        "offset=-1",
        "colour=red",
    ] {
        let (status, body) = app
            .get_api(&format!("/api/v1/sites/demo/pages?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/sites/demo/pages"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.shutdown().await;
}
