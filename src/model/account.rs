//! Dashboard and API accounts: users with roles, and API tokens.

use serde::{Deserialize, Serialize};

use super::SiteId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages sites, users and settings; reads every site.
    Admin,
    /// Reads reports only.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub email: String,
    pub role: Role,
    /// Argon2id PHC string; never the password.
    pub password_hash: String,
    /// The sites a viewer may read; admins read every site whatever this holds.
    pub sites: Vec<SiteId>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether this account may read the reports of `site`.
    pub fn can_read(&self, site: &SiteId) -> bool {
        self.is_admin() || self.sites.contains(site)
    }
}

/// An API token as stored: its name and a hash of the secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub name: String,
    pub token_hash: String,
    /// When it was created (epoch ms); 0 when not yet stored.
    pub created_ms: i64,
}

/// Checks an e-mail address loosely: one `@`, something on both sides, no spaces.
pub fn valid_email(s: &str) -> bool {
    let mut parts = s.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
        if !a.is_empty() && b.contains('.') && !b.starts_with('.') && !b.ends_with('.'))
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
