//! Signing in and out of the dashboard.
//!
//! The login form has its own CSRF token, tied to a short-lived signed cookie, so another site
//! cannot sign a browser into an attacker's account. Failed attempts are throttled per account
//! and per client address (`throttle.rs`) before the password is even checked; the password
//! check runs Argon2id on the blocking pool, also for unknown accounts, so the answer time
//! does not tell which accounts exist.

use std::net::SocketAddr;
use std::sync::LazyLock;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{PageError, html};
use crate::auth::verify_password;
use crate::throttle::ThrottlePolicy;
use crate::web::AppState;
use crate::web::auth::{
    LOGIN_COOKIE, SESSION_COOKIE, SESSION_LIFETIME_MS, SessionClaim, cookie, is_https, new_nonce,
    signed_in_account,
};
use crate::web::blocking::blocking;
use crate::web::error::ApiError;

/// How long a login form stays valid.
const LOGIN_FORM_MS: i64 = 3_600_000;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: String,
    next: &'a str,
    email: &'a str,
    message: Option<String>,
}

#[derive(Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// Only paths inside the dashboard are followed after signing in (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/tracking/") && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/tracking/dashboard/",
    }
}

/// The login page with a fresh form nonce (and its cookie).
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    email: &str,
    message: Option<String>,
) -> Response {
    let nonce = new_nonce();
    let jar = state.keys.jar(headers).add(cookie(
        LOGIN_COOKIE,
        nonce.clone(),
        is_https(headers),
        LOGIN_FORM_MS,
    ));
    let page = LoginPage {
        csrf: state.keys.csrf_token(&nonce),
        next,
        email,
        message,
    };
    (status, jar, html(&page)).into_response()
}

pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Result<Response, PageError> {
    let next = safe_next(q.next.as_deref());
    if signed_in_account(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(next).into_response());
    }
    Ok(login_page(&state, &headers, StatusCode::OK, next, "", None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// Checked against when the account does not exist, so both paths cost one Argon2id run.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    crate::auth::hash_password("not a real password, only for timing").unwrap_or_default()
});

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let email = form.email.trim().to_ascii_lowercase();
    let form_nonce = state
        .keys
        .jar(&headers)
        .get(LOGIN_COOKIE)
        .map(|c| c.value().to_owned());
    if !form_nonce.is_some_and(|n| state.keys.csrf_ok(&n, &form.csrf)) {
        let message = "The sign-in form expired or did not come from this site; please try again.";
        return Ok(login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            next,
            &email,
            Some(message.into()),
        ));
    }
    let ip = crate::enrich::ip::client_ip(
        peer.ip(),
        headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()),
        &state.config.trusted_proxies,
    );
    let account_key = format!("account:{email}");
    let ip_key = format!("ip:{ip}");
    let now = crate::clock::now_ms();
    let throttle = &state.login_throttle;
    let wait_ms = throttle
        .wait_ms(&account_key, ThrottlePolicy::ACCOUNT, now)
        .max(throttle.wait_ms(&ip_key, ThrottlePolicy::ADDRESS, now));
    if wait_ms > 0 {
        let secs = (wait_ms + 999) / 1000;
        let message = format!(
            "Too many failed sign-ins for this account or from this address. \
             Try again in {secs} seconds."
        );
        let mut response = login_page(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            &email,
            Some(message),
        );
        if let Ok(v) = secs.to_string().parse() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        return Ok(response);
    }
    let store = state.store.clone();
    let lookup = email.clone();
    let password = form.password;
    let user = blocking(move || {
        // Addresses are stored as they were typed; most are lower case, so the keyed lookup
        // usually finds the account, and only a miss compares every address case-blind.
        let user = match store.user_by_email(&lookup)? {
            Some(user) => Some(user),
            None => store
                .users()?
                .into_iter()
                .find(|u| u.email.eq_ignore_ascii_case(&lookup)),
        };
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = !password.is_empty() && verify_password(&password, &hash);
        Ok(user.filter(|_| ok))
    })
    .await?;
    let Some(user) = user else {
        throttle.record_failure(&account_key, ThrottlePolicy::ACCOUNT, now);
        throttle.record_failure(&ip_key, ThrottlePolicy::ADDRESS, now);
        return Ok(login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            next,
            &email,
            Some("Wrong e-mail address or password.".into()),
        ));
    };
    throttle.clear(&account_key);
    let claim = SessionClaim::new(&user, now);
    let secure = is_https(&headers);
    let jar = state
        .keys
        .jar(&headers)
        .remove(cookie(LOGIN_COOKIE, String::new(), secure, 0))
        .add(cookie(
            SESSION_COOKIE,
            claim.encode(),
            secure,
            SESSION_LIFETIME_MS,
        ));
    Ok((jar, Redirect::to(next)).into_response())
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Signs the account out everywhere: cookies issued before now stop working on every node.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    let account = signed_in_account(&state, &headers).await?;
    if let Some(account) = account {
        if !state.keys.csrf_ok(&account.nonce, &form.csrf) {
            return Err(ApiError::forbidden("the form's CSRF token is missing or wrong").into());
        }
        let store = state.store.clone();
        let email = account.user.email.clone();
        let now = crate::clock::now_ms();
        blocking(move || store.set_signed_out_at(&email, now)).await?;
    }
    let jar = state.keys.jar(&headers).remove(cookie(
        SESSION_COOKIE,
        String::new(),
        is_https(&headers),
        0,
    ));
    Ok((jar, Redirect::to("/tracking/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_dashboard_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/tracking/sessions/?site=a")),
            "/tracking/sessions/?site=a"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/tracking/\\evil",
            "/api/v1",
        ] {
            assert_eq!(safe_next(Some(bad)), "/tracking/dashboard/", "{bad}");
        }
        assert_eq!(safe_next(None), "/tracking/dashboard/");
    }
}
