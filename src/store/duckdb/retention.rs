//! Retention deletes for the embedded store: whole sessions older than a cutoff.
//!
//! Sessions are the unit because every report counts a session in the range where it starts
//! and reads its figures from one merged row: deleting by event time would leave rows that
//! disagree with their events. The doomed session ids are gathered once into a temporary
//! table, then every table that holds session rows is cleared of them in one transaction.

use duckdb::{Connection, params};

use super::map_err;
use super::write::Ts;
use crate::model::SiteId;
use crate::store::StoreResult;

/// Tables whose rows belong to one session, by `session_id`.
const SESSION_TABLES: [&str; 6] = [
    "events",
    "pageviews",
    "commerce",
    "items",
    "batches",
    "sessions",
];

pub(super) fn delete_sessions_before(
    conn: &mut Connection,
    site: &SiteId,
    cutoff_ms: i64,
) -> StoreResult<u64> {
    let tx = conn.transaction().map_err(map_err)?;
    tx.execute(
        "CREATE OR REPLACE TEMP TABLE doomed_sessions AS
         SELECT session_id FROM sessions WHERE site = ? AND ts < ?",
        params![site.as_str(), Ts(cutoff_ms)],
    )
    .map_err(map_err)?;
    let doomed: i64 = tx
        .query_row("SELECT count(*) FROM doomed_sessions", [], |r| r.get(0))
        .map_err(map_err)?;
    if doomed > 0 {
        for table in SESSION_TABLES {
            tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE site = ? AND session_id IN \
                     (SELECT session_id FROM doomed_sessions)"
                ),
                [site.as_str()],
            )
            .map_err(map_err)?;
        }
        tx.execute(
            "DELETE FROM identities WHERE site = ? AND ts < ? AND visitor_id NOT IN \
             (SELECT visitor_id FROM sessions WHERE site = ?)",
            params![site.as_str(), Ts(cutoff_ms), site.as_str()],
        )
        .map_err(map_err)?;
    }
    tx.execute("DROP TABLE doomed_sessions", [])
        .map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(doomed as u64)
}
