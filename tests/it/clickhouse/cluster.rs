//! `--clickhouse-cluster` at the store: two servers as two shards of one `remote_servers`
//! cluster, entered through either shard, give DuckDB's figures and pass the store checks.

use footfall::model::SessionId;
use footfall::query::engagement::EngagementPlan;
use footfall::query::live::LivePlan;
use footfall::query::pages::{PageSort, PagesPlan};
use footfall::query::zone::Zone;
use footfall::query::*;
use footfall::store::SettingsTable;
use footfall::store::prelude::*;

use super::appends::check_half_written_rollback;
use super::server::{OwnServer, TwoShards, open_at, open_cluster};
use crate::conformance::data::first_sessions;
use crate::conformance::{NOW, compare, filter_sets, fresh_duckdb, seed, site, store_ops};

/// Rows spread over both shards through `Distributed` tables, two footfall nodes entering
/// through different shards see the same data, and every report gives DuckDB's figures.
#[test]
fn a_two_shard_cluster_gives_the_same_figures_as_duckdb() {
    let TwoShards { a, b } = TwoShards::start();
    let node_a = open_cluster(&a.url(), "node-a");
    let node_b = open_cluster(&b.url(), "node-b");
    let (duck, _dir) = fresh_duckdb();
    seed(&[&duck, &node_a], 5_000, 4);

    // Each shard holds part of the events (sessions are kept whole on one shard).
    let local = |server: &OwnServer| {
        let plain = open_at(&server.url(), "inspect");
        let n: u64 = plain.query_raw("SELECT count() FROM events_local").unwrap()[0]
            .parse()
            .unwrap();
        let split: u64 = plain
            .query_raw(
                "SELECT count() FROM (SELECT session_id FROM events_local GROUP BY session_id) \
                 WHERE session_id NOT IN (SELECT session_id FROM session_parts_local)",
            )
            .unwrap()[0]
            .parse()
            .unwrap();
        assert_eq!(split, 0, "a session's rows are on one shard");
        n
    };
    let (on_a, on_b) = (local(&a), local(&b));
    assert!(on_a > 0 && on_b > 0, "{on_a} + {on_b}");
    assert_eq!(on_a + on_b, duck.count_events(&site("demo")).unwrap());

    let range = TimeRange::new(NOW - 3 * 86_400_000, NOW).unwrap();
    let mut sets = filter_sets(&duck, range);
    sets.truncate(12);
    for (node, ch) in [("a", &node_a), ("b", &node_b)] {
        for filters in &sets {
            let what = |report: &str| format!("cluster {node} {report} {filters:?}");
            let overview = OverviewPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                granularity: Granularity::Day,
                zone: Zone::parse("Europe/Berlin").unwrap(),
                top: 5,
                previous_series: false,
            };
            compare(&what("overview"), &duck, ch, |s| s.overview(&overview));
            let sessions = SessionListPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                sort: SessionSort::LongestFirst,
                limit: 10,
                offset: 3,
            };
            compare(&what("sessions"), &duck, ch, |s| s.sessions(&sessions));
            let ecommerce = footfall::query::ecommerce::EcommercePlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                product_limit: 5,
                granularity: Granularity::Day,
                zone: Zone::default(),
            };
            compare(&what("ecommerce"), &duck, ch, |s| s.ecommerce(&ecommerce));
            let pages = PagesPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                sort: PageSort::Time,
                limit: 10,
                offset: 0,
            };
            compare(&what("pages"), &duck, ch, |s| s.pages(&pages));
            let engagement = EngagementPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                by: Default::default(),
                sort: Default::default(),
                search: None,
                limit: 10,
                offset: 0,
                zone: Zone::default(),
            };
            compare(&what("engagement"), &duck, ch, |s| {
                s.engagement(&engagement)
            });
            let live = LivePlan {
                site: site("demo"),
                now_ms: NOW - 3_600_000,
                filters: filters.clone(),
                events: 20,
            };
            compare(&what("live"), &duck, ch, |s| s.live(&live));
        }
    }
    let some = first_sessions(
        &duck,
        range,
        Filters::default(),
        SessionSort::MostEventsFirst,
        5,
    );
    for s in &some.sessions {
        let plan = SessionDetailPlan {
            site: site("demo"),
            session: SessionId::parse_hex(&s.session_id).unwrap(),
        };
        compare("cluster session detail", &duck, &node_b, |s| {
            s.session_detail(&plan)
        });
    }

    // Metadata written through one node is read through the other; spool positions are per
    // node; a second database passes the store checks on the cluster.
    store_ops::metadata(&node_a);
    assert_eq!(node_b.sites().unwrap(), node_a.sites().unwrap());
    assert_eq!(node_b.users().unwrap(), node_a.users().unwrap());
    assert_eq!(node_b.applied_spool_seq().unwrap(), 0);
    assert!(node_a.applied_spool_seq().unwrap() > 0);
    // Shared cookieless sessions are forgotten on every shard (the settings rows land on
    // either shard at random).
    for k in 0..8 {
        node_a
            .set_setting(&format!("session:{k:016x}"), "t1:1")
            .unwrap();
    }
    node_b.set_setting("not-a-session", "kept").unwrap();
    node_b
        .forget_shared_sessions(footfall::clock::now_ms() + 1_000)
        .unwrap();
    for k in 0..8 {
        assert_eq!(node_a.setting(&format!("session:{k:016x}")).unwrap(), None);
    }
    assert_eq!(
        node_a.setting("not-a-session").unwrap().as_deref(),
        Some("kept")
    );
    let other = open_cluster(&a.url().replace("/footfall", "/footfall_checks"), "node-c");
    store_ops::append_and_positions(&other);
    // A half-written append is deleted from every shard when its node restarts.
    let url = a.url().replace("/footfall", "/footfall_rollback");
    check_half_written_rollback(&|node| open_cluster(&url, node));
}
