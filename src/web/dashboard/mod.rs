//! The dashboard under `/tracking/`: server-rendered HTML pages over the same report plans as
//! the JSON API, behind a sign-in.
//!
//! Pages parse their query into the API's plans (`web::api::plan`, which reads them with
//! `query::params`), so the dashboard and the API can never disagree about what a parameter
//! means, and every page can be shared or bookmarked: site, range and filters live in the URL.
//! Templates (askama, `templates/`) escape every value; charts are SVG drawn here
//! (`chart.rs`); the only scripts are the playback and the live view, served from this module.
//! Every page carries a strict CSP and the other protective headers (`security.rs`).

pub mod admin;
pub mod chart;
pub mod format;
pub mod live;
pub mod login;
pub mod reports;
pub mod security;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::AppState;
use super::auth::{Account, signed_in_account};
use super::error::ApiError;
use crate::model::SiteId;
use crate::query::zone::Zone;

/// The dashboard's routes; `web::router` merges them.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tracking/login", get(login::form).post(login::submit))
        .route("/tracking/logout", post(login::logout))
        .route(
            "/tracking/",
            get(|| async { Redirect::to("/tracking/dashboard/") }),
        )
        .route("/tracking/dashboard/", get(reports::overview))
        .route("/tracking/sessions/", get(reports::sessions))
        .route("/tracking/sessions/{session}", get(reports::session))
        .route("/tracking/ecommerce/", get(reports::ecommerce))
        .route("/tracking/engagement/", get(reports::engagement))
        .route("/tracking/engagement/users/{user}", get(reports::user))
        .route("/tracking/frustration/", get(reports::frustration))
        .route("/tracking/heatmaps/", get(reports::heatmaps))
        .route("/tracking/live/", get(live::page))
        .route("/tracking/live/stream", get(live::stream))
        .route("/tracking/admin/", get(admin::page))
        .route("/tracking/admin/users", post(admin::users))
        .route("/tracking/admin/sites", post(admin::sites))
        .route("/tracking/admin/tokens", post(admin::tokens))
        .route("/tracking/assets/{file}", get(security::asset))
        .route("/tracking/csp-report", post(security::csp_report))
        .layer(axum::middleware::from_fn(security::headers))
}

/// An error shown as a page: the status of the error kind and its message, nothing internal
/// for 5xx (the cause was logged when the `ApiError` was made).
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        let page = ErrorPage {
            status: e.status.as_u16(),
            code: e.code,
            message: &e.message,
        };
        let mut response = (e.status, html(&page)).into_response();
        if let Some(secs) = e.retry_after_secs
            && let Ok(v) = secs.to_string().parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    }
}

/// Renders a template; a template that fails to render is an internal error.
pub fn html(t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>error</title><p>internal error; see the server log"),
            )
                .into_response()
        }
    }
}

/// A signed-in account, or a redirect to the sign-in page that comes back here afterwards.
pub struct SignedIn(pub Account);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match signed_in_account(state, &parts.headers).await {
            Ok(Some(account)) => Ok(SignedIn(account)),
            Ok(None) => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/tracking/dashboard/");
                let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
                Err(Redirect::to(&format!("/tracking/login?next={next}")).into_response())
            }
            Err(e) => Err(PageError(e).into_response()),
        }
    }
}

/// A signed-in admin; viewers get a 403 page.
pub struct AdminOnly(pub Account);

impl FromRequestParts<AppState> for AdminOnly {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(account) = SignedIn::from_request_parts(parts, state).await?;
        if account.user.is_admin() {
            Ok(AdminOnly(account))
        } else {
            Err(PageError(ApiError::forbidden(
                "only admins manage sites, users and tokens",
            ))
            .into_response())
        }
    }
}

/// A navigation link.
pub struct NavLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// What every page shows around its content: navigation, site picker, account.
pub struct Chrome {
    pub title: String,
    pub path: String,
    pub email: String,
    pub role: &'static str,
    pub csrf: String,
    pub sites: Vec<String>,
    pub site: String,
    /// `site` plus the range and filters, URL-encoded: carried from page to page.
    pub keep: String,
    pub links: Vec<NavLink>,
}

/// The query parameters that travel between report pages (range, zone, filters).
fn kept_params(params: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = params
        .iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && (["from", "to", "tz", "include_bots"].contains(&k.as_str())
                    || crate::query::filter::FILTER_KEYS.contains(&k.as_str()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    kept.sort();
    kept
}

pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A report page's context: the site it shows (checked against the account) and the request
/// parameters left for the report plan.
pub struct PageContext {
    pub site: SiteId,
    pub zone: Zone,
    pub params: HashMap<String, String>,
    pub chrome: Chrome,
}

impl PageContext {
    /// Picks the site (`site=`, else the account's first), drops empty form fields, and
    /// builds the page chrome. A viewer asking for another site gets a 403.
    pub fn new(
        state: &AppState,
        account: &Account,
        mut params: HashMap<String, String>,
        uri: &OriginalUri,
        nav: &'static str,
        title: &str,
    ) -> Result<PageContext, PageError> {
        params.retain(|_, v| !v.trim().is_empty());
        let readable: Vec<String> = state
            .sites
            .all()
            .into_iter()
            .filter(|s| account.user.can_read(&s.id))
            .map(|s| s.id.as_str().to_owned())
            .collect();
        let site = match params.remove("site") {
            Some(s) => {
                let id = SiteId::parse(&s)
                    .map_err(|e| ApiError::bad_request("invalid_site", e.to_string()))?;
                if !account.user.can_read(&id) {
                    return Err(ApiError::forbidden(format!(
                        "this account may not read site {s:?}"
                    ))
                    .into());
                }
                if state.sites.get(&id).is_none() {
                    return Err(ApiError::not_found(format!("site {s:?}")).into());
                }
                id
            }
            None => match readable.first() {
                Some(first) => SiteId::parse(first)
                    .map_err(|e| ApiError::bad_request("invalid_site", e.to_string()))?,
                None => {
                    return Err(ApiError::forbidden(
                        "this account may not read any site yet; ask an admin for access",
                    )
                    .into());
                }
            },
        };
        let zone = params
            .get("tz")
            .and_then(|z| Zone::parse(z))
            .unwrap_or_default();
        let mut keep_pairs = vec![("site".to_owned(), site.as_str().to_owned())];
        keep_pairs.extend(kept_params(&params));
        let keep = query_string(keep_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let links = [
            ("dashboard", "/tracking/dashboard/", "Overview"),
            ("sessions", "/tracking/sessions/", "Sessions"),
            ("ecommerce", "/tracking/ecommerce/", "E-commerce"),
            ("engagement", "/tracking/engagement/", "Engagement"),
            ("heatmaps", "/tracking/heatmaps/", "Heatmaps"),
            ("frustration", "/tracking/frustration/", "Frustration"),
            ("live", "/tracking/live/", "Live"),
        ]
        .into_iter()
        .map(|(key, path, label)| NavLink {
            href: format!("{path}?{keep}"),
            label,
            current: key == nav,
        })
        .chain([NavLink {
            href: "/tracking/test/".into(),
            label: "Test page",
            current: false,
        }])
        .chain(account.user.is_admin().then(|| NavLink {
            href: "/tracking/admin/".into(),
            label: "Admin",
            current: nav == "admin",
        }))
        .collect();
        Ok(PageContext {
            chrome: Chrome {
                title: title.to_owned(),
                path: uri.path().to_owned(),
                email: account.user.email.clone(),
                role: account.user.role.as_str(),
                csrf: account.csrf.clone(),
                sites: readable,
                site: site.as_str().to_owned(),
                keep,
                links,
            },
            site,
            zone,
            params,
        })
    }

    /// The principal the API's plan builders check access with.
    pub fn principal(account: &Account) -> crate::web::auth::Principal {
        crate::web::auth::Principal::Account(account.clone())
    }

    /// The report plan this page's query asks for, read and checked exactly as the API does.
    pub fn plan<P: crate::query::params::ReportParams>(
        &self,
        state: &AppState,
        account: &Account,
    ) -> Result<P, ApiError> {
        crate::web::api::plan(
            state,
            &Self::principal(account),
            self.site.as_str(),
            &self.params,
        )
    }

    /// `path?` + this page's site, range and filters with `changes` applied (a `None` value
    /// removes the key).
    pub fn link(&self, path: &str, changes: &[(&str, Option<&str>)]) -> String {
        let mut pairs: Vec<(String, String)> = vec![("site".into(), self.site.as_str().into())];
        pairs.extend(kept_params(&self.params));
        for (key, value) in changes {
            pairs.retain(|(k, _)| k != key);
            if let Some(v) = value {
                pairs.push(((*key).to_owned(), (*v).to_owned()));
            }
        }
        format!(
            "{path}?{}",
            query_string(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        )
    }
}

/// A text field of the filter bar.
pub struct FilterField {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// The date range and filter form every report page has, with its active filters.
pub struct FilterBar {
    pub action: String,
    pub from: String,
    pub to: String,
    pub hidden: Vec<(String, String)>,
    pub fields: Vec<FilterField>,
    /// (label, link that removes it)
    pub active: Vec<(String, String)>,
    /// (label, link) for quick ranges
    pub presets: Vec<(&'static str, String)>,
    /// The `frustration=` filter chosen (empty: none), and the choices as (value, label).
    pub frustration: String,
    pub frustration_options: [(&'static str, &'static str); 4],
}

const FILTER_FIELDS: [(&str, &str); 6] = [
    ("page", "Page"),
    ("source", "Source"),
    ("country", "Country"),
    ("device", "Device"),
    ("browser", "Browser"),
    ("utm_campaign", "Campaign"),
];

impl FilterBar {
    /// The bar for `ctx`; `range` is the report's resolved range (for the date inputs) and
    /// `hidden` the page's own parameters to keep when the form is submitted.
    pub fn new(ctx: &PageContext, range: crate::query::TimeRange, hidden: &[&str]) -> FilterBar {
        let day = 86_400_000;
        let now = crate::clock::now_ms();
        let presets = [
            ("Today", 0),
            ("7 days", 6),
            ("30 days", 29),
            ("90 days", 89),
        ]
        .into_iter()
        .map(|(label, back)| {
            let from = format::date(now - back * day, &ctx.zone);
            let to = format::date(now, &ctx.zone);
            (
                label,
                ctx.link(
                    &ctx.chrome.path,
                    &[("from", Some(&from)), ("to", Some(&to))],
                ),
            )
        })
        .collect();
        let active = ctx
            .params
            .iter()
            .filter(|(k, _)| crate::query::filter::FILTER_KEYS.contains(&k.as_str()))
            .map(|(k, v)| {
                (
                    format!("{k}: {v}"),
                    ctx.link(&ctx.chrome.path, &[(k.as_str(), None)]),
                )
            })
            .collect();
        FilterBar {
            action: ctx.chrome.path.clone(),
            from: format::date(range.from_ms, &ctx.zone),
            // The range is half-open; the date input shows its last day.
            to: format::date(range.to_ms - 1, &ctx.zone),
            hidden: ctx
                .params
                .iter()
                .filter(|(k, _)| {
                    hidden.contains(&k.as_str())
                        || k.as_str() == "tz"
                        || k.as_str() == "include_bots"
                        || (crate::query::filter::FILTER_KEYS.contains(&k.as_str())
                            && k.as_str() != "frustration"
                            && !FILTER_FIELDS.iter().any(|(f, _)| f == k))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            fields: FILTER_FIELDS
                .iter()
                .map(|(key, label)| FilterField {
                    key,
                    label,
                    value: ctx.params.get(*key).cloned().unwrap_or_default(),
                })
                .collect(),
            active,
            presets,
            frustration: ctx.params.get("frustration").cloned().unwrap_or_default(),
            frustration_options: [
                ("rage", "rage clicks"),
                ("dead", "dead clicks"),
                ("error", "error clicks"),
                ("quick_back", "quick backs"),
            ],
        }
    }
}
