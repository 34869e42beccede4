//! `/tracking/sessions/{id}`: one session, its summary and the timeline of its events (pointer
//! moves left out; the playback script draws them from the API).

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;

use super::super::format as fmt;
use super::super::{Chrome, PageContext, PageError, SignedIn, html};
use super::{Params, SessionRowView, session_rows, user_link};
use crate::query::{Amount, EventRow, SessionDetail};
use crate::web::AppState;
use crate::web::api;
use crate::web::blocking::blocking;
use crate::web::error::ApiError;

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

/// What an event was, in a few words: its name, element, label, position, depth, money,
/// props and duration, those it has.
fn event_detail(e: &EventRow) -> String {
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
        parts.push(fmt::amount(&Amount {
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
        .ok_or_else(|| ApiError::not_found(format!("session {session:?}")))?;
    Ok(html(&view(ctx, &detail)))
}

fn view(ctx: PageContext, detail: &SessionDetail) -> SessionView {
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
    let user_href = detail.summary.user_id.as_ref().map(|u| user_link(&ctx, u));
    SessionView {
        visitor: detail.summary.visitor_id.clone(),
        user_href,
        screen_w: String::new(),
        screen_h: String::new(),
        timeline,
        back: ctx.link("/tracking/sessions/", &[]),
        s,
        chrome: ctx.chrome,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{DAY0, context, session};
    use super::*;

    fn event(kind: &str, at_s: i64) -> EventRow {
        EventRow {
            ts_ms: DAY0 + at_s * 1000,
            kind: kind.into(),
            name: None,
            path: "/shop".into(),
            url: None,
            title: None,
            x: None,
            y: None,
            page_y: None,
            depth_pct: None,
            target: None,
            label: None,
            props: None,
            value_minor: None,
            currency: None,
            transaction_id: None,
            duration_ms: None,
        }
    }

    #[test]
    fn the_timeline_leaves_out_moves_and_says_what_each_event_was() {
        let mut click = event("click", 5);
        click.target = Some("button#buy".into());
        click.label = Some("Buy now".into());
        click.x = Some(10);
        click.y = Some(20);
        let mut purchase = event("purchase", 65);
        purchase.value_minor = Some(3998);
        purchase.currency = Some("EUR".into());
        purchase.transaction_id = Some("T-1".into());
        let mut summary = session("00000000000000ab", DAY0);
        summary.user_id = Some("ann@example.com".into());
        let detail = SessionDetail {
            summary,
            events: vec![event("pageview", 0), event("move", 3), click, purchase],
        };
        let v = view(context("/tracking/sessions/00000000000000ab", &[]), &detail);
        let kinds: Vec<&str> = v.timeline.iter().map(|t| t.kind.as_str()).collect();
        assert_eq!(kinds, ["pageview", "click", "purchase"]);
        assert_eq!(v.timeline[1].detail, "button#buy · “Buy now” · at 10,20");
        assert!(
            v.timeline[2].detail.contains("order T-1"),
            "{}",
            v.timeline[2].detail
        );
        assert_eq!(v.timeline[2].offset, fmt::duration(65_000));
        assert_eq!(
            v.user_href.as_deref(),
            Some("/tracking/engagement/users/ann%40example.com?site=shop")
        );
        assert_eq!(v.back, "/tracking/sessions/?site=shop");
        assert_eq!(v.s.id, "00000000000000ab");
    }
}
