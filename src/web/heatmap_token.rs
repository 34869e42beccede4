//! The heatmap overlay's viewing token: what lets a page of the tracked site read its own
//! heatmap from footfall without an API token or a dashboard cookie (the page lives on another
//! origin, and an API token would end up in a URL).
//!
//! The dashboard makes one for a signed-in account, one site and one page path, valid for at
//! most an hour, and puts it in the live page's fragment (`#footfall-heatmap=TOKEN`), which
//! browsers never send to servers. The overlay sends it back as a bearer token. It is signed
//! (BLAKE3 keyed hash under a key derived from the dashboard secret, the same on every node),
//! read-only (only `/heatmap` accepts it), and dies with the session that made it: it names
//! the account, when that session was issued and a fingerprint of the password hash, so
//! signing out or changing the password ends it like the session's cookie.
//!
//! Form: `fh1.<site>.<path>.<expires_ms>.<email>.<session_issued_ms>.<fingerprint>.<mac>`,
//! strings base64url without padding, so the token fits the fragment the tracker looks for.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::AppState;
use super::auth::{
    ApiAuth, Principal, SESSION_LIFETIME_MS, bearer, password_fingerprint, stored_account,
};
use super::error::ApiError;
use crate::model::{SiteId, User};

const PREFIX: &str = "fh1";
/// A token is valid for at most this long after it is made.
pub const MAX_LIFETIME_MS: i64 = 3_600_000;
/// Longer bearer values are not tokens of ours; they are refused before any work.
const MAX_TOKEN_LEN: usize = 4096;

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_heatmap_token",
            e.to_string(),
        )
    }
}

/// What a verified token grants: reading one page's heatmap of one site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatmapToken {
    pub site: SiteId,
    pub path: String,
    pub expires_ms: i64,
    pub email: String,
    pub session_issued_ms: i64,
    pub fingerprint: String,
}

/// Why a token was refused; every kind answers 401.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the heatmap token is malformed")]
    Malformed,
    #[error("the heatmap token's signature is not valid")]
    Forged,
    #[error("the heatmap token has expired; open the heatmap from the dashboard again")]
    Expired,
    #[error("the dashboard session that made this heatmap token has ended")]
    SessionEnded,
}

impl HeatmapToken {
    /// A token for `user`'s session issued at `session_issued_ms`, valid for `lifetime_ms`
    /// (at most [`MAX_LIFETIME_MS`]).
    pub fn new(
        user: &User,
        session_issued_ms: i64,
        site: SiteId,
        path: String,
        now_ms: i64,
        lifetime_ms: i64,
    ) -> HeatmapToken {
        HeatmapToken {
            site,
            path,
            expires_ms: now_ms + lifetime_ms.clamp(0, MAX_LIFETIME_MS),
            email: user.email.clone(),
            session_issued_ms,
            fingerprint: password_fingerprint(&user.password_hash),
        }
    }

    pub fn encode(&self, key: &[u8; 32]) -> String {
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let body = format!(
            "{PREFIX}.{}.{}.{}.{}.{}.{}",
            b64(self.site.as_str()),
            b64(&self.path),
            self.expires_ms,
            b64(&self.email),
            self.session_issued_ms,
            self.fingerprint
        );
        let mac = URL_SAFE_NO_PAD.encode(blake3::keyed_hash(key, body.as_bytes()).as_bytes());
        format!("{body}.{mac}")
    }

    /// Checks the signature and the expiry (not yet the session: that needs the store).
    pub fn decode(token: &str, key: &[u8; 32], now_ms: i64) -> Result<HeatmapToken, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let (body, mac) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let mac: [u8; 32] = URL_SAFE_NO_PAD
            .decode(mac)
            .ok()
            .and_then(|m| m.try_into().ok())
            .ok_or(TokenError::Malformed)?;
        // blake3::Hash compares in constant time.
        if blake3::Hash::from(mac) != blake3::keyed_hash(key, body.as_bytes()) {
            return Err(TokenError::Forged);
        }
        let fields: Vec<&str> = body.split('.').collect();
        let [prefix, site, path, expires, email, issued, fingerprint] = fields[..] else {
            return Err(TokenError::Malformed);
        };
        let text = |s: &str| {
            URL_SAFE_NO_PAD
                .decode(s)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(TokenError::Malformed)
        };
        let number = |s: &str| s.parse::<i64>().map_err(|_| TokenError::Malformed);
        if prefix != PREFIX {
            return Err(TokenError::Malformed);
        }
        let site = SiteId::parse(&text(site)?).map_err(|_| TokenError::Malformed)?;
        let token = HeatmapToken {
            site,
            path: text(path)?,
            expires_ms: number(expires)?,
            email: text(email)?,
            session_issued_ms: number(issued)?,
            fingerprint: fingerprint.to_owned(),
        };
        // A signed token promising more than an hour was not made by this code.
        if now_ms >= token.expires_ms || token.expires_ms - now_ms > MAX_LIFETIME_MS {
            return Err(TokenError::Expired);
        }
        Ok(token)
    }

    /// Whether the session behind the token is still signed in as `user` (the account as
    /// stored now) and may still read the site.
    fn session_alive(&self, user: Option<&User>, signed_out_ms: i64, now_ms: i64) -> bool {
        user.is_some_and(|u| {
            password_fingerprint(&u.password_hash) == self.fingerprint
                && self.session_issued_ms > signed_out_ms
                && now_ms - self.session_issued_ms <= SESSION_LIFETIME_MS
                && u.can_read(&self.site)
        })
    }
}

/// Whoever asks for a heatmap: an API token or dashboard session as for every report, or a
/// page holding a viewing token.
pub enum HeatmapAuth {
    Api(Principal),
    Viewer(HeatmapToken),
}

impl HeatmapAuth {
    /// Who the report plan is checked against.
    pub fn principal(&self) -> Principal {
        match self {
            HeatmapAuth::Api(principal) => principal.clone(),
            HeatmapAuth::Viewer(token) => Principal::HeatmapViewer(token.site.clone()),
        }
    }

    /// A 403 unless a viewing token was made for `path` (API principals read every page).
    pub fn require_page(&self, path: &str) -> Result<(), ApiError> {
        match self {
            HeatmapAuth::Viewer(token) if token.path != path => Err(ApiError::forbidden(format!(
                "this heatmap token is for the page {:?} only",
                token.path
            ))),
            _ => Ok(()),
        }
    }
}

impl FromRequestParts<AppState> for HeatmapAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let viewing = bearer(&parts.headers)
            .filter(|t| t.starts_with(PREFIX) && t.as_bytes().get(PREFIX.len()) == Some(&b'.'));
        let Some(raw) = viewing else {
            let ApiAuth(principal) = ApiAuth::from_request_parts(parts, state).await?;
            return Ok(HeatmapAuth::Api(principal));
        };
        let now = crate::clock::now_ms();
        let token = HeatmapToken::decode(raw, state.keys.heatmap_key(), now)?;
        if !origin_allowed(state, &token.site, &parts.headers) {
            return Err(ApiError::forbidden(
                "a heatmap token is accepted only from the pages of its own site",
            ));
        }
        let (user, signed_out_ms) = stored_account(state, &token.email).await?;
        if !token.session_alive(user.as_ref(), signed_out_ms, now) {
            return Err(TokenError::SessionEnded.into());
        }
        Ok(HeatmapAuth::Viewer(token))
    }
}

/// A request without `Origin` comes from footfall's own pages or from no browser at all; one
/// with it must come from the site's domains or footfall's own host.
fn origin_allowed(state: &AppState, site: &SiteId, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = origin_host(origin) else {
        return false;
    };
    let own_host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| url::Url::parse(&format!("http://{h}")).ok())
        .and_then(|u| u.host_str().map(str::to_owned));
    own_host.as_deref() == Some(host.as_str())
        || state.sites.get(site).is_some_and(|s| s.serves_host(&host))
}

/// The host (without port) of an `Origin` value such as `https://shop.example:8443`.
pub fn origin_host(origin: &str) -> Option<String> {
    url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    const KEY: [u8; 32] = [3; 32];
    const NOW: i64 = 1_795_000_000_000;

    fn site(id: &str) -> SiteId {
        SiteId::parse(id).expect("a site id")
    }

    fn ann() -> User {
        User {
            email: "ann@example.com".into(),
            role: Role::Viewer,
            password_hash: "$argon2id$one".into(),
            sites: vec![site("shop")],
        }
    }

    fn token() -> HeatmapToken {
        HeatmapToken::new(
            &ann(),
            NOW - 10,
            site("shop"),
            "/cart".into(),
            NOW,
            MAX_LIFETIME_MS,
        )
    }

    #[test]
    fn a_token_round_trips_and_fits_the_trackers_fragment() {
        let t = token();
        let s = t.encode(&KEY);
        assert_eq!(HeatmapToken::decode(&s, &KEY, NOW + 1), Ok(t));
        assert!(
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-~".contains(c))
        );
    }

    #[test]
    fn forged_expired_and_garbled_tokens_are_refused() {
        let s = token().encode(&KEY);
        assert_eq!(
            HeatmapToken::decode(&s, &[4; 32], NOW),
            Err(TokenError::Forged)
        );
        let other_page = s.replacen(&URL_SAFE_NO_PAD.encode("/cart"), "L2FkbWlu", 1);
        assert_eq!(
            HeatmapToken::decode(&other_page, &KEY, NOW),
            Err(TokenError::Forged)
        );
        assert_eq!(
            HeatmapToken::decode(&s, &KEY, NOW + MAX_LIFETIME_MS),
            Err(TokenError::Expired)
        );
        let mut long = token();
        long.expires_ms = NOW + 2 * MAX_LIFETIME_MS;
        assert_eq!(
            HeatmapToken::decode(&long.encode(&KEY), &KEY, NOW),
            Err(TokenError::Expired),
            "no valid token lives longer than an hour"
        );
        for garbage in ["", "fh1", "fh1.a.b", "fh1..........", &"x".repeat(5000)] {
            assert_eq!(
                HeatmapToken::decode(garbage, &KEY, NOW),
                Err(TokenError::Malformed)
            );
        }
        let lifetime = HeatmapToken::new(
            &ann(),
            NOW,
            site("shop"),
            "/".into(),
            NOW,
            10 * MAX_LIFETIME_MS,
        );
        assert_eq!(lifetime.expires_ms, NOW + MAX_LIFETIME_MS);
    }

    #[test]
    fn the_token_dies_with_its_session() {
        let t = token();
        let user = ann();
        assert!(t.session_alive(Some(&user), 0, NOW));
        assert!(!t.session_alive(None, 0, NOW), "account deleted");
        assert!(!t.session_alive(Some(&user), NOW, NOW), "signed out since");
        let mut changed = ann();
        changed.password_hash = "$argon2id$two".into();
        assert!(!t.session_alive(Some(&changed), 0, NOW), "new password");
        let mut elsewhere = ann();
        elsewhere.sites = vec![site("blog")];
        assert!(
            !t.session_alive(Some(&elsewhere), 0, NOW),
            "site taken away"
        );
    }

    #[test]
    fn origins_are_read_as_hosts() {
        assert_eq!(
            origin_host("https://Shop.Example:8443").as_deref(),
            Some("shop.example")
        );
        assert_eq!(origin_host("null"), None);
    }
}
