//! Retention deletes for ClickHouse: whole sessions older than a cutoff, as the embedded
//! store does them (see the embedded store's retention for why sessions are the unit), and the
//! shared cookieless-session records once they are stale.
//!
//! ClickHouse deletes with mutations (`ALTER TABLE ... DELETE`), which run in the background;
//! this waits for them so the call returns when the rows are gone. The doomed ids are listed
//! first and deleted by value, in chunks, because 18.16 cannot be trusted with subqueries in
//! a mutation. In cluster mode the mutations run on every shard's local tables (a
//! `Distributed` table takes no `ALTER`).

use std::time::{Duration, Instant};

use super::ClickHouseStore;
use super::client::{RowExt, quote};
use crate::model::SiteId;
use crate::store::StoreResult;
use crate::store::settings::SHARED_SESSION_PREFIX;

/// Tables whose rows belong to one session, by `session_id`.
const SESSION_TABLES: [&str; 4] = ["events", "items", "batches", "session_parts"];
/// Ids per mutation: keeps each statement well under ClickHouse's query size limit.
const IDS_PER_MUTATION: usize = 10_000;
/// How long a retention run waits for ClickHouse to apply its deletes.
const MUTATION_WAIT: Duration = Duration::from_secs(600);

impl ClickHouseStore {
    pub(super) fn delete_old_sessions(&self, site: &SiteId, cutoff_ms: i64) -> StoreResult<u64> {
        let site_sql = quote(site.as_str());
        let doomed = self.ids(&format!(
            "SELECT session_id FROM session_parts WHERE site = {site_sql}
             GROUP BY session_id HAVING min(ts_ms) < {cutoff_ms}"
        ))?;
        if doomed.is_empty() {
            return Ok(0);
        }
        for chunk in doomed.chunks(IDS_PER_MUTATION) {
            let ids = list(chunk);
            for table in SESSION_TABLES {
                self.mutate(
                    table,
                    &format!("site = {site_sql} AND session_id IN ({ids})"),
                )?;
            }
        }
        self.wait_for_all_mutations()?;
        // Identity links of visitors who now have no session left.
        let orphans = self.ids(&format!(
            "SELECT DISTINCT visitor_id FROM identities
             WHERE site = {site_sql} AND ts_ms < {cutoff_ms}
               AND visitor_id NOT IN (SELECT visitor_id FROM session_parts WHERE site = {site_sql})"
        ))?;
        for chunk in orphans.chunks(IDS_PER_MUTATION) {
            let ids = list(chunk);
            self.mutate(
                "identities",
                &format!("site = {site_sql} AND ts_ms < {cutoff_ms} AND visitor_id IN ({ids})"),
            )?;
        }
        self.wait_for_all_mutations()?;
        Ok(doomed.len() as u64)
    }

    /// Deletes the `session:*` settings (cookieless sessions shared between nodes) whose
    /// rows were written before `before_ms`; a row's version is its write time in
    /// microseconds. Keys written since keep their newer rows, which `argMax` reads.
    pub(super) fn forget_session_settings(&self, before_ms: i64) -> StoreResult<()> {
        let before_us = before_ms.max(0).saturating_mul(1000);
        self.mutate(
            "settings",
            &format!(
                "startsWith(key, {}) AND version < {before_us}",
                quote(SHARED_SESSION_PREFIX)
            ),
        )?;
        self.wait_for_all_mutations()
    }

    fn ids(&self, sql: &str) -> StoreResult<Vec<i64>> {
        let rows = self.client.query(sql)?;
        let mut out = Vec::with_capacity(rows.0.len());
        for r in &rows.0 {
            out.push(r.at(0)?.i64()?);
        }
        Ok(out)
    }

    /// Deletes the rows of `table` matching `predicate`, on every shard in cluster mode.
    fn mutate(&self, table: &str, predicate: &str) -> StoreResult<()> {
        if self.shards.is_empty() {
            self.client
                .execute(&format!("ALTER TABLE {table} DELETE WHERE {predicate}"))?;
        }
        for shard in &self.shards {
            shard.execute(&format!(
                "ALTER TABLE {table}_local DELETE WHERE {predicate}"
            ))?;
        }
        Ok(())
    }

    fn wait_for_all_mutations(&self) -> StoreResult<()> {
        let database = quote(&self.client.endpoint().database);
        let deadline = Instant::now() + MUTATION_WAIT;
        if self.shards.is_empty() {
            return self.wait_for_mutations(&self.client, &database, deadline);
        }
        for shard in &self.shards {
            self.wait_for_mutations(shard, &database, deadline)?;
        }
        Ok(())
    }
}

fn list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
