//! Retention: sessions that started before the cutoff are deleted whole, the same way in both
//! stores, and a second run finds nothing left to delete.

use footfall::query::zone::Zone;
use footfall::query::{Filters, Granularity, OverviewPlan, TimeRange};
use footfall::retention::run_once;
use footfall::store::prelude::*;

use crate::clickhouse::fresh_clickhouse;
use crate::conformance::{NOW, fresh_duckdb, same, seed, site};

const DAY: i64 = 86_400_000;

fn overview(store: &dyn Store, from: i64, to: i64) -> footfall::query::Overview {
    store
        .overview(&OverviewPlan {
            site: site("demo"),
            range: TimeRange::new(from, to).expect("range"),
            filters: Filters::default(),
            granularity: Granularity::Day,
            zone: Zone::default(),
            top: 5,
            previous_series: false,
        })
        .expect("overview")
}

#[test]
fn retention_deletes_old_sessions_whole_in_both_stores() {
    let (duck, _dir) = fresh_duckdb();
    let ch = fresh_clickhouse();
    seed(&[&duck, &ch], 6_000, 10);
    let before = duck.count_events(&site("demo")).unwrap();
    assert_eq!(before, ch.count_events(&site("demo")).unwrap());

    let deleted = run_once(&duck, 5, NOW).unwrap();
    assert!(
        deleted > 0,
        "ten days of traffic have sessions older than five days"
    );
    assert_eq!(run_once(&ch, 5, NOW).unwrap(), deleted);

    let after = duck.count_events(&site("demo")).unwrap();
    assert!(
        after > 0 && after < before,
        "{after} of {before} events left"
    );
    assert_eq!(ch.count_events(&site("demo")).unwrap(), after);

    let cutoff = NOW - 5 * DAY;
    for (name, store) in [("duckdb", &duck as &dyn Store), ("clickhouse", &ch)] {
        let old = overview(store, NOW - 11 * DAY, cutoff);
        assert_eq!(
            (old.totals.sessions, old.totals.events),
            (0, 0),
            "{name}: nothing starts before the cutoff"
        );
    }
    same(
        "overview after retention",
        &overview(&duck, NOW - 11 * DAY, NOW + 1),
        &overview(&ch, NOW - 11 * DAY, NOW + 1),
    );

    assert_eq!(run_once(&duck, 5, NOW).unwrap(), 0);
    assert_eq!(run_once(&ch, 5, NOW).unwrap(), 0);
}
