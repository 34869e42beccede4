//! The DuckDB write path: appender batches inside one transaction with the spool position.
//!
//! Row-by-row `INSERT` manages a few hundred rows a second; the appender, hundreds of
//! thousands. Rows are sorted by (site, session, time) before appending so that columns that
//! repeat within a session (browser, country, source, path) compress into long runs.

use duckdb::types::{TimeUnit, ToSql, ToSqlOutput, Value};
use duckdb::{Connection, params};

use super::map_err;
use crate::model::batch::path_of;
use crate::model::{Batch, Event, EventData};
use crate::store::StoreResult;

/// Epoch milliseconds bound as a `TIMESTAMP`.
pub(crate) struct Ts(pub i64);

impl ToSql for Ts {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Owned(Value::Timestamp(
            TimeUnit::Millisecond,
            self.0,
        )))
    }
}

/// The kind-specific columns of one event.
#[derive(Default)]
struct Detail<'a> {
    name: Option<&'a str>,
    url: Option<&'a str>,
    title: Option<&'a str>,
    referrer: Option<&'a str>,
    x: Option<i32>,
    y: Option<i32>,
    page_y: Option<i32>,
    depth: Option<i16>,
    target: Option<&'a str>,
    label: Option<&'a str>,
    props: Option<&'a str>,
    value_minor: Option<i64>,
    currency: Option<&'a str>,
    transaction_id: Option<&'a str>,
    duration_ms: Option<i64>,
}

fn detail(data: &EventData) -> Detail<'_> {
    match data {
        EventData::Pageview {
            url,
            title,
            referrer,
        } => Detail {
            url: Some(url),
            title: title.as_deref(),
            referrer: referrer.as_deref(),
            ..Detail::default()
        },
        EventData::Click {
            x,
            y,
            page_y,
            selector,
            text,
        } => Detail {
            x: Some(*x),
            y: Some(*y),
            page_y: *page_y,
            target: Some(selector),
            label: text.as_deref(),
            ..Detail::default()
        },
        EventData::Move { x, y } => Detail {
            x: Some(*x),
            y: Some(*y),
            ..Detail::default()
        },
        EventData::Scroll { x, y, depth_pct } => Detail {
            x: Some(*x),
            y: Some(*y),
            depth: depth_pct.map(i16::from),
            ..Detail::default()
        },
        EventData::Key { class, raw } => Detail {
            name: Some(class.as_str()),
            label: raw.as_deref(),
            ..Detail::default()
        },
        EventData::Form {
            action,
            form,
            field,
        } => Detail {
            name: Some(action.as_str()),
            target: Some(form),
            label: field.as_deref(),
            ..Detail::default()
        },
        EventData::Touch { action, x, y } => Detail {
            name: Some(action.as_str()),
            x: Some(*x),
            y: Some(*y),
            ..Detail::default()
        },
        EventData::Media {
            action,
            src,
            position_ms,
        } => Detail {
            name: Some(action.as_str()),
            target: Some(src),
            duration_ms: *position_ms,
            ..Detail::default()
        },
        EventData::Visibility { visible } => Detail {
            name: Some(if *visible { "visible" } else { "hidden" }),
            ..Detail::default()
        },
        EventData::Resize { width, height } => Detail {
            x: Some(*width),
            y: Some(*height),
            ..Detail::default()
        },
        EventData::Engagement { engaged_ms } => Detail {
            duration_ms: Some(*engaged_ms),
            ..Detail::default()
        },
        EventData::Custom { name, props } => Detail {
            name: Some(name),
            props: props.as_deref(),
            ..Detail::default()
        },
        EventData::Commerce(c) => Detail {
            name: Some(c.action.as_str()),
            value_minor: c.value_minor,
            currency: c.currency.as_ref().map(|c| c.as_str()),
            transaction_id: c.transaction_id.as_deref(),
            ..Detail::default()
        },
        EventData::Identify { user_id, traits } => Detail {
            name: Some(user_id),
            props: traits.as_deref(),
            ..Detail::default()
        },
    }
}

pub(super) fn append(
    conn: &mut Connection,
    batches: &[Batch],
    spool_seq: Option<u64>,
) -> StoreResult<()> {
    let mut rows: Vec<(&Batch, &Event)> = batches
        .iter()
        .flat_map(|b| b.events.iter().map(move |e| (b, e)))
        .collect();
    rows.sort_by(|a, b| {
        (a.0.site.as_str(), a.0.session.0, a.1.ts_ms).cmp(&(
            b.0.site.as_str(),
            b.0.session.0,
            b.1.ts_ms,
        ))
    });

    let tx = conn.transaction().map_err(map_err)?;
    {
        let mut events = tx.appender("events").map_err(map_err)?;
        for (b, e) in &rows {
            let d = detail(&e.data);
            let c = &b.client;
            let s = &b.source;
            // Identify events carry the user they announce; later events of the batch too.
            let user_id = match &e.data {
                EventData::Identify { user_id, .. } => Some(user_id.as_str()),
                _ => b.user_id.as_deref(),
            };
            events
                .append_row(params![
                    b.site.as_str(),
                    Ts(e.ts_ms),
                    Ts(b.received_ms),
                    e.eid as i64,
                    b.visitor.0 as i64,
                    b.session.0 as i64,
                    user_id,
                    e.data.kind().as_str(),
                    d.name,
                    path_of(&e.url),
                    d.url,
                    d.title,
                    d.referrer,
                    d.x,
                    d.y,
                    d.page_y,
                    d.depth,
                    d.target,
                    d.label,
                    d.props,
                    d.value_minor,
                    d.currency,
                    d.transaction_id,
                    d.duration_ms,
                    c.browser.as_str(),
                    c.browser_version.as_str(),
                    c.os.as_str(),
                    c.device.as_str(),
                    c.bot,
                    c.country.as_deref(),
                    c.ip.as_deref(),
                    c.screen_width,
                    c.screen_height,
                    c.language.as_deref(),
                    s.referrer_host.as_deref(),
                    s.source.as_deref(),
                    s.medium.as_deref(),
                    s.utm_source.as_deref(),
                    s.utm_medium.as_deref(),
                    s.utm_campaign.as_deref(),
                    s.utm_term.as_deref(),
                    s.utm_content.as_deref(),
                ])
                .map_err(map_err)?;
        }
        events.flush().map_err(map_err)?;

        let mut items = tx.appender("items").map_err(map_err)?;
        for (b, e) in &rows {
            let EventData::Commerce(c) = &e.data else {
                continue;
            };
            for item in &c.items {
                items
                    .append_row(params![
                        b.site.as_str(),
                        Ts(e.ts_ms),
                        e.eid as i64,
                        b.visitor.0 as i64,
                        b.session.0 as i64,
                        c.action.as_str(),
                        c.transaction_id.as_deref(),
                        c.currency.as_ref().map(|c| c.as_str()),
                        item.item_id.as_str(),
                        item.item_name.as_deref(),
                        item.item_category.as_deref(),
                        item.item_brand.as_deref(),
                        item.item_variant.as_deref(),
                        item.price_minor,
                        item.quantity,
                    ])
                    .map_err(map_err)?;
            }
        }
        items.flush().map_err(map_err)?;

        // Identity links: the first event of each (visitor, user) pair in these batches.
        let mut links: Vec<(&str, i64, &str, i64)> = Vec::new();
        for (b, e) in &rows {
            let user = match &e.data {
                EventData::Identify { user_id, .. } => Some(user_id.as_str()),
                _ => b.user_id.as_deref(),
            };
            if let Some(user) = user {
                links.push((b.site.as_str(), b.visitor.0 as i64, user, e.ts_ms));
            }
        }
        links.sort();
        links.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
        if !links.is_empty() {
            let mut ids = tx.appender("identities").map_err(map_err)?;
            for (site, visitor, user, ts) in links {
                ids.append_row(params![site, visitor, user, Ts(ts)])
                    .map_err(map_err)?;
            }
            ids.flush().map_err(map_err)?;
        }
    }
    if let Some(seq) = spool_seq {
        tx.execute(
            "UPDATE spool_state SET applied_seq = ? WHERE id = 1",
            [seq as i64],
        )
        .map_err(map_err)?;
    }
    tx.commit().map_err(map_err)
}

pub(super) fn recent_event_ids(conn: &Connection, limit: usize) -> StoreResult<Vec<u64>> {
    let mut stmt = conn
        .prepare("SELECT eid FROM events ORDER BY received_at DESC LIMIT ?")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([limit as i64], |r| r.get::<_, i64>(0))
        .map_err(map_err)?;
    rows.map(|r| r.map(|v| v as u64).map_err(map_err)).collect()
}
