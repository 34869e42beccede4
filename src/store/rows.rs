//! The rows both stores derive from a batch, before any database sees them: the
//! kind-specific columns of an event ([`detail`]), the user an event belongs to
//! ([`user_of`]), one append's part of each session ([`SessionPart`], which DuckDB stages
//! and merges and ClickHouse stores as `session_parts`), and the identity links an append
//! adds.
//!
//! Computing them once here, not in each backend, is what keeps the two stores' figures the
//! same: a session's counts, entry page or user cannot be derived differently by one of them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::model::batch::path_of;
use crate::model::{Batch, ElementOffset, Event, EventData, EventKind};

/// The kind-specific columns of one event.
#[derive(Default)]
pub(super) struct Detail<'a> {
    pub(super) name: Option<&'a str>,
    pub(super) url: Option<&'a str>,
    pub(super) title: Option<&'a str>,
    pub(super) referrer: Option<&'a str>,
    pub(super) x: Option<i32>,
    pub(super) y: Option<i32>,
    pub(super) page_y: Option<i32>,
    pub(super) depth: Option<i16>,
    pub(super) target: Option<&'a str>,
    pub(super) label: Option<&'a str>,
    pub(super) props: Option<&'a str>,
    pub(super) value_minor: Option<i64>,
    pub(super) currency: Option<&'a str>,
    pub(super) transaction_id: Option<&'a str>,
    pub(super) duration_ms: Option<i64>,
    /// Viewport width (clicks, moves) and height (clicks, scrolls).
    pub(super) vw: Option<i32>,
    pub(super) vh: Option<i32>,
    /// A click's position inside its element, thousandths of the box (`ElementOffset`).
    pub(super) ex: Option<i16>,
    pub(super) ey: Option<i16>,
    /// Clicks: in a fixed or sticky ancestor; dead (no answer).
    pub(super) fixed: Option<bool>,
    pub(super) dead: Option<bool>,
}

pub(super) fn detail(data: &EventData) -> Detail<'_> {
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
            offset,
            viewport,
            fixed,
            dead,
        } => Detail {
            x: Some(*x),
            y: Some(*y),
            page_y: *page_y,
            target: Some(selector),
            label: text.as_deref(),
            vw: viewport.map(|v| v.width),
            vh: viewport.map(|v| v.height),
            // At most 1000 (`ElementOffset::MAX`): always an i16.
            ex: offset.map(|o| o.x.min(ElementOffset::MAX) as i16),
            ey: offset.map(|o| o.y.min(ElementOffset::MAX) as i16),
            fixed: Some(*fixed),
            dead: Some(*dead),
            ..Detail::default()
        },
        EventData::Move {
            x,
            y,
            page_y,
            viewport_width,
        } => Detail {
            x: Some(*x),
            y: Some(*y),
            page_y: *page_y,
            vw: *viewport_width,
            ..Detail::default()
        },
        EventData::Scroll {
            x,
            y,
            depth_pct,
            viewport_height,
        } => Detail {
            x: Some(*x),
            y: Some(*y),
            depth: depth_pct.map(i16::from),
            vh: *viewport_height,
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
        EventData::Error {
            message,
            source,
            line,
            column,
        } => Detail {
            label: Some(message),
            target: source.as_deref(),
            x: *line,
            y: *column,
            ..Detail::default()
        },
    }
}

/// The user an event belongs to: an identify event names the user it announces; other events
/// carry the batch's user.
pub(super) fn user_of<'a>(b: &'a Batch, e: &'a Event) -> Option<&'a str> {
    match &e.data {
        EventData::Identify { user_id, .. } => Some(user_id.as_str()),
        _ => b.user_id.as_deref(),
    }
}

/// One append's contribution to a session: what its batches say, merged into the stored
/// row by [`merge_sessions`].
pub(super) struct SessionPart<'a> {
    pub(super) batch: &'a Batch, // the earliest batch: visitor, bot and attributes
    pub(super) ts: i64,
    pub(super) last_ts: i64,
    pub(super) user: Option<&'a str>,
    pub(super) events: i64,
    pub(super) pageviews: i64,
    pub(super) clicks: i64,
    pub(super) engaged_ms: i64,
    pub(super) max_depth: Option<i16>,
    pub(super) entry: Option<(i64, &'a str)>,
    pub(super) exit: Option<(i64, &'a str)>,
    /// Events per kind, indexed like `EventKind::ALL`.
    pub(super) kinds: [i64; EventKind::ALL.len()],
}

/// The `sessions` count columns of the kinds without a column of their own, in table order,
/// with the kind's index in `EventKind::ALL`.
pub(super) const KIND_COLUMNS: [(&str, usize); 13] = [
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
    ("n_error", 14),
];

impl<'a> SessionPart<'a> {
    pub(super) fn of(b: &'a Batch, first_ts: i64) -> SessionPart<'a> {
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

    pub(super) fn absorb(&mut self, other: SessionPart<'a>) {
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

/// The time of a batch's earliest event (None for a batch without events, which adds no rows).
pub(super) fn first_ts(b: &Batch) -> Option<i64> {
    b.events.iter().map(|e| e.ts_ms).min()
}

/// The user of a batch as a whole: the greatest user any of its events belongs to.
pub(super) fn batch_user(b: &Batch) -> Option<&str> {
    b.events.iter().filter_map(|e| user_of(b, e)).max()
}

/// Each session's part of an append, keyed by (site, session id): the parts of the batches
/// of one session absorbed into one.
pub(super) fn session_parts(batches: &[Batch]) -> HashMap<(&str, u64), SessionPart<'_>> {
    let mut parts: HashMap<(&str, u64), SessionPart<'_>> = HashMap::new();
    for b in batches {
        let Some(first_ts) = first_ts(b) else {
            continue;
        };
        let part = SessionPart::of(b, first_ts);
        match parts.entry((b.site.as_str(), b.session.0)) {
            Entry::Occupied(mut e) => e.get_mut().absorb(part),
            Entry::Vacant(e) => {
                e.insert(part);
            }
        }
    }
    parts
}

/// One identity link: (site, visitor id, user id, time of the first event that showed it).
pub(super) type IdentityLink<'a> = (&'a str, i64, &'a str, i64);

/// The identity links of these events: the first event of each (site, visitor, user) in
/// them, sorted.
pub(super) fn identity_links<'a>(
    events: impl Iterator<Item = (&'a Batch, &'a Event)>,
) -> Vec<IdentityLink<'a>> {
    let mut links: Vec<IdentityLink<'a>> = events
        .filter_map(|(b, e)| {
            user_of(b, e).map(|user| (b.site.as_str(), b.visitor.0 as i64, user, e.ts_ms))
        })
        .collect();
    links.sort();
    links.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
    links
}
