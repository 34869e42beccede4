//! The DuckDB write path: Arrow record batches appended inside one transaction with the spool
//! position. The Arrow columns themselves are built in `columns.rs`.
//!
//! Row-by-row `INSERT` manages a few hundred rows a second and the row appender about a
//! hundred thousand of these wide rows; building columns and appending them as Arrow record
//! batches is several times faster again. Rows are sorted by site, then sessions in the order
//! they started, each session's events in time order, before appending: columns that repeat
//! within a session (path, title) compress into long runs and times into narrow bit widths.
//! Commerce events also go to `commerce` (same columns) and pageviews to `pageviews` (a few
//! columns), which reports scan instead of every event. Each batch adds a rollup row to
//! `batches`, each session's row in `sessions` (its figures and attributes) is merged with what
//! the append adds (see [`merge_sessions`]), and appends from the spool record their event ids
//! in `recent_ids` for the writer's de-duplication after a restart.

use std::sync::Arc;

use duckdb::arrow::array::Int64Builder;
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::{TimeUnit, ToSql, ToSqlOutput, Value};
use duckdb::{Connection, params};

use super::columns::{BatchColumns, EventColumns, ItemColumns, SessionColumns, finish_batch};
use super::map_err;
use crate::model::{Batch, Event, EventData};
use crate::store::rows::{identity_links, session_parts};
use crate::store::{StoreError, StoreResult};

/// Epoch milliseconds bound as a `TIMESTAMP`.
pub(crate) struct Ts(pub i64);

impl ToSql for Ts {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Owned(Value::Timestamp(
            TimeUnit::Millisecond,
            self.0,
        )))
    }
}

pub(super) fn append(
    conn: &mut Connection,
    batches: &[Batch],
    spool_seq: Option<u64>,
    recent_ids: usize,
) -> StoreResult<()> {
    let parts = session_parts(batches);

    // Sessions in the order they started (within this append), each session's events together
    // in time order: neighbouring rows then share site, session and visitor (long runs) and
    // their times lie close together (narrow bit-packing), while a stable sort keeps a batch's
    // order for events of the same millisecond.
    let mut rows: Vec<(i64, &Batch, &Event)> = batches
        .iter()
        .flat_map(|b| {
            let start = parts
                .get(&(b.site.as_str(), b.session.0))
                .map_or(0, |p| p.ts);
            b.events.iter().map(move |e| (start, b, e))
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.1.site.as_str(), a.0, a.1.session.0, a.2.ts_ms).cmp(&(
            b.1.site.as_str(),
            b.0,
            b.1.session.0,
            b.2.ts_ms,
        ))
    });
    let rows: Vec<(&Batch, &Event)> = rows.into_iter().map(|(_, b, e)| (b, e)).collect();

    let tx = conn.transaction().map_err(map_err)?;
    {
        let mut rollups = BatchColumns::default();
        for b in batches {
            rollups.push(b);
        }
        let mut events = EventColumns::with_capacity(rows.len());
        let mut commerce = EventColumns::default();
        let mut pageviews = EventColumns::default();
        let mut sessions = SessionColumns::default();
        for part in parts.values() {
            sessions.push(part);
        }
        let mut items = ItemColumns::default();
        for (b, e) in &rows {
            events.push(b, e);
            if let EventData::Pageview { .. } = &e.data {
                pageviews.push(b, e);
            }
            if let EventData::Commerce(c) = &e.data {
                commerce.push(b, e);
                for item in &c.items {
                    items.push(b, e, c, item);
                }
            }
        }
        if events.len > 0 {
            // `events` has every column but `eid` (see migration 6).
            let all = events.finish()?;
            let schema = all.schema();
            let columns: Vec<&str> = schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .filter(|name| *name != "eid")
                .collect();
            append_rows(&tx, "events", project(&all, &columns)?)?;
        }
        if let Some(seq) = spool_seq {
            remember_ids(&tx, &rows, seq, recent_ids)?;
        }
        if pageviews.len > 0 {
            let pageviews = pageviews.finish()?;
            append_rows(&tx, "pageviews", project(&pageviews, &PAGEVIEW_COLUMNS)?)?;
        }
        if commerce.len > 0 {
            append_rows(&tx, "commerce", commerce.finish()?)?;
        }
        if rollups.len > 0 {
            append_rows(&tx, "batches", rollups.finish()?)?;
        }
        if sessions.len > 0 {
            append_rows(&tx, "sessions_staging", sessions.finish()?)?;
            merge_sessions(&tx)?;
        }
        if items.len > 0 {
            append_rows(&tx, "items", items.finish()?)?;
        }

        let links = identity_links(rows.iter().copied());
        if !links.is_empty() {
            let mut ids = tx.appender("identities").map_err(map_err)?;
            for (site, visitor, user, ts) in links {
                ids.append_row(params![site, visitor, user, Ts(ts)])
                    .map_err(map_err)?;
            }
            ids.flush().map_err(map_err)?;
        }
    }
    if let Some(seq) = spool_seq {
        tx.execute(
            "UPDATE spool_state SET applied_seq = ? WHERE id = 1",
            [seq as i64],
        )
        .map_err(map_err)?;
    }
    tx.commit().map_err(map_err)
}

/// The columns of `events` that `pageviews` keeps, in its column order.
const PAGEVIEW_COLUMNS: [&str; 6] = ["site", "ts", "visitor_id", "session_id", "bot", "path"];

/// The named columns of `rows`, in the order given.
fn project(rows: &RecordBatch, columns: &[&str]) -> StoreResult<RecordBatch> {
    let indices = columns
        .iter()
        .map(|name| rows.schema().index_of(name))
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|e| StoreError::internal_because(format!("event columns: {e}"), e))?;
    rows.project(&indices)
        .map_err(|e| StoreError::internal_because(format!("projecting event columns: {e}"), e))
}

/// Records the ids of an ingested append in `recent_ids` and, once the table holds half a
/// window more than it keeps, deletes the oldest, so it stays between one and one and a half
/// windows whatever the size of `events`.
fn remember_ids(
    tx: &duckdb::Transaction<'_>,
    rows: &[(&Batch, &Event)],
    seq: u64,
    keep: usize,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut ids = Int64Builder::with_capacity(rows.len());
    rows.iter()
        .for_each(|(_, e)| ids.append_value(e.eid as i64));
    let mut seqs = Int64Builder::with_capacity(rows.len());
    seqs.append_value_n(seq as i64, rows.len());
    append_rows(
        tx,
        "recent_ids",
        finish_batch(vec![
            ("seq", Arc::new(seqs.finish())),
            ("eid", Arc::new(ids.finish())),
        ])?,
    )?;
    let kept: i64 = tx
        .query_row("SELECT count(*) FROM recent_ids", [], |r| r.get(0))
        .map_err(map_err)?;
    if kept as usize > keep + keep / 2 {
        tx.execute(
            "DELETE FROM recent_ids WHERE seq < (SELECT seq FROM recent_ids ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            [keep as i64],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn recent_event_ids(conn: &Connection, limit: usize) -> StoreResult<Vec<u64>> {
    let mut stmt = conn
        .prepare("SELECT eid FROM recent_ids ORDER BY seq DESC, rowid DESC LIMIT ?")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([limit as i64], |r| r.get::<_, i64>(0))
        .map_err(map_err)?;
    rows.map(|r| r.map(|v| v as u64).map_err(map_err)).collect()
}

/// Appends Arrow rows to `table` within the transaction.
fn append_rows(tx: &duckdb::Transaction<'_>, table: &str, rows: RecordBatch) -> StoreResult<()> {
    let mut appender = tx.appender(table).map_err(map_err)?;
    appender.append_record_batch(rows).map_err(map_err)?;
    appender.flush().map_err(map_err)
}

/// The staged sessions' stored rows: matched on the session id (the site is part of its
/// hash), within `rowid` bounds found first. A stored session row is rewritten at the end of
/// the table whenever its session goes on, so the rows an append continues lie close
/// together near the end. Finding their bounds scans only `session_id`; fetching and deleting
/// the rows then reads the 45 columns of the row groups between the bounds instead of every
/// row group (measured on 5.5M stored sessions and 10k staged, half of them stored: 230-270 ms
/// to fetch the rows by scanning everything, 40 ms to scan `session_id` alone).
const STORED_OF_STAGED: &str = "session_id IN (SELECT session_id FROM sessions_staging) \
     AND site IN (SELECT site FROM sessions_staging)";

/// Folds `sessions_staging` (this append's rows) into `sessions`: the stored rows of the same
/// sessions join the staged ones, are deleted, and one merged row per session is inserted
/// (see [`MERGED_SESSIONS`]).
fn merge_sessions(tx: &duckdb::Transaction<'_>) -> StoreResult<()> {
    let (stored, lo, hi): (i64, Option<i64>, Option<i64>) = tx
        .query_row(
            &format!(
                "SELECT count(*), min(rowid), max(rowid) FROM sessions WHERE {STORED_OF_STAGED}"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(map_err)?;
    if let (true, Some(lo), Some(hi)) = (stored > 0, lo, hi) {
        let within = format!("rowid BETWEEN {lo} AND {hi} AND {STORED_OF_STAGED}");
        tx.execute_batch(&format!(
            "INSERT INTO sessions_staging SELECT * FROM sessions WHERE {within};
             DELETE FROM sessions WHERE {within};"
        ))
        .map_err(map_err)?;
    }
    tx.execute_batch(MERGED_SESSIONS).map_err(map_err)
}

/// One merged row per staged session, appended at the end of `sessions`, then the staging
/// table emptied. Attributes are the earliest row's; `arg_min`/`arg_max` skip NULL arguments,
/// so a page or country missing from one part is taken from another.
const MERGED_SESSIONS: &str = "
    INSERT INTO sessions
        SELECT site, session_id, arg_min(visitor_id, ts), max(user_id), arg_min(bot, ts),
               min(ts), max(last_ts), sum(events)::BIGINT, sum(pageviews)::BIGINT,
               sum(clicks)::BIGINT, sum(engaged_ms)::BIGINT, max(max_depth), min(entry_ts),
               arg_min(entry_page, entry_ts), max(exit_ts), arg_max(exit_page, exit_ts),
               arg_min(browser, ts), arg_min(browser_version, ts), arg_min(os, ts),
               arg_min(device, ts), arg_min(country, ts), arg_min(ip, ts),
               arg_min(screen_w, ts), arg_min(screen_h, ts), arg_min(language, ts),
               arg_min(referrer_host, ts), arg_min(source, ts), arg_min(medium, ts),
               arg_min(utm_source, ts), arg_min(utm_medium, ts), arg_min(utm_campaign, ts),
               arg_min(utm_term, ts), arg_min(utm_content, ts),
               sum(n_move)::BIGINT, sum(n_scroll)::BIGINT, sum(n_key)::BIGINT, sum(n_form)::BIGINT, sum(n_touch)::BIGINT, sum(n_media)::BIGINT, sum(n_visibility)::BIGINT, sum(n_resize)::BIGINT, sum(n_engagement)::BIGINT, sum(n_custom)::BIGINT, sum(n_commerce)::BIGINT, sum(n_identify)::BIGINT, sum(n_error)::BIGINT
        FROM sessions_staging
        GROUP BY site, session_id
        ORDER BY min(ts);
    DELETE FROM sessions_staging;";
