//! `/tracking/frustration/`: elements ranked by rage, dead and error clicks with their change
//! against the previous period, the pages visitors came quickly back from, and JavaScript
//! errors; every row links to the sessions that show it.

use askama::Template;
use axum::response::Response;

use super::super::format::{self as fmt, Delta};
use super::super::{Chrome, FilterBar, PageContext, PageError, html};
use super::PageRequest;
use crate::query::TimeRange;
use crate::query::frustration::{Frustration, FrustrationPlan};

#[derive(Template)]
#[template(path = "frustration.html")]
pub struct FrustrationView {
    pub chrome: Chrome,
    pub filters: FilterBar,
    /// The thresholds in words.
    pub rules: String,
    pub elements: Vec<ElementView>,
    pub quick_backs: Vec<QuickBackView>,
    pub errors: Vec<ErrorView>,
    pub csv_base: String,
}

pub struct ElementView {
    pub page: String,
    pub selector: String,
    pub text: String,
    pub clicks: u64,
    pub rage: u64,
    pub dead: u64,
    pub error: u64,
    /// Frustrated clicks (rage + dead + error) against the previous period.
    pub change: Delta,
    /// (label, link) to the sessions with each signal on the element's page.
    pub sessions: Vec<(&'static str, String)>,
}

pub struct QuickBackView {
    pub page: String,
    pub count: u64,
    pub change: Delta,
    pub sessions: String,
}

pub struct ErrorView {
    pub message: String,
    pub source: String,
    pub count: u64,
    pub sessions: u64,
    pub last_seen: String,
    pub link: String,
}

pub async fn frustration(request: PageRequest) -> Result<Response, PageError> {
    let (ctx, plan, report) = request
        .report::<FrustrationPlan>("frustration", "Frustration", |_| {})
        .await?;
    Ok(html(&view(ctx, report, plan.range)))
}

fn view(ctx: PageContext, f: Frustration, range: TimeRange) -> FrustrationView {
    let t = f.thresholds;
    let sessions = |changes: &[(&str, Option<&str>)]| {
        let mut all = vec![("offset", None)];
        all.extend_from_slice(changes);
        ctx.link("/tracking/sessions/", &all)
    };
    let elements = f
        .elements
        .iter()
        .map(|e| {
            let links = [
                ("rage", e.current.rage_clicks),
                ("dead", e.current.dead_clicks),
                ("error", e.current.error_clicks),
            ]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(signal, _)| {
                (
                    signal,
                    sessions(&[("page", Some(&e.page)), ("frustration", Some(signal))]),
                )
            })
            .collect();
            ElementView {
                page: e.page.clone(),
                selector: e.selector.clone(),
                text: e.text.clone().unwrap_or_default(),
                clicks: e.current.clicks,
                rage: e.current.rage_clicks,
                dead: e.current.dead_clicks,
                error: e.current.error_clicks,
                change: fmt::delta(e.current.frustrated(), e.previous.frustrated(), false),
                sessions: links,
            }
        })
        .collect();
    let quick_backs = f
        .quick_backs
        .iter()
        .map(|q| QuickBackView {
            page: q.page.clone(),
            count: q.count,
            change: fmt::delta(q.count, q.previous, false),
            sessions: sessions(&[("page", Some(&q.page)), ("frustration", Some("quick_back"))]),
        })
        .collect();
    let errors = f
        .errors
        .iter()
        .map(|e| ErrorView {
            message: e.message.clone(),
            source: match (&e.source, e.line) {
                (Some(s), Some(l)) => format!("{s}:{l}"),
                (Some(s), None) => s.clone(),
                (None, _) => String::new(),
            },
            count: e.count,
            sessions: e.sessions,
            last_seen: fmt::datetime(e.last_seen_ms, &ctx.zone),
            link: sessions(&[("error", Some(&e.message))]),
        })
        .collect();
    FrustrationView {
        filters: FilterBar::new(&ctx, range, &["limit"]),
        rules: format!(
            "A rage click is {} or more clicks each within {} ms and {} px of the one before; \
             an error click is followed by a JavaScript error within {} ms; a quick back returns \
             to the previous page within {} ms.",
            t.rage_clicks, t.rage_window_ms, t.rage_radius_px, t.error_window_ms, t.quick_back_ms
        ),
        elements,
        quick_backs,
        errors,
        csv_base: ctx.link(&format!("/api/v1/sites/{}/frustration", ctx.site), &[]),
        chrome: ctx.chrome,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{context, range};
    use super::*;
    use crate::query::frustration::{ElementSignals, ErrorRow, FrustratedElement, QuickBack};

    #[test]
    fn rows_link_to_the_sessions_that_show_them() {
        let f = Frustration {
            elements: vec![FrustratedElement {
                page: "/cart".into(),
                selector: "button.pay".into(),
                text: Some("Pay".into()),
                current: ElementSignals {
                    clicks: 9,
                    rage_clicks: 2,
                    dead_clicks: 0,
                    error_clicks: 1,
                    sessions: 3,
                },
                previous: ElementSignals {
                    rage_clicks: 1,
                    ..ElementSignals::default()
                },
            }],
            quick_backs: vec![QuickBack {
                page: "/about".into(),
                count: 4,
                sessions: 4,
                previous: 0,
            }],
            errors: vec![ErrorRow {
                message: "TypeError: x is null".into(),
                source: Some("https://shop.example/app.js".into()),
                line: Some(12),
                count: 5,
                sessions: 2,
                first_seen_ms: 0,
                last_seen_ms: 0,
            }],
            ..Frustration::default()
        };
        let v = view(context("/tracking/frustration/", &[]), f, range(7));
        let e = &v.elements[0];
        let labels: Vec<&str> = e.sessions.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            labels,
            ["rage", "error"],
            "no link for a signal it did not show"
        );
        assert!(e.sessions[0].1.starts_with("/tracking/sessions/?"));
        assert!(
            e.sessions[0].1.contains("frustration=rage")
                && e.sessions[0].1.contains("page=%2Fcart")
        );
        assert_eq!(e.change.text, "▲ 200.0%");
        assert_eq!(e.change.class, "down", "more frustration is worse");
        assert_eq!(v.quick_backs[0].change.text, "new");
        assert!(v.quick_backs[0].sessions.contains("frustration=quick_back"));
        assert_eq!(v.errors[0].source, "https://shop.example/app.js:12");
        assert!(v.errors[0].link.contains("error=TypeError"));
        assert!(v.rules.starts_with("A rage click is 3 or more clicks"));
        assert_eq!(v.csv_base, "/api/v1/sites/shop/frustration?site=shop");
    }
}
