//! Report filters on a hand-built fixture of four sessions whose every figure is known:
//!
//! | session | visitor | from | country | pages | other events | user |
//! |---|---|---|---|---|---|---|
//! | A | va | Google search | US | `/`, `/cart` | custom `signup` {plan: pro} | - |
//! | B | vb | direct | NL | `/blog/one` | - | u-1 |
//! | C | vc | newsletter (utm) | US | `/blog/two`, `/product/1` | purchase 12.50 EUR | - |
//! | D (bot) | vd | direct | US | `/` | - | - |

use serde_json::json;

use crate::common::{BOT, CHROME, TestApp, now_ms, send_from as send};

pub(crate) async fn fixture() -> TestApp {
    let app = TestApp::spawn_with(
        |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()],
        Default::default(),
    )
    .await;
    let t = now_ms() - 600_000;
    let pv = |id: &str, ts: i64, path: &str| json!({"id": id, "ts": ts, "type": "pageview", "url": format!("http://localhost{path}")});
    send(&app, "8.8.8.8", CHROME, json!({"site": "demo", "visitor_id": "va", "session_id": "sa",
        "page": {"url": "http://localhost/", "referrer": "https://www.google.com/search?q=shoes"},
        "events": [pv("a1", t, "/"), pv("a2", t + 1000, "/cart"),
                   {"id": "a3", "ts": t + 2000, "type": "custom", "name": "signup", "props": {"plan": "pro"}}]})).await;
    send(
        &app,
        "193.0.6.139",
        CHROME,
        json!({"site": "demo", "visitor_id": "vb", "session_id": "sb", "user_id": "u-1",
        "events": [pv("b1", t, "/blog/one")]}),
    )
    .await;
    send(&app, "8.8.8.8", CHROME, json!({"site": "demo", "visitor_id": "vc", "session_id": "sc",
        "page": {"url": "http://localhost/blog/two?utm_source=newsletter&utm_medium=email&utm_campaign=nov"},
        "events": [pv("c1", t, "/blog/two"), pv("c2", t + 5000, "/product/1"),
                   {"id": "c3", "ts": t + 6000, "type": "purchase", "currency": "EUR", "value": "12.50", "transaction_id": "T-9", "items": []}]})).await;
    send(
        &app,
        "8.8.8.8",
        BOT,
        json!({"site": "demo", "visitor_id": "vd", "session_id": "sd",
        "events": [pv("d1", t, "/")]}),
    )
    .await;
    app.settle().await;
    app
}

/// (sessions, events) of the overview with the given query string.
async fn counts(app: &TestApp, query: &str) -> (u64, u64) {
    let (status, o) = app
        .get_api(&format!("/api/v1/sites/demo/overview?{query}"))
        .await;
    assert_eq!(status, 200, "{query}: {o}");
    (
        o["sessions"].as_u64().unwrap(),
        o["events"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn every_filter_selects_the_right_sessions() {
    every_filter_selects_the_right_sessions_check().await;
}

/// The body of [`every_filter_selects_the_right_sessions`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn every_filter_selects_the_right_sessions_check() {
    let app = fixture().await;
    let va = footfall::model::VisitorId::from_client(
        &footfall::model::SiteId::parse("demo").unwrap(),
        "va",
    );
    for (query, expected) in [
        ("", (3, 7)),
        ("include_bots=true", (4, 8)),
        ("page=/cart", (1, 3)),
        ("page=/blog", (0, 0)),
        ("page_prefix=/blog/", (2, 4)),
        ("source=Google", (1, 3)),
        ("medium=search", (1, 3)),
        ("source=newsletter", (1, 3)),
        ("utm_campaign=nov", (1, 3)),
        ("country=US", (2, 6)),
        ("country=US&include_bots=true", (3, 7)),
        ("country=NL", (1, 1)),
        ("browser=Chrome", (3, 7)),
        ("device=desktop&country=NL", (1, 1)),
        ("signed_in=true", (1, 1)),
        ("signed_in=false", (2, 6)),
        ("user=u-1", (1, 1)),
        ("user=u-2", (0, 0)),
        (&format!("visitor={va}"), (1, 3)),
        ("event=signup", (1, 3)),
        ("prop=plan:pro", (1, 3)),
        ("prop=plan:free", (0, 0)),
        ("has_event=purchase", (1, 3)),
        ("has_event=custom", (1, 3)),
        ("page=/&include_bots=true", (2, 4)),
    ] {
        assert_eq!(counts(&app, query).await, expected, "{query}");
    }
    // Filters apply to the session list too.
    let (_, list) = app
        .get_api("/api/v1/sites/demo/sessions?page_prefix=/blog/&sort=-events")
        .await;
    assert_eq!(list["total"], 2);
    assert_eq!(
        list["sessions"][0]["purchases"],
        json!([{"currency": "EUR", "minor": 1250}])
    );
    assert_eq!(list["sessions"][0]["source"], "newsletter");
    app.shutdown().await;
}

#[tokio::test]
async fn bad_filters_are_400s_that_name_them() {
    bad_filters_are_400s_that_name_them_check().await;
}

/// The body of [`bad_filters_are_400s_that_name_them`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn bad_filters_are_400s_that_name_them_check() {
    let app = fixture().await;
    for (query, needle) in [
        ("signed_in=maybe", "signed_in"),
        ("visitor=xyz", "visitor"),
        ("prop=plan", "prop"),
        ("country=", "country"),
        ("colour=red", "colour"),
    ] {
        let (status, body) = app
            .get_api(&format!("/api/v1/sites/demo/sessions?{query}"))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(needle),
            "{query}: {body}"
        );
    }
    app.shutdown().await;
}
