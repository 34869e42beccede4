//! The ClickHouse write path: one append becomes a few large gzip'd `JSONEachRow` inserts, made
//! idempotent by keys every row carries.
//!
//! ClickHouse has no transactions, and a non-replicated MergeTree in 18.16 does not
//! de-duplicate a retried insert. So every row of an append carries `chunk`, the append's id
//! (derived from the node and the spool sequence number, so a retry of the same spool records
//! has the same id), and a row key unique within the chunk and table (`eid` for events, `row`,
//! the row's index in the append, elsewhere). When an insert fails in a way that leaves its
//! outcome unknown (a timeout, a reset connection, an error after part of the body was
//! written), the store remembers the chunk as *suspect*; the next append of the same chunk
//! first asks ClickHouse which row keys of that chunk already landed in each table and inserts
//! only the missing rows. The spool position is recorded last, so a chunk whose position is
//! recorded is complete.
//!
//! The rows themselves are what the embedded store writes: events, items, one rollup row per
//! batch (`batches`) and one part per (append, session) (`session_parts`, the embedded store's
//! staging rows, computed by the same code), which reports merge at query time.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::client::{Client, ClientError, RowExt};
use crate::model::batch::path_of;
use crate::model::{Batch, EventData};
use crate::store::duckdb::write::{KIND_COLUMNS, SessionPart, detail, user_of};

/// The rows of one append, per table, each row with its key within the chunk.
pub(super) struct ChunkRows {
    pub tables: Vec<TableRows>,
}

pub(super) struct TableRows {
    pub table: &'static str,
    /// The column holding each row's key within the chunk.
    pub key: &'static str,
    pub rows: Vec<(i64, Value)>,
    pub min_ts: i64,
    pub max_ts: i64,
}

impl TableRows {
    fn new(table: &'static str, key: &'static str) -> TableRows {
        TableRows {
            table,
            key,
            rows: Vec::new(),
            min_ts: i64::MAX,
            max_ts: i64::MIN,
        }
    }

    /// Adds a row keyed by its position (`row` column).
    fn push_indexed(&mut self, ts: i64, mut row: Value, chunk: u64) {
        let key = self.rows.len() as i64;
        row["chunk"] = json!(chunk);
        row["row"] = json!(key);
        self.push_keyed(ts, key, row);
    }

    fn push_keyed(&mut self, ts: i64, key: i64, row: Value) {
        self.min_ts = self.min_ts.min(ts);
        self.max_ts = self.max_ts.max(ts);
        self.rows.push((key, row));
    }
}

/// Builds every row an append writes.
pub(super) fn rows(batches: &[Batch], chunk: u64) -> ChunkRows {
    let mut events = TableRows::new("events", "eid");
    let mut items = TableRows::new("items", "row");
    let mut rollups = TableRows::new("batches", "row");
    let mut sessions = TableRows::new("session_parts", "row");
    let mut identities = TableRows::new("identities", "row");

    let mut parts: HashMap<(&str, u64), SessionPart<'_>> = HashMap::new();
    let mut links: Vec<(&str, i64, &str, i64)> = Vec::new();
    for b in batches {
        let Some(first_ts) = b.events.iter().map(|e| e.ts_ms).min() else {
            continue;
        };
        rollups.push_indexed(first_ts, batch_rollup(b, first_ts), chunk);
        let part = SessionPart::of(b, first_ts);
        match parts.entry((b.site.as_str(), b.session.0)) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().absorb(part),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(part);
            }
        }
        for e in &b.events {
            let d = detail(&e.data);
            let user = user_of(b, e);
            if let Some(user) = user {
                links.push((b.site.as_str(), b.visitor.0 as i64, user, e.ts_ms));
            }
            events.push_keyed(
                e.ts_ms,
                e.eid as i64,
                json!({
                    "site": b.site.as_str(), "ts_ms": e.ts_ms, "eid": e.eid as i64,
                    "visitor_id": b.visitor.0 as i64, "session_id": b.session.0 as i64,
                    "user_id": user, "bot": u8::from(b.client.bot),
                    "kind": e.data.kind().as_str(), "name": d.name, "path": path_of(&e.url),
                    "url": d.url, "title": d.title, "referrer": d.referrer, "x": d.x, "y": d.y,
                    "page_y": d.page_y, "depth": d.depth, "target": d.target, "label": d.label,
                    "props": d.props, "value_minor": d.value_minor, "currency": d.currency,
                    "transaction_id": d.transaction_id, "duration_ms": d.duration_ms,
                    "chunk": chunk,
                }),
            );
            if let EventData::Commerce(c) = &e.data {
                for item in &c.items {
                    items.push_indexed(
                        e.ts_ms,
                        json!({
                            "site": b.site.as_str(), "ts_ms": e.ts_ms, "eid": e.eid as i64,
                            "visitor_id": b.visitor.0 as i64, "session_id": b.session.0 as i64,
                            "action": c.action.as_str(), "transaction_id": c.transaction_id,
                            "currency": c.currency.as_ref().map(|c| c.as_str()),
                            "item_id": item.item_id, "item_name": item.item_name,
                            "item_category": item.item_category, "item_brand": item.item_brand,
                            "item_variant": item.item_variant, "price_minor": item.price_minor,
                            "quantity": item.quantity,
                        }),
                        chunk,
                    );
                }
            }
        }
    }
    // Sessions in a stable order, so a retry numbers its rows the same way.
    let mut parts: Vec<SessionPart<'_>> = parts.into_values().collect();
    parts.sort_by_key(|p| (p.batch.site.as_str(), p.batch.session.0));
    for part in &parts {
        sessions.push_indexed(part.ts, session_part(part), chunk);
    }
    // Identity links: the first event of each (visitor, user) pair in these batches.
    links.sort();
    links.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
    for (site, visitor, user, ts) in links {
        identities.push_indexed(
            ts,
            json!({"site": site, "visitor_id": visitor, "user_id": user, "ts_ms": ts}),
            chunk,
        );
    }
    ChunkRows {
        tables: vec![events, items, identities, rollups, sessions],
    }
}

/// The `batches` row of a batch (as the embedded store's `BatchColumns::push`).
fn batch_rollup(b: &Batch, first_ts: i64) -> Value {
    let last_ts = b.events.iter().map(|e| e.ts_ms).max().unwrap_or(first_ts);
    let mut pageviews: Vec<(i64, &str)> = b
        .events
        .iter()
        .filter(|e| matches!(e.data, EventData::Pageview { .. }))
        .map(|e| (e.ts_ms, path_of(&e.url)))
        .collect();
    pageviews.sort();
    let engaged: i64 = b
        .events
        .iter()
        .map(|e| match e.data {
            EventData::Engagement { engaged_ms } => engaged_ms,
            _ => 0,
        })
        .sum();
    let user = b.events.iter().filter_map(|e| user_of(b, e)).max();
    json!({
        "site": b.site.as_str(), "session_id": b.session.0 as i64,
        "visitor_id": b.visitor.0 as i64, "user_id": user, "bot": u8::from(b.client.bot),
        "ts_ms": first_ts, "last_ts_ms": last_ts, "events": b.events.len() as i64,
        "pageviews": pageviews.len() as i64, "engaged_ms": engaged,
        "entry_page": pageviews.first().map(|p| p.1), "exit_page": pageviews.last().map(|p| p.1),
    })
}

/// The `session_parts` row of one append's part of a session.
fn session_part(part: &SessionPart<'_>) -> Value {
    let b = part.batch;
    let (c, s) = (&b.client, &b.source);
    let mut row = json!({
        "site": b.site.as_str(), "session_id": b.session.0 as i64,
        "visitor_id": b.visitor.0 as i64, "user_id": part.user, "bot": u8::from(c.bot),
        "ts_ms": part.ts, "last_ts_ms": part.last_ts, "events": part.events,
        "pageviews": part.pageviews, "clicks": part.clicks, "engaged_ms": part.engaged_ms,
        "max_depth": part.max_depth, "entry_ts_ms": part.entry.map(|p| p.0),
        "entry_page": part.entry.map(|p| p.1), "exit_ts_ms": part.exit.map(|p| p.0),
        "exit_page": part.exit.map(|p| p.1), "browser": c.browser,
        "browser_version": c.browser_version, "os": c.os, "device": c.device.as_str(),
        "country": c.country, "ip": c.ip, "screen_w": c.screen_width,
        "screen_h": c.screen_height, "language": c.language,
        "referrer_host": s.referrer_host, "source": s.source, "medium": s.medium,
        "utm_source": s.utm_source, "utm_medium": s.utm_medium,
        "utm_campaign": s.utm_campaign, "utm_term": s.utm_term, "utm_content": s.utm_content,
    });
    for (name, kind) in KIND_COLUMNS {
        row[name] = json!(part.kinds[kind]);
    }
    row
}

/// The row keys of `chunk` already stored in a table (asked after an unknown outcome).
fn landed(client: &Client, t: &TableRows, chunk: u64) -> Result<HashSet<i64>, ClientError> {
    let rows = client.query(&format!(
        "SELECT {key} FROM {table} WHERE chunk = {chunk} AND ts_ms >= {min} AND ts_ms <= {max}",
        key = t.key,
        table = t.table,
        min = t.min_ts,
        max = t.max_ts,
    ))?;
    rows.0.iter().map(|r| r.at(0)?.i64()).collect()
}

/// Inserts the chunk's rows; with `suspect`, only those not already stored. Returns the
/// number of rows skipped because they had landed before.
pub(super) fn insert(
    client: &Client,
    chunk: &ChunkRows,
    id: u64,
    suspect: bool,
) -> Result<usize, ClientError> {
    let mut skipped = 0;
    for t in &chunk.tables {
        if t.rows.is_empty() {
            continue;
        }
        let done = if suspect {
            landed(client, t, id)?
        } else {
            HashSet::new()
        };
        skipped += done.len();
        client.insert(
            t.table,
            t.rows
                .iter()
                .filter(|(k, _)| !done.contains(k))
                .map(|(_, r)| r),
        )?;
    }
    Ok(skipped)
}
