//! Idempotent appends: an append that fails half-way, retried with the same spool position or
//! replayed by the writer after the node restarts, stores every row exactly once, as DuckDB
//! shows.

use footfall::model::Batch;
use footfall::query::zone::Zone;
use footfall::query::{Filters, Granularity, OverviewPlan, TimeRange};
use footfall::seed::generate;
use footfall::store::StoreError;
use footfall::store::clickhouse::{ClickHouseOptions, ClickHouseStore};
use footfall::store::prelude::*;

use super::server::{fresh_clickhouse, fresh_url, open_at};
use crate::conformance::{NOW, compare, fresh_duckdb, seed_options, site};

/// `events` seeded events of the last day, in the chunks of `chunk` events the writer appends.
fn seeded_chunks(events: u64, chunk: usize) -> Vec<Vec<Batch>> {
    let mut chunks = Vec::new();
    generate(&seed_options(events, 1), chunk, |b| {
        chunks.push(b);
        Ok::<_, StoreError>(())
    })
    .unwrap();
    chunks
}

/// Requires the same overview of the last day, bots included, and the same number of events
/// from both stores.
fn same_figures(what: &str, duck: &dyn Store, ch: &dyn Store) {
    let plan = OverviewPlan {
        site: site("demo"),
        range: TimeRange::new(NOW - 86_400_000, NOW).unwrap(),
        filters: Filters {
            include_bots: true,
            conditions: Vec::new(),
        },
        granularity: Granularity::Hour,
        zone: Zone::default(),
        top: 10,
        previous_series: false,
    };
    compare(what, duck, ch, |s| s.overview(&plan));
    assert_eq!(
        duck.count_events(&site("demo")).unwrap(),
        ch.count_events(&site("demo")).unwrap()
    );
}

/// An append that fails half-way (here: a table missing after the events were inserted) and
/// is retried with the same spool position stores every row exactly once.
#[test]
fn a_retried_append_after_a_partial_failure_stores_each_row_once() {
    check_retried_append(fresh_clickhouse());
}

/// The same with every table's rows sent in inserts of at most 7 rows: some inserts of the
/// chunk land before the failure, and the retry sends exactly the others.
#[test]
fn a_retried_append_split_into_small_inserts_stores_each_row_once() {
    let mut options = ClickHouseOptions::new(&fresh_url(), None, None, "node-a".into()).unwrap();
    options.max_insert_rows = 7;
    check_retried_append(ClickHouseStore::open(&options).unwrap());
}

fn check_retried_append(ch: ClickHouseStore) {
    let (duck, _dir) = fresh_duckdb();
    let chunks = seeded_chunks(1_500, 500);
    for (i, batches) in chunks.iter().enumerate() {
        let seq = i as u64 + 1;
        duck.append(batches, Some(seq)).unwrap();
        if i == 1 {
            ch.execute_raw("RENAME TABLE session_parts TO parked")
                .unwrap();
            let failed = ch.append(batches, Some(seq));
            assert!(failed.is_err(), "the sabotaged append fails");
            assert_eq!(ch.applied_spool_seq().unwrap(), seq - 1);
            ch.execute_raw("RENAME TABLE parked TO session_parts")
                .unwrap();
        }
        ch.append(batches, Some(seq)).unwrap();
    }
    assert_eq!(ch.applied_spool_seq().unwrap(), chunks.len() as u64);
    for table in ["events", "items", "batches", "identities", "session_parts"] {
        let dups = ch
            .query_raw(&format!(
                "SELECT count() FROM (SELECT chunk, {k} FROM {table} GROUP BY chunk, {k} HAVING count() > 1)",
                k = if table == "events" { "eid" } else { "row" }
            ))
            .unwrap();
        assert_eq!(dups, vec!["0"], "duplicate rows in {table}");
    }
    same_figures("overview after a retried append", &duck, &ch);
}

/// A node stopped half-way through an append (its spool position not recorded) replays those
/// spool records after a restart; the half-written rows are deleted on open, so the replay
/// stores everything exactly once, even though the writer skips events it finds stored.
#[test]
fn a_half_written_append_is_rolled_back_when_the_node_restarts() {
    let url = fresh_url();
    check_half_written_rollback(&|node| open_at(&url, node));
}

/// The body of the test above, for a store opened by `open(node)` (one server or a cluster).
pub(super) fn check_half_written_rollback(open: &dyn Fn(&str) -> ClickHouseStore) {
    let (duck, _dir) = fresh_duckdb();
    let chunks = seeded_chunks(1_000, 400);
    assert!(chunks.len() >= 2);
    for (i, batches) in chunks.iter().enumerate() {
        duck.append(batches, Some(i as u64 + 1)).unwrap();
    }
    let first = open("node-a");
    first.append(&chunks[0], Some(1)).unwrap();
    first.execute_raw("RENAME TABLE batches TO parked").unwrap();
    assert!(first.append(&chunks[1], Some(2)).is_err());
    first.execute_raw("RENAME TABLE parked TO batches").unwrap();
    let partial = first.count_events(&site("demo")).unwrap();
    assert!(partial > 0);
    drop(first);

    // Another node's rows are never touched by this node's recovery.
    let other = open("node-b");
    assert_eq!(other.count_events(&site("demo")).unwrap(), partial);

    let restarted = open("node-a");
    assert_eq!(restarted.applied_spool_seq().unwrap(), 1);
    let stored: std::collections::HashSet<u64> = restarted
        .recent_event_ids(1_000_000)
        .unwrap()
        .into_iter()
        .collect();
    // What the writer replays: records after the recorded position, minus stored events.
    for (i, batches) in chunks.iter().enumerate().skip(1) {
        let mut replay = batches.clone();
        for b in &mut replay {
            b.events.retain(|e| !stored.contains(&e.eid));
        }
        replay.retain(|b| !b.events.is_empty());
        restarted.append(&replay, Some(i as u64 + 1)).unwrap();
    }
    same_figures("overview after a restart", &duck, &restarted);
}
