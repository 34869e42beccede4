//! The DuckDB write path: Arrow record batches appended inside one transaction with the spool
//! position.
//!
//! Row-by-row `INSERT` manages a few hundred rows a second and the row appender about a
//! hundred thousand of these wide rows; building columns and appending them as Arrow record
//! batches is several times faster again. Rows are sorted by site, then sessions in the order
//! they started, each session's events in time order, before appending: columns that repeat
//! within a session (path, title) compress into long runs and times into narrow bit widths.
//! Commerce events also go to `commerce` (same columns) and pageviews to `pageviews` (a few
//! columns), which reports scan instead of every event. Each batch adds a rollup row to
//! `batches`, each session's row in `sessions` (its figures and attributes) is merged with what
//! the append adds (see [`merge_sessions`]), and appends from the spool record their event ids
//! in `recent_ids` for the writer's de-duplication after a restart.

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, BooleanBuilder, Int16Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::types::{TimeUnit, ToSql, ToSqlOutput, Value};
use duckdb::{Connection, params};

use super::map_err;
use crate::model::batch::path_of;
use crate::model::{Batch, Commerce, Event, EventData, EventKind, Item};
use crate::store::StoreError;
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
pub(in crate::store) struct Detail<'a> {
    pub(in crate::store) name: Option<&'a str>,
    pub(in crate::store) url: Option<&'a str>,
    pub(in crate::store) title: Option<&'a str>,
    pub(in crate::store) referrer: Option<&'a str>,
    pub(in crate::store) x: Option<i32>,
    pub(in crate::store) y: Option<i32>,
    pub(in crate::store) page_y: Option<i32>,
    pub(in crate::store) depth: Option<i16>,
    pub(in crate::store) target: Option<&'a str>,
    pub(in crate::store) label: Option<&'a str>,
    pub(in crate::store) props: Option<&'a str>,
    pub(in crate::store) value_minor: Option<i64>,
    pub(in crate::store) currency: Option<&'a str>,
    pub(in crate::store) transaction_id: Option<&'a str>,
    pub(in crate::store) duration_ms: Option<i64>,
}

pub(in crate::store) fn detail(data: &EventData) -> Detail<'_> {
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
    recent_ids: usize,
) -> StoreResult<()> {
    // Each batch's rollup and each session's part of this append (its figures and earliest
    // event).
    let mut rollups = BatchColumns::default();
    let mut parts: HashMap<(&str, u64), SessionPart<'_>> = HashMap::new();
    for b in batches {
        let Some(first_ts) = rollups.push(b) else {
            continue;
        };
        let part = SessionPart::of(b, first_ts);
        match parts.entry((b.site.as_str(), b.session.0)) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().absorb(part),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(part);
            }
        }
    }

    // Sessions in the order they started (within this append), each session's events together
    // in time order: neighbouring rows then share site, session and visitor (long runs) and
    // their times lie close together (narrow bit-packing), while a stable sort keeps a batch's
    // order for events of the same millisecond.
    let mut rows: Vec<(i64, &Batch, &Event)> = batches
        .iter()
        .flat_map(|b| {
            let start = parts
                .get(&(b.site.as_str(), b.session.0))
                .map_or(0, |p| p.ts);
            b.events.iter().map(move |e| (start, b, e))
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.1.site.as_str(), a.0, a.1.session.0, a.2.ts_ms).cmp(&(
            b.1.site.as_str(),
            b.0,
            b.1.session.0,
            b.2.ts_ms,
        ))
    });
    let rows: Vec<(&Batch, &Event)> = rows.into_iter().map(|(_, b, e)| (b, e)).collect();

    let tx = conn.transaction().map_err(map_err)?;
    {
        let mut events = EventColumns::with_capacity(rows.len());
        let mut commerce = EventColumns::with_capacity(0);
        let mut commerce_rows = 0;
        let mut pageviews = EventColumns::with_capacity(0);
        let mut pageview_rows = 0;
        let mut sessions = SessionColumns::default();
        for part in parts.values() {
            sessions.push(part);
        }
        let mut items = ItemColumns::default();
        for (b, e) in &rows {
            events.push(b, e);
            if let EventData::Pageview { .. } = &e.data {
                pageviews.push(b, e);
                pageview_rows += 1;
            }
            if let EventData::Commerce(c) = &e.data {
                commerce.push(b, e);
                commerce_rows += 1;
                for item in &c.items {
                    items.push(b, e, c, item);
                }
            }
        }
        if !rows.is_empty() {
            // `events` has every column but `eid` (see migration 6).
            let all = events.finish()?;
            let eid = all
                .schema()
                .index_of("eid")
                .map_err(|e| StoreError::Internal(format!("event columns: {e}")))?;
            let without_eid: Vec<usize> = (0..all.num_columns()).filter(|&i| i != eid).collect();
            let rows = all
                .project(&without_eid)
                .map_err(|e| StoreError::Internal(format!("projecting events: {e}")))?;
            append_rows(&tx, "events", rows)?;
        }
        if let Some(seq) = spool_seq {
            remember_ids(&tx, &rows, seq, recent_ids)?;
        }
        if pageview_rows > 0 {
            // `pageviews` has site, ts, visitor_id, session_id, bot and path of `events`.
            let rows = pageviews
                .finish()?
                .project(&[0, 1, 3, 4, 6, 9])
                .map_err(|e| StoreError::Internal(format!("projecting pageviews: {e}")))?;
            append_rows(&tx, "pageviews", rows)?;
        }
        if commerce_rows > 0 {
            append_rows(&tx, "commerce", commerce.finish()?)?;
        }
        if rollups.len > 0 {
            append_rows(&tx, "batches", rollups.finish()?)?;
        }
        if sessions.len > 0 {
            append_rows(&tx, "sessions_staging", sessions.finish()?)?;
            merge_sessions(&tx)?;
        }
        if items.len > 0 {
            append_rows(&tx, "items", items.finish()?)?;
        }

        // Identity links: the first event of each (visitor, user) pair in these batches.
        let mut links: Vec<(&str, i64, &str, i64)> = Vec::new();
        for (b, e) in &rows {
            if let Some(user) = user_of(b, e) {
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

/// Records the ids of an ingested append in `recent_ids` and, once the table holds half a
/// window more than it keeps, deletes the oldest, so it stays between one and one and a half
/// windows whatever the size of `events`.
fn remember_ids(
    tx: &duckdb::Transaction<'_>,
    rows: &[(&Batch, &Event)],
    seq: u64,
    keep: usize,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut ids = Int64Builder::with_capacity(rows.len());
    rows.iter()
        .for_each(|(_, e)| ids.append_value(e.eid as i64));
    let mut seqs = Int64Builder::with_capacity(rows.len());
    seqs.append_value_n(seq as i64, rows.len());
    append_rows(
        tx,
        "recent_ids",
        finish_batch(vec![
            ("seq", Arc::new(seqs.finish())),
            ("eid", Arc::new(ids.finish())),
        ])?,
    )?;
    let kept: i64 = tx
        .query_row("SELECT count(*) FROM recent_ids", [], |r| r.get(0))
        .map_err(map_err)?;
    if kept as usize > keep + keep / 2 {
        tx.execute(
            "DELETE FROM recent_ids WHERE seq < (SELECT seq FROM recent_ids ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            [keep as i64],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn recent_event_ids(conn: &Connection, limit: usize) -> StoreResult<Vec<u64>> {
    let mut stmt = conn
        .prepare("SELECT eid FROM recent_ids ORDER BY seq DESC, rowid DESC LIMIT ?")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([limit as i64], |r| r.get::<_, i64>(0))
        .map_err(map_err)?;
    rows.map(|r| r.map(|v| v as u64).map_err(map_err)).collect()
}

/// The user an event belongs to: an identify event names the user it announces; other events
/// carry the batch's user.
pub(in crate::store) fn user_of<'a>(b: &'a Batch, e: &'a Event) -> Option<&'a str> {
    match &e.data {
        EventData::Identify { user_id, .. } => Some(user_id.as_str()),
        _ => b.user_id.as_deref(),
    }
}

fn ms_to_us(ms: i64) -> i64 {
    ms.saturating_mul(1000)
}

/// Appends Arrow rows to `table` within the transaction.
fn append_rows(tx: &duckdb::Transaction<'_>, table: &str, rows: RecordBatch) -> StoreResult<()> {
    let mut appender = tx.appender(table).map_err(map_err)?;
    appender.append_record_batch(rows).map_err(map_err)?;
    appender.flush().map_err(map_err)
}

fn finish_batch(columns: Vec<(&'static str, ArrayRef)>) -> Result<RecordBatch, StoreError> {
    RecordBatch::try_from_iter(columns)
        .map_err(|e| StoreError::Internal(format!("building a record batch: {e}")))
}

/// Column builders for the `events` table, in its column order.
struct EventColumns {
    site: StringBuilder,
    ts: TimestampMicrosecondBuilder,
    eid: Int64Builder,
    visitor_id: Int64Builder,
    session_id: Int64Builder,
    user_id: StringBuilder,
    bot: BooleanBuilder,
    kind: StringBuilder,
    name: StringBuilder,
    path: StringBuilder,
    url: StringBuilder,
    title: StringBuilder,
    referrer: StringBuilder,
    x: Int32Builder,
    y: Int32Builder,
    page_y: Int32Builder,
    depth: Int16Builder,
    target: StringBuilder,
    label: StringBuilder,
    props: StringBuilder,
    value_minor: Int64Builder,
    currency: StringBuilder,
    transaction_id: StringBuilder,
    duration_ms: Int64Builder,
}

impl EventColumns {
    fn with_capacity(n: usize) -> EventColumns {
        let s = || StringBuilder::with_capacity(n, n * 8);
        EventColumns {
            site: s(),
            ts: TimestampMicrosecondBuilder::with_capacity(n),
            eid: Int64Builder::with_capacity(n),
            visitor_id: Int64Builder::with_capacity(n),
            session_id: Int64Builder::with_capacity(n),
            user_id: s(),
            bot: BooleanBuilder::with_capacity(n),
            kind: s(),
            name: s(),
            path: s(),
            url: s(),
            title: s(),
            referrer: s(),
            x: Int32Builder::with_capacity(n),
            y: Int32Builder::with_capacity(n),
            page_y: Int32Builder::with_capacity(n),
            depth: Int16Builder::with_capacity(n),
            target: s(),
            label: s(),
            props: s(),
            value_minor: Int64Builder::with_capacity(n),
            currency: s(),
            transaction_id: s(),
            duration_ms: Int64Builder::with_capacity(n),
        }
    }

    fn push(&mut self, b: &Batch, e: &Event) {
        let d = detail(&e.data);
        self.site.append_value(b.site.as_str());
        self.ts.append_value(ms_to_us(e.ts_ms));
        self.eid.append_value(e.eid as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.session_id.append_value(b.session.0 as i64);
        self.user_id.append_option(user_of(b, e));
        self.bot.append_value(b.client.bot);
        self.kind.append_value(e.data.kind().as_str());
        self.name.append_option(d.name);
        self.path.append_value(path_of(&e.url));
        self.url.append_option(d.url);
        self.title.append_option(d.title);
        self.referrer.append_option(d.referrer);
        self.x.append_option(d.x);
        self.y.append_option(d.y);
        self.page_y.append_option(d.page_y);
        self.depth.append_option(d.depth);
        self.target.append_option(d.target);
        self.label.append_option(d.label);
        self.props.append_option(d.props);
        self.value_minor.append_option(d.value_minor);
        self.currency.append_option(d.currency);
        self.transaction_id.append_option(d.transaction_id);
        self.duration_ms.append_option(d.duration_ms);
    }

    fn finish(mut self) -> Result<RecordBatch, StoreError> {
        finish_batch(vec![
            ("site", Arc::new(self.site.finish())),
            ("ts", Arc::new(self.ts.finish())),
            ("eid", Arc::new(self.eid.finish())),
            ("visitor_id", Arc::new(self.visitor_id.finish())),
            ("session_id", Arc::new(self.session_id.finish())),
            ("user_id", Arc::new(self.user_id.finish())),
            ("bot", Arc::new(self.bot.finish())),
            ("kind", Arc::new(self.kind.finish())),
            ("name", Arc::new(self.name.finish())),
            ("path", Arc::new(self.path.finish())),
            ("url", Arc::new(self.url.finish())),
            ("title", Arc::new(self.title.finish())),
            ("referrer", Arc::new(self.referrer.finish())),
            ("x", Arc::new(self.x.finish())),
            ("y", Arc::new(self.y.finish())),
            ("page_y", Arc::new(self.page_y.finish())),
            ("depth", Arc::new(self.depth.finish())),
            ("target", Arc::new(self.target.finish())),
            ("label", Arc::new(self.label.finish())),
            ("props", Arc::new(self.props.finish())),
            ("value_minor", Arc::new(self.value_minor.finish())),
            ("currency", Arc::new(self.currency.finish())),
            ("transaction_id", Arc::new(self.transaction_id.finish())),
            ("duration_ms", Arc::new(self.duration_ms.finish())),
        ])
    }
}

/// One append's contribution to a session: what its batches say, merged into the stored
/// row by [`merge_sessions`].
pub(in crate::store) struct SessionPart<'a> {
    pub(in crate::store) batch: &'a Batch, // the earliest batch: visitor, bot and attributes
    pub(in crate::store) ts: i64,
    pub(in crate::store) last_ts: i64,
    pub(in crate::store) user: Option<&'a str>,
    pub(in crate::store) events: i64,
    pub(in crate::store) pageviews: i64,
    pub(in crate::store) clicks: i64,
    pub(in crate::store) engaged_ms: i64,
    pub(in crate::store) max_depth: Option<i16>,
    pub(in crate::store) entry: Option<(i64, &'a str)>,
    pub(in crate::store) exit: Option<(i64, &'a str)>,
    /// Events per kind, indexed like `EventKind::ALL`.
    pub(in crate::store) kinds: [i64; EventKind::ALL.len()],
}

/// The `sessions` count columns of the kinds without a column of their own, in table order,
/// with the kind's index in `EventKind::ALL`.
pub(in crate::store) const KIND_COLUMNS: [(&str, usize); 12] = [
    ("n_move", 2),
    ("n_scroll", 3),
    ("n_key", 4),
    ("n_form", 5),
    ("n_touch", 6),
    ("n_media", 7),
    ("n_visibility", 8),
    ("n_resize", 9),
    ("n_engagement", 10),
    ("n_custom", 11),
    ("n_commerce", 12),
    ("n_identify", 13),
];

impl<'a> SessionPart<'a> {
    pub(in crate::store) fn of(b: &'a Batch, first_ts: i64) -> SessionPart<'a> {
        let mut part = SessionPart {
            batch: b,
            ts: first_ts,
            last_ts: first_ts,
            user: None,
            events: b.events.len() as i64,
            pageviews: 0,
            clicks: 0,
            engaged_ms: 0,
            max_depth: None,
            entry: None,
            exit: None,
            kinds: [0; EventKind::ALL.len()],
        };
        for e in &b.events {
            let kind = e.data.kind();
            if let Some(i) = EventKind::ALL.iter().position(|k| *k == kind) {
                part.kinds[i] += 1;
            }
            part.last_ts = part.last_ts.max(e.ts_ms);
            part.user = part.user.max(user_of(b, e));
            match &e.data {
                EventData::Pageview { .. } => {
                    part.pageviews += 1;
                    let page = (e.ts_ms, path_of(&e.url));
                    part.entry = Some(part.entry.map_or(page, |p| p.min(page)));
                    part.exit = Some(part.exit.map_or(page, |p| p.max(page)));
                }
                EventData::Click { .. } => part.clicks += 1,
                EventData::Scroll {
                    depth_pct: Some(d), ..
                } => part.max_depth = part.max_depth.max(Some(i16::from(*d))),
                EventData::Engagement { engaged_ms } => part.engaged_ms += engaged_ms,
                _ => {}
            }
        }
        part
    }

    pub(in crate::store) fn absorb(&mut self, other: SessionPart<'a>) {
        if other.ts < self.ts {
            self.batch = other.batch;
            self.ts = other.ts;
        }
        self.last_ts = self.last_ts.max(other.last_ts);
        self.user = self.user.max(other.user);
        self.events += other.events;
        self.pageviews += other.pageviews;
        self.clicks += other.clicks;
        self.engaged_ms += other.engaged_ms;
        self.max_depth = self.max_depth.max(other.max_depth);
        self.entry = match (self.entry, other.entry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.exit = self.exit.max(other.exit);
        for (mine, theirs) in self.kinds.iter_mut().zip(other.kinds) {
            *mine += theirs;
        }
    }
}

/// Column builders for `sessions_staging` (the columns of `sessions`), in its column order.
#[derive(Default)]
struct SessionColumns {
    len: usize,
    site: StringBuilder,
    session_id: Int64Builder,
    visitor_id: Int64Builder,
    user_id: StringBuilder,
    bot: BooleanBuilder,
    ts: TimestampMicrosecondBuilder,
    last_ts: TimestampMicrosecondBuilder,
    events: Int64Builder,
    pageviews: Int64Builder,
    clicks: Int64Builder,
    engaged_ms: Int64Builder,
    max_depth: Int16Builder,
    entry_ts: TimestampMicrosecondBuilder,
    entry_page: StringBuilder,
    exit_ts: TimestampMicrosecondBuilder,
    exit_page: StringBuilder,
    browser: StringBuilder,
    browser_version: StringBuilder,
    os: StringBuilder,
    device: StringBuilder,
    country: StringBuilder,
    ip: StringBuilder,
    screen_w: Int32Builder,
    screen_h: Int32Builder,
    language: StringBuilder,
    referrer_host: StringBuilder,
    source: StringBuilder,
    medium: StringBuilder,
    utm_source: StringBuilder,
    utm_medium: StringBuilder,
    utm_campaign: StringBuilder,
    utm_term: StringBuilder,
    utm_content: StringBuilder,
    kind_counts: [Int64Builder; KIND_COLUMNS.len()],
}

impl SessionColumns {
    fn push(&mut self, part: &SessionPart<'_>) {
        let b = part.batch;
        let (c, s) = (&b.client, &b.source);
        self.len += 1;
        self.site.append_value(b.site.as_str());
        self.session_id.append_value(b.session.0 as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.user_id.append_option(part.user);
        self.bot.append_value(c.bot);
        self.ts.append_value(ms_to_us(part.ts));
        self.last_ts.append_value(ms_to_us(part.last_ts));
        self.events.append_value(part.events);
        self.pageviews.append_value(part.pageviews);
        self.clicks.append_value(part.clicks);
        self.engaged_ms.append_value(part.engaged_ms);
        self.max_depth.append_option(part.max_depth);
        self.entry_ts
            .append_option(part.entry.map(|p| ms_to_us(p.0)));
        self.entry_page.append_option(part.entry.map(|p| p.1));
        self.exit_ts.append_option(part.exit.map(|p| ms_to_us(p.0)));
        self.exit_page.append_option(part.exit.map(|p| p.1));
        self.browser.append_value(&c.browser);
        self.browser_version.append_value(&c.browser_version);
        self.os.append_value(&c.os);
        self.device.append_value(c.device.as_str());
        self.country.append_option(c.country.as_deref());
        self.ip.append_option(c.ip.as_deref());
        self.screen_w.append_option(c.screen_width);
        self.screen_h.append_option(c.screen_height);
        self.language.append_option(c.language.as_deref());
        self.referrer_host.append_option(s.referrer_host.as_deref());
        self.source.append_option(s.source.as_deref());
        self.medium.append_option(s.medium.as_deref());
        self.utm_source.append_option(s.utm_source.as_deref());
        self.utm_medium.append_option(s.utm_medium.as_deref());
        self.utm_campaign.append_option(s.utm_campaign.as_deref());
        self.utm_term.append_option(s.utm_term.as_deref());
        self.utm_content.append_option(s.utm_content.as_deref());
        for (builder, (_, kind)) in self.kind_counts.iter_mut().zip(KIND_COLUMNS) {
            builder.append_value(part.kinds[kind]);
        }
    }

    fn finish(mut self) -> Result<RecordBatch, StoreError> {
        let mut columns: Vec<(&'static str, ArrayRef)> = vec![
            ("site", Arc::new(self.site.finish())),
            ("session_id", Arc::new(self.session_id.finish())),
            ("visitor_id", Arc::new(self.visitor_id.finish())),
            ("user_id", Arc::new(self.user_id.finish())),
            ("bot", Arc::new(self.bot.finish())),
            ("ts", Arc::new(self.ts.finish())),
            ("last_ts", Arc::new(self.last_ts.finish())),
            ("events", Arc::new(self.events.finish())),
            ("pageviews", Arc::new(self.pageviews.finish())),
            ("clicks", Arc::new(self.clicks.finish())),
            ("engaged_ms", Arc::new(self.engaged_ms.finish())),
            ("max_depth", Arc::new(self.max_depth.finish())),
            ("entry_ts", Arc::new(self.entry_ts.finish())),
            ("entry_page", Arc::new(self.entry_page.finish())),
            ("exit_ts", Arc::new(self.exit_ts.finish())),
            ("exit_page", Arc::new(self.exit_page.finish())),
            ("browser", Arc::new(self.browser.finish())),
            ("browser_version", Arc::new(self.browser_version.finish())),
            ("os", Arc::new(self.os.finish())),
            ("device", Arc::new(self.device.finish())),
            ("country", Arc::new(self.country.finish())),
            ("ip", Arc::new(self.ip.finish())),
            ("screen_w", Arc::new(self.screen_w.finish())),
            ("screen_h", Arc::new(self.screen_h.finish())),
            ("language", Arc::new(self.language.finish())),
            ("referrer_host", Arc::new(self.referrer_host.finish())),
            ("source", Arc::new(self.source.finish())),
            ("medium", Arc::new(self.medium.finish())),
            ("utm_source", Arc::new(self.utm_source.finish())),
            ("utm_medium", Arc::new(self.utm_medium.finish())),
            ("utm_campaign", Arc::new(self.utm_campaign.finish())),
            ("utm_term", Arc::new(self.utm_term.finish())),
            ("utm_content", Arc::new(self.utm_content.finish())),
        ];
        for (builder, (name, _)) in self.kind_counts.iter_mut().zip(KIND_COLUMNS) {
            columns.push((name, Arc::new(builder.finish())));
        }
        finish_batch(columns)
    }
}

/// The staged sessions' stored rows: matched on the session id (the site is part of its
/// hash), within `rowid` bounds found first. A stored session row is rewritten at the end of
/// the table whenever its session goes on, so the rows an append continues lie close
/// together near the end. Finding their bounds scans only `session_id`; fetching and deleting
/// the rows then reads the 45 columns of the row groups between the bounds instead of every
/// row group (measured on 5.5M stored sessions and 10k staged, half of them stored: 230-270 ms
/// to fetch the rows by scanning everything, 40 ms to scan `session_id` alone).
const STORED_OF_STAGED: &str = "session_id IN (SELECT session_id FROM sessions_staging) \
     AND site IN (SELECT site FROM sessions_staging)";

/// Folds `sessions_staging` (this append's rows) into `sessions`: the stored rows of the same
/// sessions join the staged ones, are deleted, and one merged row per session is inserted
/// (see [`MERGED_SESSIONS`]).
fn merge_sessions(tx: &duckdb::Transaction<'_>) -> StoreResult<()> {
    let (stored, lo, hi): (i64, Option<i64>, Option<i64>) = tx
        .query_row(
            &format!(
                "SELECT count(*), min(rowid), max(rowid) FROM sessions WHERE {STORED_OF_STAGED}"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(map_err)?;
    if let (true, Some(lo), Some(hi)) = (stored > 0, lo, hi) {
        let within = format!("rowid BETWEEN {lo} AND {hi} AND {STORED_OF_STAGED}");
        tx.execute_batch(&format!(
            "INSERT INTO sessions_staging SELECT * FROM sessions WHERE {within};
             DELETE FROM sessions WHERE {within};"
        ))
        .map_err(map_err)?;
    }
    tx.execute_batch(MERGED_SESSIONS).map_err(map_err)
}

/// One merged row per staged session, appended at the end of `sessions`, then the staging
/// table emptied. Attributes are the earliest row's; `arg_min`/`arg_max` skip NULL arguments,
/// so a page or country missing from one part is taken from another.
const MERGED_SESSIONS: &str = "
    INSERT INTO sessions
        SELECT site, session_id, arg_min(visitor_id, ts), max(user_id), arg_min(bot, ts),
               min(ts), max(last_ts), sum(events)::BIGINT, sum(pageviews)::BIGINT,
               sum(clicks)::BIGINT, sum(engaged_ms)::BIGINT, max(max_depth), min(entry_ts),
               arg_min(entry_page, entry_ts), max(exit_ts), arg_max(exit_page, exit_ts),
               arg_min(browser, ts), arg_min(browser_version, ts), arg_min(os, ts),
               arg_min(device, ts), arg_min(country, ts), arg_min(ip, ts),
               arg_min(screen_w, ts), arg_min(screen_h, ts), arg_min(language, ts),
               arg_min(referrer_host, ts), arg_min(source, ts), arg_min(medium, ts),
               arg_min(utm_source, ts), arg_min(utm_medium, ts), arg_min(utm_campaign, ts),
               arg_min(utm_term, ts), arg_min(utm_content, ts),
               sum(n_move)::BIGINT, sum(n_scroll)::BIGINT, sum(n_key)::BIGINT, sum(n_form)::BIGINT, sum(n_touch)::BIGINT, sum(n_media)::BIGINT, sum(n_visibility)::BIGINT, sum(n_resize)::BIGINT, sum(n_engagement)::BIGINT, sum(n_custom)::BIGINT, sum(n_commerce)::BIGINT, sum(n_identify)::BIGINT
        FROM sessions_staging
        GROUP BY site, session_id
        ORDER BY min(ts);
    DELETE FROM sessions_staging;";

/// Column builders for the `batches` table (one rollup row per batch), in its column order.
/// The overview's time series counts these rows per bucket, so a long session counts in
/// every bucket it was active in.
#[derive(Default)]
struct BatchColumns {
    len: usize,
    site: StringBuilder,
    session_id: Int64Builder,
    visitor_id: Int64Builder,
    user_id: StringBuilder,
    bot: BooleanBuilder,
    ts: TimestampMicrosecondBuilder,
    events: Int32Builder,
    pageviews: Int32Builder,
}

impl BatchColumns {
    /// Adds the batch's rollup and returns the time of its earliest event (None when empty).
    fn push(&mut self, b: &Batch) -> Option<i64> {
        let first_ts = b.events.iter().map(|e| e.ts_ms).min()?;
        let pageviews = b
            .events
            .iter()
            .filter(|e| matches!(e.data, EventData::Pageview { .. }))
            .count();
        let user = b.events.iter().filter_map(|e| user_of(b, e)).max();
        self.len += 1;
        self.site.append_value(b.site.as_str());
        self.session_id.append_value(b.session.0 as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.user_id.append_option(user);
        self.bot.append_value(b.client.bot);
        self.ts.append_value(ms_to_us(first_ts));
        self.events
            .append_value(i32::try_from(b.events.len()).unwrap_or(i32::MAX));
        self.pageviews
            .append_value(i32::try_from(pageviews).unwrap_or(i32::MAX));
        Some(first_ts)
    }

    fn finish(mut self) -> Result<RecordBatch, StoreError> {
        finish_batch(vec![
            ("site", Arc::new(self.site.finish())),
            ("session_id", Arc::new(self.session_id.finish())),
            ("visitor_id", Arc::new(self.visitor_id.finish())),
            ("user_id", Arc::new(self.user_id.finish())),
            ("bot", Arc::new(self.bot.finish())),
            ("ts", Arc::new(self.ts.finish())),
            ("events", Arc::new(self.events.finish())),
            ("pageviews", Arc::new(self.pageviews.finish())),
        ])
    }
}

/// Column builders for the `items` table, in its column order.
#[derive(Default)]
struct ItemColumns {
    len: usize,
    site: StringBuilder,
    ts: TimestampMicrosecondBuilder,
    eid: Int64Builder,
    visitor_id: Int64Builder,
    session_id: Int64Builder,
    action: StringBuilder,
    transaction_id: StringBuilder,
    currency: StringBuilder,
    item_id: StringBuilder,
    item_name: StringBuilder,
    item_category: StringBuilder,
    item_brand: StringBuilder,
    item_variant: StringBuilder,
    price_minor: Int64Builder,
    quantity: Int64Builder,
}

impl ItemColumns {
    fn push(&mut self, b: &Batch, e: &Event, c: &Commerce, item: &Item) {
        self.len += 1;
        self.site.append_value(b.site.as_str());
        self.ts.append_value(ms_to_us(e.ts_ms));
        self.eid.append_value(e.eid as i64);
        self.visitor_id.append_value(b.visitor.0 as i64);
        self.session_id.append_value(b.session.0 as i64);
        self.action.append_value(c.action.as_str());
        self.transaction_id
            .append_option(c.transaction_id.as_deref());
        self.currency
            .append_option(c.currency.as_ref().map(|c| c.as_str()));
        self.item_id.append_value(&item.item_id);
        self.item_name.append_option(item.item_name.as_deref());
        self.item_category
            .append_option(item.item_category.as_deref());
        self.item_brand.append_option(item.item_brand.as_deref());
        self.item_variant
            .append_option(item.item_variant.as_deref());
        self.price_minor.append_option(item.price_minor);
        self.quantity.append_value(item.quantity);
    }

    fn finish(mut self) -> Result<RecordBatch, StoreError> {
        finish_batch(vec![
            ("site", Arc::new(self.site.finish())),
            ("ts", Arc::new(self.ts.finish())),
            ("eid", Arc::new(self.eid.finish())),
            ("visitor_id", Arc::new(self.visitor_id.finish())),
            ("session_id", Arc::new(self.session_id.finish())),
            ("action", Arc::new(self.action.finish())),
            ("transaction_id", Arc::new(self.transaction_id.finish())),
            ("currency", Arc::new(self.currency.finish())),
            ("item_id", Arc::new(self.item_id.finish())),
            ("item_name", Arc::new(self.item_name.finish())),
            ("item_category", Arc::new(self.item_category.finish())),
            ("item_brand", Arc::new(self.item_brand.finish())),
            ("item_variant", Arc::new(self.item_variant.finish())),
            ("price_minor", Arc::new(self.price_minor.finish())),
            ("quantity", Arc::new(self.quantity.finish())),
        ])
    }
}
