//! Versioned schema migrations for the ClickHouse store, recorded in `schema_migrations`.
//!
//! ClickHouse runs one statement per request and has no transactions, so every statement here
//! is idempotent (`IF NOT EXISTS`): when several footfall nodes start at once, or one stops
//! half-way, running a migration again is harmless. Version numbers record what ran.
//!
//! Times are `Int64` epoch milliseconds (`ts_ms`): `DateTime` holds whole seconds and
//! `DateTime64` does not exist in 18.16, and reports order and bucket events by the
//! millisecond exactly as the embedded store does. Tables are partitioned by month of that
//! time. Every fact row carries `chunk`, the id of the append that wrote it, and a per-table
//! row key within the chunk (`eid` for events, `row` elsewhere): see `write.rs`.

/// The partition key of fact tables: the month of `ts_ms`.
const BY_MONTH: &str = "PARTITION BY toYYYYMM(toDateTime(intDiv(ts_ms, 1000)))";

/// A table of the schema: its name, its columns and engine, and its sharding key in cluster
/// mode (a session's rows, and a visitor's identity links, stay on one shard).
pub struct Table {
    pub name: &'static str,
    pub definition: String,
    pub shard_key: &'static str,
}

/// The tables of migration 1: facts (events, items, per-batch rollups, per-append session
/// parts, identity links), metadata (versioned rows, read with argMax) and spool progress
/// per node.
pub fn tables() -> Vec<Table> {
    let t = |name, definition: String, shard_key| Table {
        name,
        definition,
        shard_key,
    };
    vec![
        t(
            "events",
            format!(
                "(site String, ts_ms Int64, eid Int64, visitor_id Int64, session_id Int64,
                  user_id Nullable(String), bot UInt8, kind String, name Nullable(String),
                  path String, url Nullable(String), title Nullable(String),
                  referrer Nullable(String), x Nullable(Int32), y Nullable(Int32),
                  page_y Nullable(Int32), depth Nullable(Int16), target Nullable(String),
                  label Nullable(String), props Nullable(String),
                  value_minor Nullable(Int64), currency Nullable(String),
                  transaction_id Nullable(String), duration_ms Nullable(Int64),
                  chunk UInt64
                 ) ENGINE = MergeTree {BY_MONTH} ORDER BY (site, kind, ts_ms)"
            ),
            "intHash64(session_id)",
        ),
        t(
            "items",
            format!(
                "(site String, ts_ms Int64, eid Int64, visitor_id Int64, session_id Int64,
                  action String, transaction_id Nullable(String), currency Nullable(String),
                  item_id String, item_name Nullable(String), item_category Nullable(String),
                  item_brand Nullable(String), item_variant Nullable(String),
                  price_minor Nullable(Int64), quantity Int64,
                  chunk UInt64, row UInt32
                 ) ENGINE = MergeTree {BY_MONTH} ORDER BY (site, ts_ms)"
            ),
            "intHash64(session_id)",
        ),
        // One row per stored batch (the time series groups these).
        t(
            "batches",
            format!(
                "(site String, session_id Int64, visitor_id Int64, user_id Nullable(String),
                  bot UInt8, ts_ms Int64, last_ts_ms Int64, events Int64, pageviews Int64,
                  engaged_ms Int64, entry_page Nullable(String), exit_page Nullable(String),
                  chunk UInt64, row UInt32
                 ) ENGINE = MergeTree {BY_MONTH} ORDER BY (site, ts_ms)"
            ),
            "intHash64(session_id)",
        ),
        // One row per (append, session): what the embedded store stages before merging it
        // into its one row per session. Reports merge the parts at query time with the same
        // aggregates (see `sql::SESSIONS`).
        t(
            "session_parts",
            format!(
                "(site String, session_id Int64, visitor_id Int64, user_id Nullable(String),
                  bot UInt8, ts_ms Int64, last_ts_ms Int64, events Int64, pageviews Int64,
                  clicks Int64, engaged_ms Int64, max_depth Nullable(Int16),
                  entry_ts_ms Nullable(Int64), entry_page Nullable(String),
                  exit_ts_ms Nullable(Int64), exit_page Nullable(String),
                  browser String, browser_version String, os String, device String,
                  country Nullable(String), ip Nullable(String), screen_w Nullable(Int32),
                  screen_h Nullable(Int32), language Nullable(String),
                  referrer_host Nullable(String), source Nullable(String),
                  medium Nullable(String), utm_source Nullable(String),
                  utm_medium Nullable(String), utm_campaign Nullable(String),
                  utm_term Nullable(String), utm_content Nullable(String),
                  n_move Int64, n_scroll Int64, n_key Int64, n_form Int64, n_touch Int64,
                  n_media Int64, n_visibility Int64, n_resize Int64, n_engagement Int64,
                  n_custom Int64, n_commerce Int64, n_identify Int64,
                  chunk UInt64, row UInt32
                 ) ENGINE = MergeTree {BY_MONTH} ORDER BY (site, session_id)"
            ),
            "intHash64(session_id)",
        ),
        t(
            "identities",
            format!(
                "(site String, visitor_id Int64, user_id String, ts_ms Int64,
                  chunk UInt64, row UInt32
                 ) ENGINE = MergeTree {BY_MONTH} ORDER BY (site, visitor_id)"
            ),
            "intHash64(visitor_id)",
        ),
        // Metadata: every change inserts a whole new version of the row; reads take the
        // newest (argMax by version) and drop tombstones (`deleted = 1`). ReplacingMergeTree
        // compacts old versions in the background.
        t(
            "sites",
            "(id String, domains String, raw_keys UInt8, ip_mode String, deleted UInt8,
              version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY id"
                .into(),
            "rand()",
        ),
        t(
            "users",
            "(email String, role String, password_hash String, sites String, deleted UInt8,
              version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY email"
                .into(),
            "rand()",
        ),
        t(
            "api_tokens",
            "(token_hash String, name String, created_ms Int64, deleted UInt8, version UInt64)
             ENGINE = ReplacingMergeTree(version) ORDER BY token_hash"
                .into(),
            "rand()",
        ),
        t(
            "settings",
            "(key String, value String, version UInt64)
             ENGINE = ReplacingMergeTree(version) ORDER BY key"
                .into(),
            "rand()",
        ),
        // The spool position each node reached (each node has its own spool).
        t(
            "spool_state",
            "(node String, applied_seq UInt64, version UInt64)
             ENGINE = ReplacingMergeTree(version) ORDER BY node"
                .into(),
            "rand()",
        ),
    ]
}

/// The statements that create the tables on one server: the tables themselves, or, in a
/// cluster (name, database: validated by the config and the URL parser), each as
/// `NAME_local` plus a `Distributed` table `NAME` over every shard's.
pub fn create_tables(cluster: Option<(&str, &str)>) -> Vec<String> {
    let mut out = Vec::new();
    for t in tables() {
        match cluster {
            None => out.push(format!(
                "CREATE TABLE IF NOT EXISTS {} {}",
                t.name, t.definition
            )),
            Some((cluster, database)) => {
                out.push(format!(
                    "CREATE TABLE IF NOT EXISTS {}_local {}",
                    t.name, t.definition
                ));
                out.push(format!(
                    "CREATE TABLE IF NOT EXISTS {name} AS {name}_local ENGINE = \
                     Distributed({cluster}, {database}, {name}_local, {key})",
                    name = t.name,
                    key = t.shard_key,
                    // A string literal: cluster names may hold '-'.
                    cluster = super::client::quote(cluster),
                ));
            }
        }
    }
    out
}

/// Rows every database starts with, written once through the (possibly distributed) tables:
/// version 0 of the demo site (any later change wins over it).
pub const SEED_ROWS: &str = "INSERT INTO sites (id, domains, raw_keys, ip_mode, deleted, version)
    SELECT 'demo', '[\"localhost\",\"127.0.0.1\"]', 0, 'truncate', 0, 0
    WHERE (SELECT count() FROM sites WHERE id = 'demo') = 0";

/// The columns migration 2 adds (table, column, type): what heatmaps and frustration signals
/// need (see the embedded store's migration 7, which adds the same). Nullable or defaulted, so
/// rows written before read as "not known" or 0.
pub const ADDED_IN_2: [(&str, &str, &str); 7] = [
    ("events", "vw", "Nullable(Int32)"),
    ("events", "vh", "Nullable(Int32)"),
    ("events", "ex", "Nullable(Int16)"),
    ("events", "ey", "Nullable(Int16)"),
    ("events", "fixed", "Nullable(UInt8)"),
    ("events", "dead", "Nullable(UInt8)"),
    ("session_parts", "n_error", "Int64"),
];

/// The statements that add the columns of migration 2 that a server's tables lack
/// (`existing`: its (table, column) pairs). 18.16 has no `ADD COLUMN IF NOT EXISTS`, so the
/// caller reads `system.columns` first and a migration stopped half-way resumes where it
/// stopped. In a cluster both the local table and the `Distributed` one over it change.
pub fn add_columns(existing: &[(String, String)], cluster: bool) -> Vec<String> {
    let has = |table: &str, column: &str| existing.iter().any(|(t, c)| t == table && c == column);
    let mut out = Vec::new();
    for (table, column, ty) in ADDED_IN_2 {
        let local = format!("{table}_local");
        let targets: Vec<&str> = if cluster {
            vec![&local, table]
        } else {
            vec![table]
        };
        for target in targets {
            if !has(target, column) {
                out.push(format!("ALTER TABLE {target} ADD COLUMN {column} {ty}"));
            }
        }
    }
    out
}

/// The schema version this footfall writes (1: the tables; 2: `ADDED_IN_2`).
pub const VERSION: u64 = 2;

/// The table that records applied versions (local to each server).
pub const MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, applied_at DateTime DEFAULT now()
) ENGINE = MergeTree ORDER BY version";
