//! Several footfall nodes on one ClickHouse cluster, and one node through a ClickHouse outage:
//! every acknowledged event is stored exactly once, sessions that hop between nodes stay one
//! session, and a full spool answers 503 instead of dropping what it cannot keep.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use footfall::config::StoreConfig;
use footfall::model::{SessionId, SiteId};
use serde_json::{Value, json};

use crate::clickhouse::server::{CLUSTER, OwnServer, TwoShards, open_at, store_config};
use crate::common::{CHROME, TestApp, native_batch, now_ms};

/// A node on `store` that does not rate-limit the test's one client address.
async fn node(store: StoreConfig, spool_max_bytes: Option<u64>) -> TestApp {
    TestApp::spawn_with(
        move |c| {
            c.store = store;
            c.rate_limit_per_ip = 1_000_000;
            c.rate_limit_per_site = 1_000_000;
            if let Some(max) = spool_max_bytes {
                c.spool_max_bytes = max;
            }
        },
        Default::default(),
    )
    .await
}

/// Posts `batch` as a browser with `user_agent`; answers the status, the number of events
/// the answer says were accepted, the Retry-After header and the body.
async fn post(app: &TestApp, user_agent: &str, batch: &Value) -> (u16, u64, Option<String>, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("user-agent", user_agent)
        .json(batch)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    let accepted = body["accepted"].as_u64().unwrap_or(0);
    (status, accepted, retry_after, body)
}

/// A batch without visitor or session ids (cookieless: the server derives both) of `n`
/// pageviews on `/{path}/{i}` with ids `{path}-{part}-{i}`.
fn cookieless_batch(path: &str, part: usize, n: usize) -> Value {
    let t = now_ms() - 2_000;
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("{path}-{part}-{i}"), "ts": t + i as i64, "type": "pageview",
                   "url": format!("http://localhost/{path}/{i}"), "title": "Hop"})
        })
        .collect();
    json!({"site": "demo", "sent_at": now_ms(), "events": events})
}

fn count(url: &str, sql: &str) -> u64 {
    let store = open_at(url, "inspect");
    store.query_raw(sql).expect(sql)[0]
        .parse()
        .expect("a count")
}

/// Two footfall nodes, node A entering the cluster through shard 1 and node B through shard
/// 2, take traffic at the same time; some visits hop from one node to the other mid-visit,
/// with client ids and cookieless. Every acknowledged event is stored once, every visit is
/// one session, and both nodes report the same figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_two_shards_store_every_acknowledged_event_once() {
    let TwoShards {
        a: shard_a,
        b: shard_b,
    } = tokio::task::spawn_blocking(TwoShards::start).await.unwrap();
    let a = Arc::new(node(store_config(&shard_a.url(), Some(CLUSTER)), None).await);
    let b = Arc::new(node(store_config(&shard_b.url(), Some(CLUSTER)), None).await);
    let from = now_ms() - 86_400_000;
    let acknowledged = Arc::new(AtomicU64::new(0));

    // One batch through each node in turn first, so node B finds the daily salt node A made
    // (nodes that both make one at the same moment converge only after a recheck, a minute).
    for (app, prefix) in [(&a, "warm-a"), (&b, "warm-b")] {
        let (status, n, _, body) =
            post(app, CHROME, &native_batch("demo", "w", prefix, prefix, 3)).await;
        assert_eq!(status, 202, "{body}");
        acknowledged.fetch_add(n, Ordering::Relaxed);
    }

    // Eight senders with client ids: every batch goes to the other node than the one before,
    // so each of their sessions is split over both nodes. Event ids are unique.
    const SENDERS: usize = 8;
    const BATCHES: usize = 30;
    const SESSIONS_PER_SENDER: usize = 3;
    let mut tasks = Vec::new();
    for k in 0..SENDERS {
        let (a, b, acknowledged) = (a.clone(), b.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            let mut per_session = vec![0u64; SESSIONS_PER_SENDER];
            for i in 0..BATCHES {
                let app = if (k + i) % 2 == 0 { &a } else { &b };
                let s = i * SESSIONS_PER_SENDER / BATCHES;
                let batch = native_batch(
                    "demo",
                    &format!("v{k}"),
                    &format!("s{k}-{s}"),
                    &format!("e{k}-{i}"),
                    5,
                );
                let (status, n, _, body) = post(app, CHROME, &batch).await;
                assert_eq!(status, 202, "{body}");
                acknowledged.fetch_add(n, Ordering::Relaxed);
                per_session[s] += n;
            }
            per_session
        }));
    }
    // Three cookieless visitors (told apart by their user agents), each sending three batches
    // to node A and then three to node B: one visit each, which node B must continue.
    const HOPPERS: usize = 3;
    let mut hoppers = Vec::new();
    for h in 0..HOPPERS {
        let (a, b, acknowledged) = (a.clone(), b.clone(), acknowledged.clone());
        hoppers.push(tokio::spawn(async move {
            let ua = format!("{CHROME} Hopper/{h}");
            let mut sent = 0;
            for part in 0..6 {
                let app = if part < 3 { &a } else { &b };
                let (status, n, _, body) =
                    post(app, &ua, &cookieless_batch(&format!("hop{h}"), part, 4)).await;
                assert_eq!(status, 202, "{body}");
                acknowledged.fetch_add(n, Ordering::Relaxed);
                sent += n;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            sent
        }));
    }
    let mut per_session = Vec::new();
    for t in tasks {
        per_session.push(t.await.unwrap());
    }
    let mut per_hopper = Vec::new();
    for t in hoppers {
        per_hopper.push(t.await.unwrap());
    }
    a.settle().await;
    b.settle().await;
    let acknowledged = acknowledged.load(Ordering::Relaxed);
    assert_eq!(
        acknowledged,
        (6 + SENDERS * BATCHES * 5 + HOPPERS * 6 * 4) as u64
    );

    // Exactly once: the shards' local tables together hold every acknowledged event.
    let (url_a, url_b) = (shard_a.url(), shard_b.url());
    let (on_a, on_b) = tokio::task::spawn_blocking(move || {
        let sql = "SELECT count() FROM events_local";
        (count(&url_a, sql), count(&url_b, sql))
    })
    .await
    .unwrap();
    assert!(
        on_a > 0 && on_b > 0,
        "both shards hold events: {on_a} + {on_b}"
    );
    assert_eq!(on_a + on_b, acknowledged, "{on_a} + {on_b}");

    // Every cookieless hopper's visit is one session in the store.
    let url = shard_a.url();
    let hopper_sessions = tokio::task::spawn_blocking(move || {
        (0..HOPPERS)
            .map(|h| {
                count(
                    &url,
                    &format!(
                        "SELECT uniqExact(session_id) FROM events WHERE path LIKE '/hop{h}/%'"
                    ),
                )
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(
        hopper_sessions,
        vec![1; HOPPERS],
        "a cookieless visit that moved from node A to node B was split into sessions"
    );

    // Both nodes answer every report alike.
    let to = now_ms() + 3_600_000;
    let range = format!("from={from}&to={to}");
    let mut answers = Vec::new();
    for path in [
        format!("overview?{range}"),
        format!("sessions?{range}&limit=100"),
        format!("ecommerce?{range}"),
        format!("pages?{range}"),
        format!("engagement?{range}&by=visitor"),
    ] {
        let url = format!("/api/v1/sites/demo/{path}");
        let (status_a, on_a) = a.get_api(&url).await;
        let (status_b, on_b) = b.get_api(&url).await;
        assert_eq!((status_a, status_b), (200, 200), "{path}: {on_a} {on_b}");
        assert_eq!(on_a, on_b, "{path}: node A and node B disagree");
        answers.push(on_a);
    }

    // One session per visit in the merged session list, with both nodes' parts.
    let expected_sessions = 2 + SENDERS * SESSIONS_PER_SENDER + HOPPERS;
    assert_eq!(
        answers[0]["sessions"],
        json!(expected_sessions),
        "{}",
        answers[0]
    );
    assert_eq!(answers[0]["events"], json!(acknowledged), "{}", answers[0]);
    let list = &answers[1];
    assert_eq!(list["total"], json!(expected_sessions), "{list}");
    let rows = list["sessions"].as_array().expect("sessions");
    let demo = SiteId::parse("demo").unwrap();
    for (k, parts) in per_session.iter().enumerate() {
        for (s, events) in parts.iter().enumerate() {
            let id = SessionId::from_client(&demo, &format!("s{k}-{s}")).to_string();
            let found: Vec<&Value> = rows
                .iter()
                .filter(|r| r["session_id"].as_str() == Some(id.as_str()))
                .collect();
            assert_eq!(found.len(), 1, "session s{k}-{s} ({id}) in {list}");
            assert_eq!(found[0]["events"], json!(events), "s{k}-{s}");
        }
    }
    let mut hopper_rows: Vec<u64> = rows
        .iter()
        .filter(|r| r["events"] == json!(per_hopper[0]))
        .map(|r| r["events"].as_u64().unwrap())
        .collect();
    hopper_rows.sort_unstable();
    assert_eq!(hopper_rows.len(), HOPPERS, "the hoppers' sessions: {list}");

    for app in [a, b] {
        Arc::into_inner(app)
            .expect("no other owner")
            .shutdown()
            .await;
    }
    drop((shard_a, shard_b));
}

/// ClickHouse dies while a node takes traffic: the node acknowledges into its spool until the
/// spool is full, then answers 503 with Retry-After; once ClickHouse is back the spool drains
/// and the store holds exactly the acknowledged events, and the node accepts again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clickhouse_outage_fills_the_spool_then_answers_503_and_loses_nothing() {
    let mut server = tokio::task::spawn_blocking(OwnServer::start).await.unwrap();
    let url = server.url();
    let app = node(store_config(&url, None), Some(64 << 10)).await;
    let mut acknowledged = 0u64;
    let mut batches = 0usize;
    let mut next = |n: usize| {
        batches += 1;
        native_batch(
            "demo",
            &format!("v{}", batches % 7),
            &format!("s{}", batches / 10),
            &format!("o{batches}"),
            n,
        )
    };

    for _ in 0..5 {
        let (status, n, _, body) = post(&app, CHROME, &next(5)).await;
        assert_eq!(status, 202, "{body}");
        acknowledged += n;
    }
    app.settle().await;

    let server = {
        let killer = tokio::task::spawn_blocking(move || {
            server.kill();
            server
        });
        // A few batches while the server dies: the spool takes them whether ClickHouse still
        // answers or not. Only a few, so that however slowly the kill goes on a busy machine,
        // they cannot fill the spool before the outage part below.
        for _ in 0..3 {
            let (status, n, _, body) = post(&app, CHROME, &next(5)).await;
            assert_eq!(status, 202, "{body}");
            acknowledged += n;
        }
        killer.await.unwrap()
    };

    // Accepted into the spool until it is full, then refused with 503.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut accepted_in_outage = 0;
    let refusal = loop {
        assert!(Instant::now() < deadline, "the spool never filled");
        let (status, n, retry_after, body) = post(&app, CHROME, &next(5)).await;
        match status {
            202 => {
                acknowledged += n;
                accepted_in_outage += 1;
            }
            503 => break (retry_after, body),
            other => panic!("status {other}: {body}"),
        }
    };
    assert!(
        accepted_in_outage > 5,
        "{accepted_in_outage} batches spooled"
    );
    let (retry_after, body) = refusal;
    let secs: u64 = retry_after
        .expect("a 503 says when to retry")
        .parse()
        .expect("Retry-After in seconds");
    assert!(secs >= 1, "{secs}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    // Still full: still refused, nothing acknowledged.
    for _ in 0..3 {
        let (status, n, _, body) = post(&app, CHROME, &next(5)).await;
        assert_eq!((status, n), (503, 0), "{body}");
    }
    app.assert_not_settled().await;

    let server = server.resumed().await;
    app.settle_within(Duration::from_secs(120)).await;
    let stored = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            count(&url, "SELECT count() FROM events WHERE site = 'demo'")
        })
        .await
        .unwrap()
    };
    assert_eq!(stored, acknowledged, "no loss, no duplicates");

    // Accepting again.
    let (status, n, _, body) = post(&app, CHROME, &next(5)).await;
    assert_eq!(status, 202, "{body}");
    acknowledged += n;
    app.settle().await;
    let (status, o) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["events"], json!(acknowledged), "{o}");
    app.shutdown().await;
    drop(server);
}
