//! Metadata in the embedded store: sites, users, API tokens and settings.

use duckdb::{Connection, OptionalExt, params};

use super::map_err;
use crate::model::{ApiToken, IpMode, Role, Site, SiteId, SiteSettings, User};
use crate::store::{StoreError, StoreResult};

fn domains_json(site: &Site) -> String {
    serde_json::Value::from(site.domains.clone()).to_string()
}

pub(super) fn sites(conn: &Connection) -> StoreResult<Vec<Site>> {
    sites_where(conn, "TRUE", None)
}

pub(super) fn site(conn: &Connection, id: &SiteId) -> StoreResult<Option<Site>> {
    Ok(sites_where(conn, "id = ?", Some(id.as_str()))?.pop())
}

/// The sites matching `predicate`, which binds `key` when it has a parameter.
fn sites_where(conn: &Connection, predicate: &str, key: Option<&str>) -> StoreResult<Vec<Site>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT id, domains, raw_keys, ip_mode FROM sites WHERE {predicate} ORDER BY id"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map(duckdb::params_from_iter(key), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(map_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, domains, raw_keys, ip_mode) = row.map_err(map_err)?;
        let id = SiteId::parse(&id)
            .map_err(|e| StoreError::internal_because(format!("stored site: {e}"), e))?;
        let domains: Vec<String> = serde_json::from_str(&domains)
            .map_err(|e| StoreError::internal_because(format!("stored domains of {id}: {e}"), e))?;
        let ip_mode = IpMode::parse(&ip_mode).unwrap_or_default();
        out.push(Site {
            id,
            domains,
            settings: SiteSettings { raw_keys, ip_mode },
        });
    }
    Ok(out)
}

pub(super) fn insert_site(conn: &Connection, site: &Site) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO sites (id, domains, raw_keys, ip_mode) VALUES (?, ?, ?, ?)",
        params![
            site.id.as_str(),
            domains_json(site),
            site.settings.raw_keys,
            site.settings.ip_mode.as_str()
        ],
    )
    .map_err(|e| match map_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("site {}", site.id)),
        other => other,
    })?;
    Ok(())
}

pub(super) fn update_site(conn: &Connection, site: &Site) -> StoreResult<()> {
    let n = conn
        .execute(
            "UPDATE sites SET domains = ?, raw_keys = ?, ip_mode = ? WHERE id = ?",
            params![
                domains_json(site),
                site.settings.raw_keys,
                site.settings.ip_mode.as_str(),
                site.id.as_str()
            ],
        )
        .map_err(map_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("site {}", site.id)));
    }
    Ok(())
}

pub(super) fn users(conn: &Connection) -> StoreResult<Vec<User>> {
    users_where(conn, "TRUE", None)
}

pub(super) fn user_by_email(conn: &Connection, email: &str) -> StoreResult<Option<User>> {
    Ok(users_where(conn, "u.email = ?", Some(email))?.pop())
}

/// The users matching `predicate`, which binds `key` when it has a parameter.
fn users_where(conn: &Connection, predicate: &str, key: Option<&str>) -> StoreResult<Vec<User>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT u.email, u.role, u.password_hash, coalesce(s.sites, '[]') \
             FROM users u LEFT JOIN user_sites s ON s.email = u.email WHERE {predicate} \
             ORDER BY u.email"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map(duckdb::params_from_iter(key), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(map_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (email, role, password_hash, sites) = row.map_err(map_err)?;
        let role = Role::parse(&role).unwrap_or(Role::Viewer);
        let sites: Vec<String> = serde_json::from_str(&sites).map_err(|e| {
            StoreError::internal_because(format!("stored sites of {email}: {e}"), e)
        })?;
        // A site id that no longer parses grants nothing rather than failing every login.
        let sites = sites.iter().filter_map(|s| SiteId::parse(s).ok()).collect();
        out.push(User {
            email,
            role,
            password_hash,
            sites,
        });
    }
    Ok(out)
}

fn sites_json(user: &User) -> String {
    serde_json::Value::from(
        user.sites
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect::<Vec<_>>(),
    )
    .to_string()
}

pub(super) fn insert_user(conn: &Connection, user: &User) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO users (email, role, password_hash) VALUES (?, ?, ?)",
        params![user.email, user.role.as_str(), user.password_hash],
    )
    .map_err(|e| match map_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("user {}", user.email)),
        other => other,
    })?;
    set_user_sites(conn, user)
}

fn set_user_sites(conn: &Connection, user: &User) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO user_sites (email, sites) VALUES (?, ?) \
         ON CONFLICT (email) DO UPDATE SET sites = excluded.sites",
        params![user.email, sites_json(user)],
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn update_user(conn: &Connection, user: &User) -> StoreResult<()> {
    let n = conn
        .execute(
            "UPDATE users SET role = ?, password_hash = ? WHERE email = ?",
            params![user.role.as_str(), user.password_hash, user.email],
        )
        .map_err(map_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {}", user.email)));
    }
    set_user_sites(conn, user)
}

pub(super) fn delete_user(conn: &Connection, email: &str) -> StoreResult<()> {
    let n = conn
        .execute("DELETE FROM users WHERE email = ?", [email])
        .map_err(map_err)?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {email}")));
    }
    conn.execute("DELETE FROM user_sites WHERE email = ?", [email])
        .map_err(map_err)?;
    Ok(())
}

pub(super) fn insert_token(conn: &Connection, token: &ApiToken) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO api_tokens (token_hash, name) VALUES (?, ?)",
        params![token.token_hash, token.name],
    )
    .map_err(map_err)?;
    Ok(())
}

const TOKEN_COLUMNS: &str = "name, token_hash, epoch_ms(created_at)";

fn token_row(r: &duckdb::Row<'_>) -> duckdb::Result<ApiToken> {
    Ok(ApiToken {
        name: r.get(0)?,
        token_hash: r.get(1)?,
        created_ms: r.get(2)?,
    })
}

pub(super) fn token_by_hash(conn: &Connection, token_hash: &str) -> StoreResult<Option<ApiToken>> {
    conn.query_row(
        &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?"),
        [token_hash],
        token_row,
    )
    .optional()
    .map_err(map_err)
}

pub(super) fn tokens(conn: &Connection) -> StoreResult<Vec<ApiToken>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY name, created_at"
        ))
        .map_err(map_err)?;
    let rows = stmt.query_map([], token_row).map_err(map_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
}

/// Deletes every token with this name; returns how many there were.
pub(super) fn delete_tokens_named(conn: &Connection, name: &str) -> StoreResult<usize> {
    conn.execute("DELETE FROM api_tokens WHERE name = ?", [name])
        .map_err(map_err)
}

pub(super) fn setting(conn: &Connection, key: &str) -> StoreResult<Option<String>> {
    conn.query_row("SELECT value FROM settings WHERE key = ?", [key], |r| {
        r.get(0)
    })
    .optional()
    .map_err(map_err)
}

pub(super) fn set_setting(conn: &Connection, key: &str, value: &str) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )
    .map_err(map_err)?;
    Ok(())
}
