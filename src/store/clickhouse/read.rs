//! The session list, the session detail and the live view in ClickHouse SQL.
//!
//! 18.16 has no window functions, so the list's total is a second query; identity links and
//! purchases are looked up for the page's sessions only, as in the embedded store.

use std::collections::HashMap;

use serde_json::Value;

use super::client::{Client, ClientError, RowExt, quote};
use super::sql::{events_where, one_session, sessions_starting_in};
use crate::model::{SessionId, SiteId, VisitorId};
use crate::query::live::{ACTIVE_WINDOW_MS, ActiveVisitor, Live, LiveEvent, LivePlan};
use crate::query::{
    Amount, EventRow, SessionDetail, SessionDetailPlan, SessionListPlan, SessionPage, SessionSort,
    SessionSummary, TimeRange,
};
use crate::store::StoreResult;

const SUMMARY_COLUMNS: &str = "session_id, visitor_id, user_id, ts_ms, last_ts_ms, pageviews, \
     events, entry_page, source, country, device, browser, os";

fn summary(r: &[Value]) -> Result<SessionSummary, ClientError> {
    let start_ms = r.at(3)?.i64()?;
    let end_ms = r.at(4)?.i64()?;
    Ok(SessionSummary {
        session_id: SessionId(r.at(0)?.i64()? as u64).to_string(),
        visitor_id: VisitorId(r.at(1)?.i64()? as u64).to_string(),
        user_id: r.at(2)?.opt_string()?,
        start_ms,
        end_ms,
        duration_ms: end_ms - start_ms,
        pageviews: r.at(5)?.i64()? as u64,
        events: r.at(6)?.i64()? as u64,
        entry_page: r.at(7)?.opt_string()?,
        source: r.at(8)?.opt_string()?,
        country: r.at(9)?.opt_string()?,
        device: r.at(10)?.string()?,
        browser: r.at(11)?.string()?,
        os: r.at(12)?.string()?,
        purchases: Vec::new(),
    })
}

fn order_by(sort: SessionSort) -> &'static str {
    match sort {
        SessionSort::NewestFirst => "ts_ms DESC, session_id",
        SessionSort::OldestFirst => "ts_ms ASC, session_id",
        SessionSort::LongestFirst => "last_ts_ms - ts_ms DESC, session_id",
        SessionSort::MostEventsFirst => "events DESC, session_id",
    }
}

pub(super) fn sessions(c: &Client, plan: &SessionListPlan) -> StoreResult<SessionPage> {
    let from = sessions_starting_in(&plan.site, plan.range);
    let filter = events_where(&plan.site, plan.range, &plan.filters);
    let rows = c.query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM {from} WHERE {filter} ORDER BY {} LIMIT {} OFFSET {}",
        order_by(plan.sort),
        plan.limit,
        plan.offset
    ))?;
    let mut sessions = rows
        .0
        .iter()
        .map(|r| summary(r))
        .collect::<Result<Vec<_>, _>>()?;
    let total = c.query(&format!("SELECT count() FROM {from} WHERE {filter}"))?;
    let total = match total.0.first() {
        Some(r) => r.at(0)?.u64()?,
        None => 0,
    };
    attach_links(c, &plan.site, &mut sessions)?;
    attach_purchases(c, &plan.site, &mut sessions)?;
    Ok(SessionPage {
        total,
        limit: plan.limit,
        offset: plan.offset,
        sessions,
    })
}

/// A session without a user of its own belongs to its visitor's first linked user.
fn attach_links(c: &Client, site: &SiteId, sessions: &mut [SessionSummary]) -> StoreResult<()> {
    let visitors: Vec<String> = sessions
        .iter()
        .filter(|s| s.user_id.is_none())
        .filter_map(|s| VisitorId::parse_hex(&s.visitor_id).ok())
        .map(|v| (v.0 as i64).to_string())
        .collect();
    if visitors.is_empty() {
        return Ok(());
    }
    let rows = c.query(&format!(
        "SELECT visitor_id, argMin(user_id, ts_ms) FROM identities
         WHERE site = {} AND visitor_id IN ({}) GROUP BY visitor_id",
        quote(site.as_str()),
        visitors.join(",")
    ))?;
    let mut links: HashMap<String, String> = HashMap::new();
    for r in &rows.0 {
        links.insert(
            VisitorId(r.at(0)?.i64()? as u64).to_string(),
            r.at(1)?.string()?,
        );
    }
    for s in sessions.iter_mut().filter(|s| s.user_id.is_none()) {
        s.user_id = links.get(&s.visitor_id).cloned();
    }
    Ok(())
}

/// Adds purchase totals per currency to each listed session.
fn attach_purchases(c: &Client, site: &SiteId, sessions: &mut [SessionSummary]) -> StoreResult<()> {
    if sessions.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = sessions
        .iter()
        .filter_map(|s| SessionId::parse_hex(&s.session_id).ok())
        .map(|s| (s.0 as i64).to_string())
        .collect();
    let from = sessions.iter().map(|s| s.start_ms).min().unwrap_or(0);
    let to = sessions.iter().map(|s| s.end_ms).max().unwrap_or(0);
    let rows = c.query(&format!(
        "SELECT session_id, currency, sum(value_minor) FROM events
         WHERE site = {} AND kind = 'commerce' AND ts_ms >= {from} AND ts_ms <= {to}
           AND name = 'purchase' AND value_minor IS NOT NULL AND session_id IN ({})
         GROUP BY session_id, currency ORDER BY currency",
        quote(site.as_str()),
        ids.join(",")
    ))?;
    let mut by_session: HashMap<String, Vec<Amount>> = HashMap::new();
    for r in &rows.0 {
        by_session
            .entry(SessionId(r.at(0)?.i64()? as u64).to_string())
            .or_default()
            .push(Amount {
                currency: r.at(1)?.opt_string()?.unwrap_or_default(),
                minor: r.at(2)?.i64()?,
            });
    }
    for s in sessions {
        if let Some(p) = by_session.remove(&s.session_id) {
            s.purchases = p;
        }
    }
    Ok(())
}

/// The columns [`event_row`] reads, in its order.
pub(super) const EVENT_ROW_COLUMNS: &str = "ts_ms, kind, name, path, url, title, x, y, \
     page_y, depth, target, label, props, value_minor, currency, transaction_id, duration_ms, dead";

fn opt_i32(r: &[Value], i: usize) -> Result<Option<i32>, ClientError> {
    Ok(r.at(i)?.opt_i64()?.map(|v| v as i32))
}

/// One event as reports show it, from [`EVENT_ROW_COLUMNS`] starting at column `at`.
pub(super) fn event_row(r: &[Value], at: usize) -> Result<EventRow, ClientError> {
    Ok(EventRow {
        ts_ms: r.at(at)?.i64()?,
        kind: r.at(at + 1)?.string()?,
        name: r.at(at + 2)?.opt_string()?,
        path: r.at(at + 3)?.string()?,
        url: r.at(at + 4)?.opt_string()?,
        title: r.at(at + 5)?.opt_string()?,
        x: opt_i32(r, at + 6)?,
        y: opt_i32(r, at + 7)?,
        page_y: opt_i32(r, at + 8)?,
        depth_pct: opt_i32(r, at + 9)?,
        target: r.at(at + 10)?.opt_string()?,
        label: r.at(at + 11)?.opt_string()?,
        props: r.at(at + 12)?.opt_string()?,
        value_minor: r.at(at + 13)?.opt_i64()?,
        currency: r.at(at + 14)?.opt_string()?,
        transaction_id: r.at(at + 15)?.opt_string()?,
        duration_ms: r.at(at + 16)?.opt_i64()?,
        dead: r.at(at + 17)?.opt_i64()?.map(|d| d != 0),
    })
}

pub(super) fn session_detail(
    c: &Client,
    plan: &SessionDetailPlan,
) -> StoreResult<Option<SessionDetail>> {
    let sid = plan.session.0 as i64;
    let rows = c.query(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM {}",
        one_session(&plan.site, sid)
    ))?;
    let Some(row) = rows.0.first() else {
        return Ok(None);
    };
    let mut summary = summary(row)?;
    attach_links(c, &plan.site, std::slice::from_mut(&mut summary))?;
    attach_purchases(c, &plan.site, std::slice::from_mut(&mut summary))?;
    // The session's first and last event bound its events, so the scan is pruned by time.
    let rows = c.query(&format!(
        "SELECT {EVENT_ROW_COLUMNS} FROM events
         WHERE site = {} AND session_id = {sid} AND ts_ms >= {} AND ts_ms <= {}
         ORDER BY ts_ms, eid",
        quote(plan.site.as_str()),
        summary.start_ms,
        summary.end_ms
    ))?;
    let events = rows
        .0
        .iter()
        .map(|r| event_row(r, 0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(SessionDetail::new(summary, events)))
}

pub(super) fn live(c: &Client, plan: &LivePlan) -> StoreResult<Live> {
    // Clock skew correction never places events after their arrival, so `now` bounds them.
    let range = TimeRange {
        from_ms: plan.now_ms - ACTIVE_WINDOW_MS,
        to_ms: plan.now_ms + 1,
    };
    let filter = events_where(&plan.site, range, &plan.filters);
    let rows = c.query(&format!(
        "SELECT visitor_id, argMax(session_id, ts_ms), argMax(path, ts_ms), max(ts_ms) AS seen
         FROM events WHERE {filter} GROUP BY visitor_id ORDER BY seen DESC, visitor_id"
    ))?;
    let mut all: Vec<(ActiveVisitor, i64)> = Vec::new();
    for r in &rows.0 {
        let sid = r.at(1)?.i64()?;
        all.push((
            ActiveVisitor {
                visitor_id: VisitorId(r.at(0)?.i64()? as u64).to_string(),
                session_id: SessionId(sid as u64).to_string(),
                current_page: r.at(2)?.string()?,
                last_seen_ms: r.at(3)?.i64()?,
                country: None,
                device: None,
            },
            sid,
        ));
    }
    if !all.is_empty() {
        let ids: Vec<String> = all.iter().map(|(_, sid)| sid.to_string()).collect();
        let rows = c.query(&format!(
            "SELECT session_id, argMin(country, ts_ms), argMin(device, ts_ms) FROM session_parts
             WHERE site = {} AND session_id IN ({}) GROUP BY session_id",
            quote(plan.site.as_str()),
            ids.join(",")
        ))?;
        let mut found: HashMap<i64, (Option<String>, Option<String>)> = HashMap::new();
        for r in &rows.0 {
            found.insert(
                r.at(0)?.i64()?,
                (r.at(1)?.opt_string()?, r.at(2)?.opt_string()?),
            );
        }
        for (v, sid) in &mut all {
            if let Some((country, device)) = found.get(sid) {
                v.country = country.clone();
                v.device = device.clone();
            }
        }
    }
    let all: Vec<ActiveVisitor> = all.into_iter().map(|(v, _)| v).collect();

    let pages = crate::store::assemble::live_pages(&all);

    let rows = c.query(&format!(
        "SELECT session_id, {EVENT_ROW_COLUMNS} FROM events WHERE {filter}
         ORDER BY ts_ms DESC, eid LIMIT {}",
        plan.events
    ))?;
    let events = rows
        .0
        .iter()
        .map(|r| {
            Ok(LiveEvent {
                session_id: SessionId(r.at(0)?.i64()? as u64).to_string(),
                event: event_row(r, 1)?,
            })
        })
        .collect::<Result<Vec<_>, ClientError>>()?;
    Ok(Live {
        now_ms: plan.now_ms,
        window_ms: ACTIVE_WINDOW_MS,
        active_visitors: all.len() as u64,
        visitors: all.into_iter().take(100).collect(),
        pages,
        events,
    })
}
