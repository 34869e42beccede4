//! Administration for admins: users (roles, per-site access, passwords), sites (domains, IP
//! handling, raw keys) and API tokens (create, rotate, revoke).
//!
//! Every change goes to the store, which all nodes share; site changes are applied to this
//! node's registry at once and reach other nodes with their periodic reload (`app.rs`). Each
//! form carries the session's CSRF token; an admin cannot delete or demote their own account,
//! so a site never loses its last admin by accident.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{AdminOnly, Chrome, PageContext, PageError, html};
use crate::auth::{hash_password, new_token};
use crate::model::site::normalise_domain;
use crate::model::{ApiToken, IpMode, Role, Site, SiteId, SiteSettings, User, valid_email};
use crate::web::AppState;
use crate::web::auth::Account;
use crate::web::blocking::blocking;
use crate::web::error::ApiError;

pub struct UserRow {
    pub email: String,
    pub role: &'static str,
    pub sites: String,
}

pub struct SiteRow {
    pub id: String,
    pub domains: String,
    pub ip_mode: &'static str,
    pub raw_keys: bool,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminView {
    chrome: Chrome,
    notice: Option<String>,
    secret: Option<String>,
    users: Vec<UserRow>,
    sites: Vec<SiteRow>,
    /// (name, created)
    tokens: Vec<(String, String)>,
    ip_modes: Vec<(&'static str, &'static str)>,
}

/// What an admin action produced: a message and, for tokens, the secret to show once.
struct Outcome {
    status: StatusCode,
    notice: String,
    secret: Option<String>,
}

impl Outcome {
    fn ok(notice: impl Into<String>) -> Outcome {
        Outcome {
            status: StatusCode::OK,
            notice: notice.into(),
            secret: None,
        }
    }
}

async fn render(
    state: &AppState,
    account: &Account,
    uri: &OriginalUri,
    outcome: Option<Outcome>,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(state, account, HashMap::new(), uri, "admin", "Admin")?;
    let store = state.store.clone();
    let (users, tokens) = blocking(move || Ok((store.users()?, store.tokens()?))).await?;
    let users = users
        .into_iter()
        .map(|u| UserRow {
            role: u.role.as_str(),
            sites: u
                .sites
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            email: u.email,
        })
        .collect();
    let sites = state
        .sites
        .all()
        .into_iter()
        .map(|s| SiteRow {
            id: s.id.as_str().to_owned(),
            domains: s.domains.join(", "),
            ip_mode: s.settings.ip_mode.as_str(),
            raw_keys: s.settings.raw_keys,
        })
        .collect();
    let mut seen = std::collections::BTreeMap::new();
    for t in tokens {
        seen.entry(t.name.clone())
            .or_insert_with(|| super::format::datetime(t.created_ms, &ctx.zone));
    }
    let (status, notice, secret) = match outcome {
        Some(o) => (o.status, Some(o.notice), o.secret),
        None => (StatusCode::OK, None, None),
    };
    let view = AdminView {
        chrome: ctx.chrome,
        notice,
        secret,
        users,
        sites,
        tokens: seen.into_iter().collect(),
        ip_modes: vec![
            ("truncate", "truncate (keep the network part)"),
            ("hash", "hash (daily salted hash)"),
            ("drop", "drop (country only)"),
        ],
    };
    Ok((status, html(&view)).into_response())
}

pub async fn page(
    AdminOnly(account): AdminOnly,
    State(state): State<AppState>,
    uri: OriginalUri,
) -> Result<Response, PageError> {
    render(&state, &account, &uri, None).await
}

fn check_csrf(state: &AppState, account: &Account, csrf: &str) -> Result<(), PageError> {
    if state.keys.csrf_ok(&account.nonce, csrf) {
        Ok(())
    } else {
        Err(
            ApiError::forbidden("the form's CSRF token is missing or wrong; reload the page")
                .into(),
        )
    }
}

fn bad(message: impl Into<String>) -> Outcome {
    Outcome {
        status: StatusCode::BAD_REQUEST,
        notice: message.into(),
        secret: None,
    }
}

/// Splits "a, b c" into its parts.
fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    sites: String,
    #[serde(default)]
    password: String,
}

pub async fn users(
    AdminOnly(account): AdminOnly,
    State(state): State<AppState>,
    uri: OriginalUri,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &account, &form.csrf)?;
    let outcome = match user_change(&state, &account, form).await {
        Ok(o) => o,
        Err(message) => bad(message),
    };
    render(&state, &account, &uri, Some(outcome)).await
}

async fn user_change(
    state: &AppState,
    account: &Account,
    form: UserForm,
) -> Result<Outcome, String> {
    let email = form.email.trim().to_owned();
    let mut sites = Vec::new();
    for s in list(&form.sites) {
        let id = SiteId::parse(s).map_err(|e| format!("site {s:?}: {e}"))?;
        if state.sites.get(&id).is_none() {
            return Err(format!("there is no site {s:?}"));
        }
        sites.push(id);
    }
    let role = Role::parse(&form.role);
    let is_self = email.eq_ignore_ascii_case(&account.user.email);
    let store = state.store.clone();
    let result = match form.action.as_str() {
        "add" => {
            if !valid_email(&email) {
                return Err(format!("{email:?} is not an e-mail address"));
            }
            let role = role.ok_or("role must be admin or viewer")?;
            let password_hash = hash_password(&form.password).map_err(|e| e.to_string())?;
            let user = User {
                email: email.clone(),
                role,
                password_hash,
                sites,
            };
            blocking(move || store.insert_user(&user))
                .await
                .map(|_| format!("Added {email}."))
        }
        "update" => {
            let role = role.ok_or("role must be admin or viewer")?;
            if is_self && role != Role::Admin {
                return Err("you cannot remove your own admin role".into());
            }
            let new_hash = if form.password.is_empty() {
                None
            } else {
                Some(hash_password(&form.password).map_err(|e| e.to_string())?)
            };
            let target = email.clone();
            blocking(move || {
                let mut user = store
                    .user_by_email(&target)?
                    .ok_or_else(|| crate::store::StoreError::NotFound(format!("user {target}")))?;
                user.role = role;
                user.sites = sites;
                if let Some(h) = new_hash {
                    user.password_hash = h;
                }
                store.update_user(&user)
            })
            .await
            .map(|_| format!("Saved {email}."))
        }
        "delete" => {
            if is_self {
                return Err("you cannot delete your own account".into());
            }
            let target = email.clone();
            blocking(move || store.delete_user(&target))
                .await
                .map(|_| format!("Deleted {email}."))
        }
        other => return Err(format!("unknown action {other:?}")),
    };
    result.map(Outcome::ok).map_err(|e| e.message)
}

#[derive(Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    domains: String,
    #[serde(default)]
    ip_mode: String,
    raw_keys: Option<String>,
}

pub async fn sites(
    AdminOnly(account): AdminOnly,
    State(state): State<AppState>,
    uri: OriginalUri,
    Form(form): Form<SiteForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &account, &form.csrf)?;
    let outcome = match site_change(&state, form).await {
        Ok(o) => o,
        Err(message) => bad(message),
    };
    render(&state, &account, &uri, Some(outcome)).await
}

async fn site_change(state: &AppState, form: SiteForm) -> Result<Outcome, String> {
    let id = SiteId::parse(form.id.trim()).map_err(|e| e.to_string())?;
    let mut domains = Vec::new();
    for d in list(&form.domains) {
        domains.push(normalise_domain(d).ok_or_else(|| format!("{d:?} is not a host name"))?);
    }
    if domains.is_empty() {
        return Err("a site needs at least one domain".into());
    }
    let ip_mode =
        IpMode::parse(&form.ip_mode).ok_or("IP handling must be truncate, hash or drop")?;
    let site = Site {
        id: id.clone(),
        domains,
        settings: SiteSettings {
            raw_keys: form.raw_keys.is_some(),
            ip_mode,
        },
    };
    let store = state.store.clone();
    let registry = state.sites.clone();
    let action = form.action;
    blocking(move || {
        match action.as_str() {
            "add" => store.insert_site(&site)?,
            _ => store.update_site(&site)?,
        }
        registry.reload(store.as_ref())
    })
    .await
    .map_err(|e| e.message)?;
    Ok(Outcome::ok(format!("Saved site {id}.")))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    action: String,
    #[serde(default)]
    name: String,
}

pub async fn tokens(
    AdminOnly(account): AdminOnly,
    State(state): State<AppState>,
    uri: OriginalUri,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &account, &form.csrf)?;
    let name = form.name.trim().to_owned();
    let outcome = if name.is_empty() || name.len() > 100 {
        bad("a token name has 1 to 100 characters")
    } else {
        let store = state.store.clone();
        let action = form.action.clone();
        let target = name.clone();
        let result = blocking(move || {
            let removed = match action.as_str() {
                "rotate" | "revoke" => store.delete_tokens_named(&target)?,
                _ => 0,
            };
            if action == "revoke" {
                return Ok((removed, None));
            }
            let (secret, token_hash) = new_token();
            store.insert_token(&ApiToken {
                name: target,
                token_hash,
                created_ms: 0,
            })?;
            Ok((removed, Some(secret)))
        })
        .await;
        // Revoked secrets must stop working here at once, not when the cache expires.
        state.token_cache.clear();
        match (result, form.action.as_str()) {
            (Ok((n, _)), "revoke") => Outcome::ok(format!("Revoked {n} token(s) named {name}.")),
            (Ok((_, secret)), _) => Outcome {
                secret,
                ..Outcome::ok(format!(
                    "New secret for token {name}; the old one no longer works."
                ))
            },
            (Err(e), _) => bad(e.message),
        }
    };
    render(&state, &account, &uri, Some(outcome)).await
}
