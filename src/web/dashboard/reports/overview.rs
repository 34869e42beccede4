//! `/tracking/dashboard/`: headline figures against the previous period, visitors over time
//! against the previous period, events by type and the top lists (each row a filter link).

use askama::Template;
use axum::response::Response;

use super::super::chart::{self, LineSeries, Svg};
use super::super::format::{self as fmt, Delta};
use super::super::{Chrome, FilterBar, PageContext, PageError, html};
use super::{PageRequest, label_of};
use crate::query::zone::Zone;
use crate::query::{Overview, OverviewPlan, SeriesPoint, TimeRange};

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
    pub series: Vec<SeriesPoint>,
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

pub async fn overview(request: PageRequest) -> Result<Response, PageError> {
    // The previous period's series, for the chart's comparison line.
    let (ctx, plan, report) = request
        .report("dashboard", "Overview", |p: &mut OverviewPlan| {
            p.previous_series = true
        })
        .await?;
    Ok(html(&view(
        ctx,
        report,
        plan.range,
        plan.granularity.as_str(),
    )))
}

/// What the page shows of `report` (asked with `previous_series`) over `range`.
fn view(
    ctx: PageContext,
    report: Overview,
    range: TimeRange,
    granularity: &'static str,
) -> OverviewView {
    let Overview {
        totals: t,
        previous: p,
        series,
        previous_series,
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
    let before: Vec<f64> = previous_series
        .unwrap_or_default()
        .iter()
        .map(|p| p.visitors as f64)
        .collect();
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
    OverviewView {
        filters: FilterBar::new(&ctx, range, &[]),
        chrome: ctx.chrome,
        cards,
        chart,
        granularity,
        zone: Zone::parse(&time_zone).unwrap_or_default().name(),
        series,
        tops,
        events_by_type: events_by_type.into_iter().collect(),
        csv_base,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::testing::{DAY0, context, range};
    use super::*;
    use crate::query::{TopRow, Totals};

    fn point(day: i64, visitors: u64) -> SeriesPoint {
        SeriesPoint {
            start_ms: DAY0 + day * 86_400_000,
            local: format!("2026-11-{}", 24 + day),
            visitors,
            sessions: visitors,
            pageviews: visitors * 2,
            events: visitors * 5,
        }
    }

    fn report() -> Overview {
        Overview {
            totals: Totals {
                visitors: 120,
                sessions: 150,
                pageviews: 400,
                bounce_rate: 0.25,
                ..Totals::default()
            },
            previous: Totals {
                visitors: 100,
                sessions: 150,
                pageviews: 500,
                bounce_rate: 0.5,
                ..Totals::default()
            },
            series: vec![point(0, 50), point(1, 70)],
            previous_series: Some(vec![point(-2, 40), point(-1, 60)]),
            time_zone: "Europe/Berlin".into(),
            events_by_type: BTreeMap::from([("click".into(), 30), ("pageview".into(), 400)]),
            top: BTreeMap::from([
                (
                    "pages".into(),
                    vec![TopRow {
                        value: Some("/shop".into()),
                        visitors: 80,
                        count: 210,
                    }],
                ),
                (
                    "sources".into(),
                    vec![TopRow {
                        value: None,
                        visitors: 30,
                        count: 31,
                    }],
                ),
            ]),
            ..Overview::default()
        }
    }

    #[test]
    fn cards_compare_with_the_previous_period() {
        let v = view(
            context("/tracking/dashboard/", &[]),
            report(),
            range(2),
            "day",
        );
        let visitors = &v.cards[0];
        assert_eq!((visitors.id, visitors.value.as_str()), ("visitors", "120"));
        assert_eq!(visitors.previous, "100");
        assert_eq!(visitors.raw, "120");
        // Fewer pageviews is worse, a lower bounce rate is better.
        assert_eq!(
            (v.cards[2].delta.text.as_str(), v.cards[2].delta.class),
            ("▼ 20.0%", "down")
        );
        assert_eq!(
            (v.cards[3].delta.text.as_str(), v.cards[3].delta.class),
            ("▼ 50.0%", "up")
        );
        assert_eq!(v.zone, "Europe/Berlin");
        assert_eq!(
            v.events_by_type,
            vec![("click".to_owned(), 30), ("pageview".to_owned(), 400)]
        );
    }

    #[test]
    fn the_chart_draws_both_periods_and_top_rows_link_to_their_filter() {
        let v = view(
            context("/tracking/dashboard/", &[]),
            report(),
            range(2),
            "day",
        );
        assert!(
            v.chart.0.contains("Visitors, previous period"),
            "{}",
            v.chart.0
        );
        let names: Vec<&str> = v.tops.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["pages", "sources"], "lists in the page's order");
        let page = &v.tops[0].rows[0];
        assert_eq!(page.label, "/shop");
        assert_eq!(
            page.href.as_deref(),
            Some("/tracking/dashboard/?site=shop&page=%2Fshop")
        );
        assert_eq!(v.tops[0].count_label, "Views");
        let direct = &v.tops[1].rows[0];
        assert_eq!(
            (direct.label.as_str(), direct.href.as_deref()),
            ("(none)", None)
        );
        assert_eq!(v.csv_base, "/api/v1/sites/shop/overview?site=shop");
    }

    #[test]
    fn a_report_without_the_previous_series_still_draws() {
        let mut r = report();
        r.previous_series = None;
        let v = view(context("/tracking/dashboard/", &[]), r, range(2), "day");
        assert_eq!(v.series.len(), 2);
    }
}
