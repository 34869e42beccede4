//! Who sent a batch: visitor and session ids when the payload does not say.
//!
//! Order of precedence (as the userBehaviour.js contract requires): ids in the payload or its
//! envelope, then first-party cookies footfall set on an earlier response, then a cookieless
//! visitor hash of (site, client IP, user agent, a salt that rotates daily). Sessions without a
//! client id follow a 30-minute inactivity rule. The daily salt lives in the store so every
//! node and restart uses the same one, and yesterday's is overwritten, so old hashes cannot be
//! recomputed. Nodes that made a day's salt at the same moment converge on the one the store
//! kept within [`SALT_RECHECK_MS`].
//!
//! With a store several nodes share (ClickHouse), sessions without a client id are shared
//! through it too: a node that has no live session of its own for a visitor looks for one
//! another node recorded (setting `session:<visitor key>` = `<session>:<last event ms>`), and
//! records the sessions it starts or continues (again at most every [`SHARE_EVERY_MS`]).
//! Without this, a visit that a load balancer moved to another node mid-way was split into
//! one session per node. The store is asked with a short timeout, so an unavailable store only
//! costs that node the sharing. With DuckDB only one process can open the store, so the
//! node's memory is the whole truth and the store is not asked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::model::{SessionId, Site, VisitorId, hash64};
use crate::store::{DailySalt, SharedSession, Store};

/// A session ends after this long without events.
pub const SESSION_TIMEOUT_MS: i64 = 30 * 60 * 1000;
const DAY_MS: i64 = 86_400_000;
const MAX_TRACKED_VISITORS: usize = 200_000;
/// How often a node re-records a continuing session's last event time in the store.
pub const SHARE_EVERY_MS: i64 = 5 * 60 * 1000;
/// How long ingestion waits for the store when sharing a session.
const SHARE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);
/// How often a node compares its daily salt with the store's: two nodes that both found no
/// salt for a new day each made one, and the store keeps one of them, so the other node must
/// switch to it (else the same visitor hashes differently on each node all day).
pub const SALT_RECHECK_MS: i64 = 60 * 1000;

pub struct Identity {
    pub visitor: VisitorId,
    pub session: SessionId,
    /// (visitor, session) client strings to set as cookies, when cookies are in use.
    pub cookies: Option<(String, String)>,
}

pub struct IdentityResolver {
    store: Arc<dyn Store>,
    /// (day, salt, when last compared with the store's).
    salt: RwLock<Option<(i64, [u8; 32], i64)>>,
    /// Visitor key → (session client string, last event time, when last recorded in the
    /// store), for the inactivity rule.
    sessions: Mutex<HashMap<u64, (String, i64, i64)>>,
    share_sessions: bool,
}

impl IdentityResolver {
    /// `share_sessions`: record and look up cookieless sessions in the store, for stores that
    /// several nodes write at once. A store only one process can open (DuckDB) gains nothing
    /// from it and would pay a settings write per new session on its single write connection.
    pub fn new(store: Arc<dyn Store>, share_sessions: bool) -> IdentityResolver {
        IdentityResolver {
            store,
            share_sessions,
            salt: RwLock::new(None),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The salt of the UTC day of `now_ms`, loading or creating it in the store on a new day.
    pub async fn day_salt(&self, now_ms: i64) -> [u8; 32] {
        let day = now_ms.div_euclid(DAY_MS);
        let cached = *self.salt.read();
        if let Some((d, salt, checked)) = cached
            && d == day
        {
            if now_ms - checked < SALT_RECHECK_MS {
                return salt;
            }
            {
                // One request rechecks; the others go on with the cached salt meanwhile.
                let mut guard = self.salt.write();
                match guard.as_mut() {
                    Some((d, _, checked)) if *d == day && now_ms - *checked >= SALT_RECHECK_MS => {
                        *checked = now_ms;
                    }
                    _ => return salt,
                }
            }
            let stored = self
                .blocking(move |store| store.daily_salt().ok().flatten())
                .await
                .flatten()
                .filter(|s| s.day == day);
            let Some(DailySalt { salt: stored, .. }) = stored else {
                return salt;
            };
            if let Some((d, current, _)) = self.salt.write().as_mut()
                && *d == day
            {
                *current = stored;
            }
            return stored;
        }
        let store = self.store.clone();
        let loaded = tokio::task::spawn_blocking(move || -> Option<[u8; 32]> {
            if let Ok(Some(stored)) = store.daily_salt()
                && stored.day == day
            {
                return Some(stored.salt);
            }
            let salt: [u8; 32] = rand::random();
            store.set_daily_salt(DailySalt { day, salt }).ok()?;
            Some(salt)
        })
        .await
        .ok()
        .flatten();
        // If the store cannot keep it, a process-local salt still protects the address.
        let salt = loaded.unwrap_or_else(rand::random);
        *self.salt.write() = Some((day, salt, now_ms));
        salt
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn resolve(
        &self,
        site: &Site,
        visitor_id: Option<&str>,
        session_id: Option<&str>,
        cookie_visitor: Option<&str>,
        cookie_session: Option<&str>,
        salt: &[u8; 32],
        ip: IpAddr,
        user_agent: &str,
        now_ms: i64,
        use_cookies: bool,
    ) -> Identity {
        let site_key = site.id.as_str().as_bytes();
        let visitor_text = match visitor_id.or(cookie_visitor) {
            Some(v) => v.to_owned(),
            None => {
                let h = hash64(&[
                    b"cookieless",
                    salt,
                    site_key,
                    ip.to_string().as_bytes(),
                    user_agent.as_bytes(),
                ]);
                format!("h{h:016x}")
            }
        };
        let session_text = match session_id.or(cookie_session) {
            Some(s) => s.to_owned(),
            None => {
                self.session_by_inactivity(hash64(&[site_key, visitor_text.as_bytes()]), now_ms)
                    .await
            }
        };
        let cookies = (use_cookies && visitor_id.is_none())
            .then(|| (visitor_text.clone(), session_text.clone()));
        Identity {
            visitor: VisitorId::from_client(&site.id, &visitor_text),
            session: SessionId::from_client(&site.id, &session_text),
            cookies,
        }
    }

    /// The session of a visitor without a client session id: this node's live one, else a
    /// live one another node recorded in the store, else a new one.
    async fn session_by_inactivity(&self, visitor_key: u64, now_ms: i64) -> String {
        if let Some((session, share)) = self.live_session(visitor_key, now_ms) {
            if share && self.share_sessions {
                self.share(visitor_key, &session, now_ms).await;
            }
            return session;
        }
        let looked_up = if self.share_sessions {
            self.blocking(move |store| store.shared_session(visitor_key))
                .await
        } else {
            None
        };
        // The store did not answer (in time): do not wait for it a second time to share.
        let reachable = matches!(looked_up, Some(Ok(_)));
        let recorded = looked_up
            .and_then(Result::ok)
            .flatten()
            .filter(|shared| now_ms - shared.last_ms <= SESSION_TIMEOUT_MS);
        let session = {
            let mut sessions = self.sessions.lock();
            if sessions.len() > MAX_TRACKED_VISITORS {
                sessions.retain(|_, (_, last, _)| now_ms - *last <= SESSION_TIMEOUT_MS);
            }
            let entry = sessions
                .entry(visitor_key)
                .or_insert_with(|| (String::new(), i64::MIN, i64::MIN));
            // A request of the same visitor may have started one while the store answered.
            if entry.0.is_empty() || now_ms - entry.1 > SESSION_TIMEOUT_MS {
                entry.0 = match &recorded {
                    Some(shared) => shared.session.clone(),
                    None => format!(
                        "t{:016x}",
                        hash64(&[&visitor_key.to_le_bytes(), &now_ms.to_le_bytes()])
                    ),
                };
                entry.1 = now_ms;
            }
            entry.1 = entry.1.max(now_ms);
            entry.2 = now_ms;
            entry.0.clone()
        };
        if reachable && self.share_sessions {
            self.share(visitor_key, &session, now_ms).await;
        }
        session
    }

    /// This node's live session of the visitor, extended to `now_ms`, and whether it is time
    /// to record it in the store again.
    fn live_session(&self, visitor_key: u64, now_ms: i64) -> Option<(String, bool)> {
        let mut sessions = self.sessions.lock();
        let entry = sessions.get_mut(&visitor_key)?;
        if entry.0.is_empty() || now_ms - entry.1 > SESSION_TIMEOUT_MS {
            return None;
        }
        entry.1 = entry.1.max(now_ms);
        let share = now_ms - entry.2 >= SHARE_EVERY_MS;
        if share {
            entry.2 = now_ms;
        }
        Some((entry.0.clone(), share))
    }

    /// Records in the store that the visitor's session had an event at `now_ms`.
    async fn share(&self, visitor_key: u64, session: &str, now_ms: i64) {
        let shared = SharedSession {
            session: session.to_owned(),
            last_ms: now_ms,
        };
        self.blocking(move |store| {
            if let Err(e) = store.share_session(visitor_key, &shared) {
                tracing::warn!(error = %e, "could not share a session with the other nodes");
            }
        })
        .await;
    }

    /// Runs `f` on the store off the async threads, giving up after [`SHARE_TIMEOUT`].
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> T + Send + 'static,
    ) -> Option<T> {
        let store = self.store.clone();
        let task = tokio::task::spawn_blocking(move || f(store.as_ref()));
        tokio::time::timeout(SHARE_TIMEOUT, task).await.ok()?.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_store() -> (Arc<dyn Store>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::duckdb::DuckDbStore::open(
            dir.path(),
            &crate::store::duckdb::DuckDbOptions::default(),
        )
        .unwrap();
        (Arc::new(store), dir)
    }

    async fn cookieless(node: &IdentityResolver, ua: &str, now_ms: i64) -> SessionId {
        let site = Site {
            id: crate::model::SiteId::parse("demo").unwrap(),
            domains: Vec::new(),
            settings: Default::default(),
        };
        let salt = [1u8; 32];
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        node.resolve(&site, None, None, None, None, &salt, ip, ua, now_ms, false)
            .await
            .session
    }

    /// Two nodes on one store: a cookieless visit that moves from one to the other (and
    /// back) is one session; inactivity still ends it, on whichever node.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_sharing_a_store_continue_each_others_cookieless_sessions() {
        let (store, _dir) = shared_store();
        let a = IdentityResolver::new(store.clone(), true);
        let b = IdentityResolver::new(store.clone(), true);
        let t = 1_795_560_120_000;
        let first = cookieless(&a, "UA-1", t).await;
        assert_eq!(cookieless(&a, "UA-1", t + 60_000).await, first);
        assert_eq!(
            cookieless(&b, "UA-1", t + 120_000).await,
            first,
            "moved to B"
        );
        // B keeps it going past A's last event for long enough that A's own entry expired.
        for minute in (10..60).step_by(10) {
            assert_eq!(cookieless(&b, "UA-1", t + minute * 60_000).await, first);
        }
        assert_eq!(
            cookieless(&a, "UA-1", t + 65 * 60_000).await,
            first,
            "back on A, which learns from the store that B continued the visit"
        );
        // Another visitor is another session.
        assert_ne!(cookieless(&b, "UA-2", t + 65 * 60_000).await, first);
        // 31 minutes without events: a new session, and the other node agrees.
        let later = t + 96 * 60_000 + 1;
        let second = cookieless(&b, "UA-1", later).await;
        assert_ne!(second, first);
        assert_eq!(cookieless(&a, "UA-1", later + 1_000).await, second);
    }

    /// Two nodes that each made a salt for a new day (both found none) agree on the one the
    /// store kept within [`SALT_RECHECK_MS`].
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_that_made_different_salts_switch_to_the_stored_one() {
        let (store, _dir) = shared_store();
        let a = IdentityResolver::new(store.clone(), true);
        let b = IdentityResolver::new(store.clone(), true);
        let t = 1_795_560_120_000;
        let day = i64::div_euclid(t, DAY_MS);
        let made_by_a = a.day_salt(t).await;
        // B made its own at the same moment, and its write is the one the store kept.
        let made_by_b = [9u8; 32];
        store
            .set_daily_salt(DailySalt {
                day,
                salt: made_by_b,
            })
            .unwrap();
        assert_eq!(b.day_salt(t).await, made_by_b);
        assert_eq!(a.day_salt(t + 1_000).await, made_by_a, "cached for a while");
        assert_eq!(a.day_salt(t + SALT_RECHECK_MS).await, made_by_b);
        assert_eq!(a.day_salt(t + SALT_RECHECK_MS + 1).await, made_by_b);
        // A new day: a new salt, shared through the store.
        let next = a.day_salt(t + DAY_MS).await;
        assert_ne!(next, made_by_b);
        assert_eq!(b.day_salt(t + DAY_MS + 1).await, next);
    }

    /// One node alone keeps the inactivity rule.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_node_ends_a_session_after_thirty_idle_minutes() {
        let (store, _dir) = shared_store();
        let a = IdentityResolver::new(store, true);
        let t = 1_795_560_120_000;
        let first = cookieless(&a, "UA-1", t).await;
        assert_eq!(cookieless(&a, "UA-1", t + SESSION_TIMEOUT_MS).await, first);
        assert_ne!(
            cookieless(&a, "UA-1", t + 2 * SESSION_TIMEOUT_MS + 1).await,
            first
        );
    }
}
