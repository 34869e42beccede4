//! `/api/v1/collect` through the HTTP router: formats, de-duplication, bad input, limits.

use std::io::Write;
use std::time::Duration;

use footfall::app::Tuning;
use footfall::ingest::spool::SpoolOptions;
use footfall::ingest::writer::WriterOptions;
use serde_json::{Value, json};

use crate::common::{TestApp, native_batch, now_ms};

async fn overview(app: &TestApp) -> Value {
    app.settle().await;
    let (status, body) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_native_batch_is_stored_and_reported() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post_json(
            "/api/v1/collect",
            &native_batch("demo", "v1", "s1", "e", 40),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 40);
    assert_eq!(body["rejected"], json!([]));
    let o = overview(&app).await;
    assert_eq!(o["events"], 40);
    assert_eq!(o["visitors"], 1);
    assert_eq!(o["sessions"], 1);
    assert_eq!(o["pageviews"], 8);
    assert_eq!(o["events_by_type"]["click"], 8);
    assert_eq!(o["bounce_rate"], 0.0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_retried_batch_is_not_stored_twice() {
    let app = TestApp::spawn().await;
    let batch = native_batch("demo", "v1", "s1", "retry", 10);
    for _ in 0..3 {
        let (status, _) = app.post_json("/api/v1/collect", &batch).await;
        assert_eq!(status, 202);
    }
    // The same ids inside a different batch are also duplicates.
    let mut other = native_batch("demo", "v1", "s1", "retry", 12);
    other["sent_at"] = json!(now_ms());
    app.post_json("/api/v1/collect", &other).await;
    assert_eq!(overview(&app).await["events"], 12);
    app.shutdown().await;
}

#[tokio::test]
async fn beacon_text_plain_and_gzip_bodies_are_accepted() {
    let app = TestApp::spawn().await;
    let text = native_batch("demo", "v1", "s1", "beacon", 5).to_string();
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("content-type", "text/plain;charset=UTF-8")
        .body(text)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        native_batch("demo", "v1", "s1", "gz", 5)
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(overview(&app).await["events"], 10);
    app.shutdown().await;
}

#[tokio::test]
async fn cors_preflights_are_answered() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/collect", "/api/track-behavior/"] {
        let r = app
            .client
            .request(reqwest::Method::OPTIONS, app.url(path))
            .header("origin", "https://shop.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-csrftoken")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://shop.example"
        );
        let allowed = r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(allowed.contains("x-csrftoken"), "{allowed}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn good_events_next_to_bad_ones_are_kept() {
    let app = TestApp::spawn().await;
    let t = now_ms();
    let batch = json!({
        "site": "demo", "visitor_id": "v", "session_id": "s",
        "events": [
            {"id": "ok-1", "ts": t, "type": "pageview", "url": "http://localhost/"},
            {"id": "bad-1", "ts": t, "type": "click", "x": "left", "y": 2, "selector": "#a"},
            {"id": "bad-2", "ts": t, "type": "teleport"},
            {"id": "bad-3", "ts": 12, "type": "move", "x": 1, "y": 1},
            {"id": "ok-2", "ts": t, "type": "purchase", "currency": "EUR", "value": "19.99", "transaction_id": "T1",
             "items": [{"item_id": "sku-1", "price": "19.99", "quantity": 1}]},
            {"id": "bad-4", "ts": t, "type": "purchase", "currency": "EUR", "value": 5},
        ]
    });
    let (status, body) = app.post_json("/api/v1/collect", &batch).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 2);
    let rejected = body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 4, "{body}");
    for (i, needle) in [
        (0, "events[1]"),
        (1, "events[2]"),
        (2, "events[3]"),
        (3, "events[5]"),
    ] {
        assert_eq!(rejected[i]["event"], needle, "{body}");
        assert!(!rejected[i]["reason"].as_str().unwrap().is_empty());
    }
    let o = overview(&app).await;
    assert_eq!(o["events"], 2);
    assert_eq!(o["events_by_type"]["commerce"], 1);
    app.shutdown().await;
}

/// One row of the bad-input table: what is sent, and the status and error code expected.
struct Bad {
    what: &'static str,
    content_type: Option<&'static str>,
    encoding: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn bad(what: &'static str, body: impl Into<Vec<u8>>, status: u16, code: &'static str) -> Bad {
    Bad {
        what,
        content_type: Some("application/json"),
        encoding: None,
        body: body.into(),
        status,
        code,
    }
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_names_the_problem() {
    let app = TestApp::spawn().await;
    let t = now_ms();
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(&vec![b' '; 32 << 20]).unwrap();
    let table = vec![
        bad("malformed JSON", "{\"site\": ", 400, "invalid_payload"),
        bad("not an object", "[1,2]", 400, "invalid_payload"),
        bad("missing events", json!({"site": "demo"}).to_string(), 400, "invalid_payload"),
        bad("events of wrong type", json!({"site": "demo", "events": 5}).to_string(), 400, "invalid_payload"),
        bad("missing site", json!({"events": []}).to_string(), 400, "invalid"),
        bad("site of wrong type", json!({"site": 7, "events": []}).to_string(), 400, "invalid_payload"),
        bad("unknown site", json!({"site": "nope", "events": [{"id": "a", "ts": t, "type": "move", "x": 1, "y": 1}]}).to_string(), 404, "unknown_site"),
        bad("every event bad", json!({"site": "demo", "events": [{"id": "a", "ts": t, "type": "nope"}]}).to_string(), 422, "all_events_rejected"),
        bad("empty body", "", 400, "empty_body"),
        bad("too many events", json!({"site": "demo", "events": (0..1001).map(|i| json!({"id": i.to_string(), "ts": t, "type": "move", "x": 1, "y": 1})).collect::<Vec<_>>()}).to_string(), 400, "invalid_payload"),
        bad("oversized body", vec![b' '; 2 << 20], 413, "body_too_large"),
        Bad { encoding: Some("gzip"), ..bad("decompression bomb", bomb.finish().unwrap(), 413, "body_too_large") },
        Bad { encoding: Some("gzip"), ..bad("broken gzip", b"\x1f\x8b garbage".to_vec(), 400, "bad_gzip") },
        Bad { encoding: Some("br"), ..bad("unknown encoding", b"x".to_vec(), 415, "unsupported_encoding") },
        Bad { content_type: Some("application/x-www-form-urlencoded"), ..bad("form body", "a=b", 415, "unsupported_media_type") },
        bad("bad visitor id", json!({"site": "demo", "visitor_id": "a\nb", "events": [{"id": "a", "ts": t, "type": "move", "x": 1, "y": 1}]}).to_string(), 400, "invalid"),
    ];
    for case in table {
        let mut req = app.client.post(app.url("/api/v1/collect")).body(case.body);
        if let Some(ct) = case.content_type {
            req = req.header("content-type", ct);
        }
        if let Some(enc) = case.encoding {
            req = req.header("content-encoding", enc);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: body is not JSON: {e}", case.what));
        assert_eq!(status, case.status, "{}: {body}", case.what);
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            code.starts_with(case.code),
            "{}: code {code:?} in {body}",
            case.what
        );
        assert!(
            !body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{}",
            case.what
        );
    }
    // Nothing of the above was stored, and the server still works.
    assert_eq!(overview(&app).await["events"], 0);
    let (status, _) = app
        .post_json(
            "/api/v1/collect",
            &native_batch("demo", "v", "s", "after", 3),
        )
        .await;
    assert_eq!(status, 202);
    app.shutdown().await;
}

#[tokio::test]
async fn a_slow_upload_gets_a_408() {
    let app = TestApp::spawn().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    tx.send(Ok(b"{\"site\":".to_vec())).await.unwrap();
    let stream = tokio_stream_from(rx);
    let started = std::time::Instant::now();
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 408);
    assert!(started.elapsed() >= Duration::from_secs(9));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "body_timeout");
    drop(tx);
    app.shutdown().await;
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn a_flooding_client_gets_429_with_retry_after() {
    let app = TestApp::spawn_with(|c| c.rate_limit_per_ip = 5, Tuning::default()).await;
    let mut limited = None;
    for i in 0..40 {
        let r = app
            .client
            .post(app.url("/api/v1/collect"))
            .json(&native_batch("demo", "v", "s", &format!("flood{i}"), 1))
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the limit was reached");
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    app.shutdown().await;
}

#[tokio::test]
async fn a_full_spool_answers_503_and_keeps_what_it_acknowledged() {
    // A writer that lingers for seconds lets the spool fill up.
    let tuning = Tuning {
        spool: Some(SpoolOptions {
            max_pending_bytes: 48 << 10,
            segment_bytes: 8 << 10,
            fsync: true,
        }),
        writer: WriterOptions {
            linger: Duration::from_secs(3),
            ..WriterOptions::default()
        },
    };
    let app = TestApp::spawn_with(|c| c.rate_limit_per_ip = 10_000, tuning).await;
    let mut acknowledged = 0;
    let mut refused = 0;
    for i in 0..200 {
        let r = app
            .client
            .post(app.url("/api/v1/collect"))
            .json(&native_batch(
                "demo",
                &format!("v{i}"),
                "s",
                &format!("full{i}"),
                10,
            ))
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            202 => acknowledged += 10,
            503 => {
                assert!(r.headers().contains_key("retry-after"));
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["error"]["code"], "unavailable");
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(refused > 0, "the spool never filled");
    assert!(acknowledged > 0);
    app.settle().await;
    let (_, o) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(
        o["events"], acknowledged,
        "every acknowledged event is stored, and nothing else"
    );
    app.shutdown().await;
}

async fn country_of_session(app: &TestApp, xff: &str, session: &str) -> Value {
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("x-forwarded-for", xff)
        .json(&native_batch("demo", session, session, session, 2))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    app.settle().await;
    let (_, list) = app.get_api("/api/v1/sites/demo/sessions?limit=500").await;
    let id = footfall::model::SessionId::from_client(
        &footfall::model::SiteId::parse("demo").unwrap(),
        session,
    );
    list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == id.to_string())
        .map(|s| s["country"].clone())
        .expect("session listed")
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_trusted_proxies() {
    let untrusted = TestApp::spawn().await;
    // The peer is loopback: no country, and the forwarded address is ignored.
    assert_eq!(
        country_of_session(&untrusted, "8.8.8.8", "direct").await,
        Value::Null
    );
    untrusted.shutdown().await;

    let trusted = TestApp::spawn_with(
        |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()],
        Tuning::default(),
    )
    .await;
    assert_eq!(
        country_of_session(&trusted, "1.1.1.1, 8.8.8.8", "proxied").await,
        "US"
    );
    trusted.shutdown().await;
}

#[tokio::test]
async fn one_flooding_site_does_not_slow_another() {
    let app = TestApp::spawn_with(
        |c| {
            c.rate_limit_per_site = 3;
            c.rate_limit_per_ip = 10_000;
        },
        Tuning::default(),
    )
    .await;
    let store = app.app.as_ref().unwrap().state().store.clone();
    store
        .insert_site(&footfall::model::Site {
            id: footfall::model::SiteId::parse("quiet").unwrap(),
            domains: vec!["quiet.example".into()],
            settings: Default::default(),
        })
        .unwrap();
    app.app
        .as_ref()
        .unwrap()
        .state()
        .sites
        .reload(store.as_ref())
        .unwrap();
    let mut limited = 0;
    for i in 0..30 {
        let (status, body) = app
            .post_json(
                "/api/v1/collect",
                &native_batch("demo", "v", "s", &format!("f{i}"), 1),
            )
            .await;
        if status == 429 {
            assert_eq!(body["error"]["code"], "rate_limited");
            limited += 1;
        }
    }
    assert!(limited > 0, "the flooding site was never limited");
    let (status, _) = app
        .post_json("/api/v1/collect", &native_batch("quiet", "v", "s", "q", 1))
        .await;
    assert_eq!(status, 202, "another site is unaffected");
    app.shutdown().await;
}
