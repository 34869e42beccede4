//! The report API: authentication, validation, bots, identity linking, paging.

use serde_json::{Value, json};

use crate::common::{TestApp, native_batch, now_ms};

#[tokio::test]
async fn reports_need_a_valid_token() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/api/v1/sites/demo/overview"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(app.url("/api/v1/sites/demo/overview"))
        .bearer_auth("ff_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    app.shutdown().await;
}

#[tokio::test]
async fn bad_report_queries_are_400s_that_name_the_problem() {
    let app = TestApp::spawn().await;
    for (path, status, needle) in [
        ("/api/v1/sites/demo/overview?colour=red", 400, "colour"),
        ("/api/v1/sites/demo/overview?from=yesterday", 400, "from"),
        (
            "/api/v1/sites/demo/overview?from=2026-02-01&to=2026-01-01",
            400,
            "before",
        ),
        (
            "/api/v1/sites/demo/overview?include_bots=maybe",
            400,
            "include_bots",
        ),
        ("/api/v1/sites/nosuch/overview", 404, "nosuch"),
        ("/api/v1/sites/Bad!/overview", 400, "site"),
        ("/api/v1/sites/demo/sessions?limit=0", 400, "limit"),
        ("/api/v1/sites/demo/sessions?sort=colour", 400, "sort"),
        ("/api/v1/sites/demo/sessions/xyz", 400, "xyz"),
        (
            "/api/v1/sites/demo/sessions/0000000000000001",
            404,
            "session",
        ),
        ("/api/v1/nothing", 404, "route"),
    ] {
        let (s, body) = app.get_api(path).await;
        assert_eq!(s, status, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{path}: {message:?} should mention {needle:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn bots_are_stored_but_left_out_unless_asked_for() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header(
            "user-agent",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        )
        .json(&native_batch("demo", "bot", "bot-s", "b", 5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36")
        .json(&native_batch("demo", "human", "human-s", "h", 5))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    app.settle().await;
    let (_, o) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(
        (o["events"].clone(), o["visitors"].clone()),
        (json!(5), json!(1))
    );
    let (_, o) = app
        .get_api("/api/v1/sites/demo/overview?include_bots=true")
        .await;
    assert_eq!(
        (o["events"].clone(), o["visitors"].clone()),
        (json!(10), json!(2))
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_visitor_who_signs_in_is_linked_to_the_user_from_then_on_and_before() {
    let app = TestApp::spawn().await;
    let t = now_ms() - 60_000;
    // An earlier anonymous session, then a session where the visitor signs in.
    let first = json!({"site": "demo", "visitor_id": "v-9", "session_id": "early", "events": [
        {"id": "a1", "ts": t, "type": "pageview", "url": "http://localhost/"}]});
    let second = json!({"site": "demo", "visitor_id": "v-9", "session_id": "later", "events": [
        {"id": "b1", "ts": t + 10_000, "type": "pageview", "url": "http://localhost/login"},
        {"id": "b2", "ts": t + 11_000, "type": "identify", "user_id": "user-7", "traits": {"plan": "pro"}}]});
    let third = json!({"site": "demo", "visitor_id": "v-9", "session_id": "later", "user_id": "user-7", "events": [
        {"id": "c1", "ts": t + 12_000, "type": "pageview", "url": "http://localhost/account"}]});
    for b in [&first, &second, &third] {
        let (s, body) = app.post_json("/api/v1/collect", b).await;
        assert_eq!(s, 202, "{body}");
    }
    app.settle().await;
    let (_, list) = app.get_api("/api/v1/sites/demo/sessions?sort=start").await;
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        sessions[0]["user_id"], "user-7",
        "the anonymous session is attributed: {list}"
    );
    assert_eq!(sessions[1]["user_id"], "user-7");
    assert_eq!(sessions[1]["pageviews"], 2);
    assert_eq!(sessions[0]["entry_page"], "/");
    app.shutdown().await;
}

#[tokio::test]
async fn sessions_page_and_sort() {
    let app = TestApp::spawn().await;
    for i in 0..7 {
        let (s, _) = app
            .post_json(
                "/api/v1/collect",
                &native_batch(
                    "demo",
                    &format!("v{i}"),
                    &format!("s{i}"),
                    &format!("p{i}"),
                    i + 1,
                ),
            )
            .await;
        assert_eq!(s, 202);
    }
    app.settle().await;
    let (_, page1) = app
        .get_api("/api/v1/sites/demo/sessions?limit=3&sort=-events")
        .await;
    assert_eq!(page1["total"], 7);
    let events: Vec<i64> = page1["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["events"].as_i64().unwrap())
        .collect();
    assert_eq!(events, vec![7, 6, 5]);
    let (_, page3) = app
        .get_api("/api/v1/sites/demo/sessions?limit=3&offset=6&sort=-events")
        .await;
    assert_eq!(page3["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(page3["sessions"][0]["events"], 1);
    let (_, past) = app
        .get_api("/api/v1/sites/demo/sessions?limit=3&offset=30")
        .await;
    assert_eq!(past["total"], 7);
    assert_eq!(past["sessions"], json!([]));
    app.shutdown().await;
}

#[tokio::test]
async fn purchases_are_summed_per_currency_in_minor_units() {
    let app = TestApp::spawn().await;
    let t = now_ms();
    let batch = json!({"site": "demo", "visitor_id": "buyer", "session_id": "shop", "events": [
        {"id": "p1", "ts": t, "type": "purchase", "currency": "EUR", "value": 19.99, "transaction_id": "T-1",
         "items": [{"item_id": "sku-1", "item_name": "Shoe", "price": 9.995, "quantity": 2}]},
        {"id": "p2", "ts": t + 1, "type": "purchase", "currency": "EUR", "value": "0.01", "transaction_id": "T-2", "items": []},
        {"id": "p3", "ts": t + 2, "type": "purchase", "currency": "JPY", "value": 1500, "transaction_id": "T-3", "items": []}]});
    let (s, body) = app.post_json("/api/v1/collect", &batch).await;
    assert_eq!(s, 202, "{body}");
    app.settle().await;
    let (_, list) = app.get_api("/api/v1/sites/demo/sessions").await;
    assert_eq!(
        list["sessions"][0]["purchases"],
        json!([{"currency": "EUR", "minor": 2000}, {"currency": "JPY", "minor": 1500}])
    );
    app.shutdown().await;
}

#[tokio::test]
async fn health_metrics_and_schema_are_served() {
    let app = TestApp::spawn().await;
    app.post_json("/api/v1/collect", &native_batch("demo", "v", "s", "m", 4))
        .await;
    app.settle().await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("footfall_events_accepted_total{format=\"native\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("footfall_events_stored_total 4"),
        "{metrics}"
    );
    assert!(metrics.contains("footfall_spool_pending_bytes"));
    assert!(metrics.contains("footfall_store_write_seconds"));
    let schema: Value = app
        .client
        .get(app.url("/api/v1/schema.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        schema["$schema"]
            .as_str()
            .unwrap()
            .contains("json-schema.org")
    );
    app.shutdown().await;
}

#[tokio::test]
async fn live_shows_visitors_active_in_the_last_five_minutes() {
    let app = TestApp::spawn().await;
    let now = now_ms();
    let pv = |id: &str, ts: i64, path: &str| json!({"id": id, "ts": ts, "type": "pageview", "url": format!("http://localhost{path}")});
    for (visitor, events) in [
        (
            "here-1",
            vec![
                pv("h1", now - 120_000, "/"),
                pv("h2", now - 60_000, "/cart"),
            ],
        ),
        ("here-2", vec![pv("h3", now - 30_000, "/cart")]),
        ("gone", vec![pv("g1", now - 600_000, "/old")]),
    ] {
        let batch =
            json!({"site": "demo", "visitor_id": visitor, "session_id": visitor, "events": events});
        let (s, body) = app.post_json("/api/v1/collect", &batch).await;
        assert_eq!(s, 202, "{body}");
    }
    app.settle().await;
    let (status, live) = app.get_api("/api/v1/sites/demo/live?events=2").await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["active_visitors"], 2);
    let visitors = live["visitors"].as_array().unwrap();
    assert_eq!(visitors[0]["current_page"], "/cart");
    assert_eq!(visitors[1]["current_page"], "/cart");
    assert_eq!(
        live["pages"],
        json!([{"value": "/cart", "visitors": 2, "count": 2}])
    );
    let events = live["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert!(
        events[0]["ts_ms"].as_i64() > events[1]["ts_ms"].as_i64(),
        "newest first: {live}"
    );
    let (status, _) = app.get_api("/api/v1/sites/demo/live?from=2026-01-01").await;
    assert_eq!(status, 400);
    app.shutdown().await;
}

#[tokio::test]
async fn every_report_table_downloads_as_csv_with_the_same_filters() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        let (s, _) = app
            .post_json(
                "/api/v1/collect",
                &native_batch(
                    "demo",
                    &format!("v{i}"),
                    &format!("s{i}"),
                    &format!("c{i}"),
                    5,
                ),
            )
            .await;
        assert_eq!(s, 202);
    }
    app.settle().await;
    let get = |path: String| {
        let req = app.client.get(app.url(&path)).bearer_auth(&app.token);
        async move { req.send().await.unwrap() }
    };
    let r = get("/api/v1/sites/demo/sessions?format=csv&table=sessions&limit=2".into()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("sessions-sessions.csv")
    );
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a header and the two sessions the limit allows: {text}"
    );
    assert!(
        lines[0].starts_with("browser,country,device,duration_ms"),
        "{}",
        lines[0]
    );

    let r = get("/api/v1/sites/demo/overview?format=csv&table=top.pages&page=/p/0".into()).await;
    let text = r.text().await.unwrap();
    assert_eq!(text, "count,value,visitors\n3,/p/0,3\n");

    let (status, body) = {
        let r = get("/api/v1/sites/demo/overview?format=csv".into()).await;
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("top.pages"),
        "{body}"
    );
    let r = app
        .client
        .get(app.url("/api/v1/sites/demo/sessions?format=csv&table=sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "errors stay JSON and auth still applies");
    let r = get("/api/v1/sites/demo/sessions?format=xml".into()).await;
    assert_eq!(r.status(), 400);
    app.shutdown().await;
}
