//! Identifier newtypes, validated once at the edge.
//!
//! Visitor and session ids arrive as client strings of any shape; footfall stores a keyed 64-bit
//! hash of them instead (8 bytes a row, no client text on disk) and shows it as 16 hex digits.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("site id must be 1-64 characters of a-z, 0-9, '-' or '_', got {0:?}")]
    BadSite(String),
    #[error("id must be 1-128 bytes of printable text")]
    BadClientId,
    #[error("not a footfall id (16 hex digits): {0:?}")]
    BadHex(String),
}

/// A site's identifier, as used in URLs and batches: `[a-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SiteId(String);

impl SiteId {
    pub fn parse(s: &str) -> Result<SiteId, IdError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(SiteId(s.to_owned()))
        } else {
            Err(IdError::BadSite(s.chars().take(70).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SiteId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        SiteId::parse(&s)
    }
}

impl From<SiteId> for String {
    fn from(s: SiteId) -> String {
        s.0
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stable 64-bit hash of the given parts (BLAKE3, first 8 bytes), with a separator so that
/// `("ab","c")` and `("a","bc")` differ. Stable across versions and nodes: stored ids depend on it.
pub fn hash64(parts: &[&[u8]]) -> u64 {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(&(p.len() as u32).to_le_bytes());
        h.update(p);
    }
    let out = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&out.as_bytes()[..8]);
    // Stored in signed BIGINT-compatible range on every backend: clear the top bit.
    u64::from_le_bytes(first) & (i64::MAX as u64)
}

/// Checks a client-supplied id string (visitor, session, event).
pub fn check_client_id(s: &str) -> Result<&str, IdError> {
    if s.is_empty() || s.len() > 128 || s.chars().any(char::is_control) {
        Err(IdError::BadClientId)
    } else {
        Ok(s)
    }
}

macro_rules! hashed_id {
    ($name:ident, $domain:literal) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        pub struct $name(pub u64);

        impl $name {
            /// The id of a client-supplied string within a site.
            pub fn from_client(site: &SiteId, client: &str) -> $name {
                $name(hash64(&[
                    $domain,
                    site.as_str().as_bytes(),
                    client.as_bytes(),
                ]))
            }

            pub fn parse_hex(s: &str) -> Result<$name, IdError> {
                if s.len() != 16 {
                    return Err(IdError::BadHex(s.chars().take(20).collect()));
                }
                u64::from_str_radix(s, 16)
                    .map($name)
                    .map_err(|_| IdError::BadHex(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:016x}", self.0)
            }
        }
    };
}

hashed_id!(VisitorId, b"visitor");
hashed_id!(SessionId, b"session");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_ids_are_url_safe() {
        assert!(SiteId::parse("demo").is_ok());
        assert!(SiteId::parse("shop-1_x").is_ok());
        assert!(SiteId::parse("").is_err());
        assert!(SiteId::parse("Demo").is_err());
        assert!(SiteId::parse("a/b").is_err());
        assert!(SiteId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn hashed_ids_are_stable_and_round_trip() {
        let site = SiteId::parse("demo").unwrap();
        let a = SessionId::from_client(&site, "abc");
        assert_eq!(a, SessionId::from_client(&site, "abc"));
        assert_ne!(a, SessionId::from_client(&site, "abd"));
        assert_ne!(a.0, VisitorId::from_client(&site, "abc").0);
        assert_eq!(SessionId::parse_hex(&a.to_string()).unwrap(), a);
        assert!(a.0 <= i64::MAX as u64);
        assert_ne!(hash64(&[b"ab", b"c"]), hash64(&[b"a", b"bc"]));
        assert!(SessionId::parse_hex("xyz").is_err());
    }

    #[test]
    fn client_ids_reject_control_characters() {
        assert!(check_client_id("v-1").is_ok());
        assert!(check_client_id("").is_err());
        assert!(check_client_id("a\nb").is_err());
        assert!(check_client_id(&"x".repeat(129)).is_err());
    }
}
