//! `/tracking/sessions/`: the session list, a page at a time, in one of four orders.

use askama::Template;
use axum::response::Response;

#[allow(unused_imports)] // the template calls fmt::
use super::super::format as fmt;
use super::super::{Chrome, FilterBar, PageContext, PageError, html};
use super::{PageRequest, SessionRowView, session_rows, sort_links};
use crate::query::{SessionListPlan, SessionPage, TimeRange};

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

pub async fn sessions(request: PageRequest) -> Result<Response, PageError> {
    let (ctx, plan, page) = request
        .report::<SessionListPlan>("sessions", "Sessions", |_| {})
        .await?;
    let (range, limit, offset) = (plan.range, u64::from(plan.limit), plan.offset);
    Ok(html(&view(ctx, &page, range, limit, offset)))
}

/// The page of the list that starts at `offset` and holds up to `limit` sessions.
fn view(
    ctx: PageContext,
    page: &SessionPage,
    range: TimeRange,
    limit: u64,
    offset: u64,
) -> SessionsView {
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
    SessionsView {
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
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{DAY0, context, eur, range, session};
    use super::*;

    fn page(total: u64, offset: u64, n: usize) -> SessionPage {
        SessionPage {
            total,
            limit: 2,
            offset,
            sessions: (0..n)
                .map(|i| session(&format!("{i:016x}"), DAY0 + i as i64 * 60_000))
                .collect(),
        }
    }

    #[test]
    fn the_middle_page_links_both_ways_in_the_same_order() {
        let ctx = context(
            "/tracking/sessions/",
            &[("sort", "-events"), ("offset", "2")],
        );
        let v = view(ctx, &page(5, 2, 2), range(1), 2, 2);
        assert_eq!((v.first, v.last, v.total), (3, 4, 5));
        assert_eq!(
            v.prev.as_deref(),
            Some("/tracking/sessions/?site=shop&offset=0&sort=-events")
        );
        assert_eq!(
            v.next.as_deref(),
            Some("/tracking/sessions/?site=shop&offset=4&sort=-events")
        );
        let current: Vec<&str> = v.sorts.iter().filter(|s| s.2).map(|s| s.0).collect();
        assert_eq!(current, ["Most events"]);
        assert_eq!(
            v.csv,
            "/api/v1/sites/shop/sessions?site=shop&format=csv&table=sessions"
        );
    }

    #[test]
    fn the_first_and_last_pages_have_one_link_and_an_empty_page_none() {
        let ctx = || context("/tracking/sessions/", &[]);
        let first = view(ctx(), &page(3, 0, 2), range(1), 2, 0);
        assert!(first.prev.is_none() && first.next.is_some());
        let last = view(ctx(), &page(3, 2, 1), range(1), 2, 2);
        assert!(last.prev.is_some() && last.next.is_none());
        let empty = view(ctx(), &page(0, 0, 0), range(1), 2, 0);
        assert_eq!((empty.first, empty.last), (0, 0));
        assert!(empty.prev.is_none() && empty.next.is_none());
    }

    #[test]
    fn rows_read_as_people_say_them() {
        let mut p = page(1, 0, 1);
        p.sessions[0].purchases = vec![eur(1999)];
        p.sessions[0].user_id = Some("u-1".into());
        let v = view(context("/tracking/sessions/", &[]), &p, range(1), 2, 0);
        let row = &v.rows[0];
        assert_eq!(row.source, "direct");
        assert_eq!(row.device, "desktop · Firefox · Linux");
        assert_eq!(row.user, "u-1");
        assert_eq!(row.href, "/tracking/sessions/0000000000000000?site=shop");
        assert!(row.purchases.contains("19.99"), "{}", row.purchases);
    }
}
