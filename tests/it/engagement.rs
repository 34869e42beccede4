//! The engagement report on a hand-built fixture whose every figure is computed by hand.
//!
//! Times are fixed offsets from two Mondays: `A` (three weeks ago at most) and `B = A + 7 days`.
//! The report is asked for `from = A`, `to = B + 3 days` (Thursday 00:00 of week B), so the
//! range covers weeks A and B, and the activity windows are: the last day = Wednesday of week
//! B; the last 7 days = from `A + 4 days` (Friday of week A); the last 30 days = everything.
//!
//! | session | visitor | user | when | events |
//! |---|---|---|---|---|
//! | s1 | v-u1 | u-1 | Tue A 10:00 | pageview, click, scroll 80 %, engagement 30 s, pageview, engagement 15 s |
//! | s2 | v-u1 | u-1 | Wed B 10:00 | pageview, click, scroll 40 %, engagement 45 s, purchase T-100 10.00 EUR, the same T-100 again |
//! | s3 | v-u2 | u-2 | Tue A 14:00 | pageview, engagement 20 s |
//! | s4 | v-anon | — | Tue B 10:00 | pageview, click, click |
//! | s5 | v-late | (u-3 by link) | Tue B 09:00 | pageview, scroll 50 %, engagement 10 s |
//! | s6 | v-late | u-3 (identify) | Tue B 12:00 | pageview, identify u-3 |
//! | s7 (bot) | v-bot | u-bot | Wed B 10:00 | pageview |
//!
//! Scores (`query::engagement::SCORE`, `s(x, cap) = min(1, ln(1 + x) / ln(1 + cap))`):
//! - u-1: 25·s(2,20) + 30·s(1.5 min,60) + 15·s(3,50) + 10·s(2,100) + 20·s(1,5)
//!   = 9.0212 + 6.6868 + 5.2887 + 2.3805 + 7.7371 = 31.114 → **31.1**
//! - u-3: 25·s(2,20) + 30·s(1/6 min,60) + 15·s(2,50) = 9.0212 + 1.1250 + 4.1912 = 14.337 → **14.3**
//! - u-2: 25·s(1,20) + 30·s(1/3 min,60) + 15·s(1,50) = 5.6918 + 2.0994 + 2.6444 = 10.436 → **10.4**
//! - v-anon: 25·s(1,20) + 15·s(1,50) + 10·s(2,100) = 5.6918 + 2.6444 + 2.3805 = 10.717 → **10.7**
//! - u-1 with `has_event=purchase` (s2 only): 5.6918 + 30·s(0.75,60) 4.0839 + 2.6444
//!   + 10·s(1,100) 1.5019 + 7.7371 = 21.659 → **21.7**

use footfall::model::{SiteId, VisitorId};
use footfall::query::engagement::week_start;
use serde_json::{Value, json};

use crate::common::{BOT, CHROME, TestApp, now_ms};

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// The fixture's anchors.
struct Times {
    a: i64,
    b: i64,
    to: i64,
    t1: i64,
    t2: i64,
    t3: i64,
    t4: i64,
    t5: i64,
    t6: i64,
}

impl Times {
    fn new() -> Times {
        let b = week_start(now_ms()) - 7 * DAY;
        let a = b - 7 * DAY;
        Times {
            a,
            b,
            to: b + 3 * DAY,
            t1: a + DAY + 10 * HOUR,
            t2: b + 2 * DAY + 10 * HOUR,
            t3: a + DAY + 14 * HOUR,
            t4: b + DAY + 10 * HOUR,
            t5: b + DAY + 9 * HOUR,
            t6: b + DAY + 12 * HOUR,
        }
    }

    fn range(&self) -> String {
        format!("from={}&to={}", self.a, self.to)
    }
}

async fn send(app: &TestApp, ua: &str, batch: Value) {
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("user-agent", ua)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
}

fn batch(visitor: &str, session: &str, user: Option<&str>, events: Vec<Value>) -> Value {
    let mut b = json!({"site": "demo", "visitor_id": visitor, "session_id": session,
                       "page": {"url": "http://localhost/"}, "events": events});
    if let Some(u) = user {
        b["user_id"] = json!(u);
    }
    b
}

fn pageview(id: &str, ts: i64, path: &str) -> Value {
    json!({"id": id, "ts": ts, "type": "pageview", "url": format!("http://localhost{path}"), "title": "P"})
}

fn click(id: &str, ts: i64) -> Value {
    json!({"id": id, "ts": ts, "type": "click", "x": 10, "y": 20, "selector": "#buy", "text": "Buy"})
}

fn scroll(id: &str, ts: i64, depth: u32) -> Value {
    json!({"id": id, "ts": ts, "type": "scroll", "x": 0, "y": 300, "depth": depth})
}

fn engaged(id: &str, ts: i64, ms: u64) -> Value {
    json!({"id": id, "ts": ts, "type": "engagement", "engaged_ms": ms})
}

async fn fixture() -> (TestApp, Times) {
    let app = TestApp::spawn().await;
    let t = Times::new();
    let s = 1000;
    send(
        &app,
        CHROME,
        batch(
            "v-u1",
            "s1",
            Some("u-1"),
            vec![
                pageview("s1-1", t.t1, "/"),
                click("s1-2", t.t1 + s),
                scroll("s1-3", t.t1 + 2 * s, 80),
                engaged("s1-4", t.t1 + 3 * s, 30_000),
                pageview("s1-5", t.t1 + 4 * s, "/pricing"),
                engaged("s1-6", t.t1 + 5 * s, 15_000),
            ],
        ),
    )
    .await;
    let purchase = |id: &str, ts: i64| {
        json!({"id": id, "ts": ts, "type": "purchase", "currency": "EUR", "value": "10.00",
               "transaction_id": "T-100"})
    };
    send(
        &app,
        CHROME,
        batch(
            "v-u1",
            "s2",
            Some("u-1"),
            vec![
                pageview("s2-1", t.t2, "/shop"),
                click("s2-2", t.t2 + s),
                scroll("s2-3", t.t2 + 2 * s, 40),
                engaged("s2-4", t.t2 + 3 * s, 45_000),
                purchase("s2-5", t.t2 + 4 * s),
                purchase("s2-6", t.t2 + 5 * s),
            ],
        ),
    )
    .await;
    send(
        &app,
        CHROME,
        batch(
            "v-u2",
            "s3",
            Some("u-2"),
            vec![
                pageview("s3-1", t.t3, "/"),
                engaged("s3-2", t.t3 + s, 20_000),
            ],
        ),
    )
    .await;
    send(
        &app,
        CHROME,
        batch(
            "v-anon",
            "s4",
            None,
            vec![
                pageview("s4-1", t.t4, "/"),
                click("s4-2", t.t4 + s),
                click("s4-3", t.t4 + 2 * s),
            ],
        ),
    )
    .await;
    send(
        &app,
        CHROME,
        batch(
            "v-late",
            "s5",
            None,
            vec![
                pageview("s5-1", t.t5, "/"),
                scroll("s5-2", t.t5 + s, 50),
                engaged("s5-3", t.t5 + 2 * s, 10_000),
            ],
        ),
    )
    .await;
    send(
        &app,
        CHROME,
        batch(
            "v-late",
            "s6",
            None,
            vec![
                pageview("s6-1", t.t6, "/login"),
                json!({"id": "s6-2", "ts": t.t6 + s, "type": "identify", "user_id": "u-3"}),
            ],
        ),
    )
    .await;
    send(
        &app,
        BOT,
        batch(
            "v-bot",
            "s7",
            Some("u-bot"),
            vec![pageview("s7-1", t.t2, "/")],
        ),
    )
    .await;
    app.settle().await;
    (app, t)
}

async fn report(app: &TestApp, t: &Times, query: &str) -> Value {
    let path = format!("/api/v1/sites/demo/engagement?{}&{query}", t.range());
    let (status, body) = app.get_api(&path).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn ids(r: &Value) -> Vec<String> {
    r["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| row["id"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn visitor(client: &str) -> String {
    VisitorId::from_client(&SiteId::parse("demo").unwrap(), client).to_string()
}

fn cohort(week: i64, size: u64, weeks: &[(u64, f64)]) -> Value {
    let date = chrono::DateTime::from_timestamp_millis(week)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    json!({
        "week_start_ms": week,
        "week_start": date,
        "size": size,
        "weeks": weeks.iter().enumerate()
            .map(|(i, (active, share))| json!({"offset": i, "active": active, "share": share}))
            .collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn every_figure_by_user_matches_the_hand_computed_fixture() {
    every_figure_by_user_matches_the_hand_computed_fixture_check().await;
}

/// The body of [`every_figure_by_user_matches_the_hand_computed_fixture`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn every_figure_by_user_matches_the_hand_computed_fixture_check() {
    let (app, t) = fixture().await;
    let r = report(&app, &t, "").await;
    assert_eq!(r["by"], "user", "{r}");
    assert_eq!(r["total"], 3);
    assert_eq!(r["limit"], 50);
    assert_eq!(r["offset"], 0);
    assert_eq!(
        r["rows"],
        json!([
            {
                "id": "u-1", "user_id": "u-1", "visitors": 1,
                "first_seen_ms": t.t1, "last_seen_ms": t.t2 + 5000,
                "sessions": 2, "engaged_ms": 90_000, "avg_engaged_ms_per_session": 45_000,
                "pageviews": 3, "clicks": 2,
                "max_scroll_depth": 80, "avg_session_scroll_depth": 60.0,
                // T-100 was sent twice: one purchase, 10.00 EUR.
                "purchases": 1, "revenue": [{"currency": "EUR", "minor": 1000}],
                "engagement_score": 31.1,
            },
            {
                // s5 was anonymous; the identify in s6 links v-late to u-3.
                "id": "u-3", "user_id": "u-3", "visitors": 1,
                "first_seen_ms": t.t5, "last_seen_ms": t.t6 + 1000,
                "sessions": 2, "engaged_ms": 10_000, "avg_engaged_ms_per_session": 5_000,
                "pageviews": 2, "clicks": 0,
                "max_scroll_depth": 50, "avg_session_scroll_depth": 50.0,
                "purchases": 0, "revenue": [],
                "engagement_score": 14.3,
            },
            {
                "id": "u-2", "user_id": "u-2", "visitors": 1,
                "first_seen_ms": t.t3, "last_seen_ms": t.t3 + 1000,
                "sessions": 1, "engaged_ms": 20_000, "avg_engaged_ms_per_session": 20_000,
                "pageviews": 1, "clicks": 0,
                "max_scroll_depth": null, "avg_session_scroll_depth": null,
                "purchases": 0, "revenue": [],
                "engagement_score": 10.4,
            },
        ])
    );
    // The formula, written out for u-1 (2 sessions, 1.5 engaged minutes, 3 pageviews,
    // 2 clicks, 1 purchase).
    let s = |x: f64, cap: f64| ((1.0 + x).ln() / (1.0 + cap).ln()).min(1.0);
    let u1 = 25.0 * s(2.0, 20.0)
        + 30.0 * s(1.5, 60.0)
        + 15.0 * s(3.0, 50.0)
        + 10.0 * s(2.0, 100.0)
        + 20.0 * s(1.0, 5.0);
    assert_eq!((u1 * 10.0).round() / 10.0, 31.1);

    // Last day (Wed B): u-1. Last 7 days: u-1, u-3. Last 30 days: u-1, u-2, u-3.
    assert_eq!(
        r["active"],
        json!({"as_of_ms": t.to, "dau": 1, "wau": 2, "mau": 3, "stickiness": 1.0 / 3.0})
    );
    // Week A: u-1 and u-2 start, u-1 comes back in week B; week B: u-3 starts.
    assert_eq!(
        r["cohorts"],
        json!([
            cohort(t.a, 2, &[(2, 1.0), (1, 0.5)]),
            cohort(t.b, 1, &[(1, 1.0)]),
        ])
    );

    // Bots on request: u-bot joins (one pageview on Wed B).
    let r = report(&app, &t, "include_bots=true").await;
    assert_eq!(r["total"], 4, "{r}");
    assert_eq!(r["active"]["dau"], 2);
    app.shutdown().await;
}

#[tokio::test]
async fn by_visitor_counts_every_visitor() {
    by_visitor_counts_every_visitor_check().await;
}

/// The body of [`by_visitor_counts_every_visitor`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn by_visitor_counts_every_visitor_check() {
    let (app, t) = fixture().await;
    let r = report(&app, &t, "by=visitor").await;
    assert_eq!(r["by"], "visitor", "{r}");
    assert_eq!(r["total"], 4);
    assert_eq!(
        ids(&r),
        vec![
            visitor("v-u1"),
            visitor("v-late"),
            visitor("v-anon"),
            visitor("v-u2")
        ]
    );
    let rows = &r["rows"];
    assert_eq!(rows[0]["user_id"], "u-1");
    assert_eq!(rows[0]["engagement_score"], 31.1);
    assert_eq!(rows[1]["user_id"], "u-3");
    assert_eq!(rows[1]["sessions"], 2);
    assert_eq!(
        rows[2],
        json!({
            "id": visitor("v-anon"), "user_id": null, "visitors": 1,
            "first_seen_ms": t.t4, "last_seen_ms": t.t4 + 2000,
            "sessions": 1, "engaged_ms": 0, "avg_engaged_ms_per_session": 0,
            "pageviews": 1, "clicks": 2,
            "max_scroll_depth": null, "avg_session_scroll_depth": null,
            "purchases": 0, "revenue": [],
            "engagement_score": 10.7,
        })
    );
    assert_eq!(rows[3]["engagement_score"], 10.4);
    // Last day: v-u1. Last 7 days: v-u1, v-anon, v-late. Last 30 days: all four.
    assert_eq!(
        r["active"],
        json!({"as_of_ms": t.to, "dau": 1, "wau": 3, "mau": 4, "stickiness": 0.25})
    );
    assert_eq!(
        r["cohorts"],
        json!([
            cohort(t.a, 2, &[(2, 1.0), (1, 0.5)]),
            cohort(t.b, 2, &[(2, 1.0)]),
        ])
    );
    // `q` matches the user id, so the anonymous visitor drops out.
    let r = report(&app, &t, "by=visitor&q=U-").await;
    assert_eq!(r["total"], 3, "{r}");
    assert!(!ids(&r).contains(&visitor("v-anon")));
    app.shutdown().await;
}

#[tokio::test]
async fn filters_search_sorting_paging_and_errors() {
    filters_search_sorting_paging_and_errors_check().await;
}

/// The body of [`filters_search_sorting_paging_and_errors`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn filters_search_sorting_paging_and_errors_check() {
    let (app, t) = fixture().await;

    // Only the session with a purchase (s2): u-1 with that session's figures.
    let r = report(&app, &t, "has_event=purchase").await;
    assert_eq!(r["total"], 1, "{r}");
    assert_eq!(
        r["rows"][0],
        json!({
            "id": "u-1", "user_id": "u-1", "visitors": 1,
            "first_seen_ms": t.t2, "last_seen_ms": t.t2 + 5000,
            "sessions": 1, "engaged_ms": 45_000, "avg_engaged_ms_per_session": 45_000,
            "pageviews": 1, "clicks": 1,
            "max_scroll_depth": 40, "avg_session_scroll_depth": 40.0,
            "purchases": 1, "revenue": [{"currency": "EUR", "minor": 1000}],
            "engagement_score": 21.7,
        })
    );
    assert_eq!(
        r["active"],
        json!({"as_of_ms": t.to, "dau": 1, "wau": 1, "mau": 1, "stickiness": 1.0})
    );
    assert_eq!(r["cohorts"], json!([cohort(t.b, 1, &[(1, 1.0)])]));

    // A page filter: sessions with a pageview of /pricing (s1 only).
    let r = report(&app, &t, "page=/pricing").await;
    assert_eq!(ids(&r), vec!["u-1"], "{r}");
    assert_eq!(r["rows"][0]["engaged_ms"], 45_000);
    assert_eq!(r["rows"][0]["purchases"], 0);
    assert_eq!(r["active"]["dau"], 0);
    assert_eq!(r["active"]["stickiness"], 0.0);

    // Search is a case-insensitive substring of the user id, bound as a parameter.
    let r = report(&app, &t, "q=U-3").await;
    assert_eq!(
        (r["total"].clone(), ids(&r)),
        (json!(1), vec!["u-3".into()])
    );
    let r = report(&app, &t, "q=%27%20OR%201%3D1%20--").await;
    assert_eq!(r["total"], 0, "{r}");
    assert_eq!(r["rows"], json!([]));

    for (sort, want) in [
        ("-engaged", ["u-1", "u-2", "u-3"]),
        ("-sessions", ["u-1", "u-3", "u-2"]),
        ("-pageviews", ["u-1", "u-3", "u-2"]),
        ("-purchases", ["u-1", "u-2", "u-3"]),
        ("-last_seen", ["u-1", "u-3", "u-2"]),
        ("last_seen", ["u-2", "u-3", "u-1"]),
        ("first_seen", ["u-1", "u-2", "u-3"]),
        ("-first_seen", ["u-3", "u-2", "u-1"]),
    ] {
        let r = report(&app, &t, &format!("sort={sort}")).await;
        assert_eq!(ids(&r), want, "{sort}");
    }

    let r = report(&app, &t, "limit=1&offset=1").await;
    assert_eq!(ids(&r), vec!["u-3"]);
    assert_eq!(
        (r["total"].clone(), r["limit"].clone()),
        (json!(3), json!(1))
    );
    // Past the end: no rows, the total still known.
    let r = report(&app, &t, "offset=10").await;
    assert_eq!(
        (r["total"].clone(), r["rows"].clone()),
        (json!(3), json!([]))
    );

    for bad in [
        "by=users",
        "by=",
        "sort=score",
        "sort=-revenue",
        "limit=0",
        "limit=501",
        "offset=-1",
        "colour=red",
    ] {
        let (status, body) = app
            .get_api(&format!("/api/v1/sites/demo/engagement?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/sites/demo/engagement"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.shutdown().await;
}

/// Cohort weeks follow `tz`: a user first seen on Sunday 23:30 UTC is in the week of the next
/// Monday in Asia/Tokyo (UTC+9, no daylight saving), and in the week before in UTC.
#[tokio::test]
async fn cohort_weeks_are_local_weeks_of_the_requested_time_zone() {
    cohort_weeks_are_local_weeks_of_the_requested_time_zone_check().await;
}

/// The body of [`cohort_weeks_are_local_weeks_of_the_requested_time_zone`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn cohort_weeks_are_local_weeks_of_the_requested_time_zone_check() {
    let app = TestApp::spawn().await;
    let t = Times::new();
    let sunday_late = t.b - 30 * 60 * 1000; // Sunday 23:30 UTC = Monday 08:30 in Tokyo
    send(
        &app,
        CHROME,
        batch(
            "v-tz",
            "s-tz",
            Some("u-tz"),
            vec![pageview("tz-1", sunday_late, "/")],
        ),
    )
    .await;
    app.settle().await;
    let utc = report(&app, &t, "").await;
    assert_eq!(utc["cohorts"][0]["week_start_ms"], t.a, "{utc}");
    assert_eq!(utc["cohorts"][0]["week_start"], date(t.a));
    let tokyo = report(&app, &t, "tz=Asia/Tokyo").await;
    let tokyo_monday = t.b - 9 * HOUR; // Monday 00:00 in Tokyo, as an instant
    assert_eq!(
        tokyo["cohorts"][0]["week_start_ms"], tokyo_monday,
        "{tokyo}"
    );
    assert_eq!(tokyo["cohorts"][0]["week_start"], date(t.b));
    app.shutdown().await;
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("time")
        .format("%Y-%m-%d")
        .to_string()
}
