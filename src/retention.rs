//! Data retention: sessions older than the configured number of days are deleted, hourly;
//! stores shared between nodes also drop their stale shared cookieless sessions then.
//!
//! The store does the deleting (`Store::delete_sessions_before`, whole sessions so reports
//! never see half of one); this is only the schedule. Every node runs it: deletes are
//! idempotent, so several nodes sharing a ClickHouse store only repeat each other's work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::store::{Store, StoreResult};

/// Time between two retention runs.
const EVERY: Duration = Duration::from_secs(3600);
/// The first run waits this long after start, so start-up is not slowed by it.
const FIRST_AFTER: Duration = Duration::from_secs(5);
const DAY_MS: i64 = 86_400_000;

/// Deletes, for every site, the sessions that started before `now_ms - days`; returns how
/// many sessions were deleted in all.
pub fn run_once(store: &dyn Store, days: u32, now_ms: i64) -> StoreResult<u64> {
    let cutoff = now_ms.saturating_sub(i64::from(days) * DAY_MS);
    let mut deleted = 0;
    for site in store.sites()? {
        deleted += store.delete_sessions_before(&site.id, cutoff)?;
    }
    Ok(deleted)
}

/// How long shared cookieless-session records are kept after their last write: sessions end
/// after 30 minutes of inactivity; the rest is a margin for clocks that differ between nodes.
const SHARED_SESSIONS_KEPT_MS: i64 = 2 * 3_600_000;

/// The hourly housekeeping of a store: retention when `days` is set, and forgetting stale
/// shared sessions when several nodes share the store.
fn housekeep(store: &dyn Store, days: Option<u32>, now_ms: i64) {
    if let Some(days) = days {
        match run_once(store, days, now_ms) {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, days, "retention deleted old sessions"),
            Err(e) => tracing::warn!(error = %e, "retention run failed; trying again later"),
        }
    }
    if store.shared_between_nodes()
        && let Err(e) = store.forget_shared_sessions(now_ms - SHARED_SESSIONS_KEPT_MS)
    {
        tracing::warn!(error = %e, "could not delete stale shared sessions; trying again later");
    }
}

/// Runs the housekeeping in the background until `stop` is set, if there is any to do. It
/// holds the store weakly so a stopped app's database is not kept open.
pub fn spawn(store: Weak<dyn Store>, days: Option<u32>, stop: Arc<AtomicBool>) {
    let shared = store.upgrade().is_some_and(|s| s.shared_between_nodes());
    if days.is_none() && !shared {
        return;
    }
    tokio::spawn(async move {
        let mut wait = FIRST_AFTER;
        loop {
            tokio::time::sleep(wait).await;
            wait = EVERY;
            if stop.load(Ordering::Acquire) {
                return;
            }
            let Some(store) = store.upgrade() else { return };
            let now = crate::clock::now_ms();
            if let Err(e) =
                tokio::task::spawn_blocking(move || housekeep(store.as_ref(), days, now)).await
            {
                tracing::warn!(error = %e, "housekeeping stopped");
            }
        }
    });
}
