//! userBehaviour.js `results` payloads (versions 1.1-1.3), parsed into typed events.
//!
//! Sites that already embed the MIT-licensed userBehaviour.js post its `results` object to
//! `/api/track-behavior/` and must keep working unchanged (see
//! `shared/formats/userbehaviour-js.md`). The library sends positional arrays with no ids, no
//! site, no session and no page; this module maps each entry to an [`EventData`] and leaves
//! identity, site and content-based event ids to the caller.
//!
//! Accepted bodies: the bare `results` object, or an envelope
//! `{"site", "visitor_id", "session_id", "user_id", "url", "referrer", "title", "results": {...}}`
//! (every envelope key optional, unknown keys ignored). A body is an envelope exactly when it has
//! a `results` key. The whole body is refused only when it is not JSON, not an object, or its
//! `results` is not an object; everything else degrades entry by entry:
//! a malformed entry is dropped into [`ParsedBatch::rejected`] with its path
//! (`clicks.clickDetails[2]`), and an envelope or `userInfo`/`time` field of the wrong shape is
//! ignored and listed in [`ParsedBatch::ignored_fields`] (`session_id`, `userInfo.windowSize`).
//! Envelope ids (`visitor_id`, `session_id`, `user_id`) may be JSON integers, as server-side
//! templates often print them; they become their decimal text.
//!
//! Mapping decisions:
//! - `clickCount` is ignored (the array is the truth); `contextChange` is ignored.
//! - click `page_y` is `y` plus the `scrollY` of the nearest scroll sample at or before the
//!   click in the same batch, else `None`; `selector` is the library's path (cut to its last
//!   [`MAX_SELECTOR_CHARS`] characters), `text` is `None`.
//! - `keyboardActivities` become [`EventData::Key`] with the key's class *and* `raw: Some(key)`:
//!   the caller must strip `raw` unless the site opted in to raw keys (the library records
//!   password fields too).
//! - `navigationHistory` becomes pageviews; an entry with the same href as the previous entry
//!   within [`NAV_DEDUP_MS`] is dropped (1.3 records every `pushState` twice).
//! - a `formInteractions` name of `""`, `null` or `{}` (a form whose `name` property is shadowed
//!   by an input called "name") becomes the empty form name `""`, meaning unnamed.
//! - events are returned sorted by time (stable; a pageview first among equal times). An event's
//!   `url` is the envelope `url` until the first navigation, then the href of the latest
//!   navigation at or before its time.
//! - every `client_id` is `None`.
//! - `time.startTime` (non-zero only in a page's first batch) becomes
//!   [`ParsedBatch::page_start_ms`]: the library reports no landing pageview, the caller adds it.

use serde_json::{Map, Value};

use super::wire::{
    self, Fields, MAX_KEY_CHARS, MAX_NAME_CHARS, MAX_SELECTOR_CHARS, MAX_TITLE_CHARS,
    MAX_UBJS_ENTRIES, MAX_USER_AGENT_CHARS, ParsedBatch, ParsedEvent, Rejection, WireError,
    type_name,
};
use crate::model::{EventData, FormAction, KeyClass, MediaAction, TouchAction};

/// Two navigation entries to the same href at most this far apart are one pageview.
pub const NAV_DEDUP_MS: i64 = 50;

/// The `results` keys holding arrays of entries (besides `clicks.clickDetails`).
const ENTRY_ARRAYS: [&str; 9] = [
    "mouseMovements",
    "mouseScroll",
    "keyboardActivities",
    "navigationHistory",
    "formInteractions",
    "touchEvents",
    "mediaInteractions",
    "windowSizes",
    "visibilitychanges",
];

/// An event before sorting and url assignment.
struct Pending {
    ts_ms: i64,
    data: EventData,
}

impl Pending {
    fn is_pageview(&self) -> bool {
        matches!(self.data, EventData::Pageview { .. })
    }
}

/// Parses a userBehaviour.js body: bare `results` or an envelope around it.
pub fn parse(body: &[u8]) -> Result<ParsedBatch, WireError> {
    let root = wire::parse_json(body)?;
    let Value::Object(top) = &root else {
        return Err(WireError::NotObject {
            found: type_name(&root),
        });
    };
    let mut out = ParsedBatch::default();
    let results = match top.get("results") {
        None => top,
        Some(Value::Object(results)) => {
            envelope(top, &mut out);
            results
        }
        Some(other) => {
            return Err(WireError::InvalidField {
                field: "results".into(),
                reason: format!("must be an object, got {}", type_name(other)),
            });
        }
    };

    let count = count_entries(results);
    if count > MAX_UBJS_ENTRIES {
        return Err(WireError::TooManyEvents {
            count,
            max: MAX_UBJS_ENTRIES,
            unit: "entries",
        });
    }

    context(results, &mut out);
    let mut rejected = Vec::new();
    // All shape checks first, then the conversions: the order `rejected` lists them in.
    let clicks = click_entries(results, &mut rejected);
    let mut entries =
        |key: &str, names: &[&str]| tuples(results.get(key), key, names, &mut rejected);
    let scrolls = entries("mouseScroll", &["scrollX", "scrollY", "ts"]);
    let moves = entries("mouseMovements", &["x", "y", "ts"]);
    let keys = entries("keyboardActivities", &["key", "ts"]);
    let navs = entries("navigationHistory", &["href", "ts"]);
    let forms = entries("formInteractions", &["name", "ts"]);
    let touches = entries("touchEvents", &["type", "x", "y", "ts"]);
    let media = entries("mediaInteractions", &["action", "src", "ts"]);
    let sizes = entries("windowSizes", &["width", "height", "ts"]);
    let visibility = entries("visibilitychanges", &["state", "ts"]);

    // Scrolls first: clicks look up the scroll offset in force when they happened.
    let mut pending = convert(scrolls, scroll, &mut rejected);
    let scroll_ys = scroll_offsets(&pending);
    pending.extend(convert(clicks, |e| click(e, &scroll_ys), &mut rejected));
    pending.extend(convert(moves, pointer_move, &mut rejected));
    pending.extend(convert(keys, key, &mut rejected));
    pending.extend(distinct_pageviews(convert(navs, navigation, &mut rejected)));
    pending.extend(convert(forms, form_submit, &mut rejected));
    pending.extend(convert(touches, touch, &mut rejected));
    pending.extend(convert(media, media_interaction, &mut rejected));
    pending.extend(convert(sizes, resize, &mut rejected));
    pending.extend(convert(visibility, visibility_change, &mut rejected));

    out.events = in_time_order(pending, out.page_url.clone());
    out.rejected = rejected;
    Ok(out)
}

/// Converts each entry by `f`, keeping the ones it accepts and recording why the others were
/// dropped.
fn convert<'a, T>(
    entries: Vec<(String, &'a [Value])>,
    f: impl Fn(&'a [Value]) -> Result<T, String>,
    rejected: &mut Vec<Rejection>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(entries.len());
    for (path, e) in entries {
        match f(e) {
            Ok(converted) => out.push(converted),
            Err(reason) => rejected.push(Rejection { path, reason }),
        }
    }
    out
}

/// `mouseScroll`: `[scrollX, scrollY, ts]`.
fn scroll(e: &[Value]) -> Result<Pending, String> {
    let x = el(e, 0, "scrollX", wire::coord)?;
    let y = el(e, 1, "scrollY", wire::coord)?;
    Ok(Pending {
        ts_ms: el(e, 2, "ts", wire::epoch_ms)?,
        data: EventData::Scroll {
            x,
            y,
            depth_pct: None,
            viewport_height: None,
        },
    })
}

/// The `(ts, scrollY)` of every scroll in `pending`, by time. Stable: among samples with the
/// same time the later one in the array stays last, and [`click`] takes the last.
fn scroll_offsets(pending: &[Pending]) -> Vec<(i64, i32)> {
    let mut offsets: Vec<(i64, i32)> = pending
        .iter()
        .filter_map(|p| match p.data {
            EventData::Scroll { y, .. } => Some((p.ts_ms, y)),
            _ => None,
        })
        .collect();
    offsets.sort_by_key(|&(ts, _)| ts);
    offsets
}

/// `clicks.clickDetails`: `[x, y, path, ts]`; `page_y` adds the scroll offset in force at the
/// click, from `scroll_ys` (see [`scroll_offsets`]).
fn click(e: &[Value], scroll_ys: &[(i64, i32)]) -> Result<Pending, String> {
    let x = el(e, 0, "x", wire::coord)?;
    let y = el(e, 1, "y", wire::coord)?;
    let selector = el(e, 2, "path", wire::string)?;
    let ts_ms = el(e, 3, "ts", wire::epoch_ms)?;
    let before = scroll_ys.partition_point(|&(ts, _)| ts <= ts_ms);
    let page_y = before
        .checked_sub(1)
        .and_then(|i| scroll_ys.get(i))
        .map(|&(_, scroll_y)| scroll_y.saturating_add(y));
    Ok(Pending {
        ts_ms,
        data: EventData::Click {
            x,
            y,
            page_y,
            selector: wire::last_chars(selector, MAX_SELECTOR_CHARS).to_owned(),
            text: None,
            offset: None,
            viewport: None,
            fixed: false,
            dead: false,
        },
    })
}

/// `mouseMovements`: `[x, y, ts]`.
fn pointer_move(e: &[Value]) -> Result<Pending, String> {
    let x = el(e, 0, "x", wire::coord)?;
    let y = el(e, 1, "y", wire::coord)?;
    Ok(Pending {
        ts_ms: el(e, 2, "ts", wire::epoch_ms)?,
        data: EventData::Move {
            x,
            y,
            page_y: None,
            viewport_width: None,
        },
    })
}

/// `keyboardActivities`: `[key, ts]`, the raw `KeyboardEvent.key`.
fn key(e: &[Value]) -> Result<Pending, String> {
    let key = el(e, 0, "key", wire::string)?;
    let n = key.chars().count();
    if n > MAX_KEY_CHARS {
        return Err(format!(
            "key must be at most {MAX_KEY_CHARS} characters, got {n}"
        ));
    }
    Ok(Pending {
        ts_ms: el(e, 1, "ts", wire::epoch_ms)?,
        // `raw` is kept here; the caller strips it unless the site opted in.
        data: EventData::Key {
            class: KeyClass::of(key),
            raw: Some(key.to_owned()),
        },
    })
}

/// `navigationHistory`: `[href, ts]`, as `(ts, href)` for [`distinct_pageviews`].
fn navigation(e: &[Value]) -> Result<(i64, String), String> {
    let href = el(e, 0, "href", wire::url)?;
    if href.is_empty() {
        return Err("href must not be empty".to_owned());
    }
    Ok((el(e, 1, "ts", wire::epoch_ms)?, href))
}

/// The navigations as pageviews, by time, without the repeats: an entry with the previous
/// entry's href within [`NAV_DEDUP_MS`] of it is the same navigation recorded twice.
fn distinct_pageviews(mut navs: Vec<(i64, String)>) -> Vec<Pending> {
    navs.sort_by_key(|(ts, _)| *ts);
    let mut pageviews = Vec::with_capacity(navs.len());
    let mut previous: Option<(i64, &str)> = None;
    for (ts_ms, href) in &navs {
        let repeat = previous.is_some_and(|(prev_ts, prev_href)| {
            prev_href == href && ts_ms - prev_ts <= NAV_DEDUP_MS
        });
        previous = Some((*ts_ms, href));
        if !repeat {
            pageviews.push(Pending {
                ts_ms: *ts_ms,
                data: EventData::Pageview {
                    url: href.clone(),
                    title: None,
                    referrer: None,
                },
            });
        }
    }
    pageviews
}

/// `formInteractions`: `[formName, ts]`, a submit.
fn form_submit(e: &[Value]) -> Result<Pending, String> {
    let form = el(e, 0, "name", |v| match v {
        Value::String(s) => Ok(wire::truncate_chars(s, MAX_NAME_CHARS).to_owned()),
        // `{}`: form.name shadowed by an input named "name"; null: no name at all.
        Value::Object(_) | Value::Null => Ok(String::new()),
        other => Err(format!(
            "must be a string or an object, got {}",
            type_name(other)
        )),
    })?;
    Ok(Pending {
        ts_ms: el(e, 1, "ts", wire::epoch_ms)?,
        data: EventData::Form {
            action: FormAction::Submit,
            form,
            field: None,
        },
    })
}

/// `touchEvents`: `["touchstart", x, y, ts]`, the first touch point.
fn touch(e: &[Value]) -> Result<Pending, String> {
    let action = el(e, 0, "type", |v| match wire::string(v)? {
        "touchstart" => Ok(TouchAction::Start),
        other => Err(format!(
            "must be \"touchstart\", got {:?}",
            wire::truncate_chars(other, 32)
        )),
    })?;
    let x = el(e, 1, "x", wire::coord)?;
    let y = el(e, 2, "y", wire::coord)?;
    Ok(Pending {
        ts_ms: el(e, 3, "ts", wire::epoch_ms)?,
        data: EventData::Touch { action, x, y },
    })
}

/// `mediaInteractions`: `[action, src, ts]`; the library records `play`, and the other media
/// actions are accepted too.
fn media_interaction(e: &[Value]) -> Result<Pending, String> {
    let action = el(e, 0, "action", |v| {
        wire::one_of(&MediaAction::ALL, MediaAction::as_str, v)
    })?;
    let src = el(e, 1, "src", wire::url)?;
    Ok(Pending {
        ts_ms: el(e, 2, "ts", wire::epoch_ms)?,
        data: EventData::Media {
            action,
            src,
            position_ms: None,
        },
    })
}

/// `windowSizes`: `[width, height, ts]`.
fn resize(e: &[Value]) -> Result<Pending, String> {
    let width = el(e, 0, "width", wire::size)?;
    let height = el(e, 1, "height", wire::size)?;
    Ok(Pending {
        ts_ms: el(e, 2, "ts", wire::epoch_ms)?,
        data: EventData::Resize { width, height },
    })
}

/// `visibilitychanges`: `["hidden" | "visible", ts]`.
fn visibility_change(e: &[Value]) -> Result<Pending, String> {
    let visible = el(e, 0, "state", |v| match wire::string(v)? {
        "visible" => Ok(true),
        "hidden" => Ok(false),
        other => Err(format!(
            "must be \"hidden\" or \"visible\", got {:?}",
            wire::truncate_chars(other, 32)
        )),
    })?;
    Ok(Pending {
        ts_ms: el(e, 1, "ts", wire::epoch_ms)?,
        data: EventData::Visibility { visible },
    })
}

/// The events sorted by time, each with the page it happened on: `page_url` until the first
/// navigation, then the latest navigation's href.
fn in_time_order(mut pending: Vec<Pending>, page_url: Option<String>) -> Vec<ParsedEvent> {
    // Stable sort: equal times keep their order, except that a navigation comes first, so the
    // events at its time already belong to the new page.
    pending.sort_by_key(|p| (p.ts_ms, !p.is_pageview()));
    let mut current_url = page_url;
    pending
        .into_iter()
        .map(|p| {
            if let EventData::Pageview { url, .. } = &p.data {
                current_url = Some(url.clone());
            }
            ParsedEvent {
                client_id: None,
                ts_ms: p.ts_ms,
                url: current_url.clone(),
                data: p.data,
            }
        })
        .collect()
}

/// The envelope's identity and page context; fields of the wrong shape are ignored and listed
/// in `out.ignored_fields` (the payload itself is still worth keeping).
fn envelope(top: &Map<String, Value>, out: &mut ParsedBatch) {
    let f = Fields::new(top, "");
    let rejected = &mut out.ignored_fields;
    let mut take = |r: Result<Option<String>, wire::FieldError>| match r {
        Ok(v) => v,
        Err(e) => {
            rejected.push(Rejection {
                path: e.path,
                reason: e.reason,
            });
            None
        }
    };
    out.site = take(f.opt("site", |v| wire::string(v).map(str::to_owned)));
    out.visitor_id = take(f.opt("visitor_id", |v| wire::client_id(&integer_as_text(v))));
    out.session_id = take(f.opt("session_id", |v| wire::client_id(&integer_as_text(v))));
    out.user_id = take(f.opt("user_id", |v| wire::user_id(&integer_as_text(v))));
    out.page_url = take(f.opt("url", wire::url));
    out.referrer = take(f.opt("referrer", wire::url));
    out.title = take(
        f.opt("title", |v| wire::truncated(v, MAX_TITLE_CHARS))
            .map(Option::flatten),
    );
}

/// An integer id as its decimal text; any other value unchanged.
fn integer_as_text(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => Value::String(n.to_string()),
        other => other.clone(),
    }
}

/// `userInfo` (user agent, window size) and `time` (client clock at send and load time); fields
/// of the wrong shape are ignored and listed in `out.ignored_fields`.
fn context(results: &Map<String, Value>, out: &mut ParsedBatch) {
    let f = Fields::new(results, "");
    let reject = |out: &mut ParsedBatch, e: wire::FieldError| {
        out.ignored_fields.push(Rejection {
            path: e.path,
            reason: e.reason,
        });
    };
    match f.opt("userInfo", wire::object) {
        Ok(None) => {}
        Err(e) => reject(out, e),
        Ok(Some(info)) => {
            let info = Fields::new(info, "userInfo");
            match info.opt("userAgent", |v| wire::truncated(v, MAX_USER_AGENT_CHARS)) {
                Ok(ua) => out.user_agent = ua.flatten(),
                Err(e) => reject(out, e),
            }
            match info.opt("windowSize", |v| {
                let pair = match v {
                    Value::Array(a) if a.len() == 2 => a,
                    other => {
                        return Err(format!("must be [width, height], got {}", type_name(other)));
                    }
                };
                Ok((
                    el(pair, 0, "width", wire::size)?,
                    el(pair, 1, "height", wire::size)?,
                ))
            }) {
                Ok(screen) => out.screen = screen,
                Err(e) => reject(out, e),
            }
        }
    }
    match f.opt("time", wire::object) {
        Ok(None) => {}
        Err(e) => reject(out, e),
        Ok(Some(time)) => {
            let time = Fields::new(time, "time");
            match time.opt("currentTime", wire::epoch_ms) {
                Ok(sent) => out.sent_at_ms = sent,
                Err(e) => reject(out, e),
            }
            // 0 in every batch but a page's first.
            let started = time.opt("startTime", |v| match v {
                Value::Number(n) if n.as_f64() == Some(0.0) => Ok(None),
                other => wire::epoch_ms(other).map(Some),
            });
            match started {
                Ok(start) => out.page_start_ms = start.flatten(),
                Err(e) => reject(out, e),
            }
        }
    }
}

/// How many entries the body's arrays hold, all keys together (the size limit).
fn count_entries(results: &Map<String, Value>) -> usize {
    let len = |v: Option<&Value>| v.and_then(Value::as_array).map_or(0, Vec::len);
    let clicks = len(results.get("clicks").and_then(|c| c.get("clickDetails")));
    ENTRY_ARRAYS
        .iter()
        .map(|k| len(results.get(*k)))
        .fold(clicks, usize::saturating_add)
}

/// `clicks.clickDetails`, as `[x, y, path, ts]` tuples.
fn click_entries<'a>(
    results: &'a Map<String, Value>,
    rejected: &mut Vec<Rejection>,
) -> Vec<(String, &'a [Value])> {
    match results.get("clicks") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(clicks)) => tuples(
            clicks.get("clickDetails"),
            "clicks.clickDetails",
            &["x", "y", "path", "ts"],
            rejected,
        ),
        Some(other) => {
            rejected.push(Rejection {
                path: "clicks".into(),
                reason: format!("must be an object, got {}", type_name(other)),
            });
            Vec::new()
        }
    }
}

/// The entries of an array of fixed-arity tuples (`[[x, y, ts], ...]`), each with its path.
/// Entries of the wrong shape are rejected here; an absent or `null` array is empty.
fn tuples<'a>(
    v: Option<&'a Value>,
    path: &str,
    names: &[&str],
    rejected: &mut Vec<Rejection>,
) -> Vec<(String, &'a [Value])> {
    let shape = || format!("[{}]", names.join(", "));
    let entries = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(a)) => a,
        Some(other) => {
            rejected.push(Rejection {
                path: path.to_owned(),
                reason: format!("must be an array, got {}", type_name(other)),
            });
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let entry_path = format!("{path}[{i}]");
        match entry {
            Value::Array(items) if items.len() == names.len() => out.push((entry_path, &items[..])),
            Value::Array(items) => rejected.push(Rejection {
                path: entry_path,
                reason: format!(
                    "must be {} ({} elements), got {} elements",
                    shape(),
                    names.len(),
                    items.len()
                ),
            }),
            other => rejected.push(Rejection {
                path: entry_path,
                reason: format!("must be an array {}, got {}", shape(), type_name(other)),
            }),
        }
    }
    out
}

/// Element `i` (called `name` in messages) of a tuple, converted by `f`.
fn el<'a, T>(
    items: &'a [Value],
    i: usize,
    name: &str,
    f: impl FnOnce(&'a Value) -> Result<T, String>,
) -> Result<T, String> {
    let v = items.get(i).ok_or_else(|| format!("{name} is missing"))?;
    f(v).map_err(|reason| format!("{name} {reason}"))
}

#[cfg(test)]
mod tests;
