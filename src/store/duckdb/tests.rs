//! The embedded store's own checks: error classification, migrations, appends and session
//! merges, sites and settings, on small hand-made data (the figures both stores must agree on
//! are in `tests/it/conformance/`).

use super::*;

#[test]
fn duckdb_failures_are_classified_by_their_exception_type() {
    let failure = |m: &str| {
        duckdb::Error::DuckDBFailure(
            duckdb::ffi::Error::new(duckdb::ffi::DuckDBError),
            Some(m.to_owned()),
        )
    };
    let class = |m: &str| classify(&failure(m));
    assert_eq!(
        class("Constraint Error: Duplicate key \"id: a\" violates primary key constraint."),
        DuckDbErrorClass::Duplicate
    );
    assert_eq!(
        class("Constraint Error: PRIMARY KEY or UNIQUE constraint violated: duplicate key \"a\""),
        DuckDbErrorClass::Duplicate
    );
    assert_eq!(
        class("Constraint Error: NOT NULL constraint failed: sites.id"),
        DuckDbErrorClass::Other
    );
    assert_eq!(
        class("IO Error: No space left on device"),
        DuckDbErrorClass::Resources
    );
    assert_eq!(
        class("TransactionContext Error: Failed to commit: IO Error: Could not write file"),
        DuckDbErrorClass::Resources
    );
    assert_eq!(
        class("Out of Memory Error: could not allocate block of size 256 KiB"),
        DuckDbErrorClass::Resources
    );
    assert_eq!(
        class("Parser Error: syntax error at or near \"x\""),
        DuckDbErrorClass::Other
    );
    assert_eq!(
        class("Binder Error: column \"IO Error\" not found"),
        DuckDbErrorClass::Other
    );
    assert_eq!(
        classify(&duckdb::Error::QueryReturnedNoRows),
        DuckDbErrorClass::Other
    );
}
use crate::model::*;

fn batch(site: &str, events: Vec<EventData>) -> Batch {
    let site = SiteId::parse(site).unwrap();
    Batch {
        visitor: VisitorId::from_client(&site, "v"),
        session: SessionId::from_client(&site, "s"),
        site,
        user_id: None,
        received_ms: 1_700_000_000_000,
        client: ClientInfo::default(),
        source: TrafficSource::default(),
        events: events
            .into_iter()
            .enumerate()
            .map(|(i, data)| Event {
                eid: i as u64 + 1,
                ts_ms: 1_700_000_000_000 + i as i64,
                url: "https://shop.example/cart?x=1".into(),
                data,
            })
            .collect(),
    }
}

fn open(dir: &Path) -> DuckDbStore {
    DuckDbStore::open(dir, &DuckDbOptions::default()).unwrap()
}

#[test]
fn migrations_run_once_and_every_database_has_the_demo_site() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let sites = store.sites().unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].id.as_str(), "demo");
    assert_eq!(sites[0].domains, vec!["localhost", "127.0.0.1"]);
    drop(store);
    let again = open(dir.path());
    assert_eq!(again.sites().unwrap().len(), 1);
    let versions: i64 = again
        .writer
        .lock()
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions as usize, schema::MIGRATIONS.len());
}

#[test]
fn purchases_are_stored_as_item_rows_with_exact_amounts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let eur = Currency::parse("EUR").unwrap();
    let item = |id: &str, price: i64, quantity: i64| Item {
        item_id: id.into(),
        item_name: Some(format!("name of {id}")),
        item_category: None,
        item_brand: None,
        item_variant: None,
        price_minor: Some(price),
        quantity,
    };
    let purchase = EventData::Commerce(Commerce {
        action: CommerceAction::Purchase,
        currency: Some(eur),
        value_minor: Some(4997),
        transaction_id: Some("T-1".into()),
        items: vec![item("sku-1", 1999, 2), item("sku-2", 999, 1)],
    });
    store
        .append(&[batch("demo", vec![purchase])], Some(7))
        .unwrap();
    let conn = store.writer.lock();
    let (rows, revenue, txn): (i64, i64, String) = conn
            .query_row(
                "SELECT count(*), sum(price_minor * quantity)::BIGINT, any_value(transaction_id) FROM items",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
    assert_eq!((rows, revenue, txn.as_str()), (2, 4997, "T-1"));
    let (value, currency, path): (i64, String, String) = conn
        .query_row("SELECT value_minor, currency, path FROM events", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(
        (value, currency.as_str(), path.as_str()),
        (4997, "EUR", "/cart")
    );
    drop(conn);
    assert_eq!(store.applied_spool_seq().unwrap(), 7);
}

/// Ingested appends remember their event ids, newest first, and the table is cut back to
/// the window once it holds half a window more; seeded appends remember nothing.
#[test]
fn recent_ids_remember_ingested_events_within_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let options = DuckDbOptions {
        recent_ids: 4,
        ..DuckDbOptions::default()
    };
    let store = DuckDbStore::open(dir.path(), &options).unwrap();
    let moves = |first: u64, n: u64| {
        let mut b = batch("demo", vec![pointer(1, 2); n as usize]);
        for (k, e) in b.events.iter_mut().enumerate() {
            e.eid = first + k as u64;
        }
        b
    };
    store.append(&[moves(100, 3)], None).unwrap();
    assert_eq!(store.recent_event_ids(10).unwrap(), Vec::<u64>::new());
    store.append(&[moves(200, 3)], Some(1)).unwrap();
    store.append(&[moves(300, 3)], Some(2)).unwrap();
    // 6 ids: not yet above 4 + 2.
    assert_eq!(
        store.recent_event_ids(10).unwrap(),
        vec![302, 301, 300, 202, 201, 200]
    );
    store.append(&[moves(400, 2)], Some(3)).unwrap();
    // 8 ids: everything older than the 5th newest (seq 2) goes.
    assert_eq!(
        store.recent_event_ids(10).unwrap(),
        vec![401, 400, 302, 301, 300]
    );
    assert_eq!(store.recent_event_ids(2).unwrap(), vec![401, 400]);
    assert_eq!(
        store.count_events(&SiteId::parse("demo").unwrap()).unwrap(),
        11
    );
}

/// Events of the same millisecond keep their order in the batch (the sort is stable and
/// `rowid` breaks the tie), whichever append and session order put them in the table.
#[test]
fn events_of_one_millisecond_keep_their_batch_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    // Not in alphabetical order, so that ordering by kind would not pass.
    let kinds = [
        EventData::Visibility { visible: false },
        EventData::Key {
            class: KeyClass::Letter,
            raw: None,
        },
        pointer(1, 2),
    ];
    let mut b = batch("demo", kinds.to_vec());
    let mut other = batch("demo", vec![pointer(3, 4)]);
    other.session = SessionId(1);
    for e in b.events.iter_mut().chain(other.events.iter_mut()) {
        e.ts_ms = 1_700_000_000_000;
    }
    store.append(&[other, b.clone()], Some(1)).unwrap();
    let detail = store
        .session_detail(&SessionDetailPlan {
            site: b.site.clone(),
            session: b.session,
        })
        .unwrap()
        .unwrap();
    let got: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(got, ["visibility", "key", "move"]);
}

/// Migration 6 moves the newest ids out of `events` into `recent_ids` and drops the column.
#[test]
fn migration_6_keeps_the_newest_event_ids() {
    let conn = Connection::open_in_memory().unwrap();
    for sql in &schema::MIGRATIONS[..5] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(
        "INSERT INTO events (site, ts, eid, visitor_id, session_id, bot, kind, path) VALUES
               ('demo', '2026-01-01 10:00:02', 12, 1, 1, false, 'click', '/'),
               ('demo', '2026-01-01 10:00:00', 10, 1, 1, false, 'click', '/'),
               ('demo', '2026-01-01 10:00:01', 11, 1, 1, false, 'click', '/');",
    )
    .unwrap();
    conn.execute_batch(schema::MIGRATIONS[5]).unwrap();
    assert_eq!(
        write::recent_event_ids(&conn, 10).unwrap(),
        vec![12, 11, 10]
    );
    let has_eid: i64 = conn
            .query_row(
                "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'events' AND column_name = 'eid'",
                [],
                |r| r.get(0),
            )
            .unwrap();
    assert_eq!(has_eid, 0);
}

#[test]
fn a_failed_append_stores_nothing_and_keeps_the_spool_position() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .append(&[batch("demo", vec![pointer(1, 2)])], Some(3))
        .unwrap();
    // Sabotage the items table so the second half of the transaction fails.
    store
        .writer
        .lock()
        .execute_batch("DROP TABLE items")
        .unwrap();
    let purchase = EventData::Commerce(Commerce {
        action: CommerceAction::AddToCart,
        currency: None,
        value_minor: None,
        transaction_id: None,
        items: vec![Item {
            item_id: "a".into(),
            item_name: None,
            item_category: None,
            item_brand: None,
            item_variant: None,
            price_minor: None,
            quantity: 1,
        }],
    });
    assert!(
        store
            .append(&[batch("demo", vec![purchase])], Some(4))
            .is_err()
    );
    assert_eq!(
        store.count_events(&SiteId::parse("demo").unwrap()).unwrap(),
        1
    );
    assert_eq!(store.applied_spool_seq().unwrap(), 3);
}

#[test]
fn sites_and_settings_round_trip_and_conflicts_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut site = Site {
        id: SiteId::parse("shop").unwrap(),
        domains: vec!["shop.example".into()],
        settings: SiteSettings::default(),
    };
    store.insert_site(&site).unwrap();
    assert!(matches!(store.insert_site(&site), Err(StoreError::Conflict(m)) if m.contains("shop")));
    site.settings = SiteSettings {
        raw_keys: true,
        ip_mode: IpMode::Hash,
    };
    store.update_site(&site).unwrap();
    let stored = store
        .sites()
        .unwrap()
        .into_iter()
        .find(|s| s.id == site.id)
        .unwrap();
    assert_eq!(stored, site);
    assert_eq!(store.setting("k").unwrap(), None);
    store.set_setting("k", "1").unwrap();
    store.set_setting("k", "2").unwrap();
    assert_eq!(store.setting("k").unwrap().as_deref(), Some("2"));
}

/// A session's row in `sessions` folds every append of its batches, in any order: figures
/// add up, times and pages span them all, and attributes are the earliest batch's.
#[test]
fn session_rows_merge_batches_from_separate_appends() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let t0 = 1_700_000_000_000;
    let at = |offset: i64, country: &str, events: Vec<(i64, &str, EventData)>| {
        let mut b = batch("demo", Vec::new());
        b.client.country = Some(country.into());
        b.events = events
            .into_iter()
            .map(|(ms, path, data)| Event {
                eid: (offset + ms) as u64,
                ts_ms: t0 + offset + ms,
                url: format!("https://shop.example{path}"),
                data,
            })
            .collect();
        b
    };
    let pageview = || EventData::Pageview {
        url: String::new(),
        title: None,
        referrer: None,
    };
    let click = || EventData::Click {
        x: 1,
        y: 2,
        page_y: None,
        selector: "#a".into(),
        text: None,
        offset: None,
        viewport: None,
        fixed: false,
        dead: false,
    };
    let scroll = |d: u8| EventData::Scroll {
        x: 0,
        y: 0,
        depth_pct: Some(d),
        viewport_height: None,
    };
    let later = at(
        1_000,
        "FR",
        vec![
            (0, "/b", pageview()),
            (1, "/b", click()),
            (2, "/b", scroll(40)),
        ],
    );
    let mut earlier = at(
        0,
        "DE",
        vec![
            (0, "/a", pageview()),
            (5, "/a", EventData::Engagement { engaged_ms: 500 }),
        ],
    );
    earlier.user_id = Some("u1".into());
    let last = at(
        5_000,
        "US",
        vec![
            (0, "/c", pageview()),
            (1, "/c", click()),
            (2, "/c", scroll(80)),
        ],
    );
    let move_ = at(6_000, "US", vec![(0, "/c", pointer(1, 1))]);
    store.append(&[later], None).unwrap();
    store.append(&[earlier], None).unwrap();
    store.append(&[last, move_], None).unwrap();

    let conn = store.writer.lock();
    let row: (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i16,
        String,
        String,
        String,
        String,
    ) = conn
        .query_row(
            "SELECT count(*) OVER (), epoch_ms(ts), epoch_ms(last_ts), events, pageviews,
                        clicks, engaged_ms, max_depth, entry_page, exit_page, country, user_id
                 FROM sessions",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row,
        (
            1,
            t0,
            t0 + 6_000,
            9,
            3,
            2,
            500,
            80,
            "/a".into(),
            "/c".into(),
            "DE".into(),
            "u1".into()
        )
    );
    let staged: i64 = conn
        .query_row("SELECT count(*) FROM sessions_staging", [], |r| r.get(0))
        .unwrap();
    assert_eq!(staged, 0);
}

/// A database written before migrations 2 and 3 (attributes on every batch row) comes out
/// with one `sessions` row per session carrying its figures and first attributes.
#[test]
fn migrations_fold_version_1_batch_rows_into_session_rows() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
    conn.execute_batch(
        "INSERT INTO session_meta (site, session_id, visitor_id, ts, received_at, browser,
                 browser_version, os, device, bot, country, last_ts, events, pageviews,
                 engaged_ms, entry_page, exit_page) VALUES
               ('demo', 7, 70, '2026-01-01 10:05:00', '2026-01-01 10:06:00', 'Firefox', '1',
                'Linux', 'desktop', false, 'FR', '2026-01-01 10:09:00', 2, 1, 0, '/b', '/b'),
               ('demo', 7, 70, '2026-01-01 10:00:00', '2026-01-01 10:01:00', 'Chrome', '1',
                'Linux', 'desktop', false, 'DE', '2026-01-01 10:02:00', 3, 1, 400, '/a', '/a');
             INSERT INTO events (site, ts, eid, visitor_id, session_id, user_id, bot, kind, path,
                 depth) VALUES
               ('demo', '2026-01-01 10:00:00', 1, 70, 7, NULL, false, 'pageview', '/a', NULL),
               ('demo', '2026-01-01 10:01:00', 2, 70, 7, 'u9', false, 'click', '/a', NULL),
               ('demo', '2026-01-01 10:02:00', 3, 70, 7, NULL, false, 'scroll', '/a', 55),
               ('demo', '2026-01-01 10:05:00', 4, 70, 7, NULL, false, 'pageview', '/b', NULL),
               ('demo', '2026-01-01 10:09:00', 5, 70, 7, NULL, false, 'click', '/b', NULL);",
    )
    .unwrap();
    for sql in &schema::MIGRATIONS[1..] {
        conn.execute_batch(sql).unwrap();
    }
    let row: (
        i64,
        i64,
        i64,
        i64,
        i16,
        String,
        String,
        String,
        String,
        String,
    ) = conn
        .query_row(
            "SELECT count(*) OVER (), events, pageviews, clicks, max_depth, entry_page,
                        exit_page, browser, country, user_id FROM sessions",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row,
        (
            1,
            5,
            2,
            2,
            55,
            "/a".into(),
            "/b".into(),
            "Chrome".into(),
            "DE".into(),
            "u9".into()
        )
    );
}

/// A pointer sample with only its viewport position.
fn pointer(x: i32, y: i32) -> EventData {
    EventData::Move {
        x,
        y,
        page_y: None,
        viewport_width: None,
    }
}

#[test]
fn a_rage_burst_and_an_error_click_are_derived_from_stored_clicks() {
    use crate::query::frustration::{FrustrationPlan, Thresholds};
    use crate::query::heatmap::{HeatmapKind, HeatmapPlan, WidthRange};
    use crate::query::{Filters, TimeRange};
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let click = |x| EventData::Click {
        x,
        y: 10,
        page_y: Some(10),
        selector: "#pay".into(),
        text: None,
        offset: None,
        viewport: None,
        fixed: false,
        dead: false,
    };
    let error = EventData::Error {
        message: "boom".into(),
        source: None,
        line: None,
        column: None,
    };
    // Four events 1 ms apart: three clicks close together, then an error.
    store
        .append(
            &[batch("demo", vec![click(1), click(2), click(3), error])],
            None,
        )
        .unwrap();
    let range = TimeRange::new(1_699_999_000_000, 1_700_000_100_000).unwrap();
    let f = store
        .frustration(&FrustrationPlan {
            site: SiteId::parse("demo").unwrap(),
            range,
            filters: Filters::default(),
            thresholds: Thresholds::default(),
            limit: 10,
        })
        .unwrap();
    let e = &f.elements[0];
    assert_eq!(
        (
            e.current.clicks,
            e.current.rage_clicks,
            e.current.error_clicks
        ),
        (3, 1, 1)
    );
    let h = store
        .heatmap(&HeatmapPlan {
            site: SiteId::parse("demo").unwrap(),
            range,
            filters: Filters::default(),
            path: "/cart".into(),
            kind: HeatmapKind::Click,
            device: None,
            widths: WidthRange::default(),
            thresholds: Thresholds::default(),
        })
        .unwrap();
    assert_eq!(
        (h.elements[0].clicks, h.elements[0].rage, h.total),
        (3, 1, 0)
    );
}
