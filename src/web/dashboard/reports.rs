//! The report pages: overview, sessions and one session, e-commerce, engagement and one user.
//!
//! Each handler builds the API's plan from the page's query (same validation, same
//! meaning), runs it on the blocking pool, and turns the report into a view for its template.
//! Values are formatted here; templates only lay them out and escape them.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;

use super::chart::{self, LineSeries, Svg};
use super::format::{self as fmt, Delta};
use super::{Chrome, FilterBar, PageContext, PageError, SignedIn, html};
use crate::query::ecommerce::Ecommerce;
use crate::query::engagement::{Engagement, EngagementBy, EngagementPlan};
use crate::query::{Overview, SessionDetail, SessionPage, SessionSummary, TimeRange};
use crate::web::AppState;
use crate::web::api::{self, blocking};
use crate::web::ecommerce::ecommerce_plan;
use crate::web::engagement::engagement_plan;

type Params = Query<HashMap<String, String>>;

/// A headline figure with its change against the previous period.
pub struct Card {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    /// The unformatted value, for tests and scripts.
    pub raw: String,
    pub delta: Delta,
    pub previous: String,
}

pub struct TopRowView {
    pub label: String,
    pub href: Option<String>,
    pub visitors: u64,
    pub count: u64,
}

pub struct TopList {
    pub name: String,
    pub title: &'static str,
    pub column: &'static str,
    pub count_label: &'static str,
    pub chart: Svg,
    pub rows: Vec<TopRowView>,
}

#[derive(Template)]
#[template(path = "overview.html")]
pub struct OverviewView {
    pub chrome: Chrome,
    pub filters: FilterBar,
    pub cards: Vec<Card>,
    pub chart: Svg,
    pub granularity: &'static str,
    pub zone: &'static str,
    pub series: Vec<crate::query::SeriesPoint>,
    pub tops: Vec<TopList>,
    pub events_by_type: Vec<(String, u64)>,
    pub csv_base: String,
}

/// The top lists shown, in order: (report key, title, column, filter key).
const TOP_LISTS: [(&str, &str, &str, Option<&str>); 10] = [
    ("pages", "Top pages", "Page", Some("page")),
    ("entry_pages", "Entry pages", "Page", Some("page")),
    ("exit_pages", "Exit pages", "Page", Some("page")),
    ("sources", "Sources", "Source", Some("source")),
    ("countries", "Countries", "Country", Some("country")),
    ("devices", "Devices", "Device", Some("device")),
    ("browsers", "Browsers", "Browser", Some("browser")),
    ("os", "Operating systems", "OS", Some("os")),
    ("referrers", "Referrers", "Referrer", Some("referrer_host")),
    (
        "utm_campaigns",
        "Campaigns",
        "Campaign",
        Some("utm_campaign"),
    ),
];

fn card(
    id: &'static str,
    label: &'static str,
    current: f64,
    previous: f64,
    higher_is_better: bool,
    show: fn(f64) -> String,
) -> Card {
    Card {
        id,
        label,
        value: show(current),
        raw: current.to_string(),
        delta: fmt::delta(current, previous, higher_is_better),
        previous: show(previous),
    }
}

pub async fn overview(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Query(params): Params,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "dashboard", "Overview")?;
    let principal = PageContext::principal(&account);
    let plan = api::overview_plan(&state, &principal, ctx.site.as_str(), &ctx.params)?;
    // The previous period of the same length, for the chart's comparison line.
    let mut previous_plan = plan.clone();
    let length = plan.range.to_ms - plan.range.from_ms;
    previous_plan.range = TimeRange {
        from_ms: plan.range.from_ms - length,
        to_ms: plan.range.from_ms,
    };
    previous_plan.top = 1;
    let range = plan.range;
    let granularity = plan.granularity.as_str();
    let (store, store2) = (state.store.clone(), state.store.clone());
    let (report, previous) = tokio::try_join!(
        blocking(move || store.overview(&plan)),
        blocking(move || store2.overview(&previous_plan)),
    )?;
    let Overview {
        totals: t,
        previous: p,
        series,
        top,
        events_by_type,
        time_zone,
        ..
    } = report;
    let cards = vec![
        card(
            "visitors",
            "Visitors",
            t.visitors as f64,
            p.visitors as f64,
            true,
            fmt::num,
        ),
        card(
            "sessions",
            "Sessions",
            t.sessions as f64,
            p.sessions as f64,
            true,
            fmt::num,
        ),
        card(
            "pageviews",
            "Pageviews",
            t.pageviews as f64,
            p.pageviews as f64,
            true,
            fmt::num,
        ),
        card(
            "bounce",
            "Bounce rate",
            t.bounce_rate,
            p.bounce_rate,
            false,
            fmt::pct,
        ),
        card(
            "duration",
            "Avg. session",
            t.avg_session_duration_ms,
            p.avg_session_duration_ms,
            true,
            fmt::duration,
        ),
        card(
            "engaged",
            "Avg. engaged time",
            t.avg_engaged_time_ms,
            p.avg_engaged_time_ms,
            true,
            fmt::duration,
        ),
    ];
    let labels: Vec<String> = series.iter().map(|p| p.local.clone()).collect();
    let current: Vec<f64> = series.iter().map(|p| p.visitors as f64).collect();
    let before: Vec<f64> = previous.series.iter().map(|p| p.visitors as f64).collect();
    let chart = chart::line_chart(
        "visits",
        "Visitors per period (solid) against the previous period (dashed)",
        &labels,
        &[
            LineSeries {
                name: "Visitors",
                values: &current,
            },
            LineSeries {
                name: "Visitors, previous period",
                values: &before,
            },
        ],
    );
    let tops = TOP_LISTS
        .iter()
        .filter_map(|(key, title, column, filter)| {
            let rows = top.get(*key)?;
            let bars: Vec<(String, f64)> = rows
                .iter()
                .map(|r| (label_of(&r.value), r.visitors as f64))
                .collect();
            Some(TopList {
                name: (*key).to_owned(),
                title,
                column,
                count_label: if *key == "pages" { "Views" } else { "Sessions" },
                chart: chart::bar_chart(&format!("top-{key}-chart"), title, &bars),
                rows: rows
                    .iter()
                    .map(|r| TopRowView {
                        label: label_of(&r.value),
                        href: match (filter, &r.value) {
                            (Some(f), Some(v)) => {
                                Some(ctx.link(&ctx.chrome.path, &[(f, Some(v.as_str()))]))
                            }
                            _ => None,
                        },
                        visitors: r.visitors,
                        count: r.count,
                    })
                    .collect(),
            })
        })
        .collect();
    let csv_base = ctx.link(&format!("/api/v1/sites/{}/overview", ctx.site), &[]);
    Ok(html(&OverviewView {
        filters: FilterBar::new(&ctx, range, &[]),
        chrome: ctx.chrome,
        cards,
        chart,
        granularity,
        zone: crate::query::zone::Zone::parse(&time_zone)
            .unwrap_or_default()
            .name(),
        series,
        tops,
        events_by_type: events_by_type.into_iter().collect(),
        csv_base,
    }))
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

#[derive(Template)]
#[template(path = "sessions.html")]
pub struct SessionsView {
    pub chrome: Chrome,
    pub filters: FilterBar,
    pub total: u64,
    pub first: u64,
    pub last: u64,
    pub rows: Vec<SessionRowView>,
    /// (label, link, current)
    pub sorts: Vec<(&'static str, String, bool)>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub csv: String,
}

pub async fn sessions(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Query(params): Params,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "sessions", "Sessions")?;
    let principal = PageContext::principal(&account);
    let plan = api::sessions_plan(&state, &principal, ctx.site.as_str(), &ctx.params)?;
    let (range, limit, offset) = (plan.range, plan.limit as u64, plan.offset);
    let store = state.store.clone();
    let page: SessionPage = blocking(move || store.sessions(&plan)).await?;
    let sort = ctx.params.get("sort").cloned().unwrap_or("-start".into());
    let path = ctx.chrome.path.clone();
    let sorts = sort_links(
        &ctx,
        &[
            ("Newest", "-start"),
            ("Oldest", "start"),
            ("Longest", "-duration"),
            ("Most events", "-events"),
        ],
        &sort,
    );
    let with = |o: u64| {
        let o = o.to_string();
        let mut changes = vec![("offset", Some(o.as_str()))];
        changes.push(("sort", Some(sort.as_str())));
        ctx.link(&path, &changes)
    };
    let prev = (offset > 0).then(|| with(offset.saturating_sub(limit)));
    let next = (offset + limit < page.total).then(|| with(offset + limit));
    let csv = format!(
        "{}&format=csv&table=sessions",
        ctx.link(&format!("/api/v1/sites/{}/sessions", ctx.site), &[])
    );
    Ok(html(&SessionsView {
        filters: FilterBar::new(&ctx, range, &["sort"]),
        total: page.total,
        first: if page.sessions.is_empty() {
            0
        } else {
            offset + 1
        },
        last: offset + page.sessions.len() as u64,
        rows: session_rows(&ctx, &page.sessions),
        sorts,
        prev,
        next,
        csv,
        chrome: ctx.chrome,
    }))
}

/// One event of the session timeline.
pub struct TimelineItem {
    pub at: String,
    pub offset: String,
    pub kind: String,
    pub path: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "session.html")]
pub struct SessionView {
    pub chrome: Chrome,
    pub s: SessionRowView,
    pub visitor: String,
    pub user_href: Option<String>,
    pub screen_w: String,
    pub screen_h: String,
    pub timeline: Vec<TimelineItem>,
    pub back: String,
}

fn event_detail(e: &crate::query::EventRow) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(n) = &e.name {
        parts.push(n.clone());
    }
    if let Some(t) = &e.target {
        parts.push(t.clone());
    }
    if let Some(l) = &e.label {
        parts.push(format!("“{l}”"));
    }
    if let (Some(x), Some(y)) = (e.x, e.y) {
        parts.push(format!("at {x},{y}"));
    }
    if let Some(d) = e.depth_pct {
        parts.push(format!("{d}% deep"));
    }
    if let (Some(v), Some(c)) = (e.value_minor, &e.currency) {
        parts.push(fmt::amount(&crate::query::Amount {
            currency: c.clone(),
            minor: v,
        }));
    }
    if let Some(t) = &e.transaction_id {
        parts.push(format!("order {t}"));
    }
    if let Some(p) = &e.props {
        parts.push(p.clone());
    }
    if let Some(d) = e.duration_ms {
        parts.push(fmt::duration(d));
    }
    parts.join(" · ")
}

pub async fn session(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(session): Path<String>,
    Query(params): Params,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "sessions", "Session")?;
    let principal = PageContext::principal(&account);
    let plan = api::session_detail_plan(&state, &principal, ctx.site.as_str(), &session)?;
    let store = state.store.clone();
    let detail: SessionDetail = blocking(move || store.session_detail(&plan))
        .await?
        .ok_or_else(|| crate::web::error::ApiError::not_found(format!("session {session:?}")))?;
    let start = detail.summary.start_ms;
    let timeline = detail
        .events
        .iter()
        .filter(|e| e.kind != "move")
        .map(|e| TimelineItem {
            at: fmt::clock(e.ts_ms, &ctx.zone),
            offset: fmt::duration(e.ts_ms - start),
            kind: e.kind.clone(),
            path: e.path.clone(),
            detail: event_detail(e),
        })
        .collect();
    let mut rows = session_rows(&ctx, std::slice::from_ref(&detail.summary));
    let s = rows.remove(0);
    let user_href = detail.summary.user_id.as_ref().map(|u| {
        let user: String = url::form_urlencoded::byte_serialize(u.as_bytes()).collect();
        ctx.link(&format!("/tracking/engagement/users/{user}"), &[])
    });
    Ok(html(&SessionView {
        visitor: detail.summary.visitor_id.clone(),
        user_href,
        screen_w: String::new(),
        screen_h: String::new(),
        timeline,
        back: ctx.link("/tracking/sessions/", &[]),
        s,
        chrome: ctx.chrome,
    }))
}

pub struct ProductView {
    pub id: String,
    pub name: String,
    pub views: u64,
    pub carts: u64,
    pub purchases: u64,
    pub revenue: String,
}

#[derive(Template)]
#[template(path = "ecommerce.html")]
pub struct EcommerceView {
    pub chrome: Chrome,
    pub filters: FilterBar,
    pub r: Ecommerce,
    pub revenue: String,
    pub aov: String,
    pub refunds: String,
    pub funnel: Svg,
    pub products_chart: Svg,
    pub products: Vec<ProductView>,
    /// (source, orders, revenue)
    pub by_source: Vec<(String, u64, String)>,
    pub by_country: Vec<(String, u64, String)>,
    pub over_time: Svg,
    /// (period, orders, revenue)
    pub series: Vec<(String, u64, String)>,
    pub csv_base: String,
}

pub async fn ecommerce(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Query(params): Params,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "ecommerce", "E-commerce")?;
    let principal = PageContext::principal(&account);
    let plan = ecommerce_plan(&state, &principal, ctx.site.as_str(), &ctx.params)?;
    let range = plan.range;
    let store = state.store.clone();
    let r: Ecommerce = blocking(move || store.ecommerce(&plan)).await?;
    let steps: Vec<(String, u64)> = r
        .funnel
        .in_order
        .iter()
        .map(|s| (s.step.replace('_', " "), s.sessions))
        .collect();
    let funnel = chart::funnel("funnel", "Sessions reaching each step in order", &steps);
    let products_chart = chart::bar_chart(
        "products-chart",
        "Top products by purchases",
        &r.top_products
            .iter()
            .map(|p| {
                (
                    p.item_name.clone().unwrap_or_else(|| p.item_id.clone()),
                    p.purchases as f64,
                )
            })
            .collect::<Vec<_>>(),
    );
    let products = r
        .top_products
        .iter()
        .map(|p| ProductView {
            id: p.item_id.clone(),
            name: p.item_name.clone().unwrap_or_default(),
            views: p.views,
            carts: p.add_to_carts,
            purchases: p.purchases,
            revenue: fmt::amounts(&p.revenue),
        })
        .collect();
    let by_source = r
        .revenue_by_source
        .iter()
        .map(|s| (label_of(&s.source), s.orders, fmt::amounts(&s.revenue)))
        .collect();
    let by_country = r
        .revenue_by_country
        .iter()
        .map(|s| (label_of(&s.country), s.orders, fmt::amounts(&s.revenue)))
        .collect();
    let labels: Vec<String> = r.series.iter().map(|p| p.local.clone()).collect();
    let orders: Vec<f64> = r.series.iter().map(|p| p.orders as f64).collect();
    let over_time = chart::line_chart(
        "orders-over-time",
        "Orders per period",
        &labels,
        &[LineSeries {
            name: "Orders",
            values: &orders,
        }],
    );
    let series = r
        .series
        .iter()
        .map(|p| (p.local.clone(), p.orders, fmt::amounts(&p.revenue)))
        .collect();
    Ok(html(&EcommerceView {
        filters: FilterBar::new(&ctx, range, &["limit"]),
        revenue: fmt::amounts(&r.revenue),
        aov: fmt::amounts(&r.average_order_value),
        refunds: format!(
            "{} ({})",
            fmt::num(r.refunds.count),
            fmt::amounts(&r.refunds.amount)
        ),
        funnel,
        products_chart,
        products,
        by_source,
        by_country,
        over_time,
        series,
        csv_base: ctx.link(&format!("/api/v1/sites/{}/ecommerce", ctx.site), &[]),
        chrome: ctx.chrome,
        r,
    }))
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
            href: (e.by == "user").then(|| {
                let user: String = url::form_urlencoded::byte_serialize(r.id.as_bytes()).collect();
                ctx.link(&format!("/tracking/engagement/users/{user}"), &[])
            }),
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

#[derive(Template)]
#[template(path = "engagement.html")]
pub struct EngagementView {
    pub chrome: Chrome,
    pub filters: FilterBar,
    pub e: Engagement,
    pub stickiness: String,
    pub rows: Vec<EngagementRowView>,
    /// (label, link, current)
    pub sorts: Vec<(&'static str, String, bool)>,
    pub by_links: Vec<(&'static str, String, bool)>,
    pub q: String,
    pub by: &'static str,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub cohort_chart: Svg,
    pub cohort_cols: Vec<String>,
    /// (label, size, shares as text)
    pub cohort_rows: Vec<(String, u64, Vec<String>)>,
    pub csv_base: String,
}

pub async fn engagement(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Query(params): Params,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "engagement", "Engagement")?;
    let principal = PageContext::principal(&account);
    let plan = engagement_plan(&state, &principal, ctx.site.as_str(), &ctx.params)?;
    let (range, limit, offset) = (plan.range, plan.limit as u64, plan.offset);
    let by = match plan.by {
        EngagementBy::User => "user",
        EngagementBy::Visitor => "visitor",
    };
    let store = state.store.clone();
    let e: Engagement = blocking(move || store.engagement(&plan)).await?;
    let path = ctx.chrome.path.clone();
    let sort = ctx.params.get("sort").cloned().unwrap_or("-score".into());
    let sorts = sort_links(
        &ctx,
        &[
            ("Score", "-score"),
            ("Engaged time", "-engaged"),
            ("Sessions", "-sessions"),
            ("Purchases", "-purchases"),
            ("Last seen", "-last_seen"),
            ("First seen", "-first_seen"),
        ],
        &sort,
    );
    let by_links = [("Users", "user"), ("Visitors", "visitor")]
        .into_iter()
        .map(|(label, key)| {
            (
                label,
                ctx.link(&path, &[("by", Some(key)), ("offset", None), ("q", None)]),
                key == by,
            )
        })
        .collect();
    let page = |o: u64| {
        let o = o.to_string();
        let q = ctx.params.get("q").cloned();
        ctx.link(
            &path,
            &[
                ("offset", Some(o.as_str())),
                ("sort", Some(sort.as_str())),
                ("by", Some(by)),
                ("q", q.as_deref()),
            ],
        )
    };
    let prev = (offset > 0).then(|| page(offset.saturating_sub(limit)));
    let next = (offset + limit < e.total).then(|| page(offset + limit));
    let weeks = e.cohorts.iter().map(|c| c.weeks.len()).max().unwrap_or(0);
    let cohort_cols: Vec<String> = (0..weeks).map(|w| format!("W{w}")).collect();
    let heat: Vec<(String, Vec<Option<f64>>)> = e
        .cohorts
        .iter()
        .map(|c| {
            (
                format!("{} ({})", c.week_start, c.size),
                (0..weeks)
                    .map(|w| c.weeks.get(w).map(|cw| cw.share))
                    .collect(),
            )
        })
        .collect();
    let cohort_chart = chart::heat_grid(
        "cohorts",
        "Share of each weekly cohort active in later weeks",
        &cohort_cols,
        &heat,
    );
    let cohort_rows = e
        .cohorts
        .iter()
        .map(|c| {
            (
                c.week_start.clone(),
                c.size,
                c.weeks.iter().map(|w| fmt::pct(w.share)).collect(),
            )
        })
        .collect();
    Ok(html(&EngagementView {
        filters: FilterBar::new(&ctx, range, &["by", "sort", "q"]),
        stickiness: fmt::pct(e.active.stickiness),
        rows: engagement_rows(&ctx, &e),
        sorts,
        by_links,
        q: ctx.params.get("q").cloned().unwrap_or_default(),
        by,
        prev,
        next,
        cohort_chart,
        cohort_cols,
        cohort_rows,
        csv_base: ctx.link(&format!("/api/v1/sites/{}/engagement", ctx.site), &[]),
        chrome: ctx.chrome,
        e,
    }))
}

#[derive(Template)]
#[template(path = "user.html")]
pub struct UserView {
    pub chrome: Chrome,
    pub user: String,
    pub row: Option<EngagementRowView>,
    pub rows: Vec<SessionRowView>,
    pub total_sessions: u64,
    /// (session link, start, amounts)
    pub purchases: Vec<(String, String, String)>,
}

/// One signed-in user: their engagement figures, sessions and purchases in the range.
pub async fn user(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(user): Path<String>,
    Query(params): Params,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "engagement", "User")?;
    let principal = PageContext::principal(&account);
    let mut session_params = ctx.params.clone();
    session_params.insert("user".into(), user.clone());
    session_params.insert("limit".into(), "200".into());
    let sessions_plan = api::sessions_plan(&state, &principal, ctx.site.as_str(), &session_params)?;
    let mut engagement_params: HashMap<String, String> = ctx
        .params
        .iter()
        .filter(|(k, _)| ["from", "to", "tz", "include_bots"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    engagement_params.insert(
        "q".into(),
        user.chars()
            .take(EngagementPlan::MAX_SEARCH_CHARS)
            .collect(),
    );
    engagement_params.insert("limit".into(), "500".into());
    let engagement_plan =
        engagement_plan(&state, &principal, ctx.site.as_str(), &engagement_params)?;
    let (s1, s2) = (state.store.clone(), state.store.clone());
    let (page, mut e) = tokio::try_join!(
        blocking(move || s1.sessions(&sessions_plan)),
        blocking(move || s2.engagement(&engagement_plan)),
    )?;
    e.rows.retain(|r| r.id == user);
    let row = engagement_rows(&ctx, &e).into_iter().next();
    let sessions = session_rows(&ctx, &page.sessions);
    let purchases = page
        .sessions
        .iter()
        .zip(&sessions)
        .filter(|(s, _)| !s.purchases.is_empty())
        .map(|(s, v)| (v.href.clone(), v.start.clone(), fmt::amounts(&s.purchases)))
        .collect();
    Ok(html(&UserView {
        user,
        row,
        total_sessions: page.total,
        rows: sessions,
        purchases,
        chrome: ctx.chrome,
    }))
}
