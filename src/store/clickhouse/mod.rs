//! The scale-out store: ClickHouse over its HTTP interface.
//!
//! Why it exists: one machine's embedded DuckDB stops being enough when traffic grows, and
//! event analytics at scale runs on ClickHouse. Operators point several footfall nodes at one
//! ClickHouse database (`--store clickhouse://HOST:8123/DB`) and keep the same tracker, API,
//! dashboard and figures. The SQL stays within what ClickHouse 18.16 (Debian's package)
//! understands and what current versions still accept.
//!
//! Shape: `client.rs` speaks HTTP (gzip `JSONEachRow` inserts, `JSONCompact` reads, error
//! classification, string quoting); `schema.rs` the migrations; `write.rs` the idempotent
//! append; `meta.rs` versioned metadata rows; `sql.rs` the shared predicate and the merged
//! session relation; `read.rs`, `overview.rs`, `ecommerce.rs`, `pages.rs` and `engagement.rs`
//! the reports. Every report gives exactly the embedded store's figures (the store
//! conformance suite, `tests/it/conformance/`, compares them).

mod client;
mod ecommerce;
mod engagement;
mod frustration;
mod heatmap;
mod meta;
mod overview;
mod pages;
mod read;
mod retention;
mod schema;
mod signals;
mod sql;
mod write;

use std::time::Duration;

use parking_lot::Mutex;

use client::{Client, RowExt};
pub use client::{Endpoint, UrlError, quote};

use super::{Appends, Maintenance, Metadata, Reports, SettingsTable, StoreError, StoreResult};
use crate::model::{ApiToken, Batch, Site, SiteId, User};
use crate::query::ecommerce::{Ecommerce, EcommercePlan};
use crate::query::{
    Overview, OverviewPlan, SessionDetail, SessionDetailPlan, SessionListPlan, SessionPage,
};

/// How to reach ClickHouse, and who this node is.
#[derive(Debug, Clone)]
pub struct ClickHouseOptions {
    pub endpoint: Endpoint,
    /// This node's name: each node records its own spool position.
    pub node: String,
    /// Per request; an insert that takes longer has an unknown outcome.
    pub timeout: Duration,
    /// Shard over this cluster of ClickHouse's `remote_servers` (see `schema.rs`).
    pub cluster: Option<String>,
    /// Rows per insert, at most (an append's table is sent in several inserts beyond it).
    pub max_insert_rows: usize,
}

impl ClickHouseOptions {
    /// Options for a `clickhouse://HOST:PORT/DB` URL with optional credentials.
    pub fn new(
        url: &str,
        user: Option<String>,
        password: Option<String>,
        node: String,
    ) -> Result<ClickHouseOptions, UrlError> {
        let mut endpoint = Endpoint::parse(url)?;
        endpoint.user = user;
        endpoint.password = password;
        Ok(ClickHouseOptions {
            endpoint,
            node,
            timeout: Duration::from_secs(60),
            cluster: None,
            max_insert_rows: write::DEFAULT_MAX_INSERT_ROWS,
        })
    }
}

pub struct ClickHouseStore {
    client: Client,
    /// In cluster mode, every shard's server (DDL and deletes go to each); else empty.
    shards: Vec<Client>,
    node: String,
    /// This node's recorded spool position: the next spool append starts after it.
    applied: Mutex<u64>,
    /// The chunk whose last append failed with an unknown outcome (see `write.rs`), with the
    /// spool position that append would have recorded: which spool records it held.
    suspect: Mutex<Option<(u64, Option<u64>)>>,
    max_insert_rows: usize,
}

/// The tables whose rows carry `chunk`.
const FACT_TABLES: [&str; 5] = ["events", "items", "identities", "batches", "session_parts"];

/// How long opening waits for the removal of a half-written chunk.
const ROLLBACK_WAIT: Duration = Duration::from_secs(300);

impl ClickHouseStore {
    /// Connects, creates the database if needed and brings its schema up to date.
    pub fn open(options: &ClickHouseOptions) -> StoreResult<ClickHouseStore> {
        let settings = match options.cluster {
            Some(_) => client::CLUSTER_SETTINGS,
            None => "",
        };
        let client = Client::new(options.endpoint.clone(), options.timeout, settings);
        client.execute_server(&format!(
            "CREATE DATABASE IF NOT EXISTS {}",
            options.endpoint.database
        ))?;
        let shards = match &options.cluster {
            Some(cluster) => shards(&client, cluster, options)?,
            None => Vec::new(),
        };
        let cluster = options
            .cluster
            .as_deref()
            .map(|c| (c, options.endpoint.database.as_str()));
        migrate(&client, &shards, cluster)?;
        let store = ClickHouseStore {
            client,
            shards,
            node: options.node.clone(),
            applied: Mutex::new(0),
            suspect: Mutex::new(None),
            max_insert_rows: options.max_insert_rows,
        };
        let applied = store.applied_spool_seq()?;
        *store.applied.lock() = applied;
        store.roll_back_unrecorded_chunk(applied)?;
        Ok(store)
    }

    /// The id of the spool chunk that starts after position `after` on this node: the same
    /// for every attempt to store those spool records (retries, and replays after a
    /// restart), never another node's.
    fn spool_chunk_id(&self, after: u64) -> u64 {
        let mut h = blake3::Hasher::new();
        h.update(self.node.as_bytes());
        h.update(&after.to_le_bytes());
        let bytes = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&bytes.as_bytes()[..8]);
        u64::from_le_bytes(first)
    }

    /// A node that stopped half-way through an append (killed, or stopped while ClickHouse
    /// failed) left rows of a chunk whose spool position was never recorded. Its writer will
    /// replay those spool records, after skipping events it finds stored, so the partial rows
    /// are deleted first (a mutation, waited for) and the replay writes the chunk whole.
    fn roll_back_unrecorded_chunk(&self, applied: u64) -> StoreResult<()> {
        self.roll_back_chunk(self.spool_chunk_id(applied))
    }

    /// Deletes every row of chunk `id` (a mutation per table, waited for).
    fn roll_back_chunk(&self, id: u64) -> StoreResult<()> {
        let mut found = false;
        for table in FACT_TABLES {
            let rows = self
                .client
                .query(&format!("SELECT count() FROM {table} WHERE chunk = {id}"))?;
            if rows
                .0
                .first()
                .map(|r| r.at(0).and_then(|c| c.u64()))
                .transpose()?
                > Some(0)
            {
                found = true;
                tracing::warn!(table, chunk = id, "deleting rows of an unrecorded append");
                if self.shards.is_empty() {
                    self.client
                        .execute(&format!("ALTER TABLE {table} DELETE WHERE chunk = {id}"))?;
                }
                for shard in &self.shards {
                    shard.execute(&format!(
                        "ALTER TABLE {table}_local DELETE WHERE chunk = {id}"
                    ))?;
                }
            }
        }
        if !found {
            return Ok(());
        }
        let database = quote(&self.client.endpoint().database);
        let deadline = std::time::Instant::now() + ROLLBACK_WAIT;
        let servers: Vec<&Client> = if self.shards.is_empty() {
            vec![&self.client]
        } else {
            self.shards.iter().collect()
        };
        for server in servers {
            self.wait_for_mutations(server, &database, deadline)?;
        }
        Ok(())
    }

    fn wait_for_mutations(
        &self,
        server: &Client,
        database: &str,
        deadline: std::time::Instant,
    ) -> StoreResult<()> {
        loop {
            let rows = server.query(&format!(
                "SELECT count() FROM system.mutations WHERE database = {database} AND is_done = 0"
            ))?;
            let pending = match rows.0.first() {
                Some(r) => r.at(0)?.u64()?,
                None => 0,
            };
            if pending == 0 {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(StoreError::unavailable(
                    "ClickHouse did not finish a delete (mutation) in time",
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs a raw statement (tests sabotage or inspect the database with it).
    #[doc(hidden)]
    pub fn execute_raw(&self, sql: &str) -> StoreResult<()> {
        Ok(self.client.execute(sql)?)
    }

    /// Runs a raw query returning the first column of every row as text (tests).
    #[doc(hidden)]
    pub fn query_raw(&self, sql: &str) -> StoreResult<Vec<String>> {
        let rows = self.client.query(sql)?;
        rows.0
            .iter()
            .map(|r| r.at(0).and_then(|c| c.string()))
            .collect::<Result<_, client::ClientError>>()
            .map_err(Into::into)
    }
}

/// The servers of a cluster's shards, from the entry server's `system.clusters`; each is
/// reached over HTTP on the entry URL's port.
fn shards(entry: &Client, cluster: &str, options: &ClickHouseOptions) -> StoreResult<Vec<Client>> {
    let rows = entry.query(&format!(
        "SELECT DISTINCT host_address FROM system.clusters WHERE cluster = {} ORDER BY host_address",
        quote(cluster)
    ))?;
    let hosts = rows
        .0
        .iter()
        .map(|r| r.at(0).and_then(|c| c.string()))
        .collect::<Result<Vec<_>, _>>()?;
    if hosts.is_empty() {
        return Err(StoreError::internal(format!(
            "the ClickHouse cluster {cluster:?} is not in the remote_servers of {}",
            options.endpoint.base
        )));
    }
    let port = options
        .endpoint
        .base
        .trim_end_matches('/')
        .rsplit_once(':')
        .map(|(_, p)| p.to_owned())
        .unwrap_or_else(|| "8123".into());
    Ok(hosts
        .into_iter()
        .map(|host| {
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host
            };
            let endpoint = Endpoint {
                base: format!("http://{host}:{port}/"),
                ..options.endpoint.clone()
            };
            Client::new(endpoint, options.timeout, client::CLUSTER_SETTINGS)
        })
        .collect())
}

/// The schema version a server has recorded.
fn schema_version(c: &Client) -> StoreResult<u64> {
    c.execute_server(&format!(
        "CREATE DATABASE IF NOT EXISTS {}",
        c.endpoint().database
    ))?;
    c.execute(schema::MIGRATIONS_TABLE)?;
    let rows = c.query("SELECT max(version) FROM schema_migrations")?;
    let current = match rows.0.first() {
        Some(r) => r.at(0)?.u64()?,
        None => 0,
    };
    if current > schema::VERSION {
        return Err(StoreError::internal(format!(
            "the ClickHouse database at {} has schema version {current}, newer than this \
             footfall knows ({}); upgrade footfall",
            c.endpoint().base,
            schema::VERSION
        )));
    }
    Ok(current)
}

/// Brings every server up to date: the tables on each (local and `Distributed` ones in a
/// cluster), then the first rows once, then each server's version.
fn migrate(entry: &Client, shards: &[Client], cluster: Option<(&str, &str)>) -> StoreResult<()> {
    let servers: Vec<&Client> = if shards.is_empty() {
        vec![entry]
    } else {
        let mut all: Vec<&Client> = shards.iter().collect();
        if !shards.iter().any(|s| s.endpoint() == entry.endpoint()) {
            all.push(entry);
        }
        all
    };
    let mut behind = Vec::new();
    for server in servers {
        let version = schema_version(server)?;
        if version < 1 {
            for sql in schema::create_tables(cluster) {
                server.execute(&sql)?;
            }
        }
        if version < 2 {
            let existing = server
                .query("SELECT table, name FROM system.columns WHERE database = currentDatabase()")?
                .0
                .iter()
                .map(|r| Ok((r.at(0)?.string()?, r.at(1)?.string()?)))
                .collect::<StoreResult<Vec<(String, String)>>>()?;
            for sql in schema::add_columns(&existing, cluster.is_some()) {
                server.execute(&sql)?;
            }
        }
        if version < schema::VERSION {
            behind.push(server);
        }
    }
    if behind.is_empty() {
        return Ok(());
    }
    entry.execute(schema::SEED_ROWS)?;
    for server in behind {
        server.execute(&format!(
            "INSERT INTO schema_migrations (version) VALUES ({})",
            schema::VERSION
        ))?;
    }
    tracing::info!(
        version = schema::VERSION,
        "applied ClickHouse schema migrations"
    );
    Ok(())
}

impl Appends for ClickHouseStore {
    fn append(&self, batches: &[Batch], spool_seq: Option<u64>) -> StoreResult<()> {
        let id = match spool_seq {
            Some(_) => self.spool_chunk_id(*self.applied.lock()),
            None => rand::random(),
        };
        let rows = write::rows(batches, id).map_err(|e| {
            StoreError::internal_because(format!("cannot serialise rows for ClickHouse: {e}"), e)
        })?;
        // A chunk id names the spool records after a position; the writer, isolating a batch
        // the store refuses, may next append fewer of them (up to an earlier position) under
        // the same id. The rows that landed of the failed attempt are then not all part of
        // this append, and skipping by key would be wrong: delete them, then insert whole.
        let previous = *self.suspect.lock();
        let suspect = match previous {
            Some((sid, seq)) if sid == id && seq == spool_seq => true,
            Some((sid, _)) if sid == id => {
                tracing::warn!(
                    chunk = id,
                    "a different append reuses a failed chunk; deleting its rows"
                );
                self.roll_back_chunk(id)?;
                *self.suspect.lock() = None;
                false
            }
            _ => false,
        };
        let result = write::insert(&self.client, &rows, id, suspect, self.max_insert_rows)
            .and_then(|skipped| {
                if skipped > 0 {
                    tracing::info!(skipped, "rows of a retried append were already stored");
                }
                match spool_seq {
                    Some(seq) => self.client.insert(
                        "spool_state",
                        [&serde_json::json!({
                            "node": self.node, "applied_seq": seq,
                            "version": crate::clock::now_ms().max(0) as u64,
                        })],
                    ),
                    None => Ok(()),
                }
            });
        match result {
            Ok(()) => {
                *self.suspect.lock() = None;
                if let Some(seq) = spool_seq {
                    *self.applied.lock() = seq;
                }
                Ok(())
            }
            Err(e) => {
                // Whatever the error, part of the chunk may be stored: the retry checks.
                *self.suspect.lock() = Some((id, spool_seq));
                Err(e.into())
            }
        }
    }

    fn applied_spool_seq(&self) -> StoreResult<u64> {
        let rows = self.client.query(&format!(
            "SELECT max(applied_seq) FROM spool_state WHERE node = {}",
            quote(&self.node)
        ))?;
        match rows.0.first() {
            Some(r) => Ok(r.at(0)?.u64()?),
            None => Ok(0),
        }
    }

    fn recent_event_ids(&self, limit: usize) -> StoreResult<Vec<u64>> {
        let rows = self.client.query(&format!(
            "SELECT eid FROM events ORDER BY ts_ms DESC LIMIT {limit}"
        ))?;
        rows.0
            .iter()
            .map(|r| Ok(r.at(0)?.i64()? as u64))
            .collect::<Result<_, client::ClientError>>()
            .map_err(Into::into)
    }
}

impl Metadata for ClickHouseStore {
    fn site(&self, id: &SiteId) -> StoreResult<Option<Site>> {
        meta::site(&self.client, id)
    }

    fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        meta::user_by_email(&self.client, email)
    }

    fn sites(&self) -> StoreResult<Vec<Site>> {
        meta::sites(&self.client)
    }

    fn insert_site(&self, site: &Site) -> StoreResult<()> {
        meta::insert_site(&self.client, site)
    }

    fn update_site(&self, site: &Site) -> StoreResult<()> {
        meta::update_site(&self.client, site)
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        meta::users(&self.client)
    }

    fn insert_user(&self, user: &User) -> StoreResult<()> {
        meta::insert_user(&self.client, user)
    }

    fn update_user(&self, user: &User) -> StoreResult<()> {
        meta::update_user(&self.client, user)
    }

    fn delete_user(&self, email: &str) -> StoreResult<()> {
        meta::delete_user(&self.client, email)
    }

    fn insert_token(&self, token: &ApiToken) -> StoreResult<()> {
        meta::insert_token(&self.client, token)
    }

    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        meta::token_by_hash(&self.client, token_hash)
    }

    fn tokens(&self) -> StoreResult<Vec<ApiToken>> {
        meta::tokens(&self.client)
    }

    fn delete_tokens_named(&self, name: &str) -> StoreResult<usize> {
        meta::delete_tokens_named(&self.client, name)
    }
}

impl SettingsTable for ClickHouseStore {
    fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        meta::setting(&self.client, key)
    }

    fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        meta::set_setting(&self.client, key, value)
    }
}

impl Reports for ClickHouseStore {
    fn overview(&self, plan: &OverviewPlan) -> StoreResult<Overview> {
        overview::overview(&self.client, plan)
    }

    fn sessions(&self, plan: &SessionListPlan) -> StoreResult<SessionPage> {
        read::sessions(&self.client, plan)
    }

    fn session_detail(&self, plan: &SessionDetailPlan) -> StoreResult<Option<SessionDetail>> {
        read::session_detail(&self.client, plan)
    }

    fn live(&self, plan: &crate::query::live::LivePlan) -> StoreResult<crate::query::live::Live> {
        read::live(&self.client, plan)
    }

    fn ecommerce(&self, plan: &EcommercePlan) -> StoreResult<Ecommerce> {
        ecommerce::ecommerce(&self.client, plan)
    }

    fn heatmap(
        &self,
        plan: &crate::query::heatmap::HeatmapPlan,
    ) -> StoreResult<crate::query::heatmap::Heatmap> {
        heatmap::heatmap(&self.client, plan)
    }

    fn frustration(
        &self,
        plan: &crate::query::frustration::FrustrationPlan,
    ) -> StoreResult<crate::query::frustration::Frustration> {
        frustration::frustration(&self.client, plan)
    }

    fn pages(
        &self,
        plan: &crate::query::pages::PagesPlan,
    ) -> StoreResult<crate::query::pages::Pages> {
        pages::pages(&self.client, plan)
    }

    fn engagement(
        &self,
        plan: &crate::query::engagement::EngagementPlan,
    ) -> StoreResult<crate::query::engagement::Engagement> {
        engagement::engagement(&self.client, plan)
    }

    fn count_events(&self, site: &SiteId) -> StoreResult<u64> {
        let rows = self.client.query(&format!(
            "SELECT count() FROM events WHERE site = {}",
            quote(site.as_str())
        ))?;
        match rows.0.first() {
            Some(r) => Ok(r.at(0)?.u64()?),
            None => Ok(0),
        }
    }
}

impl Maintenance for ClickHouseStore {
    fn delete_sessions_before(&self, site: &SiteId, cutoff_ms: i64) -> StoreResult<u64> {
        self.delete_old_sessions(site, cutoff_ms)
    }

    fn shared_between_nodes(&self) -> bool {
        true
    }

    fn forget_shared_sessions(&self, before_ms: i64) -> StoreResult<()> {
        self.forget_session_settings(before_ms)
    }

    fn checkpoint(&self) -> StoreResult<()> {
        // Every acknowledged insert is already on ClickHouse's disk.
        Ok(())
    }
}
