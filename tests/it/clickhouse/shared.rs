//! Footfall nodes sharing one database: the schema is migrated once, each node keeps its own
//! spool position, and the cookieless sessions they share are forgotten after their time.

use footfall::store::SettingsTable;
use footfall::store::prelude::*;

use super::server::{fresh_clickhouse, fresh_url, open_at};
use crate::conformance::{fresh_duckdb, site, small_batch};

#[test]
fn migrations_run_once_and_a_second_node_shares_the_schema() {
    let url = fresh_url();
    let a = open_at(&url, "node-a");
    let b = open_at(&url, "node-b");
    assert_eq!(
        a.query_raw("SELECT count() FROM schema_migrations")
            .unwrap(),
        vec!["1"]
    );
    assert_eq!(a.sites().unwrap().len(), 1);
    assert_eq!(b.sites().unwrap(), a.sites().unwrap());
}

/// Shared cookieless sessions written before the cutoff are deleted; later ones and every
/// other setting stay.
#[test]
fn stale_shared_sessions_are_forgotten() {
    let store = fresh_clickhouse();
    let pause = || std::thread::sleep(std::time::Duration::from_millis(20));
    store.set_setting("not-a-session", "kept").unwrap();
    store
        .set_setting("session:00000000000000aa", "told:1")
        .unwrap();
    pause();
    let cutoff = footfall::clock::now_ms();
    pause();
    store
        .set_setting("session:00000000000000bb", "tnew:2")
        .unwrap();
    store.forget_shared_sessions(cutoff).unwrap();
    assert_eq!(store.setting("session:00000000000000aa").unwrap(), None);
    assert_eq!(
        store
            .setting("session:00000000000000bb")
            .unwrap()
            .as_deref(),
        Some("tnew:2")
    );
    assert_eq!(
        store.setting("not-a-session").unwrap().as_deref(),
        Some("kept")
    );
    // DuckDB is never shared and keeps none; the call is a no-op there.
    let (duck, _dir) = fresh_duckdb();
    duck.set_setting("session:00000000000000aa", "t:1").unwrap();
    duck.forget_shared_sessions(i64::MAX).unwrap();
    assert!(duck.setting("session:00000000000000aa").unwrap().is_some());
}

#[test]
fn each_node_records_its_own_spool_position() {
    let url = fresh_url();
    let a = open_at(&url, "node-a");
    let b = open_at(&url, "node-b");
    a.append(&[small_batch("s1", 1, 1_795_560_120_000, 2)], Some(5))
        .unwrap();
    b.append(&[small_batch("s2", 11, 1_795_560_120_000, 2)], Some(2))
        .unwrap();
    assert_eq!(a.applied_spool_seq().unwrap(), 5);
    assert_eq!(b.applied_spool_seq().unwrap(), 2);
    assert_eq!(open_at(&url, "node-c").applied_spool_seq().unwrap(), 0);
    // Both nodes' events are in the shared tables.
    assert_eq!(a.count_events(&site("demo")).unwrap(), 4);
}
