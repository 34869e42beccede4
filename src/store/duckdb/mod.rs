//! The embedded store: one DuckDB file in the data directory.
//!
//! DuckDB is columnar, so report aggregates over tens of millions of events stay fast on one
//! machine. It allows one writer process: this module keeps one write connection (used by the
//! ingest writer thread, in large appender batches) and a small pool of read connections cloned
//! from it, so reports run while ingestion continues.

mod columns;
mod ecommerce;
mod engagement;
mod live;
mod meta;
mod overview;
mod pages;
mod read;
mod retention;
mod schema;
mod sql;
mod write;

use std::path::{Path, PathBuf};

use duckdb::{Config, Connection};
use parking_lot::Mutex;

use super::{Appends, Maintenance, Metadata, Reports, SettingsTable, StoreError, StoreResult};
use crate::model::{ApiToken, Batch, Site, SiteId, User};
use crate::query::ecommerce::{Ecommerce, EcommercePlan};
use crate::query::{
    Overview, OverviewPlan, SessionDetail, SessionDetailPlan, SessionListPlan, SessionPage,
};

/// Resource limits handed to DuckDB (its defaults take 80% of RAM and every core).
#[derive(Debug, Clone)]
pub struct DuckDbOptions {
    pub memory_limit: String,
    pub threads: u32,
    pub read_connections: usize,
    /// How many ids of ingested events `recent_ids` keeps for the writer's de-duplication.
    pub recent_ids: usize,
}

impl Default for DuckDbOptions {
    fn default() -> Self {
        DuckDbOptions {
            memory_limit: "1GB".into(),
            threads: 2,
            read_connections: 4,
            recent_ids: crate::store::DEDUP_WINDOW,
        }
    }
}

pub struct DuckDbStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    recent_ids: usize,
}

/// The class of a DuckDB failure, from the exception type DuckDB reports.
///
/// The crate's `ffi::Error` carries DuckDB's error type only for calls that return error
/// data; prepare, execute and appender failures carry the generic `DuckDBError` state (and
/// `ErrorCode::Unknown`), with the type's name leading the message: `Constraint Error: ...`,
/// `IO Error: ...`. That name is DuckDB's `ExceptionType`, so it is what is matched here,
/// as a whole name, rather than any phrase inside the message (a unit test pins the forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DuckDbErrorClass {
    /// A uniqueness rule (PRIMARY KEY or UNIQUE) was violated.
    Duplicate,
    /// Disk or memory: not the data's fault, worth retrying.
    Resources,
    Other,
}

fn classify(e: &duckdb::Error) -> DuckDbErrorClass {
    let duckdb::Error::DuckDBFailure(_, Some(message)) = e else {
        return DuckDbErrorClass::Other;
    };
    // A failure may wrap another (`TransactionContext Error: Failed to commit: IO Error: ...`):
    // every exception type named in the chain counts.
    let mut rest = message.as_str();
    let mut class = DuckDbErrorClass::Other;
    while let Some((before, after)) = rest.split_once(" Error: ") {
        let exception = before.rsplit(": ").next().unwrap_or(before);
        match exception {
            // Constraint errors also cover NOT NULL and CHECK, which footfall's rows cannot
            // break short of a bug; only key violations are a conflict to report.
            "Constraint" if after.contains("Duplicate key") || after.contains("UNIQUE") => {
                return DuckDbErrorClass::Duplicate;
            }
            // A full disk or memory pressure is not the data's fault: the writer retries
            // these instead of setting the batch aside as refused.
            "IO" | "Out of Memory" => class = DuckDbErrorClass::Resources,
            _ => {}
        }
        rest = after;
    }
    class
}

pub(crate) fn map_err(e: duckdb::Error) -> StoreError {
    let text = e.to_string();
    match classify(&e) {
        DuckDbErrorClass::Duplicate => StoreError::Conflict(text),
        DuckDbErrorClass::Resources => StoreError::unavailable_because(text, e),
        DuckDbErrorClass::Other => StoreError::internal_because(text, e),
    }
}

impl DuckDbStore {
    /// Opens (creating if needed) `footfall.duckdb` in `dir` and brings its schema up to date.
    pub fn open(dir: &Path, options: &DuckDbOptions) -> StoreResult<DuckDbStore> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::internal_because(format!("cannot create {}: {e}", dir.display()), e)
        })?;
        let path = dir.join("footfall.duckdb");
        let config = Config::default()
            .max_memory(&options.memory_limit)
            .and_then(|c| c.threads(i64::from(options.threads.max(1))))
            .and_then(|c| c.enable_autoload_extension(false))
            // A database created with this storage version may use DuckDB 1.5's compression:
            // roaring validity masks for mostly-NULL columns and dictionary-FSST strings,
            // 1.5-1.8 B less per event. It only applies to files created from now on (an older
            // file keeps its version and opens as before), and only DuckDB 1.5 or later can
            // read the file, which footfall bundles.
            .and_then(|c| c.with("storage_compatibility_version", "v1.5.0"))
            .map_err(map_err)?;
        let conn = Connection::open_with_flags(&path, config).map_err(|e| {
            let text = e.to_string();
            if text.contains("lock") {
                StoreError::Locked {
                    path: path.display().to_string(),
                }
            } else {
                map_err(e)
            }
        })?;
        migrate(&conn)?;
        let readers = (0..options.read_connections.max(1))
            .map(|_| conn.try_clone().map_err(map_err))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(DuckDbStore {
            path,
            writer: Mutex::new(conn),
            readers: Mutex::new(readers),
            recent_ids: options.recent_ids,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A pooled read connection (a fresh clone when the pool is empty); give it back with
    /// `self.readers.lock().push(conn)`.
    fn take_reader(&self) -> StoreResult<Connection> {
        let pooled = self.readers.lock().pop();
        match pooled {
            Some(c) => Ok(c),
            None => self.writer.lock().try_clone().map_err(map_err),
        }
    }

    /// Runs `f` on a pooled read connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = self.take_reader()?;
        let out = f(&conn);
        self.readers.lock().push(conn);
        out
    }
}

fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)",
    )
    .map_err(map_err)?;
    let current: i64 = conn
        .query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(map_err)?;
    let known = schema::MIGRATIONS.len() as i64;
    if current > known {
        return Err(StoreError::internal(format!(
            "the database has schema version {current}, newer than this footfall knows ({known}); upgrade footfall"
        )));
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        let script = format!(
            "BEGIN TRANSACTION; {sql}; INSERT INTO schema_migrations (version) VALUES ({version}); COMMIT;"
        );
        conn.execute_batch(&script).map_err(map_err)?;
        tracing::info!(version, "applied schema migration");
    }
    if current < known {
        // Schema changes go to the data file at once rather than waiting in the WAL: DuckDB
        // 1.5 fails to replay some DDL (an ALTER of a table with a `current_timestamp`
        // default), and a crash before the next checkpoint would then stop the database
        // from opening.
        conn.execute_batch("CHECKPOINT").map_err(map_err)?;
    }
    Ok(())
}

impl Appends for DuckDbStore {
    fn append(&self, batches: &[Batch], spool_seq: Option<u64>) -> StoreResult<()> {
        let mut conn = self.writer.lock();
        write::append(&mut conn, batches, spool_seq, self.recent_ids)
    }

    fn applied_spool_seq(&self) -> StoreResult<u64> {
        self.read(|c| {
            let v: i64 = c
                .query_row(
                    "SELECT applied_seq FROM spool_state WHERE id = 1",
                    [],
                    |r| r.get(0),
                )
                .map_err(map_err)?;
            Ok(v.max(0) as u64)
        })
    }

    fn recent_event_ids(&self, limit: usize) -> StoreResult<Vec<u64>> {
        self.read(|c| write::recent_event_ids(c, limit))
    }
}

impl Metadata for DuckDbStore {
    fn sites(&self) -> StoreResult<Vec<Site>> {
        self.read(meta::sites)
    }

    fn site(&self, id: &SiteId) -> StoreResult<Option<Site>> {
        self.read(|c| meta::site(c, id))
    }

    fn insert_site(&self, site: &Site) -> StoreResult<()> {
        meta::insert_site(&self.writer.lock(), site)
    }

    fn update_site(&self, site: &Site) -> StoreResult<()> {
        meta::update_site(&self.writer.lock(), site)
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        self.read(meta::users)
    }

    fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.read(|c| meta::user_by_email(c, email))
    }

    fn insert_user(&self, user: &User) -> StoreResult<()> {
        meta::insert_user(&self.writer.lock(), user)
    }

    fn update_user(&self, user: &User) -> StoreResult<()> {
        meta::update_user(&self.writer.lock(), user)
    }

    fn delete_user(&self, email: &str) -> StoreResult<()> {
        meta::delete_user(&self.writer.lock(), email)
    }

    fn tokens(&self) -> StoreResult<Vec<ApiToken>> {
        self.read(meta::tokens)
    }

    fn delete_tokens_named(&self, name: &str) -> StoreResult<usize> {
        meta::delete_tokens_named(&self.writer.lock(), name)
    }

    fn insert_token(&self, token: &ApiToken) -> StoreResult<()> {
        meta::insert_token(&self.writer.lock(), token)
    }

    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        self.read(|c| meta::token_by_hash(c, token_hash))
    }
}

impl SettingsTable for DuckDbStore {
    fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.read(|c| meta::setting(c, key))
    }

    fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        meta::set_setting(&self.writer.lock(), key, value)
    }
}

impl Reports for DuckDbStore {
    fn overview(&self, plan: &OverviewPlan) -> StoreResult<Overview> {
        let second = self.take_reader()?;
        self.read(|first| {
            let (overview, second) = read::overview(first, second, plan);
            if let Some(conn) = second {
                self.readers.lock().push(conn);
            }
            overview
        })
    }

    fn sessions(&self, plan: &SessionListPlan) -> StoreResult<SessionPage> {
        self.read(|c| read::sessions(c, plan))
    }

    fn session_detail(&self, plan: &SessionDetailPlan) -> StoreResult<Option<SessionDetail>> {
        self.read(|c| read::session_detail(c, plan))
    }

    fn ecommerce(&self, plan: &EcommercePlan) -> StoreResult<Ecommerce> {
        self.read(|c| ecommerce::ecommerce(c, plan))
    }

    fn pages(
        &self,
        plan: &crate::query::pages::PagesPlan,
    ) -> StoreResult<crate::query::pages::Pages> {
        self.read(|c| pages::pages(c, plan))
    }

    fn live(&self, plan: &crate::query::live::LivePlan) -> StoreResult<crate::query::live::Live> {
        self.read(|c| live::live(c, plan))
    }

    fn engagement(
        &self,
        plan: &crate::query::engagement::EngagementPlan,
    ) -> StoreResult<crate::query::engagement::Engagement> {
        self.read(|c| engagement::engagement(c, plan))
    }

    fn count_events(&self, site: &SiteId) -> StoreResult<u64> {
        self.read(|c| {
            let n: i64 = c
                .query_row(
                    "SELECT count(*) FROM events WHERE site = ?",
                    [site.as_str()],
                    |r| r.get(0),
                )
                .map_err(map_err)?;
            Ok(n as u64)
        })
    }
}

impl Maintenance for DuckDbStore {
    fn delete_sessions_before(&self, site: &SiteId, cutoff_ms: i64) -> StoreResult<u64> {
        retention::delete_sessions_before(&mut self.writer.lock(), site, cutoff_ms)
    }

    fn checkpoint(&self) -> StoreResult<()> {
        self.writer
            .lock()
            .execute_batch("CHECKPOINT")
            .map_err(map_err)
    }
}

#[cfg(test)]
mod tests {
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
            class(
                "Constraint Error: PRIMARY KEY or UNIQUE constraint violated: duplicate key \"a\""
            ),
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
            let mut b = batch("demo", vec![EventData::Move { x: 1, y: 2 }; n as usize]);
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
            EventData::Move { x: 1, y: 2 },
        ];
        let mut b = batch("demo", kinds.to_vec());
        let mut other = batch("demo", vec![EventData::Move { x: 3, y: 4 }]);
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
            .append(
                &[batch("demo", vec![EventData::Move { x: 1, y: 2 }])],
                Some(3),
            )
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
        assert!(
            matches!(store.insert_site(&site), Err(StoreError::Conflict(m)) if m.contains("shop"))
        );
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
        };
        let scroll = |d: u8| EventData::Scroll {
            x: 0,
            y: 0,
            depth_pct: Some(d),
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
        let move_ = at(6_000, "US", vec![(0, "/c", EventData::Move { x: 1, y: 1 })]);
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
}
