//! The report pages, one file each: overview, sessions and one session, e-commerce,
//! engagement and one user, frustration and heatmaps.
//!
//! Each handler builds the API's plan from the page's query (same validation, same
//! meaning), runs it on the blocking pool and hands the report to its page's `view`, a pure
//! function (page context and report in, template values out) that unit tests call without a
//! server. Values are formatted there; templates only lay them out and escape them. What more
//! than one page shows (a session row, an engagement row, sort links) is here.

mod ecommerce;
mod engagement;
mod frustration;
mod heatmaps;
mod overview;
mod session;
mod sessions;
mod user;

use std::collections::HashMap;

use axum::extract::{FromRequestParts, OriginalUri, Query};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

pub use self::ecommerce::ecommerce;
pub use self::engagement::engagement;
pub use self::frustration::frustration;
pub use self::heatmaps::heatmaps;
pub use self::overview::overview;
pub use self::session::session;
pub use self::sessions::sessions;
pub use self::user::user;
use super::format as fmt;
use super::{Account, PageContext, PageError, SignedIn};
use crate::query::SessionSummary;
use crate::query::engagement::Engagement;
use crate::web::AppState;
use crate::web::api::Report;
use crate::web::blocking::blocking;

type Params = Query<HashMap<String, String>>;

/// What a report page's handler is given: the signed-in account, the state, the URI and the
/// query. [`PageRequest::report`] turns it into the page's context and the report.
pub struct PageRequest {
    account: Account,
    state: AppState,
    uri: OriginalUri,
    params: HashMap<String, String>,
    /// The `Host` the dashboard was reached at (the heatmap page links to pages on it).
    host: Option<String>,
}

impl FromRequestParts<AppState> for PageRequest {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let SignedIn(account) = SignedIn::from_request_parts(parts, state).await?;
        let uri = OriginalUri::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Query(params) = Params::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(PageRequest {
            account,
            state: state.clone(),
            uri,
            params,
            host,
        })
    }
}

impl PageRequest {
    /// The page's context (`nav` names its menu entry), the report's plan (read from the query
    /// like the API's, then changed by `prepare`) and the report, run on the blocking pool.
    async fn report<P: Report>(
        self,
        nav: &'static str,
        title: &str,
        prepare: impl FnOnce(&mut P),
    ) -> Result<(PageContext, P, P::Answer), PageError> {
        let (ctx, state, account) = self.context(nav, title)?;
        let mut plan: P = ctx.plan(&state, &account)?;
        prepare(&mut plan);
        let (plan, answer) = run(&state, plan).await?;
        Ok((ctx, plan, answer))
    }

    /// The page's context, for pages that run more than one report.
    fn context(
        self,
        nav: &'static str,
        title: &str,
    ) -> Result<(PageContext, AppState, Account), PageError> {
        let ctx = PageContext::new(
            &self.state,
            &self.account,
            self.params,
            &self.uri,
            nav,
            title,
        )?;
        Ok((ctx, self.state, self.account))
    }
}

/// Runs a plan on the blocking pool; gives the plan back beside its answer.
async fn run<P: Report>(state: &AppState, plan: P) -> Result<(P, P::Answer), PageError> {
    let store = state.store.clone();
    Ok(blocking(move || P::answer(&*store, &plan).map(|a| (plan, a))).await?)
}

/// (label, link, current) for each sort order of a table; a new order starts at the first page.
fn sort_links(
    ctx: &PageContext,
    orders: &[(&'static str, &str)],
    current: &str,
) -> Vec<(&'static str, String, bool)> {
    orders
        .iter()
        .map(|(label, key)| {
            (
                *label,
                ctx.link(&ctx.chrome.path, &[("sort", Some(key)), ("offset", None)]),
                *key == current,
            )
        })
        .collect()
}

fn label_of(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "(none)".into())
}

/// The dashboard page of one signed-in user.
fn user_link(ctx: &PageContext, user: &str) -> String {
    let user: String = url::form_urlencoded::byte_serialize(user.as_bytes()).collect();
    ctx.link(&format!("/tracking/engagement/users/{user}"), &[])
}

/// A row of the session list, formatted.
pub struct SessionRowView {
    pub href: String,
    pub id: String,
    pub start: String,
    pub duration: String,
    pub pageviews: u64,
    pub events: u64,
    pub entry: String,
    pub source: String,
    pub country: String,
    pub device: String,
    pub user: String,
    pub purchases: String,
}

fn session_rows(ctx: &PageContext, sessions: &[SessionSummary]) -> Vec<SessionRowView> {
    sessions
        .iter()
        .map(|s| SessionRowView {
            href: ctx.link(&format!("/tracking/sessions/{}", s.session_id), &[]),
            id: s.session_id.clone(),
            start: fmt::datetime(s.start_ms, &ctx.zone),
            duration: fmt::duration(s.duration_ms),
            pageviews: s.pageviews,
            events: s.events,
            entry: s.entry_page.clone().unwrap_or_default(),
            source: s.source.clone().unwrap_or_else(|| "direct".into()),
            country: s.country.clone().unwrap_or_default(),
            device: format!("{} · {} · {}", s.device, s.browser, s.os),
            user: s.user_id.clone().unwrap_or_default(),
            purchases: if s.purchases.is_empty() {
                String::new()
            } else {
                fmt::amounts(&s.purchases)
            },
        })
        .collect()
}

pub struct EngagementRowView {
    pub id: String,
    pub href: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub sessions: u64,
    pub engaged: String,
    pub pageviews: u64,
    pub clicks: u64,
    pub scroll: String,
    pub purchases: u64,
    pub revenue: String,
    pub score: String,
}

fn engagement_rows(ctx: &PageContext, e: &Engagement) -> Vec<EngagementRowView> {
    e.rows
        .iter()
        .map(|r| EngagementRowView {
            href: (e.by == "user").then(|| user_link(ctx, &r.id)),
            id: r.id.clone(),
            first_seen: fmt::datetime(r.first_seen_ms, &ctx.zone),
            last_seen: fmt::datetime(r.last_seen_ms, &ctx.zone),
            sessions: r.sessions,
            engaged: fmt::duration(r.engaged_ms as f64),
            pageviews: r.pageviews,
            clicks: r.clicks,
            scroll: r
                .max_scroll_depth
                .map(|d| format!("{d}%"))
                .unwrap_or_default(),
            purchases: r.purchases,
            revenue: fmt::amounts(&r.revenue),
            score: format!("{:.1}", r.engagement_score),
        })
        .collect()
}

/// Page contexts and report rows for the pages' unit tests.
#[cfg(test)]
mod testing {
    use std::collections::HashMap;

    use super::super::{Chrome, PageContext};
    use crate::model::SiteId;
    use crate::query::engagement::EngagementRow;
    use crate::query::zone::Zone;
    use crate::query::{Amount, SessionSummary, TimeRange};

    /// 2026-11-24T00:00:00Z.
    pub const DAY0: i64 = 1_795_478_400_000;

    pub fn range(days: i64) -> TimeRange {
        TimeRange::new(DAY0, DAY0 + days * 86_400_000).unwrap()
    }

    /// The context of `path` for site `shop`, with these query parameters.
    pub fn context(path: &str, params: &[(&str, &str)]) -> PageContext {
        PageContext {
            site: SiteId::parse("shop").unwrap(),
            zone: Zone::default(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
            chrome: Chrome {
                title: "Test".into(),
                path: path.into(),
                email: "viewer@example.com".into(),
                role: "viewer",
                csrf: String::new(),
                sites: vec!["shop".into()],
                site: "shop".into(),
                keep: "site=shop".into(),
                links: Vec::new(),
            },
        }
    }

    pub fn eur(minor: i64) -> Amount {
        Amount {
            currency: "EUR".into(),
            minor,
        }
    }

    pub fn session(id: &str, start_ms: i64) -> SessionSummary {
        SessionSummary {
            session_id: id.into(),
            visitor_id: "00000000000000aa".into(),
            user_id: None,
            start_ms,
            end_ms: start_ms + 90_000,
            duration_ms: 90_000,
            pageviews: 3,
            events: 12,
            entry_page: Some("/".into()),
            source: None,
            country: Some("DE".into()),
            device: "desktop".into(),
            browser: "Firefox".into(),
            os: "Linux".into(),
            purchases: Vec::new(),
        }
    }

    pub fn engagement_row(id: &str, score: f64) -> EngagementRow {
        EngagementRow {
            id: id.into(),
            user_id: Some(id.into()),
            visitors: 1,
            first_seen_ms: DAY0,
            last_seen_ms: DAY0 + 3_600_000,
            sessions: 2,
            engaged_ms: 125_000,
            avg_engaged_ms_per_session: 62_500,
            pageviews: 7,
            clicks: 4,
            max_scroll_depth: Some(80),
            avg_session_scroll_depth: Some(65.0),
            purchases: 1,
            revenue: vec![eur(3998)],
            engagement_score: score,
        }
    }
}
