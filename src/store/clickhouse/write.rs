//! The ClickHouse write path: one append becomes a few large gzip'd `JSONEachRow` inserts, made
//! idempotent by keys every row carries.
//!
//! ClickHouse has no transactions, and a non-replicated MergeTree in 18.16 does not
//! de-duplicate a retried insert. So every row of an append carries `chunk`, the append's id
//! (derived from the node and the spool sequence number, so a retry of the same spool records
//! has the same id), and a row key unique within the chunk and table (`eid` for events, `row`,
//! the row's index in the append, elsewhere). When an insert fails in a way that leaves its
//! outcome unknown (a timeout, a reset connection, an error after part of the body was
//! written), the store remembers the chunk as *suspect*; the next append of the same chunk
//! first asks ClickHouse which row keys of that chunk already landed in each table and inserts
//! only the missing rows. The spool position is recorded last, so a chunk whose position is
//! recorded is complete.
//!
//! Memory: an append can hold half a million events (the writer reads up to 32 MB of spool
//! at once). Each row is serialised straight into its table's `JSONEachRow` text (borrowed
//! row structs, `serde_json::to_writer`), and per row only its key and where its line ends
//! are kept: that is all a suspect retry needs to re-send just the missing rows. (One
//! `serde_json::Value` per row, as before, took 2-3 GB for such an append.)
//!
//! Size of one insert: a table's rows go out in inserts of at most `max_rows` rows (100k by
//! default), so no single request body or server-side block grows with the append. All inserts
//! of an append share its chunk id; splitting changes nothing for the retry, which already
//! asks, for every table, which keys of the chunk landed, whatever subset that is. (An insert
//! below `max_insert_block_size`, 1M rows, is also written as one block, so it lands whole or
//! not at all.)
//!
//! The rows themselves are what the embedded store writes: events, items, one rollup row per
//! batch (`batches`) and one part per (append, session) (`session_parts`, the embedded store's
//! staging rows, computed by the same code), which reports merge at query time.

use std::collections::HashSet;
use std::ops::Range;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::client::{Client, ClientError, RowExt};
use crate::model::batch::path_of;
use crate::model::{Batch, EventData, EventKind};
use crate::store::rows::{
    KIND_COLUMNS, SessionPart, batch_user, detail, first_ts, identity_links, session_parts, user_of,
};

/// Rows per insert by default: far below ClickHouse's block size, and a body of a few MB.
pub const DEFAULT_MAX_INSERT_ROWS: usize = 100_000;

/// The rows of one append, per table, each row with its key within the chunk.
pub(super) struct ChunkRows {
    pub tables: Vec<TableRows>,
}

pub(super) struct TableRows {
    pub table: &'static str,
    /// The column holding each row's key within the chunk.
    pub key: &'static str,
    /// Every row as one `JSONEachRow` line (with its newline).
    body: Vec<u8>,
    /// Each row's key and the end of its line in `body` (it starts where the previous ends).
    rows: Vec<(i64, usize)>,
    pub min_ts: i64,
    pub max_ts: i64,
}

impl TableRows {
    fn new(table: &'static str, key: &'static str) -> TableRows {
        TableRows {
            table,
            key,
            body: Vec::new(),
            rows: Vec::new(),
            min_ts: i64::MAX,
            max_ts: i64::MIN,
        }
    }

    /// The key the next row pushed by position (`row` column) gets.
    fn next_index(&self) -> i64 {
        self.rows.len() as i64
    }

    /// Serialises `row` as the next line of the table's body.
    fn push<T: Serialize>(&mut self, ts: i64, key: i64, row: &T) -> Result<(), serde_json::Error> {
        let start = self.body.len();
        if let Err(e) = serde_json::to_writer(&mut self.body, row) {
            // Not expected for these structs (strings and numbers only); never leave half a line.
            self.body.truncate(start);
            return Err(e);
        }
        self.body.push(b'\n');
        self.min_ts = self.min_ts.min(ts);
        self.max_ts = self.max_ts.max(ts);
        self.rows.push((key, self.body.len()));
        Ok(())
    }

    /// The text of every row (tests).
    #[cfg(test)]
    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("<not UTF-8>")
    }
}

#[derive(Serialize)]
struct EventRow<'a> {
    site: &'a str,
    ts_ms: i64,
    eid: i64,
    visitor_id: i64,
    session_id: i64,
    user_id: Option<&'a str>,
    bot: u8,
    kind: &'a str,
    name: Option<&'a str>,
    path: &'a str,
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
    vw: Option<i32>,
    vh: Option<i32>,
    ex: Option<i16>,
    ey: Option<i16>,
    fixed: Option<u8>,
    dead: Option<u8>,
    chunk: u64,
}

#[derive(Serialize)]
struct ItemRow<'a> {
    site: &'a str,
    ts_ms: i64,
    eid: i64,
    visitor_id: i64,
    session_id: i64,
    action: &'a str,
    transaction_id: Option<&'a str>,
    currency: Option<&'a str>,
    item_id: &'a str,
    item_name: Option<&'a str>,
    item_category: Option<&'a str>,
    item_brand: Option<&'a str>,
    item_variant: Option<&'a str>,
    price_minor: Option<i64>,
    quantity: i64,
    chunk: u64,
    row: i64,
}

#[derive(Serialize)]
struct IdentityRow<'a> {
    site: &'a str,
    visitor_id: i64,
    user_id: &'a str,
    ts_ms: i64,
    chunk: u64,
    row: i64,
}

/// The `batches` row of a batch. The embedded store dropped `last_ts`, `engaged_ms`,
/// `entry_page` and `exit_page` from its `batches` (migration 6) because no report reads them;
/// ClickHouse still writes them (its schema has no migration after version 1 in cluster mode).
#[derive(Serialize)]
struct RollupRow<'a> {
    site: &'a str,
    session_id: i64,
    visitor_id: i64,
    user_id: Option<&'a str>,
    bot: u8,
    ts_ms: i64,
    last_ts_ms: i64,
    events: i64,
    pageviews: i64,
    engaged_ms: i64,
    entry_page: Option<&'a str>,
    exit_page: Option<&'a str>,
    chunk: u64,
    row: i64,
}

/// The `session_parts` row of one append's part of a session.
#[derive(Serialize)]
struct SessionRow<'a> {
    site: &'a str,
    session_id: i64,
    visitor_id: i64,
    user_id: Option<&'a str>,
    bot: u8,
    ts_ms: i64,
    last_ts_ms: i64,
    events: i64,
    pageviews: i64,
    clicks: i64,
    engaged_ms: i64,
    max_depth: Option<i16>,
    entry_ts_ms: Option<i64>,
    entry_page: Option<&'a str>,
    exit_ts_ms: Option<i64>,
    exit_page: Option<&'a str>,
    browser: &'a str,
    browser_version: &'a str,
    os: &'a str,
    device: &'a str,
    country: Option<&'a str>,
    ip: Option<&'a str>,
    screen_w: Option<i32>,
    screen_h: Option<i32>,
    language: Option<&'a str>,
    referrer_host: Option<&'a str>,
    source: Option<&'a str>,
    medium: Option<&'a str>,
    utm_source: Option<&'a str>,
    utm_medium: Option<&'a str>,
    utm_campaign: Option<&'a str>,
    utm_term: Option<&'a str>,
    utm_content: Option<&'a str>,
    #[serde(flatten)]
    kinds: KindCounts<'a>,
    chunk: u64,
    row: i64,
}

/// The per-kind count columns (`n_move` ...), named by `KIND_COLUMNS`.
struct KindCounts<'a>(&'a [i64; EventKind::ALL.len()]);

impl Serialize for KindCounts<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(KIND_COLUMNS.len()))?;
        for (name, kind) in KIND_COLUMNS {
            map.serialize_entry(name, &self.0[kind])?;
        }
        map.end()
    }
}

/// Builds every row an append writes.
pub(super) fn rows(batches: &[Batch], chunk: u64) -> Result<ChunkRows, serde_json::Error> {
    let mut events = TableRows::new("events", "eid");
    let mut items = TableRows::new("items", "row");
    let mut rollups = TableRows::new("batches", "row");
    let mut sessions = TableRows::new("session_parts", "row");
    let mut identities = TableRows::new("identities", "row");

    let parts = session_parts(batches);
    for b in batches {
        let Some(first_ts) = first_ts(b) else {
            continue;
        };
        let row = rollups.next_index();
        rollups.push(first_ts, row, &batch_rollup(b, first_ts, chunk, row))?;
        for e in &b.events {
            let d = detail(&e.data);
            let user = user_of(b, e);
            events.push(
                e.ts_ms,
                e.eid as i64,
                &EventRow {
                    site: b.site.as_str(),
                    ts_ms: e.ts_ms,
                    eid: e.eid as i64,
                    visitor_id: b.visitor.0 as i64,
                    session_id: b.session.0 as i64,
                    user_id: user,
                    bot: u8::from(b.client.bot),
                    kind: e.data.kind().as_str(),
                    name: d.name,
                    path: path_of(&e.url),
                    url: d.url,
                    title: d.title,
                    referrer: d.referrer,
                    x: d.x,
                    y: d.y,
                    page_y: d.page_y,
                    depth: d.depth,
                    target: d.target,
                    label: d.label,
                    props: d.props,
                    value_minor: d.value_minor,
                    currency: d.currency,
                    transaction_id: d.transaction_id,
                    duration_ms: d.duration_ms,
                    vw: d.vw,
                    vh: d.vh,
                    ex: d.ex,
                    ey: d.ey,
                    fixed: d.fixed.map(u8::from),
                    dead: d.dead.map(u8::from),
                    chunk,
                },
            )?;
            if let EventData::Commerce(c) = &e.data {
                for item in &c.items {
                    let row = items.next_index();
                    items.push(
                        e.ts_ms,
                        row,
                        &ItemRow {
                            site: b.site.as_str(),
                            ts_ms: e.ts_ms,
                            eid: e.eid as i64,
                            visitor_id: b.visitor.0 as i64,
                            session_id: b.session.0 as i64,
                            action: c.action.as_str(),
                            transaction_id: c.transaction_id.as_deref(),
                            currency: c.currency.as_ref().map(|c| c.as_str()),
                            item_id: &item.item_id,
                            item_name: item.item_name.as_deref(),
                            item_category: item.item_category.as_deref(),
                            item_brand: item.item_brand.as_deref(),
                            item_variant: item.item_variant.as_deref(),
                            price_minor: item.price_minor,
                            quantity: item.quantity,
                            chunk,
                            row,
                        },
                    )?;
                }
            }
        }
    }
    // Sessions in a stable order, so a retry numbers its rows the same way.
    let mut parts: Vec<SessionPart<'_>> = parts.into_values().collect();
    parts.sort_by_key(|p| (p.batch.site.as_str(), p.batch.session.0));
    for part in &parts {
        let row = sessions.next_index();
        sessions.push(part.ts, row, &session_part(part, chunk, row))?;
    }
    let links = identity_links(
        batches
            .iter()
            .flat_map(|b| b.events.iter().map(move |e| (b, e))),
    );
    for (site, visitor_id, user_id, ts_ms) in links {
        let row = identities.next_index();
        identities.push(
            ts_ms,
            row,
            &IdentityRow {
                site,
                visitor_id,
                user_id,
                ts_ms,
                chunk,
                row,
            },
        )?;
    }
    Ok(ChunkRows {
        tables: vec![events, items, identities, rollups, sessions],
    })
}

fn batch_rollup(b: &Batch, first_ts: i64, chunk: u64, row: i64) -> RollupRow<'_> {
    let last_ts = b.events.iter().map(|e| e.ts_ms).max().unwrap_or(first_ts);
    let mut pageviews: Vec<(i64, &str)> = b
        .events
        .iter()
        .filter(|e| matches!(e.data, EventData::Pageview { .. }))
        .map(|e| (e.ts_ms, path_of(&e.url)))
        .collect();
    pageviews.sort();
    let engaged: i64 = b
        .events
        .iter()
        .map(|e| match e.data {
            EventData::Engagement { engaged_ms } => engaged_ms,
            _ => 0,
        })
        .sum();
    RollupRow {
        site: b.site.as_str(),
        session_id: b.session.0 as i64,
        visitor_id: b.visitor.0 as i64,
        user_id: batch_user(b),
        bot: u8::from(b.client.bot),
        ts_ms: first_ts,
        last_ts_ms: last_ts,
        events: b.events.len() as i64,
        pageviews: pageviews.len() as i64,
        engaged_ms: engaged,
        entry_page: pageviews.first().map(|p| p.1),
        exit_page: pageviews.last().map(|p| p.1),
        chunk,
        row,
    }
}

fn session_part<'a>(part: &'a SessionPart<'a>, chunk: u64, row: i64) -> SessionRow<'a> {
    let b = part.batch;
    let (c, s) = (&b.client, &b.source);
    SessionRow {
        site: b.site.as_str(),
        session_id: b.session.0 as i64,
        visitor_id: b.visitor.0 as i64,
        user_id: part.user,
        bot: u8::from(c.bot),
        ts_ms: part.ts,
        last_ts_ms: part.last_ts,
        events: part.events,
        pageviews: part.pageviews,
        clicks: part.clicks,
        engaged_ms: part.engaged_ms,
        max_depth: part.max_depth,
        entry_ts_ms: part.entry.map(|p| p.0),
        entry_page: part.entry.map(|p| p.1),
        exit_ts_ms: part.exit.map(|p| p.0),
        exit_page: part.exit.map(|p| p.1),
        browser: &c.browser,
        browser_version: &c.browser_version,
        os: &c.os,
        device: c.device.as_str(),
        country: c.country.as_deref(),
        ip: c.ip.as_deref(),
        screen_w: c.screen_width,
        screen_h: c.screen_height,
        language: c.language.as_deref(),
        referrer_host: s.referrer_host.as_deref(),
        source: s.source.as_deref(),
        medium: s.medium.as_deref(),
        utm_source: s.utm_source.as_deref(),
        utm_medium: s.utm_medium.as_deref(),
        utm_campaign: s.utm_campaign.as_deref(),
        utm_term: s.utm_term.as_deref(),
        utm_content: s.utm_content.as_deref(),
        kinds: KindCounts(&part.kinds),
        chunk,
        row,
    }
}

/// The row keys of `chunk` already stored in a table (asked after an unknown outcome).
fn landed(client: &Client, t: &TableRows, chunk: u64) -> Result<HashSet<i64>, ClientError> {
    let rows = client.query(&format!(
        "SELECT {key} FROM {table} WHERE chunk = {chunk} AND ts_ms >= {min} AND ts_ms <= {max}",
        key = t.key,
        table = t.table,
        min = t.min_ts,
        max = t.max_ts,
    ))?;
    rows.0.iter().map(|r| r.at(0)?.i64()).collect()
}

/// The lines of the rows still to send, as groups of at most `max_rows` rows, each group a
/// list of byte ranges of the body (neighbouring rows joined into one range).
fn groups(t: &TableRows, done: &HashSet<i64>, max_rows: usize) -> Vec<Vec<Range<usize>>> {
    let max_rows = max_rows.max(1);
    let mut out: Vec<Vec<Range<usize>>> = Vec::new();
    let mut current: Vec<Range<usize>> = Vec::new();
    let mut in_current = 0;
    let mut start = 0;
    for &(key, end) in &t.rows {
        if !done.contains(&key) {
            match current.last_mut() {
                Some(r) if r.end == start => r.end = end,
                _ => current.push(start..end),
            }
            in_current += 1;
            if in_current == max_rows {
                out.push(std::mem::take(&mut current));
                in_current = 0;
            }
        }
        start = end;
    }
    if in_current > 0 {
        out.push(current);
    }
    out
}

/// Inserts the chunk's rows, at most `max_rows` per insert; with `suspect`, only those not
/// already stored. Returns the number of rows skipped because they had landed before.
pub(super) fn insert(
    client: &Client,
    chunk: &ChunkRows,
    id: u64,
    suspect: bool,
    max_rows: usize,
) -> Result<usize, ClientError> {
    let mut skipped = 0;
    for t in &chunk.tables {
        if t.rows.is_empty() {
            continue;
        }
        let done = if suspect {
            landed(client, t, id)?
        } else {
            HashSet::new()
        };
        skipped += done.len();
        for group in groups(t, &done, max_rows) {
            client.insert_lines(t.table, group.into_iter().map(|r| &t.body[r]))?;
        }
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClientInfo, Event, SessionId, SiteId, TrafficSource, VisitorId};
    use serde_json::{Value, json};

    /// Quotes, backslashes, every control character, DEL, non-ASCII and astral-plane text.
    fn nasty() -> String {
        let mut s = String::from("it's a \"title\" \\ back\\slash / é€😀 \u{7f}\u{2028}");
        s.extend((0u8..0x20).map(char::from));
        s
    }

    fn batch() -> Batch {
        let s = SiteId::parse("demo").expect("site id");
        Batch {
            visitor: VisitorId::from_client(&s, "v"),
            session: SessionId::from_client(&s, "s"),
            site: s,
            user_id: Some(nasty()),
            received_ms: 1_000,
            client: ClientInfo {
                browser: nasty(),
                ..ClientInfo::default()
            },
            source: TrafficSource {
                utm_campaign: Some(nasty()),
                ..TrafficSource::default()
            },
            events: vec![
                Event {
                    eid: u64::MAX - 1,
                    ts_ms: 1_000,
                    url: format!("https://shop.example/{}", nasty()),
                    data: EventData::Pageview {
                        url: format!("https://shop.example/{}", nasty()),
                        title: Some(nasty()),
                        referrer: None,
                    },
                },
                Event {
                    eid: 7,
                    ts_ms: 1_001,
                    url: "https://shop.example/".into(),
                    data: EventData::Custom {
                        name: nasty(),
                        props: Some(r#"{"k":"v\"w"}"#.into()),
                    },
                },
            ],
        }
    }

    #[test]
    fn rows_are_written_exactly_as_serde_json_writes_them() {
        let b = batch();
        let chunk = rows(std::slice::from_ref(&b), 42).expect("rows serialise");
        let events = &chunk.tables[0];
        let lines: Vec<&str> = events.text().lines().collect();
        assert_eq!(lines.len(), 2);
        // Byte for byte what serde_json writes for the same values, in column order.
        let e = &b.events[0];
        let expected = format!(
            "{{\"site\":\"demo\",\"ts_ms\":1000,\"eid\":{eid},\"visitor_id\":{v},\"session_id\":{s},\
             \"user_id\":{user},\"bot\":0,\"kind\":\"pageview\",\"name\":null,\"path\":{path},\
             \"url\":{url},\"title\":{title},\"referrer\":null,\"x\":null,\"y\":null,\"page_y\":null,\
             \"depth\":null,\"target\":null,\"label\":null,\"props\":null,\"value_minor\":null,\
             \"currency\":null,\"transaction_id\":null,\"duration_ms\":null,\"vw\":null,\"vh\":null,\
             \"ex\":null,\"ey\":null,\"fixed\":null,\"dead\":null,\"chunk\":42}}",
            eid = e.eid as i64,
            v = b.visitor.0 as i64,
            s = b.session.0 as i64,
            user = serde_json::to_string(&nasty()).expect("json"),
            path = serde_json::to_string(path_of(&e.url)).expect("json"),
            url = serde_json::to_string(&e.url).expect("json"),
            title = serde_json::to_string(&nasty()).expect("json"),
        );
        assert_eq!(lines[0], expected);
        // The escapes themselves: JSON's short forms, \u00XX for the other control bytes, and
        // UTF-8 (not \u escapes) for everything else.
        for escaped in [
            r#"it's a \"title\" \\ back\\slash"#,
            r"\u0000\u0001",
            r"\b\t\n\u000b\f\r",
        ] {
            assert!(lines[0].contains(escaped), "{escaped} in {}", lines[0]);
        }
        assert!(lines[0].contains("é€😀 \u{7f}\u{2028}"));
        assert!(
            !lines[0].bytes().any(|c| c < 0x20),
            "no raw control byte in a line"
        );
        // Every line reads back as the values written.
        let custom: Value = serde_json::from_str(lines[1]).expect("a JSON line");
        assert_eq!(custom["name"], json!(nasty()));
        assert_eq!(custom["props"], json!(r#"{"k":"v\"w"}"#));
        assert_eq!(custom["eid"], json!(7));

        // Session parts carry the per-kind counts next to the named columns.
        let sessions = chunk
            .tables
            .iter()
            .find(|t| t.table == "session_parts")
            .expect("session parts");
        let part: Value = serde_json::from_str(sessions.text().trim_end()).expect("a JSON line");
        assert_eq!(part["browser"], json!(nasty()));
        assert_eq!(part["utm_campaign"], json!(nasty()));
        assert_eq!(part["n_custom"], json!(1));
        assert_eq!(part["n_move"], json!(0));
        assert_eq!(
            (part["chunk"].clone(), part["row"].clone()),
            (json!(42), json!(0))
        );
        let identities = chunk
            .tables
            .iter()
            .find(|t| t.table == "identities")
            .expect("identities");
        assert_eq!(identities.rows.len(), 1);
    }

    #[test]
    fn inserts_are_cut_into_groups_of_rows_that_skip_landed_ones() {
        let b = batch();
        let chunk = rows(std::slice::from_ref(&b), 1).expect("rows serialise");
        let events = &chunk.tables[0];
        let all = groups(events, &HashSet::new(), 100);
        assert_eq!(all, vec![vec![0..events.body.len()]], "neighbours join");
        let one_each = groups(events, &HashSet::new(), 1);
        assert_eq!(one_each.len(), 2);
        let first_landed = groups(events, &HashSet::from([(u64::MAX - 1) as i64]), 100);
        assert_eq!(
            first_landed,
            vec![vec![events.rows[0].1..events.body.len()]]
        );
        assert!(groups(events, &HashSet::from([(u64::MAX - 1) as i64, 7]), 100).is_empty());
    }
}
