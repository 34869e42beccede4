//! `/api/track-behavior/`: payloads captured from userBehaviour.js 1.3 and 1.2 (and a 1.1-shaped
//! one) land as the right events, bare or in an envelope, with cookies or without.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::TestApp;

fn fixture(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Posts each batch as the library's `processData` would from a page on 127.0.0.1:8765.
async fn post_batches(app: &TestApp, batches: &[Value]) -> Vec<(u16, Value)> {
    let mut out = Vec::new();
    for b in batches {
        let r = app
            .client
            .post(app.url("/api/track-behavior/"))
            .header("origin", "http://127.0.0.1:8765")
            .header("referer", "http://127.0.0.1:8765/")
            .header("x-csrftoken", "django-era-token")
            .header("content-type", "application/json")
            .body(b.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        out.push((status, r.json().await.unwrap()));
    }
    out
}

/// The only session of site demo, in full.
async fn only_session(app: &TestApp) -> Value {
    app.settle().await;
    let (status, list) = app.get_api("/api/v1/sites/demo/sessions").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    let id = list["sessions"][0]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, detail) = app
        .get_api(&format!("/api/v1/sites/demo/sessions/{id}"))
        .await;
    assert_eq!(status, 200, "{detail}");
    detail
}

fn counts(detail: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in detail["events"].as_array().unwrap() {
        *m.entry(e["type"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    m
}

fn of_type<'a>(detail: &'a Value, kind: &str) -> Vec<&'a Value> {
    detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

#[tokio::test]
async fn version_1_3_lands_as_the_right_events() {
    let app = TestApp::spawn().await;
    let answers = post_batches(&app, &fixture("1.3-chromium156.json")).await;
    assert_eq!(answers[0].0, 202, "{:?}", answers[0]);
    // 29 interactions plus the landing pageview that time.startTime marks.
    assert_eq!(answers[0].1["accepted"], 30);
    // The second batch repeats the last mouse sample; the third carries nothing.
    assert_eq!(answers[1].0, 202);
    assert_eq!(
        answers[2],
        (200, json!({"status": "ok", "accepted": 0, "rejected": []}))
    );

    let detail = only_session(&app).await;
    let expected: BTreeMap<String, usize> = [
        ("click", 8),
        ("move", 3),
        ("scroll", 3),
        ("key", 11),
        ("pageview", 2),
        ("form", 1),
        ("touch", 1),
        ("resize", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(counts(&detail), expected);

    // Keys are classes only: nothing typed (the password "hunter2" included) is stored.
    for key in of_type(&detail, "key") {
        assert!(key["label"].is_null(), "raw key stored: {key}");
    }
    let classes: Vec<&str> = of_type(&detail, "key")
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(classes.iter().filter(|c| **c == "letter").count(), 9);
    assert_eq!(classes.iter().filter(|c| **c == "digit").count(), 1);
    assert_eq!(classes.iter().filter(|c| **c == "enter").count(), 1);
    let text = detail.to_string();
    assert!(!text.contains("hunter2"));

    // Clicks keep coordinates and the element path; page y comes from the scroll position.
    let clicks = of_type(&detail, "click");
    assert_eq!(clicks[0]["x"], 40);
    assert_eq!(clicks[0]["y"], 25);
    assert_eq!(
        clicks[0]["target"],
        "html>body>div.shop.grid#main>button.btn.primary#buy"
    );
    assert_eq!(
        clicks[1]["target"],
        "html>body>div.shop.grid#main>button.btn.primary#buy"
    );
    assert!(
        clicks
            .iter()
            .any(|c| c["target"] == "html>body>div.shop.grid#main>svg#icon>rect.r")
    );

    // The landing page, then the pushState (twice in the payload, once here).
    let pv = of_type(&detail, "pageview");
    assert_eq!(pv[0]["url"], "http://127.0.0.1:8765/");
    assert_eq!(
        pv[1]["url"],
        "http://127.0.0.1:8765/product/42?utm_source=news"
    );
    assert_eq!(pv[1]["path"], "/product/42");
    let form = of_type(&detail, "form");
    assert_eq!(form[0]["target"], "login");
    assert_eq!(form[0]["name"], "submit");
    let resize = of_type(&detail, "resize");
    assert_eq!(
        (resize[0]["x"].clone(), resize[0]["y"].clone()),
        (json!(1024), json!(700))
    );

    // Session attributes come from userInfo.
    assert_eq!(detail["summary"]["browser"], "Chrome");
    assert_eq!(detail["summary"]["os"], "Linux");
    assert_eq!(detail["summary"]["device"], "desktop");
    app.shutdown().await;
}

#[tokio::test]
async fn version_1_2_lands_as_the_right_events() {
    let app = TestApp::spawn().await;
    let answers = post_batches(&app, &fixture("1.2-chromium156.json")).await;
    assert_eq!(answers[0].1["accepted"], 15, "{:?}", answers[0]);
    let detail = only_session(&app).await;
    let c = counts(&detail);
    assert_eq!(c.get("click"), Some(&7));
    assert_eq!(c.get("move"), Some(&3));
    assert_eq!(c.get("scroll"), Some(&3));
    assert_eq!(c.get("resize"), Some(&1));
    assert_eq!(c.get("pageview"), Some(&1));
    assert_eq!(c.get("key"), None);
    assert_eq!(detail["events"].as_array().unwrap().len(), 15);
    app.shutdown().await;
}

#[tokio::test]
async fn version_1_1_lands_as_the_right_events() {
    let app = TestApp::spawn().await;
    let answers = post_batches(&app, &fixture("ubjs-1.1.json")).await;
    assert_eq!(answers[0].1["accepted"], 8, "{:?}", answers[0]);
    let detail = only_session(&app).await;
    let c = counts(&detail);
    assert_eq!(
        (c.get("click"), c.get("move"), c.get("scroll")),
        (Some(&3), Some(&2), Some(&2))
    );
    // Fractional coordinates are rounded.
    let clicks = of_type(&detail, "click");
    assert!(
        clicks.iter().any(|c| c["x"] == 301 && c["y"] == 51),
        "{clicks:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_resent_batch_is_stored_once() {
    let app = TestApp::spawn().await;
    let batches = fixture("1.3-chromium156.json");
    post_batches(&app, &batches[..1]).await;
    post_batches(&app, &batches[..1]).await;
    let detail = only_session(&app).await;
    assert_eq!(detail["events"].as_array().unwrap().len(), 30);
    app.shutdown().await;
}

#[tokio::test]
async fn the_envelope_supplies_site_session_user_and_page() {
    let app = TestApp::spawn().await;
    let results = fixture("1.2-chromium156.json")[0].clone();
    let envelope = json!({
        "site": "demo", "session_id": "django-session-1", "user_id": "user-42",
        "url": "http://localhost/cart", "referrer": "https://www.google.com/", "results": results,
        "something_new": true,
    });
    let r = app
        .client
        .post(app.url("/api/track-behavior/"))
        .body(envelope.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // No cookies when the envelope names the session? It named no visitor: footfall keeps one.
    let detail = only_session(&app).await;
    assert_eq!(detail["summary"]["user_id"], "user-42");
    assert_eq!(detail["summary"]["source"], "Google");
    assert!(
        detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["path"] == "/cart")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn cookies_keep_a_visitor_across_batches() {
    let app = TestApp::spawn().await;
    let batches = fixture("1.3-chromium156.json");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let mut visitor_cookie = None;
    for b in &batches[..2] {
        let r = client
            .post(app.url("/api/track-behavior/"))
            .header("origin", "http://127.0.0.1:8765")
            .body(b.to_string())
            .send()
            .await
            .unwrap();
        let set: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let vid = set.iter().find(|c| c.starts_with("ff_vid=")).cloned();
        assert!(vid.is_some(), "no visitor cookie in {set:?}");
        assert!(set.iter().all(|c| c.contains("HttpOnly")));
        if let Some(prev) = &visitor_cookie {
            assert_eq!(
                prev,
                vid.as_ref().unwrap(),
                "the visitor changed between batches"
            );
        }
        visitor_cookie = vid;
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_page_of_an_unknown_host_is_refused() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(app.url("/api/track-behavior/"))
        .header("origin", "https://elsewhere.example")
        .body(fixture("1.3-chromium156.json")[0].to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_site");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("elsewhere.example")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn raw_keys_are_kept_only_for_sites_that_opted_in() {
    let app = TestApp::spawn().await;
    let state = app.app.as_ref().unwrap().state();
    let mut demo = state
        .sites
        .get(&footfall::model::SiteId::parse("demo").unwrap())
        .unwrap();
    demo.settings.raw_keys = true;
    state.store.update_site(&demo).unwrap();
    state.sites.reload(state.store.as_ref()).unwrap();
    post_batches(&app, &fixture("1.3-chromium156.json")[..1]).await;
    let detail = only_session(&app).await;
    let raw: String = of_type(&detail, "key")
        .iter()
        .map(|k| k["label"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(raw, "annhunter2Enter");
    app.shutdown().await;
}
