//! `/tracking/engagement/`: users (or visitors) by engagement score with active-user counts,
//! stickiness and weekly cohorts.

use askama::Template;
use axum::response::Response;

use super::super::chart::{self, Svg};
use super::super::format as fmt;
use super::super::{Chrome, FilterBar, PageContext, PageError, html};
use super::{EngagementRowView, PageRequest, engagement_rows, sort_links};
use crate::query::TimeRange;
use crate::query::engagement::{Engagement, EngagementBy, EngagementPlan};

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

/// What the page was asked for, beyond its context.
struct Asked {
    range: TimeRange,
    limit: u64,
    offset: u64,
    by: &'static str,
}

pub async fn engagement(request: PageRequest) -> Result<Response, PageError> {
    let (ctx, plan, e) = request
        .report::<EngagementPlan>("engagement", "Engagement", |_| {})
        .await?;
    let asked = Asked {
        range: plan.range,
        limit: u64::from(plan.limit),
        offset: plan.offset,
        by: match plan.by {
            EngagementBy::User => "user",
            EngagementBy::Visitor => "visitor",
        },
    };
    Ok(html(&view(ctx, e, asked)))
}

fn view(ctx: PageContext, e: Engagement, asked: Asked) -> EngagementView {
    let Asked {
        range,
        limit,
        offset,
        by,
    } = asked;
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
    EngagementView {
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
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{context, engagement_row, range};
    use super::*;
    use crate::query::engagement::{Active, Cohort, CohortWeek};

    fn report(by: &'static str, total: u64) -> Engagement {
        Engagement {
            by,
            total,
            limit: 1,
            offset: 1,
            rows: vec![engagement_row("ann@example.com", 41.25)],
            active: Active::new(0, 1, 2, 4),
            cohorts: vec![Cohort {
                week_start_ms: 0,
                week_start: "2026-11-23".into(),
                size: 4,
                weeks: vec![
                    CohortWeek {
                        offset: 0,
                        active: 4,
                        share: 1.0,
                    },
                    CohortWeek {
                        offset: 1,
                        active: 1,
                        share: 0.25,
                    },
                ],
            }],
        }
    }

    fn asked(by: &'static str) -> Asked {
        Asked {
            range: range(14),
            limit: 1,
            offset: 1,
            by,
        }
    }

    #[test]
    fn users_link_to_their_page_and_paging_keeps_sort_by_and_search() {
        let ctx = context(
            "/tracking/engagement/",
            &[("sort", "-sessions"), ("q", "ann"), ("offset", "1")],
        );
        let v = view(ctx, report("user", 3), asked("user"));
        let row = &v.rows[0];
        assert_eq!(
            row.href.as_deref(),
            Some("/tracking/engagement/users/ann%40example.com?site=shop")
        );
        assert_eq!((row.score.as_str(), row.scroll.as_str()), ("41.2", "80%"));
        assert_eq!(
            v.next.as_deref(),
            Some("/tracking/engagement/?site=shop&offset=2&sort=-sessions&by=user&q=ann")
        );
        assert_eq!(
            v.prev.as_deref(),
            Some("/tracking/engagement/?site=shop&offset=0&sort=-sessions&by=user&q=ann")
        );
        assert_eq!(v.q, "ann");
        assert_eq!(v.stickiness, fmt::pct(0.25));
        assert!(v.by_links[0].2 && !v.by_links[1].2, "Users is current");
    }

    #[test]
    fn visitors_have_no_user_page_and_cohorts_show_every_week() {
        let v = view(
            context("/tracking/engagement/", &[("by", "visitor")]),
            report("visitor", 2),
            asked("visitor"),
        );
        assert_eq!(v.rows[0].href, None);
        assert_eq!(v.next, None, "the second of two rows is the last page");
        assert_eq!(v.cohort_cols, ["W0", "W1"]);
        assert_eq!(
            v.cohort_rows,
            vec![(
                "2026-11-23".to_owned(),
                4,
                vec![fmt::pct(1.0), fmt::pct(0.25)]
            )]
        );
    }
}
