//! Metadata in ClickHouse: sites, users, API tokens and settings as versioned rows.
//!
//! ClickHouse has no UPDATE or unique keys for this use, so every change inserts a whole new
//! version of the row (`version`: microseconds, strictly increasing within a process), a delete
//! inserts a tombstone (`deleted = 1`), and reads take each key's newest version with `argMax`
//! (ReplacingMergeTree drops the older ones in the background). Existence checks before an
//! insert are not atomic across nodes: two nodes creating the same site at the same instant
//! both succeed and the later version wins.

use std::sync::atomic::{AtomicU64, Ordering};

use super::client::{Client, ClientError, RowExt, quote};
use crate::model::{ApiToken, IpMode, Role, Site, SiteId, SiteSettings, User};
use crate::store::{StoreError, StoreResult};

static LAST_VERSION: AtomicU64 = AtomicU64::new(0);

/// A row version: the current time in microseconds, strictly above any earlier one here.
fn next_version() -> u64 {
    let now = crate::clock::now_ms().max(0) as u64 * 1000;
    let mut last = LAST_VERSION.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST_VERSION.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

fn decode(e: ClientError) -> StoreError {
    e.into()
}

pub(super) fn sites(c: &Client) -> StoreResult<Vec<Site>> {
    sites_where(c, "1")
}

pub(super) fn site(c: &Client, id: &SiteId) -> StoreResult<Option<Site>> {
    Ok(sites_where(c, &format!("id = {}", quote(id.as_str())))?.pop())
}

/// The newest versions of the sites whose id matches `predicate` (quoted SQL).
fn sites_where(c: &Client, predicate: &str) -> StoreResult<Vec<Site>> {
    let rows = c.query(&format!(
        "SELECT id, argMax(domains, version), argMax(raw_keys, version), argMax(ip_mode, version),
                argMax(deleted, version) AS gone
         FROM sites WHERE {predicate} GROUP BY id HAVING gone = 0 ORDER BY id"
    ))?;
    let mut out = Vec::new();
    for r in &rows.0 {
        let id = r.at(0)?.string()?;
        let id = SiteId::parse(&id)
            .map_err(|e| StoreError::internal_because(format!("stored site: {e}"), e))?;
        let domains: Vec<String> = serde_json::from_str(&r.at(1)?.string()?)
            .map_err(|e| StoreError::internal_because(format!("stored domains of {id}: {e}"), e))?;
        let ip_mode = IpMode::parse(&r.at(3)?.string()?).unwrap_or_default();
        out.push(Site {
            id,
            domains,
            settings: SiteSettings {
                raw_keys: r.at(2)?.bool()?,
                ip_mode,
            },
        });
    }
    Ok(out)
}

fn site_exists(c: &Client, id: &SiteId) -> StoreResult<bool> {
    let rows = c.query(&format!(
        "SELECT argMax(deleted, version) AS gone FROM sites WHERE id = {} GROUP BY id HAVING gone = 0",
        quote(id.as_str())
    ))?;
    Ok(!rows.0.is_empty())
}

fn write_site(c: &Client, site: &Site) -> StoreResult<()> {
    let row = serde_json::json!({
        "id": site.id.as_str(),
        "domains": serde_json::Value::from(site.domains.clone()).to_string(),
        "raw_keys": u8::from(site.settings.raw_keys),
        "ip_mode": site.settings.ip_mode.as_str(),
        "deleted": 0, "version": next_version(),
    });
    c.insert("sites", [&row]).map_err(decode)
}

pub(super) fn insert_site(c: &Client, site: &Site) -> StoreResult<()> {
    if site_exists(c, &site.id)? {
        return Err(StoreError::Conflict(format!("site {}", site.id)));
    }
    write_site(c, site)
}

pub(super) fn update_site(c: &Client, site: &Site) -> StoreResult<()> {
    if !site_exists(c, &site.id)? {
        return Err(StoreError::NotFound(format!("site {}", site.id)));
    }
    write_site(c, site)
}

pub(super) fn users(c: &Client) -> StoreResult<Vec<User>> {
    users_where(c, "1")
}

pub(super) fn user_by_email(c: &Client, email: &str) -> StoreResult<Option<User>> {
    Ok(users_where(c, &format!("email = {}", quote(email)))?.pop())
}

/// The newest versions of the users whose e-mail matches `predicate` (quoted SQL).
fn users_where(c: &Client, predicate: &str) -> StoreResult<Vec<User>> {
    let rows = c.query(&format!(
        "SELECT email, argMax(role, version), argMax(password_hash, version),
                argMax(sites, version), argMax(deleted, version) AS gone
         FROM users WHERE {predicate} GROUP BY email HAVING gone = 0 ORDER BY email"
    ))?;
    let mut out = Vec::new();
    for r in &rows.0 {
        let email = r.at(0)?.string()?;
        let role = Role::parse(&r.at(1)?.string()?).unwrap_or(Role::Viewer);
        let sites: Vec<String> = serde_json::from_str(&r.at(3)?.string()?).map_err(|e| {
            StoreError::internal_because(format!("stored sites of {email}: {e}"), e)
        })?;
        // A site id that no longer parses grants nothing rather than failing every login.
        let sites = sites.iter().filter_map(|s| SiteId::parse(s).ok()).collect();
        out.push(User {
            email,
            role,
            password_hash: r.at(2)?.string()?,
            sites,
        });
    }
    Ok(out)
}

fn user_exists(c: &Client, email: &str) -> StoreResult<bool> {
    let rows = c.query(&format!(
        "SELECT argMax(deleted, version) AS gone FROM users WHERE email = {} GROUP BY email HAVING gone = 0",
        quote(email)
    ))?;
    Ok(!rows.0.is_empty())
}

fn write_user(c: &Client, user: &User, deleted: bool) -> StoreResult<()> {
    let sites: Vec<&str> = user.sites.iter().map(|s| s.as_str()).collect();
    let row = serde_json::json!({
        "email": user.email, "role": user.role.as_str(), "password_hash": user.password_hash,
        "sites": serde_json::Value::from(sites).to_string(),
        "deleted": u8::from(deleted), "version": next_version(),
    });
    c.insert("users", [&row]).map_err(decode)
}

pub(super) fn insert_user(c: &Client, user: &User) -> StoreResult<()> {
    if user_exists(c, &user.email)? {
        return Err(StoreError::Conflict(format!("user {}", user.email)));
    }
    write_user(c, user, false)
}

pub(super) fn update_user(c: &Client, user: &User) -> StoreResult<()> {
    if !user_exists(c, &user.email)? {
        return Err(StoreError::NotFound(format!("user {}", user.email)));
    }
    write_user(c, user, false)
}

pub(super) fn delete_user(c: &Client, email: &str) -> StoreResult<()> {
    if !user_exists(c, email)? {
        return Err(StoreError::NotFound(format!("user {email}")));
    }
    let tombstone = User {
        email: email.to_owned(),
        role: Role::Viewer,
        password_hash: String::new(),
        sites: Vec::new(),
    };
    write_user(c, &tombstone, true)
}

fn write_token(c: &Client, token: &ApiToken, deleted: bool) -> StoreResult<()> {
    let row = serde_json::json!({
        "token_hash": token.token_hash, "name": token.name, "created_ms": token.created_ms,
        "deleted": u8::from(deleted), "version": next_version(),
    });
    c.insert("api_tokens", [&row]).map_err(decode)
}

pub(super) fn insert_token(c: &Client, token: &ApiToken) -> StoreResult<()> {
    // As in the embedded store, the creation time is the store's, not the caller's.
    let stored = ApiToken {
        created_ms: crate::clock::now_ms(),
        ..token.clone()
    };
    write_token(c, &stored, false)
}

/// Live tokens matching `cond` (a fixed predicate over `token_hash` or the newest `name`).
fn tokens_where(c: &Client, cond: &str) -> StoreResult<Vec<ApiToken>> {
    let rows = c.query(&format!(
        "SELECT * FROM (
             SELECT argMax(name, version) AS n, token_hash, argMax(created_ms, version) AS created,
                    argMax(deleted, version) AS gone
             FROM api_tokens GROUP BY token_hash
         ) WHERE gone = 0 AND {cond} ORDER BY n, created"
    ))?;
    rows.0
        .iter()
        .map(|r| {
            Ok(ApiToken {
                name: r.at(0)?.string()?,
                token_hash: r.at(1)?.string()?,
                created_ms: r.at(2)?.i64()?,
            })
        })
        .collect::<Result<_, ClientError>>()
        .map_err(decode)
}

pub(super) fn token_by_hash(c: &Client, token_hash: &str) -> StoreResult<Option<ApiToken>> {
    Ok(
        tokens_where(c, &format!("token_hash = {}", quote(token_hash)))?
            .into_iter()
            .next(),
    )
}

pub(super) fn tokens(c: &Client) -> StoreResult<Vec<ApiToken>> {
    tokens_where(c, "1")
}

pub(super) fn delete_tokens_named(c: &Client, name: &str) -> StoreResult<usize> {
    let found = tokens_where(c, &format!("n = {}", quote(name)))?;
    for token in &found {
        write_token(c, token, true)?;
    }
    Ok(found.len())
}

pub(super) fn setting(c: &Client, key: &str) -> StoreResult<Option<String>> {
    let rows = c.query(&format!(
        "SELECT argMax(value, version) FROM settings WHERE key = {} GROUP BY key",
        quote(key)
    ))?;
    match rows.0.first() {
        Some(r) => Ok(Some(r.at(0)?.string()?)),
        None => Ok(None),
    }
}

pub(super) fn set_setting(c: &Client, key: &str, value: &str) -> StoreResult<()> {
    let row = serde_json::json!({"key": key, "value": value, "version": next_version()});
    c.insert("settings", [&row]).map_err(decode)
}
