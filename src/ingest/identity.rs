//! Who sent a batch: visitor and session ids when the payload does not say.
//!
//! Order of precedence (as the userBehaviour.js contract requires): ids in the payload or its
//! envelope, then first-party cookies footfall set on an earlier response, then a cookieless
//! visitor hash of (site, client IP, user agent, a salt that rotates daily). Sessions without a
//! client id follow a 30-minute inactivity rule. The daily salt lives in the store so every
//! node and restart uses the same one, and yesterday's is overwritten, so old hashes cannot be
//! recomputed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::model::{SessionId, Site, VisitorId, hash64};
use crate::store::Store;

/// A session ends after this long without events.
pub const SESSION_TIMEOUT_MS: i64 = 30 * 60 * 1000;
const DAY_MS: i64 = 86_400_000;
const MAX_TRACKED_VISITORS: usize = 200_000;

pub struct Identity {
    pub visitor: VisitorId,
    pub session: SessionId,
    /// (visitor, session) client strings to set as cookies, when cookies are in use.
    pub cookies: Option<(String, String)>,
}

pub struct IdentityResolver {
    store: Arc<dyn Store>,
    salt: RwLock<Option<(i64, [u8; 32])>>,
    /// Visitor key → (session client string, last event time), for the inactivity rule.
    sessions: Mutex<HashMap<u64, (String, i64)>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_salt(text: &str) -> Option<(i64, [u8; 32])> {
    let (day, hexed) = text.split_once(':')?;
    let day = day.parse().ok()?;
    let mut salt = [0u8; 32];
    if hexed.len() != 64 {
        return None;
    }
    for (i, b) in salt.iter_mut().enumerate() {
        *b = u8::from_str_radix(hexed.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some((day, salt))
}

impl IdentityResolver {
    pub fn new(store: Arc<dyn Store>) -> IdentityResolver {
        IdentityResolver {
            store,
            salt: RwLock::new(None),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// The salt of the UTC day of `now_ms`, loading or creating it in the store on a new day.
    pub async fn day_salt(&self, now_ms: i64) -> [u8; 32] {
        let day = now_ms.div_euclid(DAY_MS);
        if let Some((d, salt)) = *self.salt.read()
            && d == day
        {
            return salt;
        }
        let store = self.store.clone();
        let loaded = tokio::task::spawn_blocking(move || -> Option<[u8; 32]> {
            if let Ok(Some(text)) = store.setting("daily_salt")
                && let Some((d, salt)) = parse_salt(&text)
                && d == day
            {
                return Some(salt);
            }
            let salt: [u8; 32] = rand::random();
            store
                .set_setting("daily_salt", &format!("{day}:{}", hex(&salt)))
                .ok()?;
            Some(salt)
        })
        .await
        .ok()
        .flatten();
        // If the store cannot keep it, a process-local salt still protects the address.
        let salt = loaded.unwrap_or_else(rand::random);
        *self.salt.write() = Some((day, salt));
        salt
    }

    #[allow(clippy::too_many_arguments)]
    pub fn resolve(
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

    fn session_by_inactivity(&self, visitor_key: u64, now_ms: i64) -> String {
        let mut sessions = self.sessions.lock();
        if sessions.len() > MAX_TRACKED_VISITORS {
            sessions.retain(|_, (_, last)| now_ms - *last <= SESSION_TIMEOUT_MS);
        }
        let entry = sessions
            .entry(visitor_key)
            .or_insert_with(|| (String::new(), i64::MIN));
        if entry.0.is_empty() || now_ms - entry.1 > SESSION_TIMEOUT_MS {
            entry.0 = format!(
                "t{:016x}",
                hash64(&[&visitor_key.to_le_bytes(), &now_ms.to_le_bytes()])
            );
        }
        entry.1 = entry.1.max(now_ms);
        entry.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_round_trip_through_their_text_form() {
        let salt = [7u8; 32];
        assert_eq!(parse_salt(&format!("42:{}", hex(&salt))), Some((42, salt)));
        assert_eq!(parse_salt("42:zz"), None);
        assert_eq!(parse_salt("x"), None);
    }
}
