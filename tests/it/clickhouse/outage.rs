//! One node through a ClickHouse outage: ingestion keeps acknowledging into the spool, and
//! nothing acknowledged is lost or stored twice. (A spool that fills up during an outage is
//! `crate::cluster`'s.)

use std::time::Duration;

use footfall::store::StoreError;
use footfall::store::clickhouse::{ClickHouseOptions, ClickHouseStore};

use super::fixtures::assert_totals;
use super::server::{OwnServer, store_config};
use crate::common::{TestApp, native_batch};

/// While ClickHouse is down, ingestion keeps acknowledging into the spool and the store
/// answers `Unavailable`; when it is back, the writer's retries store every acknowledged event
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_a_clickhouse_outage() {
    let mut server = OwnServer::start();
    let url = server.url();
    let app = TestApp::spawn_with(|c| c.store = store_config(&url, None), Default::default()).await;
    let first = native_batch("demo", "v1", "s1", "a", 10);
    let (status, _) = app.post_json("/api/v1/collect", &first).await;
    assert_eq!(status, 202);
    app.settle().await;

    server.kill();
    let probe = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let options = ClickHouseOptions::new(&url, None, None, "probe".into()).unwrap();
            ClickHouseStore::open(&options).err()
        })
        .await
        .unwrap()
    };
    assert!(
        matches!(probe, Some(StoreError::Unavailable { .. })),
        "{probe:?}"
    );
    for (session, prefix) in [("s2", "b"), ("s3", "c")] {
        let batch = native_batch("demo", "v2", session, prefix, 10);
        let (status, body) = app.post_json("/api/v1/collect", &batch).await;
        assert_eq!(
            status, 202,
            "accepted into the spool while ClickHouse is down: {body}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.assert_not_settled().await;

    let server = server.resumed().await;
    app.settle().await;
    assert_totals(&app, 3, 30).await;
    app.shutdown().await;
    drop(server);
}
