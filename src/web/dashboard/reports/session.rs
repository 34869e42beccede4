//! `/tracking/sessions/{id}`: one session, its summary and the timeline of its events (pointer
//! moves left out; the playback script draws them from the API).

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::response::Response;

use super::super::format as fmt;
use super::super::{Chrome, PageContext, PageError, SignedIn, html};
use super::{Params, SessionRowView, session_rows, user_link};
use crate::query::frustration::Signal;
use crate::query::moments::Moment;
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
    /// The frustration signals this event shows (rage, dead, error click, quick back).
    pub signals: Vec<&'static str>,
}

/// A JavaScript error of the session.
pub struct ErrorItem {
    pub offset: String,
    pub path: String,
    pub message: String,
    pub source: String,
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
    pub errors: Vec<ErrorItem>,
    /// How many moments of each signal: (label, count), those present.
    pub frustration: Vec<(&'static str, usize)>,
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
        .ok_or_else(|| ApiError::not_found(format!("session {session:?}")))?
        .mark(&state.sites.thresholds(&ctx.site));
    Ok(html(&view(ctx, &detail)))
}

fn signal_label(signal: Signal) -> &'static str {
    match signal {
        Signal::Rage => "rage click",
        Signal::Dead => "dead click",
        Signal::Error => "error click",
        Signal::QuickBack => "quick back",
    }
}

/// The signals of `moments` that belong to event `e`: click signals on the click at their
/// time and element, a quick back on the page view that returned.
fn signals_of(e: &EventRow, moments: &[Moment]) -> Vec<&'static str> {
    moments
        .iter()
        .filter(|m| m.ts_ms == e.ts_ms)
        .filter(|m| match m.signal {
            Signal::QuickBack => e.kind == "pageview",
            _ => e.kind == "click" && m.what == e.target && m.path == e.path,
        })
        .map(|m| signal_label(m.signal))
        .collect()
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
            signals: signals_of(e, &detail.moments),
        })
        .collect();
    let errors = detail
        .errors
        .iter()
        .map(|e| ErrorItem {
            offset: fmt::duration(e.ts_ms - start),
            path: e.path.clone(),
            message: e.message.clone(),
            source: match (&e.source, e.line) {
                (Some(s), Some(l)) => format!("{s}:{l}"),
                (Some(s), None) => s.clone(),
                _ => String::new(),
            },
        })
        .collect();
    let frustration = Signal::ALL
        .into_iter()
        .map(|s| {
            let n = detail.moments.iter().filter(|m| m.signal == s).count();
            (signal_label(s), n)
        })
        .filter(|(_, n)| *n > 0)
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
        errors,
        frustration,
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
        EventRow::bare(kind, DAY0 + at_s * 1000, "/shop")
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
        let detail = SessionDetail::new(
            summary,
            vec![event("pageview", 0), event("move", 3), click, purchase],
        );
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

    #[test]
    fn frustration_moments_mark_their_events_and_errors_are_listed() {
        let click = |at_s: i64, dead| EventRow {
            target: Some("div.card".into()),
            x: Some(50),
            y: Some(50),
            dead: Some(dead),
            ..event("click", at_s)
        };
        let error = EventRow {
            label: Some("TypeError: x is null".into()),
            target: Some("https://shop.example/app.js".into()),
            x: Some(12),
            ..event("error", 2)
        };
        let detail = SessionDetail::new(
            session("00000000000000ab", DAY0),
            vec![event("pageview", 0), click(2, false), click(3, true), error],
        )
        .mark(&Default::default());
        let v = view(context("/tracking/sessions/00000000000000ab", &[]), &detail);
        assert_eq!(v.timeline[1].signals, ["error click"]);
        assert_eq!(v.timeline[2].signals, ["dead click"]);
        assert_eq!(v.errors[0].source, "https://shop.example/app.js:12");
        assert_eq!(v.frustration, [("dead click", 1), ("error click", 1)]);
    }
}
