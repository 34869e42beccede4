//! The real-time page: who is on the site now and the newest events, updated without reloading
//! through server-sent events.
//!
//! The stream polls the store (every 2 s) rather than listening to this node's ingest, so it
//! shows events that any footfall node stored: several nodes share one store.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{OriginalUri, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};

use super::{Chrome, PageContext, PageError, SignedIn, html};
use crate::query::live::{Live, LivePlan};
use crate::web::AppState;
use crate::web::api;
use crate::web::auth::{Principal, signed_in_account};
use crate::web::blocking::blocking;
use crate::web::error::ApiError;

const POLL: Duration = Duration::from_secs(2);

#[derive(Template)]
#[template(path = "live.html")]
struct LiveView {
    chrome: Chrome,
    active: u64,
    pages: Vec<(String, u64)>,
}

pub async fn page(
    SignedIn(account): SignedIn,
    State(state): State<AppState>,
    uri: OriginalUri,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let ctx = PageContext::new(&state, &account, params, &uri, "live", "Live")?;
    let plan: LivePlan = ctx.plan(&state, &account)?;
    let store = state.store.clone();
    let live: Live = blocking(move || store.live(&plan)).await?;
    Ok(html(&LiveView {
        chrome: ctx.chrome,
        active: live.active_visitors,
        pages: live
            .pages
            .into_iter()
            .map(|p| (p.value.unwrap_or_else(|| "(unknown)".into()), p.visitors))
            .collect(),
    }))
}

/// `GET /tracking/live/stream?site=...`: a `snapshot` event whenever the live report changes.
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(mut params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let account = signed_in_account(&state, &headers)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let site = params
        .remove("site")
        .ok_or_else(|| ApiError::bad_request("invalid_query", "`site` is required"))?;
    let plan: LivePlan = api::plan(&state, &Principal::Account(account), &site, &params)?;
    Ok(Sse::new(snapshots(state, plan))
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn snapshots(state: AppState, plan: LivePlan) -> impl Stream<Item = Result<Event, Infallible>> {
    let start = (state, plan, String::new(), true);
    stream::unfold(start, |(state, plan, last, first)| async move {
        let mut last = last;
        let mut first = first;
        loop {
            if !first {
                tokio::time::sleep(POLL).await;
            }
            first = false;
            let mut now_plan = plan.clone();
            now_plan.now_ms = crate::clock::now_ms();
            let store = state.store.clone();
            let json = match blocking(move || store.live(&now_plan)).await {
                // The report with `now_ms` blanked, so an unchanged site sends nothing.
                Ok(live) => serde_json::to_string(&live).unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(error = %e.message, "live stream: report failed; retrying");
                    continue;
                }
            };
            let fingerprint = json.split_once(',').map(|(_, rest)| rest).unwrap_or("");
            if fingerprint == last {
                continue;
            }
            last = fingerprint.to_owned();
            let event = Event::default().event("snapshot").data(json);
            return Some((Ok(event), (state, plan, last, false)));
        }
    })
}
