//! The embedded store: one DuckDB file in the data directory.
//!
//! DuckDB is columnar, so report aggregates over tens of millions of events stay fast on one
//! machine. It allows one writer process: this module keeps one write connection (used by the
//! ingest writer thread, in large appender batches) and a small pool of read connections cloned
//! from it, so reports run while ingestion continues.

mod columns;
mod ecommerce;
mod engagement;
mod frustration;
mod heatmap;
mod live;
mod meta;
mod overview;
mod pages;
mod read;
mod retention;
mod schema;
mod signals;
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

    fn heatmap(
        &self,
        plan: &crate::query::heatmap::HeatmapPlan,
    ) -> StoreResult<crate::query::heatmap::Heatmap> {
        self.read(|c| heatmap::heatmap(c, plan))
    }

    fn frustration(
        &self,
        plan: &crate::query::frustration::FrustrationPlan,
    ) -> StoreResult<crate::query::frustration::Frustration> {
        self.read(|c| frustration::frustration(c, plan))
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
mod tests;
