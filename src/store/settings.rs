//! The small pieces of shared state footfall keeps in a store's `settings` table, as typed
//! methods: the daily salt, the dashboard's cookie secret, when an account last signed out,
//! the cookieless sessions nodes share, when the report benchmark seeded a database, and each
//! site's thresholds of the frustration signals.
//!
//! Both stores keep them as key/value text rows. The key names and the text forms live only
//! here, so ingest, the dashboard and a store's cleanup (which deletes shared sessions by their
//! key prefix) cannot disagree about them. The stored bytes are those of earlier versions.

use super::StoreResult;
use crate::model::SiteId;
use crate::query::frustration::Thresholds;

/// The key prefix of shared cookieless sessions (the ClickHouse cleanup deletes by it).
pub(super) const SHARED_SESSION_PREFIX: &str = "session:";
const DAILY_SALT: &str = "daily_salt";
const DASHBOARD_SECRET: &str = "dashboard_secret";
const SIGNED_OUT_PREFIX: &str = "signed_out:";
const BENCH_SEEDED_AT: &str = "bench-seeded-at";
const FRUSTRATION_PREFIX: &str = "frustration:";

/// The salt that cookieless visitor hashes use on one day: every node and restart hashes
/// the same visitor the same way within the day, and it is overwritten the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailySalt {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub salt: [u8; 32],
}

impl DailySalt {
    /// Stored as `<day>:<64 hex digits>`.
    fn to_text(self) -> String {
        let hexed: String = self.salt.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}:{hexed}", self.day)
    }

    fn parse(text: &str) -> Option<DailySalt> {
        let (day, hexed) = text.split_once(':')?;
        let day = day.parse().ok()?;
        if hexed.len() != 64 {
            return None;
        }
        let mut salt = [0u8; 32];
        for (i, b) in salt.iter_mut().enumerate() {
            *b = u8::from_str_radix(hexed.get(i * 2..i * 2 + 2)?, 16).ok()?;
        }
        Some(DailySalt { day, salt })
    }
}

/// A cookieless visitor's session as one node recorded it for the others: the session id
/// and the time of its last event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSession {
    /// Contains no `:` (ids made by the identity resolver are `t` and hex digits).
    pub session: String,
    pub last_ms: i64,
}

impl SharedSession {
    /// Stored as `<session>:<last event ms>`.
    fn to_text(&self) -> String {
        format!("{}:{}", self.session, self.last_ms)
    }

    fn parse(text: &str) -> Option<SharedSession> {
        let (session, last) = text.rsplit_once(':')?;
        Some(SharedSession {
            session: session.to_owned(),
            last_ms: last.parse().ok()?,
        })
    }
}

/// The raw key/value table each store implements (a store wrapper outside the crate, such as a
/// test double, implements it too); only this module reads it, through
/// [`Settings`].
pub trait SettingsTable {
    fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

/// The typed settings. Text that no longer parses reads as absent, so a damaged row is
/// replaced instead of failing every request that reads it.
pub trait Settings {
    fn daily_salt(&self) -> StoreResult<Option<DailySalt>>;
    fn set_daily_salt(&self, salt: DailySalt) -> StoreResult<()>;
    /// The dashboard's cookie and CSRF secret (text the dashboard encodes).
    fn dashboard_secret(&self) -> StoreResult<Option<String>>;
    fn set_dashboard_secret(&self, secret: &str) -> StoreResult<()>;
    /// When the account last signed out everywhere (epoch ms): older cookies are void.
    fn signed_out_at(&self, email: &str) -> StoreResult<Option<i64>>;
    fn set_signed_out_at(&self, email: &str, at_ms: i64) -> StoreResult<()>;
    /// The session another node recorded for a cookieless visitor (by its visitor key).
    fn shared_session(&self, visitor_key: u64) -> StoreResult<Option<SharedSession>>;
    fn share_session(&self, visitor_key: u64, session: &SharedSession) -> StoreResult<()>;
    /// When `bench-reports` seeded this database (epoch ms): a kept database's reports are
    /// measured over the days it was seeded for.
    fn bench_seeded_at(&self) -> StoreResult<Option<i64>>;
    fn set_bench_seeded_at(&self, at_ms: i64) -> StoreResult<()>;
    /// A site's thresholds of the frustration signals (the defaults until changed).
    fn frustration_thresholds(&self, site: &SiteId) -> StoreResult<Thresholds>;
    fn set_frustration_thresholds(&self, site: &SiteId, t: &Thresholds) -> StoreResult<()>;
}

fn shared_session_key(visitor_key: u64) -> String {
    format!("{SHARED_SESSION_PREFIX}{visitor_key:016x}")
}

fn signed_out_key(email: &str) -> String {
    format!("{SIGNED_OUT_PREFIX}{email}")
}

impl<T: SettingsTable + ?Sized> Settings for T {
    fn daily_salt(&self) -> StoreResult<Option<DailySalt>> {
        Ok(self.setting(DAILY_SALT)?.and_then(|t| DailySalt::parse(&t)))
    }

    fn set_daily_salt(&self, salt: DailySalt) -> StoreResult<()> {
        self.set_setting(DAILY_SALT, &salt.to_text())
    }

    fn dashboard_secret(&self) -> StoreResult<Option<String>> {
        self.setting(DASHBOARD_SECRET)
    }

    fn set_dashboard_secret(&self, secret: &str) -> StoreResult<()> {
        self.set_setting(DASHBOARD_SECRET, secret)
    }

    fn signed_out_at(&self, email: &str) -> StoreResult<Option<i64>> {
        Ok(self
            .setting(&signed_out_key(email))?
            .and_then(|t| t.parse().ok()))
    }

    fn set_signed_out_at(&self, email: &str, at_ms: i64) -> StoreResult<()> {
        self.set_setting(&signed_out_key(email), &at_ms.to_string())
    }

    fn shared_session(&self, visitor_key: u64) -> StoreResult<Option<SharedSession>> {
        Ok(self
            .setting(&shared_session_key(visitor_key))?
            .and_then(|t| SharedSession::parse(&t)))
    }

    fn share_session(&self, visitor_key: u64, session: &SharedSession) -> StoreResult<()> {
        self.set_setting(&shared_session_key(visitor_key), &session.to_text())
    }

    fn bench_seeded_at(&self) -> StoreResult<Option<i64>> {
        Ok(self
            .setting(BENCH_SEEDED_AT)?
            .and_then(|t| t.trim().parse().ok()))
    }

    fn set_bench_seeded_at(&self, at_ms: i64) -> StoreResult<()> {
        self.set_setting(BENCH_SEEDED_AT, &at_ms.to_string())
    }

    fn frustration_thresholds(&self, site: &SiteId) -> StoreResult<Thresholds> {
        Ok(self
            .setting(&frustration_key(site))?
            .and_then(|t| serde_json::from_str::<Thresholds>(&t).ok())
            .and_then(|t| t.validate().ok())
            .unwrap_or_default())
    }

    fn set_frustration_thresholds(&self, site: &SiteId, t: &Thresholds) -> StoreResult<()> {
        let text = serde_json::to_string(t)
            .map_err(|e| super::StoreError::internal_because("encoding thresholds", e))?;
        self.set_setting(&frustration_key(site), &text)
    }
}

/// Stored as JSON (`Thresholds`' fields) under `frustration:<site>`.
fn frustration_key(site: &SiteId) -> String {
    format!("{FRUSTRATION_PREFIX}{site}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_round_trip_through_their_text_form() {
        let salt = DailySalt {
            day: 42,
            salt: [7u8; 32],
        };
        assert_eq!(DailySalt::parse(&salt.to_text()), Some(salt));
        assert_eq!(DailySalt::parse("42:zz"), None);
        assert_eq!(DailySalt::parse("x"), None);
    }

    #[test]
    fn shared_sessions_keep_the_text_form_of_earlier_versions() {
        let shared = SharedSession {
            session: "t00ff".into(),
            last_ms: 1_700_000_000_000,
        };
        assert_eq!(shared.to_text(), "t00ff:1700000000000");
        assert_eq!(SharedSession::parse("t00ff:1700000000000"), Some(shared));
        assert_eq!(SharedSession::parse("t00ff"), None);
        assert_eq!(shared_session_key(0xab), "session:00000000000000ab");
        assert_eq!(signed_out_key("a@b.c"), "signed_out:a@b.c");
    }
}
