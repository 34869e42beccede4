//! The whole server on ClickHouse: events sent over HTTP reach it through the spool and the
//! writer, and the hand-computed fixture tests of the other modules pass on it too.

use footfall::store::prelude::*;
use serde_json::json;

use super::server::{databases_made, fresh_url, open_at, store_config};
use crate::common::{TestApp, native_batch};
use crate::conformance::site;

/// Asserts that the API's overview of `demo` counts `sessions` sessions and `events` events.
pub(super) async fn assert_totals(app: &TestApp, sessions: u64, events: u64) {
    let (status, o) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["sessions"].clone(), o["events"].clone()),
        (json!(sessions), json!(events))
    );
}

/// `footfall serve --store clickhouse://...`: events sent over HTTP reach ClickHouse through
/// the spool and the writer, and every report answers from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_runs_on_clickhouse() {
    let url = fresh_url();
    let app = TestApp::spawn_with(|c| c.store = store_config(&url, None), Default::default()).await;
    let batch = native_batch("demo", "v1", "s1", "e", 10);
    let (status, body) = app.post_json("/api/v1/collect", &batch).await;
    assert_eq!(status, 202, "{body}");
    // The same batch again (a client retry) is not stored twice.
    let (status, _) = app.post_json("/api/v1/collect", &batch).await;
    assert_eq!(status, 202);
    app.settle().await;
    assert_totals(&app, 1, 10).await;
    let (status, s) = app.get_api("/api/v1/sites/demo/sessions").await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["total"], 1);
    for report in ["ecommerce", "pages", "engagement?by=visitor", "live"] {
        let (status, r) = app.get_api(&format!("/api/v1/sites/demo/{report}")).await;
        assert_eq!(status, 200, "{report}: {r}");
    }
    app.shutdown().await;
    // What the server wrote is in ClickHouse, under this node's spool position.
    let store = open_at(&url, "reader");
    assert_eq!(store.count_events(&site("demo")).unwrap(), 10);
}

// ---------------------------------------------------------------------------------------------
// The hand-computed fixture tests of the other modules, run again on ClickHouse: the whole path
// from HTTP ingest through the spool and the writer to every report's API.

fn fresh_store_config() -> footfall::config::StoreConfig {
    store_config(&fresh_url(), None)
}

macro_rules! on_clickhouse {
    ($($name:ident => $check:path;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let before = databases_made();
                crate::common::STORE.scope(fresh_store_config, $check()).await;
                // The check's apps really ran on ClickHouse databases of their own.
                assert!(databases_made() > before);
            }
        )*
    };
}

on_clickhouse! {
    filters_fixture_on_clickhouse => crate::filters::every_filter_selects_the_right_sessions_check;
    bad_filters_on_clickhouse => crate::filters::bad_filters_are_400s_that_name_them_check;
    overview_fixture_on_clickhouse => crate::overview::overview_figures_match_the_hand_computed_fixture_check;
    overview_zones_on_clickhouse => crate::overview::series_and_dates_follow_the_time_zone_check;
    ecommerce_fixture_on_clickhouse => crate::ecommerce::every_figure_matches_the_hand_computed_fixture_check;
    ecommerce_filters_on_clickhouse => crate::ecommerce::filters_bots_and_limit_change_the_figures_check;
    pages_fixture_on_clickhouse => crate::pages::every_figure_matches_the_hand_computed_fixture_check;
    pages_filters_on_clickhouse => crate::pages::filters_bots_and_bad_parameters_check;
    engagement_fixture_on_clickhouse => crate::engagement::every_figure_by_user_matches_the_hand_computed_fixture_check;
    engagement_visitors_on_clickhouse => crate::engagement::by_visitor_counts_every_visitor_check;
    engagement_paging_on_clickhouse => crate::engagement::filters_search_sorting_paging_and_errors_check;
    engagement_cohorts_on_clickhouse => crate::engagement::cohort_weeks_are_local_weeks_of_the_requested_time_zone_check;
}
