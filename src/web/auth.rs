//! Who is asking and what they may read: API tokens, and dashboard accounts signed in with a
//! signed cookie.
//!
//! Dashboard sessions are stateless cookies signed with HMAC-SHA256 (`cookie`'s signed jar)
//! under a key kept in the store's settings, so every footfall node sharing the store verifies
//! them without a session table. A cookie names the account, when it was issued, a random
//! nonce and a fingerprint of the password hash: changing the password, or signing out (which
//! records the time per account in the store), invalidates every earlier cookie on every node.
//! The nonce is also the CSRF secret: forms carry a keyed hash of it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::AppState;
use super::blocking::blocking;
use super::error::ApiError;
use crate::auth::token_hash;
use crate::model::{SiteId, User};
use crate::store::{Store, StoreResult};

pub const SESSION_COOKIE: &str = "ff_session";
/// Holds the nonce of a visitor who has not signed in yet, so the login form has a CSRF token.
pub const LOGIN_COOKIE: &str = "ff_login";
/// A signed-in session lasts this long, then the login page asks again.
pub const SESSION_LIFETIME_MS: i64 = 14 * 86_400_000;
/// A valid API token is remembered this long per node; a revoked one stops working after it.
pub const TOKEN_CACHE_MS: i64 = 60_000;

/// The secrets behind cookies and CSRF tokens, shared by every node through the store.
#[derive(Clone)]
pub struct Keys {
    cookie: Key,
    csrf: [u8; 32],
    heatmap: [u8; 32],
}

impl Keys {
    /// Reads the shared secret, creating it on the first start.
    pub fn load_or_create(store: &dyn Store) -> StoreResult<Keys> {
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).ok().filter(|b| b.len() == 64);
        let stored = store.dashboard_secret()?;
        let secret = match stored.as_deref().and_then(decode) {
            Some(secret) => secret,
            None => {
                let mut fresh = [0u8; 64];
                rand::rng().fill_bytes(&mut fresh);
                store.set_dashboard_secret(&URL_SAFE_NO_PAD.encode(fresh))?;
                // Two nodes starting at once may both write; read back what won.
                store
                    .dashboard_secret()?
                    .as_deref()
                    .and_then(decode)
                    .unwrap_or(fresh.to_vec())
            }
        };
        Ok(Keys::from_secret(&secret))
    }

    fn from_secret(secret: &[u8]) -> Keys {
        let mut cookie_key = [0u8; 64];
        blake3::Hasher::new_derive_key("footfall cookie signing v1")
            .update(secret)
            .finalize_xof()
            .fill(&mut cookie_key);
        Keys {
            cookie: Key::from(&cookie_key),
            csrf: blake3::derive_key("footfall csrf v1", secret),
            heatmap: blake3::derive_key("footfall heatmap token v1", secret),
        }
    }

    /// Signs the heatmap overlay's viewing tokens (`heatmap_token.rs`).
    pub fn heatmap_key(&self) -> &[u8; 32] {
        &self.heatmap
    }

    pub fn jar(&self, headers: &HeaderMap) -> SignedCookieJar {
        SignedCookieJar::from_headers(headers, self.cookie.clone())
    }

    pub fn csrf_token(&self, nonce: &str) -> String {
        blake3::keyed_hash(&self.csrf, nonce.as_bytes())
            .to_hex()
            .to_string()
    }

    /// Constant-time check of a submitted CSRF token against the session's nonce.
    pub fn csrf_ok(&self, nonce: &str, given: &str) -> bool {
        blake3::Hash::from_hex(given.trim())
            .map(|h| h == blake3::keyed_hash(&self.csrf, nonce.as_bytes()))
            .unwrap_or(false)
    }
}

pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a session cookie says (after its signature was checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaim {
    pub email: String,
    pub issued_ms: i64,
    pub nonce: String,
    pub fingerprint: String,
}

impl SessionClaim {
    pub fn new(user: &User, now_ms: i64) -> SessionClaim {
        SessionClaim {
            email: user.email.clone(),
            issued_ms: now_ms,
            nonce: new_nonce(),
            fingerprint: password_fingerprint(&user.password_hash),
        }
    }

    pub fn encode(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            URL_SAFE_NO_PAD.encode(&self.email),
            self.issued_ms,
            self.nonce,
            self.fingerprint
        )
    }

    pub fn decode(s: &str) -> Option<SessionClaim> {
        let mut parts = s.split('.');
        let email = String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
        let issued_ms = parts.next()?.parse().ok()?;
        let nonce = parts.next()?.to_owned();
        let fingerprint = parts.next()?.to_owned();
        parts.next().is_none().then_some(SessionClaim {
            email,
            issued_ms,
            nonce,
            fingerprint,
        })
    }
}

pub(crate) fn password_fingerprint(password_hash: &str) -> String {
    blake3::hash(password_hash.as_bytes()).to_hex()[..16].to_owned()
}

/// A session cookie with the attributes every dashboard cookie gets.
pub fn cookie(name: &'static str, value: String, secure: bool, max_age_ms: i64) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time_duration(max_age_ms))
        .build()
}

fn time_duration(ms: i64) -> cookie::time::Duration {
    cookie::time::Duration::milliseconds(ms)
}

/// Whether the client reached us over HTTPS (directly behind a TLS-terminating proxy that says
/// so); cookies then get the `Secure` attribute. Trusting the header only ever adds `Secure`.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A signed-in dashboard account, as loaded from the store for this request.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    pub nonce: String,
    /// When the session's cookie was issued: what a heatmap token ties itself to.
    pub issued_ms: i64,
}

/// Who made an API request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A bearer API token: reads every site.
    Token,
    Account(Account),
    /// A page holding a heatmap viewing token: reads that site's heatmap only (the heatmap
    /// handler has checked the page; no other route accepts such a token).
    HeatmapViewer(SiteId),
}

impl Principal {
    pub fn can_read(&self, site: &SiteId) -> bool {
        match self {
            Principal::Token => true,
            Principal::Account(a) => a.user.can_read(site),
            Principal::HeatmapViewer(own) => own == site,
        }
    }

    /// A 403 unless this principal may read `site`.
    pub fn require(&self, site: &SiteId) -> Result<(), ApiError> {
        if self.can_read(site) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this account may not read site {site:?}"
            )))
        }
    }
}

/// The account behind the request's session cookie, if the cookie is valid and current.
pub async fn signed_in_account(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Account>, ApiError> {
    let Some(claim) = state
        .keys
        .jar(headers)
        .get(SESSION_COOKIE)
        .and_then(|c| SessionClaim::decode(c.value()))
    else {
        return Ok(None);
    };
    let now = crate::clock::now_ms();
    if now - claim.issued_ms > SESSION_LIFETIME_MS || claim.issued_ms > now + 60_000 {
        return Ok(None);
    }
    let (user, signed_out_ms) = stored_account(state, &claim.email).await?;
    Ok(user
        .filter(|u| password_fingerprint(&u.password_hash) == claim.fingerprint)
        .filter(|_| claim.issued_ms > signed_out_ms)
        .map(|user| Account {
            user,
            csrf: state.keys.csrf_token(&claim.nonce),
            nonce: claim.nonce,
            issued_ms: claim.issued_ms,
        }))
}

/// The account with this e-mail as stored now, and when it last signed out (0: never).
pub(crate) async fn stored_account(
    state: &AppState,
    email: &str,
) -> Result<(Option<User>, i64), ApiError> {
    let store = state.store.clone();
    let email = email.to_owned();
    blocking(move || {
        let user = store.user_by_email(&email)?;
        let signed_out = store.signed_out_at(&email)?;
        Ok((user, signed_out.unwrap_or(0)))
    })
    .await
}

/// The bearer value of the `Authorization` header, if it has one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Proof that an API request carried a valid API token or a dashboard session cookie.
pub struct ApiAuth(pub Principal);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiAuth, ApiError> {
        let Some(secret) = bearer(&parts.headers) else {
            return match signed_in_account(state, &parts.headers).await? {
                Some(account) => Ok(ApiAuth(Principal::Account(account))),
                None => Err(ApiError::unauthorized()),
            };
        };
        if secret.is_empty() || secret.len() > 256 {
            return Err(ApiError::unauthorized());
        }
        let hash = token_hash(secret);
        let now = crate::clock::now_ms();
        if state
            .token_cache
            .get(&hash)
            .is_some_and(|seen| now - seen < TOKEN_CACHE_MS)
        {
            return Ok(ApiAuth(Principal::Token));
        }
        let store = state.store.clone();
        let lookup = hash.clone();
        match blocking(move || store.token_by_hash(&lookup)).await? {
            Some(_) => {
                state.token_cache.insert(hash, now);
                Ok(ApiAuth(Principal::Token))
            }
            None => {
                state.token_cache.remove(&hash);
                Err(ApiError::unauthorized())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn user(hash: &str) -> User {
        User {
            email: "ann.lee@example.com".into(),
            role: Role::Viewer,
            password_hash: hash.into(),
            sites: vec![],
        }
    }

    #[test]
    fn claims_round_trip_and_reject_garbage() {
        let claim = SessionClaim::new(&user("$argon2id$x"), 1_795_000_000_000);
        assert_eq!(SessionClaim::decode(&claim.encode()), Some(claim.clone()));
        assert_eq!(SessionClaim::decode(""), None);
        assert_eq!(SessionClaim::decode("a.b.c.d"), None);
        assert_eq!(SessionClaim::decode(&format!("{}.x", claim.encode())), None);
    }

    #[test]
    fn a_new_password_changes_the_fingerprint() {
        let a = SessionClaim::new(&user("$argon2id$one"), 0);
        let b = SessionClaim::new(&user("$argon2id$two"), 0);
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_ne!(a.nonce, b.nonce);
    }

    #[test]
    fn csrf_tokens_belong_to_their_nonce_and_secret() {
        let keys = Keys::from_secret(&[7u8; 64]);
        let token = keys.csrf_token("nonce-a");
        assert!(keys.csrf_ok("nonce-a", &token));
        assert!(!keys.csrf_ok("nonce-b", &token));
        assert!(!keys.csrf_ok("nonce-a", "not hex"));
        assert!(!Keys::from_secret(&[8u8; 64]).csrf_ok("nonce-a", &token));
    }

    #[test]
    fn signed_cookies_verify_only_under_their_key() {
        let keys = Keys::from_secret(&[7u8; 64]);
        let jar = keys
            .jar(&HeaderMap::new())
            .add(cookie(SESSION_COOKIE, "v".into(), false, 1000));
        let set = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        assert_eq!(set, "v");
        let mut headers = HeaderMap::new();
        let signed = axum::response::IntoResponse::into_response(jar);
        let raw = signed
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_owned();
        headers.insert(header::COOKIE, raw.parse().unwrap());
        assert!(keys.jar(&headers).get(SESSION_COOKIE).is_some());
        let other = Keys::from_secret(&[9u8; 64]);
        assert!(other.jar(&headers).get(SESSION_COOKIE).is_none());
    }
}
