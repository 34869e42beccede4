//! The overview report on the four-session fixture of `filters.rs` (bots left out: A, B, C),
//! every figure worked out by hand.

use serde_json::{Value, json};

use crate::filters::fixture;

fn rows(list: &Value) -> Vec<(Value, u64, u64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["value"].clone(),
                r["visitors"].as_u64().unwrap(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn overview_figures_match_the_hand_computed_fixture() {
    overview_figures_match_the_hand_computed_fixture_check().await;
}

/// The body of [`overview_figures_match_the_hand_computed_fixture`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn overview_figures_match_the_hand_computed_fixture_check() {
    let app = fixture().await;
    let (status, o) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["visitors"].clone(), o["sessions"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(
        (o["pageviews"].clone(), o["events"].clone()),
        (json!(5), json!(7))
    );
    // B is the only session with at most one pageview.
    assert!((o["bounce_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    // Durations: A 2 s, B 0 s, C 6 s.
    assert!((o["avg_session_duration_ms"].as_f64().unwrap() - 8000.0 / 3.0).abs() < 1e-6);
    assert_eq!(o["median_session_duration_ms"], 2000.0);
    assert_eq!(o["engaged_time_ms"], 0);
    assert_eq!(o["previous"]["sessions"], 0);
    assert_eq!(o["granularity"], "day");

    let series = o["series"].as_array().unwrap();
    assert!((30..=31).contains(&series.len()), "{}", series.len());
    let pageviews: u64 = series
        .iter()
        .map(|p| p["pageviews"].as_u64().unwrap())
        .sum();
    assert_eq!(pageviews, 5);

    let top = &o["top"];
    let one = |v: &str| (json!(v), 1, 1);
    assert_eq!(
        rows(&top["pages"]),
        vec![
            one("/"),
            one("/blog/one"),
            one("/blog/two"),
            one("/cart"),
            one("/product/1")
        ]
    );
    assert_eq!(
        rows(&top["entry_pages"]),
        vec![one("/"), one("/blog/one"), one("/blog/two")]
    );
    assert_eq!(
        rows(&top["exit_pages"]),
        vec![one("/blog/one"), one("/cart"), one("/product/1")]
    );
    assert_eq!(
        rows(&top["sources"]),
        vec![one("Google"), one("newsletter"), (Value::Null, 1, 1)]
    );
    assert_eq!(
        rows(&top["countries"]),
        vec![(json!("US"), 2, 2), one("NL")]
    );
    assert_eq!(rows(&top["browsers"]), vec![(json!("Chrome"), 3, 3)]);
    assert_eq!(rows(&top["devices"]), vec![(json!("desktop"), 3, 3)]);
    assert_eq!(
        rows(&top["utm_campaigns"]),
        vec![(Value::Null, 2, 2), one("nov")]
    );
    assert_eq!(rows(&top["screen_sizes"]), vec![(Value::Null, 3, 3)]);

    // Filters narrow everything, and the top lists follow.
    let (_, us) = app
        .get_api("/api/v1/sites/demo/overview?country=US&top=1")
        .await;
    assert_eq!(us["sessions"], 2);
    assert_eq!(rows(&us["top"]["countries"]), vec![(json!("US"), 2, 2)]);
    assert_eq!(us["top"]["pages"].as_array().unwrap().len(), 1);

    let now = footfall::clock::now_ms();
    let (_, hourly) = app
        .get_api(&format!(
            "/api/v1/sites/demo/overview?from={}&to={now}&interval=hour",
            now - 2 * 3_600_000
        ))
        .await;
    assert_eq!(hourly["granularity"], "hour");
    assert!(
        (2..=3).contains(&hourly["series"].as_array().unwrap().len()),
        "{hourly}"
    );
    let (status, body) = app
        .get_api("/api/v1/sites/demo/overview?interval=minute")
        .await;
    assert_eq!(status, 400, "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn series_and_dates_follow_the_time_zone() {
    series_and_dates_follow_the_time_zone_check().await;
}

/// The body of [`series_and_dates_follow_the_time_zone`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn series_and_dates_follow_the_time_zone_check() {
    let app = crate::common::TestApp::spawn().await;
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    };
    // 22:30 and 23:30 UTC on 20 November are 23:30 on the 20th and 00:30 on the 21st in Berlin.
    // Two batches: series count a batch at the time of its first event.
    for (id, ts, path) in [
        ("z1", "2026-11-20T22:30:00Z", "/a"),
        ("z2", "2026-11-20T23:30:00Z", "/b"),
    ] {
        let batch = json!({"site": "demo", "visitor_id": "tz", "session_id": id, "events": [
            {"id": id, "ts": at(ts), "type": "pageview", "url": format!("http://localhost{path}")}]});
        let (status, body) = app.post_json("/api/v1/collect", &batch).await;
        assert_eq!(status, 202, "{body}");
    }
    app.settle().await;

    let (_, berlin) = app
        .get_api("/api/v1/sites/demo/overview?from=2026-11-20&to=2026-11-21&tz=Europe/Berlin&interval=day")
        .await;
    assert_eq!(berlin["time_zone"], "Europe/Berlin");
    let series = berlin["series"].as_array().unwrap();
    let days: Vec<(String, i64, u64)> = series
        .iter()
        .map(|p| {
            (
                p["local"].as_str().unwrap().to_owned(),
                p["start_ms"].as_i64().unwrap(),
                p["pageviews"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        vec![
            ("2026-11-20".to_owned(), at("2026-11-19T23:00:00Z"), 1),
            ("2026-11-21".to_owned(), at("2026-11-20T23:00:00Z"), 1),
        ]
    );
    let (_, utc) = app
        .get_api("/api/v1/sites/demo/overview?from=2026-11-20&to=2026-11-21&interval=day")
        .await;
    let pageviews: Vec<u64> = utc["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pageviews"].as_u64().unwrap())
        .collect();
    assert_eq!(pageviews, vec![2, 0]);
    let (status, body) = app
        .get_api("/api/v1/sites/demo/overview?tz=Mars/Olympus")
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("tz"));
    app.shutdown().await;
}
