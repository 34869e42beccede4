//! footfall's own batch format, `POST /api/v1/collect`, parsed into typed events.
//!
//! The footfall tracker and server-side senders post one JSON object per batch: identity and
//! page context once, then an `events` array where every event carries an `id` (the
//! de-duplication key for retries), a client timestamp `ts` and a `type`. This module turns that
//! body into a [`ParsedBatch`] and nothing else: an event with a problem is rejected alone, with
//! a reason that names the event and the field; only a body that is not a batch at all is a
//! [`WireError`]. [`schema()`] describes the same format as a JSON Schema for clients.
//!
//! ```json
//! { "site": "demo", "visitor_id": "v-8f2c", "session_id": "s-91ab", "user_id": "u-42",
//!   "sent_at": 1795560144826,
//!   "page": {"url": "https://shop.example/p/1", "title": "Product", "referrer": "https://google.com/"},
//!   "screen": {"width": 1280, "height": 720}, "language": "en-GB",
//!   "events": [{"id": "e-1", "ts": 1795560144125, "type": "click", "x": 40, "y": 25, "selector": "#buy"}] }
//! ```
//!
//! Rules beyond the shape: unknown keys are ignored (forward compatibility); an optional field
//! that is `null` or `""` counts as absent; numbers may be fractional and are rounded; an event
//! may carry its own `url` (else the caller uses `page.url`); an event id that repeats an earlier
//! event of the same batch is rejected.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::wire::{
    self, FieldError, Fields, MAX_ENGAGED_MS, MAX_EVENT_NAME_CHARS, MAX_ITEM_FIELD_CHARS,
    MAX_ITEMS, MAX_KEY_CHARS, MAX_LANGUAGE_CHARS, MAX_MEDIA_POSITION_MS, MAX_NAME_CHARS,
    MAX_NATIVE_EVENTS, MAX_QUANTITY, MAX_SELECTOR_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS,
    ParsedBatch, ParsedEvent, Rejection, WireError, type_name,
};
use crate::model::{
    Commerce, CommerceAction, Currency, ElementOffset, EventData, FormAction, Item, KeyClass,
    MediaAction, TouchAction, Viewport,
};

/// Every event `type` the native format knows, in schema order.
pub const EVENT_TYPES: [&str; 20] = [
    "pageview",
    "click",
    "move",
    "scroll",
    "key",
    "form",
    "touch",
    "media",
    "visibility",
    "resize",
    "engagement",
    "custom",
    "identify",
    "error",
    "view_item",
    "add_to_cart",
    "remove_from_cart",
    "begin_checkout",
    "purchase",
    "refund",
];

/// The batch-level page context, which pageviews without a url of their own describe.
#[derive(Default)]
struct Page {
    url: Option<String>,
    title: Option<String>,
    referrer: Option<String>,
}

/// Parses a native batch body.
///
/// Whole-body errors: empty or not JSON, not an object, `site` or `events` missing or of the
/// wrong type, more than [`MAX_NATIVE_EVENTS`] events, or an invalid batch-level field
/// (`visitor_id`, `session_id`, `user_id`, `sent_at`, `page.*`, `screen.*`, `language`).
pub fn parse(body: &[u8]) -> Result<ParsedBatch, WireError> {
    let root = wire::parse_json(body)?;
    let Value::Object(map) = &root else {
        return Err(WireError::NotObject {
            found: type_name(&root),
        });
    };
    let top = Fields::new(map, "");

    let site = required(map, "site", |v| wire::string(v).map(str::to_owned))?;
    let events = required(map, "events", array)?;
    if events.len() > MAX_NATIVE_EVENTS {
        return Err(WireError::TooManyEvents {
            count: events.len(),
            max: MAX_NATIVE_EVENTS,
            unit: "events",
        });
    }

    let visitor_id = top.opt("visitor_id", wire::client_id)?;
    let session_id = top.opt("session_id", wire::client_id)?;
    let user_id = top.opt("user_id", wire::user_id)?;
    let sent_at_ms = top.opt("sent_at", wire::epoch_ms)?;
    let language = top.opt("language", language)?;

    let page = match top.opt("page", wire::object)? {
        None => Page::default(),
        Some(p) => {
            let f = Fields::new(p, "page");
            Page {
                url: f.opt("url", wire::url)?,
                title: f.opt("title", title)?.flatten(),
                referrer: f.opt("referrer", wire::url)?,
            }
        }
    };
    let screen = match top.opt("screen", wire::object)? {
        None => None,
        Some(s) => {
            let f = Fields::new(s, "screen");
            Some((f.req("width", wire::size)?, f.req("height", wire::size)?))
        }
    };

    let mut seen = HashSet::new();
    let mut parsed = Vec::with_capacity(events.len());
    let mut rejected = Vec::new();
    for (i, v) in events.iter().enumerate() {
        match parse_event(v, &page, &seen) {
            Ok(ev) => {
                if let Some(id) = &ev.client_id {
                    seen.insert(id.clone());
                }
                parsed.push(ev);
            }
            Err(reason) => rejected.push(Rejection {
                path: format!("events[{i}]"),
                reason,
            }),
        }
    }

    Ok(ParsedBatch {
        site: Some(site),
        visitor_id,
        session_id,
        user_id,
        sent_at_ms,
        page_start_ms: None,
        page_url: page.url,
        referrer: page.referrer,
        title: page.title,
        user_agent: None,
        screen,
        language,
        events: parsed,
        rejected,
        ignored_fields: Vec::new(),
    })
}

/// A field the body cannot do without: absent or `null` refuses the body as missing, a value
/// `f` refuses as invalid.
fn required<'a, T>(
    map: &'a Map<String, Value>,
    field: &'static str,
    f: impl FnOnce(&'a Value) -> Result<T, String>,
) -> Result<T, WireError> {
    match map.get(field) {
        None | Some(Value::Null) => Err(WireError::MissingField { field }),
        Some(v) => f(v).map_err(|reason| Fields::new(map, "").error(field, reason).into()),
    }
}

fn array(v: &Value) -> Result<&Vec<Value>, String> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(format!("must be an array, got {}", type_name(other))),
    }
}

fn title(v: &Value) -> Result<Option<String>, String> {
    wire::truncated(v, MAX_TITLE_CHARS)
}

fn language(v: &Value) -> Result<String, String> {
    let s = wire::string(v)?;
    let ok = s.len() <= MAX_LANGUAGE_CHARS
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "must be a language tag such as \"en-GB\" (at most {MAX_LANGUAGE_CHARS} letters, digits or '-')"
        ))
    }
}

/// One event, or the reason it is rejected (without the `events[i]: ` prefix).
fn parse_event(v: &Value, page: &Page, seen: &HashSet<String>) -> Result<ParsedEvent, String> {
    let Value::Object(map) = v else {
        return Err(format!("event must be an object, got {}", type_name(v)));
    };
    let common = Fields::new(map, "");
    let ty = common
        .req("type", wire::string)
        .map_err(|e| e.to_string())?;
    if !EVENT_TYPES.contains(&ty) {
        return Err(format!(
            "unknown event type {:?}",
            wire::truncate_chars(ty, 64)
        ));
    }
    let id = common
        .req("id", wire::client_id)
        .map_err(|e| e.to_string())?;
    if seen.contains(&id) {
        return Err(format!("id {id:?} repeats an earlier event of this batch"));
    }
    let ts_ms = common
        .req("ts", wire::epoch_ms)
        .map_err(|e| e.to_string())?;
    let mut url = common.opt("url", wire::url).map_err(|e| e.to_string())?;
    let data = event_data(ty, &Fields::new(map, ty), page, &mut url).map_err(|e| e.to_string())?;
    Ok(ParsedEvent {
        client_id: Some(id),
        ts_ms,
        url,
        data,
    })
}

/// The typed payload of an event of type `ty`; for pageviews also settles the event's `url`.
fn event_data(
    ty: &str,
    f: &Fields<'_>,
    page: &Page,
    url: &mut Option<String>,
) -> Result<EventData, FieldError> {
    Ok(match ty {
        "pageview" => {
            let own_title = f.opt("title", title)?.flatten();
            let own_referrer = f.opt("referrer", wire::url)?;
            // Without a url of its own, the pageview is the batch page's: it inherits the
            // page's title and referrer too. With one (an SPA navigation), only its own fields.
            let (page_url, title, referrer) = match url.clone() {
                Some(u) => (u, own_title, own_referrer),
                None => match &page.url {
                    Some(u) => (
                        u.clone(),
                        own_title.or_else(|| page.title.clone()),
                        own_referrer.or_else(|| page.referrer.clone()),
                    ),
                    None => {
                        return Err(f.error("url", "is required when the batch has no page.url"));
                    }
                },
            };
            *url = Some(page_url.clone());
            EventData::Pageview {
                url: page_url,
                title,
                referrer,
            }
        }
        "click" => EventData::Click {
            x: f.req("x", wire::coord)?,
            y: f.req("y", wire::coord)?,
            page_y: f.opt("page_y", wire::coord)?,
            selector: f.req("selector", |v| wire::short_text(v, MAX_SELECTOR_CHARS))?,
            text: f
                .opt("text", |v| wire::truncated(v, MAX_TEXT_CHARS))?
                .flatten(),
            // Only both halves make a position (and a viewport); one alone is ignored.
            offset: match (f.opt("ex", wire::permille)?, f.opt("ey", wire::permille)?) {
                (Some(x), Some(y)) => Some(ElementOffset { x, y }),
                _ => None,
            },
            viewport: match (f.opt("vw", wire::size)?, f.opt("vh", wire::size)?) {
                (Some(width), Some(height)) => Some(Viewport { width, height }),
                _ => None,
            },
            fixed: f.opt("fixed", wire::flag)?.unwrap_or(false),
            dead: f.opt("dead", wire::flag)?.unwrap_or(false),
        },
        "move" => EventData::Move {
            x: f.req("x", wire::coord)?,
            y: f.req("y", wire::coord)?,
            page_y: f.opt("page_y", wire::coord)?,
            viewport_width: f.opt("vw", wire::size)?,
        },
        "scroll" => EventData::Scroll {
            x: f.req("x", wire::coord)?,
            y: f.req("y", wire::coord)?,
            depth_pct: f
                .opt("depth", |v| wire::rounded(v, 0, 100))?
                .and_then(|d| u8::try_from(d).ok()),
            viewport_height: f.opt("vh", wire::size)?,
        },
        "key" => {
            let raw = f.opt("key", |v| {
                let s = wire::string(v)?;
                let n = s.chars().count();
                if n > MAX_KEY_CHARS {
                    Err(format!(
                        "must be at most {MAX_KEY_CHARS} characters, got {n}"
                    ))
                } else {
                    Ok(s.to_owned())
                }
            })?;
            let class = f.opt("class", |v| {
                wire::one_of(&KeyClass::ALL, KeyClass::as_str, v)
            })?;
            match (class, raw) {
                (Some(class), raw) => EventData::Key { class, raw },
                (None, Some(raw)) => EventData::Key {
                    class: KeyClass::of(&raw),
                    raw: Some(raw),
                },
                (None, None) => return Err(f.error("class", "is required when key is absent")),
            }
        }
        "form" => EventData::Form {
            action: f.req("action", |v| {
                wire::one_of(&FormAction::ALL, FormAction::as_str, v)
            })?,
            form: f
                .opt("form", |v| wire::short_text(v, MAX_NAME_CHARS))?
                .unwrap_or_default(),
            field: f.opt("field", |v| wire::short_text(v, MAX_NAME_CHARS))?,
        },
        "touch" => EventData::Touch {
            action: f.req("action", |v| {
                wire::one_of(&TouchAction::ALL, TouchAction::as_str, v)
            })?,
            x: f.req("x", wire::coord)?,
            y: f.req("y", wire::coord)?,
        },
        "media" => EventData::Media {
            action: f.req("action", |v| {
                wire::one_of(&MediaAction::ALL, MediaAction::as_str, v)
            })?,
            src: f.req("src", wire::url)?,
            position_ms: f.opt("position_ms", |v| {
                wire::rounded(v, 0, MAX_MEDIA_POSITION_MS)
            })?,
        },
        "visibility" => EventData::Visibility {
            visible: f.req("state", |v| match wire::string(v)? {
                "visible" => Ok(true),
                "hidden" => Ok(false),
                other => Err(format!(
                    "must be one of hidden|visible, got {:?}",
                    wire::truncate_chars(other, 32)
                )),
            })?,
        },
        "resize" => EventData::Resize {
            width: f.req("width", wire::size)?,
            height: f.req("height", wire::size)?,
        },
        "engagement" => EventData::Engagement {
            engaged_ms: f.req("engaged_ms", |v| wire::rounded(v, 0, MAX_ENGAGED_MS))?,
        },
        "custom" => EventData::Custom {
            name: f.req("name", |v| wire::short_text(v, MAX_EVENT_NAME_CHARS))?,
            props: f.opt("props", wire::props)?,
        },
        "identify" => EventData::Identify {
            user_id: f.req("user_id", wire::user_id)?,
            traits: f.opt("traits", wire::props)?,
        },
        "error" => EventData::Error {
            message: f.req("message", wire::error_message)?,
            source: f.opt("source", wire::script_url)?.filter(|s| !s.is_empty()),
            line: f.opt("line", wire::position)?,
            column: f.opt("column", wire::position)?,
        },
        other => match CommerceAction::parse(other) {
            Some(action) => EventData::Commerce(commerce(action, f)?),
            None => return Err(f.error("type", "is unknown")),
        },
    })
}

/// An amount as minor units of `currency`: a JSON number or a decimal string, never negative.
fn money(currency: &Currency, v: &Value) -> Result<i64, String> {
    let minor = match v {
        Value::Number(_) => currency.to_minor(wire::number(v)?),
        Value::String(s) => currency.parse_minor(s),
        other => {
            return Err(format!(
                "must be a number or a decimal string, got {}",
                type_name(other)
            ));
        }
    }
    .map_err(|e| e.to_string())?;
    if minor < 0 {
        return Err("must not be negative".to_owned());
    }
    Ok(minor)
}

fn commerce(action: CommerceAction, f: &Fields<'_>) -> Result<Commerce, FieldError> {
    let currency = f.opt("currency", |v| {
        Currency::parse(wire::string(v)?).map_err(|e| e.to_string())
    })?;
    let transaction_id = f.opt("transaction_id", |v| wire::short_text(v, MAX_NAME_CHARS))?;
    if action.needs_transaction_id() && transaction_id.is_none() {
        return Err(f.error("transaction_id", "is required"));
    }
    let need_currency =
        |what: &str| f.error("currency", format!("is required when {what} is given"));
    let value_minor = match f.get("value") {
        None => None,
        Some(v) => {
            let c = currency.as_ref().ok_or_else(|| need_currency("value"))?;
            Some(money(c, v).map_err(|reason| f.error("value", reason))?)
        }
    };
    let raw_items = f.opt("items", array)?.map_or(&[][..], Vec::as_slice);
    if raw_items.len() > MAX_ITEMS {
        return Err(f.error(
            "items",
            format!(
                "must list at most {MAX_ITEMS} items, got {}",
                raw_items.len()
            ),
        ));
    }
    let mut items = Vec::with_capacity(raw_items.len());
    for (i, raw) in raw_items.iter().enumerate() {
        let path = f.path(&format!("items[{i}]"));
        let Value::Object(m) = raw else {
            return Err(FieldError {
                path,
                reason: format!("must be an object, got {}", type_name(raw)),
            });
        };
        let it = Fields::new(m, path);
        let item_text = |v: &Value| wire::short_text(v, MAX_ITEM_FIELD_CHARS);
        let price_minor = match it.get("price") {
            None => None,
            Some(v) => {
                let c = currency.as_ref().ok_or_else(|| need_currency("a price"))?;
                Some(money(c, v).map_err(|reason| it.error("price", reason))?)
            }
        };
        items.push(Item {
            item_id: it.req("item_id", item_text)?,
            item_name: it.opt("item_name", item_text)?,
            item_category: it.opt("item_category", item_text)?,
            item_brand: it.opt("item_brand", item_text)?,
            item_variant: it.opt("item_variant", item_text)?,
            price_minor,
            quantity: it
                .opt("quantity", |v| wire::whole(v, 1, MAX_QUANTITY))?
                .unwrap_or(1),
        });
    }
    Ok(Commerce {
        action,
        currency,
        value_minor,
        transaction_id,
        items,
    })
}

mod schema;

pub use schema::schema;

#[cfg(test)]
mod tests;
