//! Acknowledged means durable: `kill -9` the real binary under load, restart it, and check that
//! every acknowledged event is stored exactly once.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use footfall::model::hash64;
use footfall::store::duckdb::{DuckDbOptions, DuckDbStore};
use footfall::store::prelude::*;
use parking_lot::Mutex;

use crate::common::native_batch;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_footfall"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--rate-limit-per-ip",
            "100000",
        ])
        .arg("--data-dir")
        .arg(dir)
        .env("FOOTFALL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("footfall starts")
}

async fn wait_healthy(client: &reqwest::Client, base: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && let Ok(v) = r.json::<serde_json::Value>().await
        {
            return v;
        }
        assert!(Instant::now() < deadline, "footfall did not become healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut child = start(dir.path(), port);
    wait_healthy(&client, &base).await;

    // Eight senders post 20-event batches until the server dies under them.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut senders = Vec::new();
    for w in 0..8 {
        let (client, base, acked) = (client.clone(), base.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for i in 0.. {
                let prefix = format!("w{w}-b{i}");
                let batch = native_batch("demo", &format!("v{w}"), &format!("s{w}"), &prefix, 20);
                match client
                    .post(format!("{base}/api/v1/collect"))
                    .json(&batch)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 202 => {
                        acked
                            .lock()
                            .extend((0..20).map(|e| format!("{prefix}-{e}")));
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().expect("kill -9"); // SIGKILL: no chance to flush anything
    child.wait().unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked = acked.lock().clone();
    assert!(
        acked.len() > 1000,
        "too little load to prove anything: {}",
        acked.len()
    );

    // Restart: the spool replays into the store; then stop cleanly and inspect the database.
    let mut child = start(dir.path(), port);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let h = wait_healthy(&client, &base).await;
        if h["spool_applied_seq"] == h["spool_committed_seq"] {
            break;
        }
        assert!(Instant::now() < deadline, "replay did not finish: {h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    unsafe_sigterm(&child);
    child.wait().unwrap();

    let store = DuckDbStore::open(&dir.path().join("db"), &DuckDbOptions::default()).unwrap();
    let stored = store.recent_event_ids(10_000_000).unwrap();
    let distinct: HashSet<u64> = stored.iter().copied().collect();
    assert_eq!(distinct.len(), stored.len(), "some event was stored twice");
    let missing = acked
        .iter()
        .filter(|id| !distinct.contains(&hash64(&[b"event", b"demo", id.as_bytes()])))
        .count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged events were lost",
        acked.len()
    );
    eprintln!(
        "kill -9 test: {} acknowledged, {} stored, 0 lost, 0 duplicated",
        acked.len(),
        stored.len()
    );
}

/// Sends SIGTERM (graceful shutdown) via the `kill` command, avoiding an unsafe libc call.
fn unsafe_sigterm(child: &Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}
