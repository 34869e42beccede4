//! footfall's own batch format, `POST /api/v1/collect`, parsed into typed events.
//!
//! The footfall tracker and server-side senders post one JSON object per batch: identity and
//! page context once, then an `events` array where every event carries an `id` (the
//! de-duplication key for retries), a client timestamp `ts` and a `type`. This module turns that
//! body into a [`ParsedBatch`] and nothing else: an event with a problem is rejected alone, with
//! a reason that names the event and the field; only a body that is not a batch at all is a
//! [`WireError`]. [`schema`] describes the same format as a JSON Schema for clients.
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

use serde_json::{Map, Value, json};

use super::wire::{
    self, FieldError, Fields, MAX_ENGAGED_MS, MAX_EVENT_NAME_CHARS, MAX_ITEM_FIELD_CHARS,
    MAX_ITEMS, MAX_KEY_CHARS, MAX_LANGUAGE_CHARS, MAX_MEDIA_POSITION_MS, MAX_NAME_CHARS,
    MAX_NATIVE_EVENTS, MAX_QUANTITY, MAX_SELECTOR_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS,
    ParsedBatch, ParsedEvent, Rejection, WireError, type_name,
};
use crate::model::{
    Commerce, CommerceAction, Currency, EventData, FormAction, Item, KeyClass, MediaAction,
    TouchAction,
};

/// Every event `type` the native format knows, in schema order.
pub const EVENT_TYPES: [&str; 19] = [
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

    let site = match map.get("site") {
        None | Some(Value::Null) => return Err(WireError::MissingField { field: "site" }),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(top
                .error(
                    "site",
                    format!("must be a string, got {}", type_name(other)),
                )
                .into());
        }
    };
    let events = match map.get("events") {
        None | Some(Value::Null) => return Err(WireError::MissingField { field: "events" }),
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(top
                .error(
                    "events",
                    format!("must be an array, got {}", type_name(other)),
                )
                .into());
        }
    };
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

    let page = match top.opt("page", object)? {
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
    let screen = match top.opt("screen", object)? {
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

fn object(v: &Value) -> Result<&Map<String, Value>, String> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(format!("must be an object, got {}", type_name(other))),
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

/// A name from a closed set, e.g. a form action.
fn one_of<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, v: &Value) -> Result<T, String> {
    let s = wire::string(v)?;
    all.iter().copied().find(|&t| name(t) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|&t| name(t)).collect();
        format!(
            "must be one of {}, got {:?}",
            names.join("|"),
            wire::truncate_chars(s, 32)
        )
    })
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
        },
        "move" => EventData::Move {
            x: f.req("x", wire::coord)?,
            y: f.req("y", wire::coord)?,
        },
        "scroll" => EventData::Scroll {
            x: f.req("x", wire::coord)?,
            y: f.req("y", wire::coord)?,
            depth_pct: f
                .opt("depth", |v| wire::rounded(v, 0, 100))?
                .and_then(|d| u8::try_from(d).ok()),
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
            let class = f.opt("class", |v| one_of(&KeyClass::ALL, KeyClass::as_str, v))?;
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
                one_of(&FormAction::ALL, FormAction::as_str, v)
            })?,
            form: f
                .opt("form", |v| wire::short_text(v, MAX_NAME_CHARS))?
                .unwrap_or_default(),
            field: f.opt("field", |v| wire::short_text(v, MAX_NAME_CHARS))?,
        },
        "touch" => EventData::Touch {
            action: f.req("action", |v| {
                one_of(&TouchAction::ALL, TouchAction::as_str, v)
            })?,
            x: f.req("x", wire::coord)?,
            y: f.req("y", wire::coord)?,
        },
        "media" => EventData::Media {
            action: f.req("action", |v| {
                one_of(&MediaAction::ALL, MediaAction::as_str, v)
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

/// The JSON Schema (draft 2020-12) of the native batch format, served at `/api/v1/schema.json`.
///
/// It is written by hand to match [`parse`]; a test keeps its event types in step with
/// [`EVENT_TYPES`]. Two rules it states only in words: a pageview without `url` needs
/// `page.url`, and event ids must be unique within a batch.
pub fn schema() -> Value {
    let ts = json!({
        "type": "number",
        "exclusiveMinimum": wire::MIN_TS_MS,
        "exclusiveMaximum": wire::MAX_TS_MS,
        "description": "Client clock, epoch milliseconds (after 2000, before 2100); fractions are rounded."
    });
    let coord = json!({
        "type": "number", "minimum": -wire::MAX_ABS_COORD, "maximum": wire::MAX_ABS_COORD,
        "description": "CSS pixels; fractions are rounded."
    });
    let size = json!({
        "type": "number", "minimum": 0, "maximum": wire::MAX_ABS_COORD,
        "description": "CSS pixels; fractions are rounded."
    });
    let url = json!({"type": "string", "maxLength": wire::MAX_URL_CHARS});
    let name = json!({"type": "string", "maxLength": MAX_NAME_CHARS});
    let title = json!({
        "type": "string",
        "description": format!("Truncated to {MAX_TITLE_CHARS} characters.")
    });
    let props = json!({
        "type": "object",
        "description": format!("Any JSON object of at most {} bytes when serialized.", wire::MAX_PROPS_BYTES)
    });
    let money = json!({
        "oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": "^\\s*[0-9]{1,15}(\\.[0-9]*)?\\s*$"}
        ],
        "description": "A non-negative amount in major units (19.99): a number (rounded to the currency's minor unit) or a decimal string (with no more decimals than the currency has)."
    });
    let item_text = json!({"type": "string", "maxLength": MAX_ITEM_FIELD_CHARS});

    // One definition per event type: its own properties plus the common ones.
    let event = |ty: &str, props: Value, required: &[&str], description: &str| {
        let mut properties = json!({
            "type": {"const": ty},
            "id": {"$ref": "#/$defs/event_id"},
            "ts": {"$ref": "#/$defs/ts"},
            "url": {"$ref": "#/$defs/url", "description": "The page the event happened on; defaults to page.url."}
        });
        if let (Some(all), Value::Object(own)) = (properties.as_object_mut(), props) {
            all.extend(own);
        }
        let mut req = vec!["type", "id", "ts"];
        req.extend_from_slice(required);
        json!({
            "description": description,
            "type": "object",
            "properties": properties,
            "required": req
        })
    };

    let mut defs = Map::new();
    defs.insert("ts".into(), ts);
    defs.insert("coord".into(), coord);
    defs.insert("size".into(), size);
    defs.insert("url".into(), url);
    defs.insert("money".into(), money);
    defs.insert(
        "event_id".into(),
        json!({
            "type": "string", "minLength": 1, "maxLength": 128,
            "description": "Unique within the batch and stable across retries: the de-duplication key."
        }),
    );
    defs.insert("pageview".into(), event("pageview", json!({
        "title": title, "referrer": {"$ref": "#/$defs/url"}
    }), &[], "A page was shown. Without url it is the batch page (url, title and referrer default to page.*), which then must have a url."));
    defs.insert("click".into(), event("click", json!({
        "x": {"$ref": "#/$defs/coord"}, "y": {"$ref": "#/$defs/coord"},
        "page_y": {"$ref": "#/$defs/coord", "description": "y plus the vertical scroll offset."},
        "selector": {"type": "string", "maxLength": MAX_SELECTOR_CHARS},
        "text": {"type": "string", "description": format!("Element text; trimmed and truncated to {MAX_TEXT_CHARS} characters.")}
    }), &["x", "y", "selector"], "A click in viewport coordinates."));
    defs.insert(
        "move".into(),
        event(
            "move",
            json!({
                "x": {"$ref": "#/$defs/coord"}, "y": {"$ref": "#/$defs/coord"}
            }),
            &["x", "y"],
            "A sampled pointer position (viewport).",
        ),
    );
    defs.insert("scroll".into(), event("scroll", json!({
        "x": {"$ref": "#/$defs/coord"}, "y": {"$ref": "#/$defs/coord"},
        "depth": {"type": "number", "minimum": 0, "maximum": 100, "description": "Percent of the document seen."}
    }), &["x", "y"], "A scroll position (window.scrollX/scrollY)."));
    let mut key = event(
        "key",
        json!({
            "class": {"enum": KeyClass::ALL.map(KeyClass::as_str)},
            "key": {"type": "string", "maxLength": MAX_KEY_CHARS, "description": "Raw KeyboardEvent.key; stored only when the site opted in to raw keys."}
        }),
        &[],
        "A key press: its class, or the raw key from which the class is derived.",
    );
    if let Some(o) = key.as_object_mut() {
        o.insert(
            "anyOf".into(),
            json!([{"required": ["class"]}, {"required": ["key"]}]),
        );
    }
    defs.insert("key".into(), key);
    defs.insert("form".into(), event("form", json!({
        "action": {"enum": FormAction::ALL.map(FormAction::as_str)},
        "form": {"type": "string", "maxLength": MAX_NAME_CHARS, "description": "Form name or id; absent or \"\" for an unnamed form."},
        "field": name.clone()
    }), &["action"], "A form interaction; never a value."));
    defs.insert(
        "touch".into(),
        event(
            "touch",
            json!({
                "action": {"enum": TouchAction::ALL.map(TouchAction::as_str)},
                "x": {"$ref": "#/$defs/coord"}, "y": {"$ref": "#/$defs/coord"}
            }),
            &["action", "x", "y"],
            "A touch start, tap or swipe.",
        ),
    );
    defs.insert(
        "media".into(),
        event(
            "media",
            json!({
                "action": {"enum": MediaAction::ALL.map(MediaAction::as_str)},
                "src": {"type": "string", "minLength": 1, "maxLength": wire::MAX_URL_CHARS},
                "position_ms": {"type": "number", "minimum": 0, "maximum": MAX_MEDIA_POSITION_MS}
            }),
            &["action", "src"],
            "An audio or video element changed state.",
        ),
    );
    defs.insert(
        "visibility".into(),
        event(
            "visibility",
            json!({
                "state": {"enum": ["hidden", "visible"]}
            }),
            &["state"],
            "The page became hidden or visible.",
        ),
    );
    defs.insert(
        "resize".into(),
        event(
            "resize",
            json!({
                "width": {"$ref": "#/$defs/size"}, "height": {"$ref": "#/$defs/size"}
            }),
            &["width", "height"],
            "The viewport changed size.",
        ),
    );
    defs.insert(
        "engagement".into(),
        event(
            "engagement",
            json!({
                "engaged_ms": {"type": "number", "minimum": 0, "maximum": MAX_ENGAGED_MS}
            }),
            &["engaged_ms"],
            "Visible, active time on the page since the last engagement event.",
        ),
    );
    defs.insert(
        "custom".into(),
        event(
            "custom",
            json!({
                "name": {"type": "string", "minLength": 1, "maxLength": MAX_EVENT_NAME_CHARS},
                "props": props.clone()
            }),
            &["name"],
            "A site-defined event.",
        ),
    );
    defs.insert(
        "identify".into(),
        event(
            "identify",
            json!({
                "user_id": {"type": "string", "minLength": 1, "maxLength": wire::MAX_USER_ID_CHARS},
                "traits": props
            }),
            &["user_id"],
            "The visitor signed in.",
        ),
    );
    defs.insert("item".into(), json!({
        "type": "object",
        "properties": {
            "item_id": item_text.clone(),
            "item_name": item_text.clone(),
            "item_category": item_text.clone(),
            "item_brand": item_text.clone(),
            "item_variant": item_text,
            "price": {"$ref": "#/$defs/money", "description": "Unit price; requires the event's currency."},
            "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY, "default": 1}
        },
        "required": ["item_id"]
    }));
    let commerce_types: Vec<&str> = CommerceAction::ALL.iter().map(|a| a.as_str()).collect();
    defs.insert("commerce".into(), json!({
        "description": "A GA4 e-commerce event. currency is required when value or any item price is given; purchase and refund require transaction_id.",
        "type": "object",
        "properties": {
            "type": {"enum": commerce_types},
            "id": {"$ref": "#/$defs/event_id"},
            "ts": {"$ref": "#/$defs/ts"},
            "url": {"$ref": "#/$defs/url"},
            "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217 code."},
            "value": {"$ref": "#/$defs/money"},
            "transaction_id": name,
            "items": {"type": "array", "maxItems": MAX_ITEMS, "items": {"$ref": "#/$defs/item"}}
        },
        "required": ["type", "id", "ts"],
        "dependentRequired": {"value": ["currency"]},
        "allOf": [
            {
                "if": {"properties": {"type": {"enum": ["purchase", "refund"]}}},
                "then": {"required": ["transaction_id"]}
            },
            {
                "if": {
                    "properties": {"items": {"contains": {"required": ["price"]}}},
                    "required": ["items"]
                },
                "then": {"required": ["currency"]}
            }
        ]
    }));

    let mut event_refs: Vec<Value> = EVENT_TYPES
        .iter()
        .filter(|t| CommerceAction::parse(t).is_none())
        .map(|t| json!({"$ref": format!("#/$defs/{t}")}))
        .collect();
    event_refs.push(json!({"$ref": "#/$defs/commerce"}));

    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "/api/v1/schema.json",
        "title": "footfall collect batch",
        "description": format!(
            "POST /api/v1/collect. Unknown keys are ignored; an optional field that is null or \"\" counts as absent. \
             An invalid batch-level field refuses the whole batch; an invalid event is rejected alone and reported. \
             Event ids must be unique within the batch. At most {MAX_NATIVE_EVENTS} events."
        ),
        "type": "object",
        "properties": {
            "site": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$", "description": "Site id."},
            "visitor_id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Omit in cookieless mode: the server derives it."},
            "session_id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Omit in cookieless mode: the server derives it."},
            "user_id": {"type": "string", "maxLength": wire::MAX_USER_ID_CHARS},
            "sent_at": {"$ref": "#/$defs/ts", "description": "Client clock when the batch was sent, for clock-skew correction."},
            "page": {
                "type": "object",
                "properties": {
                    "url": {"$ref": "#/$defs/url"},
                    "title": {"type": "string"},
                    "referrer": {"$ref": "#/$defs/url"}
                }
            },
            "screen": {
                "type": "object",
                "properties": {"width": {"$ref": "#/$defs/size"}, "height": {"$ref": "#/$defs/size"}},
                "required": ["width", "height"]
            },
            "language": {"type": "string", "pattern": "^[A-Za-z0-9_-]{0,35}$"},
            "events": {
                "type": "array",
                "maxItems": MAX_NATIVE_EVENTS,
                "items": {"oneOf": event_refs}
            }
        },
        "required": ["site", "events"],
        "$defs": defs
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;
    use proptest::prelude::*;

    const TS: i64 = 1_795_560_144_125;

    fn batch(events: Value) -> Value {
        json!({
            "site": "demo", "visitor_id": "v-8f2c", "session_id": "s-91ab", "user_id": "u-42",
            "sent_at": 1_795_560_144_826_i64,
            "page": {"url": "https://shop.example/p/1?utm_source=x", "title": "Product", "referrer": "https://google.com/"},
            "screen": {"width": 1280, "height": 720}, "language": "en-GB",
            "events": events
        })
    }

    fn run(v: &Value) -> Result<ParsedBatch, WireError> {
        parse(v.to_string().as_bytes())
    }

    /// Parses a batch holding the one event `ev` (with id and ts added) and returns its outcome.
    fn one(mut ev: Value) -> Result<EventData, String> {
        if let Some(o) = ev.as_object_mut() {
            o.entry("id").or_insert(json!("e-1"));
            o.entry("ts").or_insert(json!(TS));
        }
        let b = run(&batch(json!([ev]))).map_err(|e| format!("batch: {e}"))?;
        match (b.events.first(), b.rejected.first()) {
            (Some(e), None) => Ok(e.data.clone()),
            (None, Some(r)) => Err(r.to_string()),
            other => Err(format!("unexpected {other:?}")),
        }
    }

    #[test]
    fn full_batch_parses_every_event_type() {
        let b = run(&batch(json!([
            {"id": "e-1", "ts": TS, "type": "pageview"},
            {"id": "e-2", "ts": TS + 1, "type": "click", "x": 40, "y": 25.5, "page_y": 425, "selector": "#buy", "text": "  Buy  "},
            {"id": "e-3", "ts": TS + 2, "type": "move", "x": 1, "y": 2},
            {"id": "e-4", "ts": TS + 3, "type": "scroll", "x": 0, "y": 400, "depth": 55},
            {"id": "e-5", "ts": TS + 4, "type": "key", "class": "letter"},
            {"id": "e-6", "ts": TS + 5, "type": "form", "action": "submit", "form": "login", "field": "email"},
            {"id": "e-7", "ts": TS + 6, "type": "touch", "action": "tap", "x": 3, "y": 4},
            {"id": "e-8", "ts": TS + 7, "type": "media", "action": "seek", "src": "https://cdn/v.mp4", "position_ms": 1200},
            {"id": "e-9", "ts": TS + 8, "type": "visibility", "state": "hidden"},
            {"id": "e-10", "ts": TS + 9, "type": "resize", "width": 1024, "height": 700},
            {"id": "e-11", "ts": TS + 10, "type": "engagement", "engaged_ms": 15000},
            {"id": "e-12", "ts": TS + 11, "type": "custom", "name": "signup", "props": {"plan": "pro"}},
            {"id": "e-13", "ts": TS + 12, "type": "purchase", "currency": "EUR", "value": "39.98", "transaction_id": "T-1",
             "items": [{"item_id": "sku-1", "item_name": "Shoe", "price": 19.99, "quantity": 2}]},
            {"id": "e-14", "ts": TS + 13, "type": "identify", "user_id": "u-42", "traits": {"tier": 1}},
            {"id": "e-15", "ts": TS + 14, "type": "pageview", "url": "https://shop.example/cart", "title": "Cart"}
        ])))
        .unwrap();
        assert_eq!(b.rejected, vec![]);
        assert_eq!(b.site.as_deref(), Some("demo"));
        assert_eq!(b.visitor_id.as_deref(), Some("v-8f2c"));
        assert_eq!(b.session_id.as_deref(), Some("s-91ab"));
        assert_eq!(b.user_id.as_deref(), Some("u-42"));
        assert_eq!(b.sent_at_ms, Some(1_795_560_144_826));
        assert_eq!(
            b.page_url.as_deref(),
            Some("https://shop.example/p/1?utm_source=x")
        );
        assert_eq!(b.title.as_deref(), Some("Product"));
        assert_eq!(b.referrer.as_deref(), Some("https://google.com/"));
        assert_eq!(b.screen, Some((1280, 720)));
        assert_eq!(b.language.as_deref(), Some("en-GB"));
        assert_eq!(b.user_agent, None);
        assert_eq!(b.events.len(), 15);
        let e = &b.events;
        assert_eq!(e[0].client_id.as_deref(), Some("e-1"));
        assert_eq!(e[0].ts_ms, TS);
        assert_eq!(
            e[0].data,
            EventData::Pageview {
                url: "https://shop.example/p/1?utm_source=x".into(),
                title: Some("Product".into()),
                referrer: Some("https://google.com/".into()),
            }
        );
        assert_eq!(
            e[0].url.as_deref(),
            Some("https://shop.example/p/1?utm_source=x")
        );
        assert_eq!(
            e[1].data,
            EventData::Click {
                x: 40,
                y: 26,
                page_y: Some(425),
                selector: "#buy".into(),
                text: Some("Buy".into()),
            }
        );
        assert_eq!(e[1].url, None, "no own url: the caller uses page_url");
        assert_eq!(
            e[3].data,
            EventData::Scroll {
                x: 0,
                y: 400,
                depth_pct: Some(55)
            }
        );
        assert_eq!(
            e[4].data,
            EventData::Key {
                class: KeyClass::Letter,
                raw: None
            }
        );
        assert_eq!(
            e[5].data,
            EventData::Form {
                action: FormAction::Submit,
                form: "login".into(),
                field: Some("email".into()),
            }
        );
        assert_eq!(
            e[6].data,
            EventData::Touch {
                action: TouchAction::Tap,
                x: 3,
                y: 4
            }
        );
        assert_eq!(
            e[7].data,
            EventData::Media {
                action: MediaAction::Seek,
                src: "https://cdn/v.mp4".into(),
                position_ms: Some(1200),
            }
        );
        assert_eq!(e[8].data, EventData::Visibility { visible: false });
        assert_eq!(
            e[9].data,
            EventData::Resize {
                width: 1024,
                height: 700
            }
        );
        assert_eq!(e[10].data, EventData::Engagement { engaged_ms: 15000 });
        assert_eq!(
            e[11].data,
            EventData::Custom {
                name: "signup".into(),
                props: Some("{\"plan\":\"pro\"}".into()),
            }
        );
        let EventData::Commerce(c) = &e[12].data else {
            panic!("commerce expected, got {:?}", e[12].data)
        };
        assert_eq!(c.action, CommerceAction::Purchase);
        assert_eq!(c.currency.as_ref().map(Currency::as_str), Some("EUR"));
        assert_eq!(c.value_minor, Some(3998));
        assert_eq!(c.transaction_id.as_deref(), Some("T-1"));
        assert_eq!(
            c.items,
            vec![Item {
                item_id: "sku-1".into(),
                item_name: Some("Shoe".into()),
                item_category: None,
                item_brand: None,
                item_variant: None,
                price_minor: Some(1999),
                quantity: 2,
            }]
        );
        assert_eq!(
            e[13].data,
            EventData::Identify {
                user_id: "u-42".into(),
                traits: Some("{\"tier\":1}".into()),
            }
        );
        // An SPA pageview with its own url keeps only its own title and referrer.
        assert_eq!(
            e[14].data,
            EventData::Pageview {
                url: "https://shop.example/cart".into(),
                title: Some("Cart".into()),
                referrer: None,
            }
        );
        assert_eq!(e[14].url.as_deref(), Some("https://shop.example/cart"));
        let kinds: HashSet<EventKind> = e.iter().map(|e| e.data.kind()).collect();
        assert_eq!(kinds.len(), EventKind::ALL.len());
    }

    #[test]
    fn minimal_cookieless_batch_is_accepted() {
        let b = parse(br#"{"site":"demo","events":[]}"#).unwrap();
        assert_eq!(b.site.as_deref(), Some("demo"));
        assert_eq!((b.visitor_id, b.session_id, b.page_url), (None, None, None));
        assert!(b.events.is_empty() && b.rejected.is_empty());
        // null and "" mean "not given" for optional fields.
        let b = parse(br#"{"site":"demo","visitor_id":"","session_id":null,"page":{"referrer":""},"events":[]}"#)
            .unwrap();
        assert_eq!((b.visitor_id, b.session_id, b.referrer), (None, None, None));
    }

    #[test]
    fn whole_body_errors_name_the_problem() {
        let err = |body: &str| parse(body.as_bytes()).unwrap_err().to_string();
        assert_eq!(err(""), "request body is empty");
        assert_eq!(
            err("{\"site\": \"demo\", "),
            "request body is not valid JSON: EOF while parsing a value at line 1, column 17"
        );
        assert_eq!(
            err("[1]"),
            "request body must be a JSON object, got an array"
        );
        assert_eq!(err(r#"{"events": []}"#), "missing required field `site`");
        assert_eq!(
            err(r#"{"site": "demo"}"#),
            "missing required field `events`"
        );
        assert_eq!(
            err(r#"{"site": 7, "events": []}"#),
            "field `site` must be a string, got a number"
        );
        assert_eq!(
            err(r#"{"site": "demo", "events": {}}"#),
            "field `events` must be an array, got an object"
        );
        assert_eq!(
            err(r#"{"site": "demo", "events": [], "visitor_id": "a\nb"}"#),
            "field `visitor_id` must be 1-128 printable characters"
        );
        assert_eq!(
            err(r#"{"site": "demo", "events": [], "sent_at": 1795560144}"#),
            "field `sent_at` must be epoch milliseconds between the years 2000 and 2100, got 1795560144"
        );
        assert_eq!(
            err(r#"{"site": "demo", "events": [], "screen": {"width": 10}}"#),
            "field `screen.height` is required"
        );
        assert_eq!(
            err(r#"{"site": "demo", "events": [], "page": {"url": 3}}"#),
            "field `page.url` must be a string, got a number"
        );
        assert_eq!(
            err(r#"{"site": "demo", "events": [], "language": "en GB"}"#),
            "field `language` must be a language tag such as \"en-GB\" (at most 35 letters, digits or '-')"
        );
        let too_many = json!({"site": "demo", "events": vec![json!({}); MAX_NATIVE_EVENTS + 1]});
        assert_eq!(
            run(&too_many).unwrap_err(),
            WireError::TooManyEvents {
                count: 1001,
                max: 1000,
                unit: "events"
            }
        );
        assert_eq!(
            run(&too_many).unwrap_err().to_string(),
            "batch has 1001 events, more than the limit of 1000"
        );
    }

    #[test]
    fn bad_events_are_rejected_alone_with_precise_reasons() {
        let b = run(&batch(json!([
            {"id": "e-1", "ts": TS, "type": "click", "x": "40", "y": 1, "selector": "#a"},
            {"id": "e-2", "ts": TS, "type": "move", "x": 1, "y": 2},
            {"id": "e-3", "ts": TS, "type": "teleport"},
            "click",
            {"id": "e-2", "ts": TS, "type": "move", "x": 1, "y": 2},
            {"ts": TS, "type": "move", "x": 1, "y": 2},
            {"id": "e-7", "ts": 12, "type": "move", "x": 1, "y": 2},
            {"id": "e-8", "ts": TS, "type": "move", "x": 1, "y": 2}
        ])))
        .unwrap();
        assert_eq!(b.events.len(), 2);
        assert_eq!(b.events[0].client_id.as_deref(), Some("e-2"));
        assert_eq!(b.events[1].client_id.as_deref(), Some("e-8"));
        let got: Vec<String> = b.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            vec![
                "events[0]: click.x must be a number, got a string",
                "events[2]: unknown event type \"teleport\"",
                "events[3]: event must be an object, got a string",
                "events[4]: id \"e-2\" repeats an earlier event of this batch",
                "events[5]: id is required",
                "events[6]: ts must be epoch milliseconds between the years 2000 and 2100, got 12",
            ]
        );
    }

    #[test]
    fn field_rules_per_event_type() {
        assert_eq!(
            one(json!({"type": "move", "x": 1_000_001, "y": 0})).unwrap_err(),
            "events[0]: move.x must be between -1000000 and 1000000, got 1000001"
        );
        assert_eq!(
            one(json!({"type": "move", "x": -12.5, "y": 7.49})).unwrap(),
            EventData::Move { x: -13, y: 7 }
        );
        assert_eq!(
            one(json!({"type": "click", "x": 1, "y": 1, "selector": "a".repeat(513)})).unwrap_err(),
            "events[0]: click.selector must be at most 512 characters, got 513"
        );
        let long = "é".repeat(300);
        let EventData::Click { text, .. } =
            one(json!({"type": "click", "x": 1, "y": 1, "selector": "a", "text": long})).unwrap()
        else {
            panic!("click")
        };
        assert_eq!(text.map(|t| t.chars().count()), Some(MAX_TEXT_CHARS));
        assert_eq!(
            one(json!({"type": "key", "key": "Enter"})).unwrap(),
            EventData::Key {
                class: KeyClass::Enter,
                raw: Some("Enter".into())
            }
        );
        assert_eq!(
            one(json!({"type": "key", "class": "digit", "key": "7"})).unwrap(),
            EventData::Key {
                class: KeyClass::Digit,
                raw: Some("7".into())
            }
        );
        assert_eq!(
            one(json!({"type": "key"})).unwrap_err(),
            "events[0]: key.class is required when key is absent"
        );
        assert_eq!(
            one(json!({"type": "key", "class": "vowel"})).unwrap_err(),
            "events[0]: key.class must be one of letter|digit|whitespace|punctuation|enter|backspace|navigation|modifier|other, got \"vowel\""
        );
        assert_eq!(
            one(json!({"type": "form", "action": "submit"})).unwrap(),
            EventData::Form {
                action: FormAction::Submit,
                form: String::new(),
                field: None
            }
        );
        assert_eq!(
            one(json!({"type": "form", "action": "reset"})).unwrap_err(),
            "events[0]: form.action must be one of focus|change|submit|abandon, got \"reset\""
        );
        assert_eq!(
            one(json!({"type": "visibility", "state": "gone"})).unwrap_err(),
            "events[0]: visibility.state must be one of hidden|visible, got \"gone\""
        );
        assert_eq!(
            one(json!({"type": "scroll", "x": 0, "y": 0, "depth": 101})).unwrap_err(),
            "events[0]: scroll.depth must be between 0 and 100, got 101"
        );
        assert_eq!(
            one(json!({"type": "engagement", "engaged_ms": -1})).unwrap_err(),
            "events[0]: engagement.engaged_ms must be between 0 and 86400000, got -1"
        );
        assert_eq!(
            one(json!({"type": "custom", "name": "x", "props": {"k": "v".repeat(5000)}}))
                .unwrap_err(),
            "events[0]: custom.props must be at most 4096 bytes as JSON, got 5008"
        );
        assert_eq!(
            one(json!({"type": "custom", "name": "x", "props": [1]})).unwrap_err(),
            "events[0]: custom.props must be an object, got an array"
        );
        assert_eq!(
            one(json!({"type": "custom", "name": "n".repeat(129)})).unwrap_err(),
            "events[0]: custom.name must be at most 128 characters, got 129"
        );
        assert_eq!(
            one(json!({"type": "identify", "user_id": "u".repeat(257)})).unwrap_err(),
            "events[0]: identify.user_id must be at most 256 characters, got 257"
        );
        assert_eq!(
            one(json!({"type": "resize", "width": -1, "height": 1})).unwrap_err(),
            "events[0]: resize.width must be between 0 and 1000000, got -1"
        );
        assert_eq!(
            one(json!({"type": "media", "action": "play"})).unwrap_err(),
            "events[0]: media.src is required"
        );
        assert_eq!(
            one(json!({"type": "move", "x": 1, "y": 1, "url": "u".repeat(2049)})).unwrap_err(),
            "events[0]: url must be at most 2048 characters, got 2049"
        );
    }

    #[test]
    fn pageview_without_any_url_is_rejected() {
        let b = parse(
            br#"{"site":"demo","events":[{"id":"p","ts":1795560144125,"type":"pageview","title":"T"}]}"#,
        )
        .unwrap();
        assert_eq!(
            b.rejected[0].to_string(),
            "events[0]: pageview.url is required when the batch has no page.url"
        );
    }

    #[test]
    fn money_rules() {
        let c = |ev: Value| match one(ev) {
            Ok(EventData::Commerce(c)) => Ok(c),
            Ok(other) => Err(format!("not commerce: {other:?}")),
            Err(e) => Err(e),
        };
        let ok = c(
            json!({"type": "add_to_cart", "currency": "jpy", "value": 1500,
                          "items": [{"item_id": "a", "price": "1500"}]}),
        )
        .unwrap();
        assert_eq!(ok.action, CommerceAction::AddToCart);
        assert_eq!(ok.currency.as_ref().map(Currency::as_str), Some("JPY"));
        assert_eq!(ok.value_minor, Some(1500));
        assert_eq!(ok.items[0].price_minor, Some(1500));
        assert_eq!(ok.items[0].quantity, 1, "quantity defaults to 1");
        let view = c(json!({"type": "view_item", "items": [{"item_id": "a"}]})).unwrap();
        assert_eq!((view.currency, view.value_minor), (None, None));
        assert_eq!(
            c(json!({"type": "view_item", "value": 3})).unwrap_err(),
            "events[0]: view_item.currency is required when value is given"
        );
        assert_eq!(
            c(json!({"type": "view_item", "items": [{"item_id": "a", "price": 3}]})).unwrap_err(),
            "events[0]: view_item.currency is required when a price is given"
        );
        assert_eq!(
            c(json!({"type": "purchase", "currency": "EUR", "value": 3})).unwrap_err(),
            "events[0]: purchase.transaction_id is required"
        );
        assert_eq!(
            c(json!({"type": "refund", "currency": "EUR", "value": "1.234", "transaction_id": "T"})).unwrap_err(),
            "events[0]: refund.value amount has more decimals than EUR allows"
        );
        assert_eq!(
            c(json!({"type": "view_item", "currency": "EURO"})).unwrap_err(),
            "events[0]: view_item.currency currency must be a three-letter ISO 4217 code, got \"EURO\""
        );
        assert_eq!(
            c(json!({"type": "view_item", "currency": "EUR", "value": -1})).unwrap_err(),
            "events[0]: view_item.value must not be negative"
        );
        assert_eq!(
            c(json!({"type": "view_item", "currency": "EUR", "value": true})).unwrap_err(),
            "events[0]: view_item.value must be a number or a decimal string, got a boolean"
        );
        assert_eq!(
            c(json!({"type": "add_to_cart", "items": [{"item_id": "a", "quantity": 0}]}))
                .unwrap_err(),
            "events[0]: add_to_cart.items[0].quantity must be between 1 and 1000000, got 0"
        );
        assert_eq!(
            c(json!({"type": "add_to_cart", "items": [{"item_id": "a", "quantity": 1.5}]}))
                .unwrap_err(),
            "events[0]: add_to_cart.items[0].quantity must be a whole number, got 1.5"
        );
        assert_eq!(
            c(json!({"type": "add_to_cart", "items": [{"item_name": "a"}]})).unwrap_err(),
            "events[0]: add_to_cart.items[0].item_id is required"
        );
        assert_eq!(
            c(json!({"type": "add_to_cart", "items": [7]})).unwrap_err(),
            "events[0]: add_to_cart.items[0] must be an object, got a number"
        );
        let many: Vec<Value> = (0..=MAX_ITEMS)
            .map(|i| json!({"item_id": i.to_string()}))
            .collect();
        assert_eq!(
            c(json!({"type": "add_to_cart", "items": many})).unwrap_err(),
            "events[0]: add_to_cart.items must list at most 200 items, got 201"
        );
    }

    #[test]
    fn schema_lists_exactly_the_parsed_event_types() {
        let s = schema();
        assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert_eq!(s["required"], json!(["site", "events"]));
        let mut in_schema: Vec<String> = Vec::new();
        for r in s["properties"]["events"]["items"]["oneOf"]
            .as_array()
            .unwrap()
        {
            let name = r["$ref"].as_str().unwrap().trim_start_matches("#/$defs/");
            let def = &s["$defs"][name];
            assert!(def.is_object(), "{name} has a definition");
            let ty = &def["properties"]["type"];
            if let Some(c) = ty.get("const") {
                in_schema.push(c.as_str().unwrap().to_owned());
            } else {
                for t in ty["enum"].as_array().unwrap() {
                    in_schema.push(t.as_str().unwrap().to_owned());
                }
            }
        }
        let mut parsed: Vec<String> = EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
        in_schema.sort();
        parsed.sort();
        assert_eq!(in_schema, parsed);
        // Every $ref points at a definition.
        let text = s.to_string();
        for part in text.split("\"$ref\":\"#/$defs/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(s["$defs"][name].is_object(), "dangling $ref {name}");
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        wire::arb::json(&WORDS)
    }

    const WORDS: [&str; 40] = [
        "site",
        "events",
        "visitor_id",
        "session_id",
        "user_id",
        "sent_at",
        "page",
        "url",
        "title",
        "referrer",
        "screen",
        "width",
        "height",
        "language",
        "id",
        "ts",
        "type",
        "x",
        "y",
        "page_y",
        "selector",
        "text",
        "depth",
        "class",
        "key",
        "action",
        "form",
        "src",
        "state",
        "engaged_ms",
        "name",
        "props",
        "currency",
        "value",
        "transaction_id",
        "items",
        "item_id",
        "price",
        "quantity",
        "EUR",
    ];

    fn arb_event() -> impl Strategy<Value = Value> {
        (
            prop::sample::select(EVENT_TYPES.to_vec()),
            prop::collection::btree_map(
                prop::sample::select(WORDS.to_vec()).prop_map(str::to_owned),
                arb_json(),
                0..10,
            ),
            any::<bool>(),
        )
            .prop_map(|(ty, fields, with_ids)| {
                let mut m: Map<String, Value> = fields.into_iter().collect();
                m.insert("type".into(), json!(ty));
                if with_ids {
                    m.insert("id".into(), json!("e"));
                    m.insert("ts".into(), json!(TS));
                }
                Value::Object(m)
            })
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&body);
        }

        #[test]
        fn arbitrary_json_never_panics(v in arb_json()) {
            let _ = parse(v.to_string().as_bytes());
        }

        #[test]
        fn arbitrary_events_never_panic(events in prop::collection::vec(arb_event(), 0..8), top in arb_json()) {
            let mut b = match top { Value::Object(m) => m, _ => Map::new() };
            b.insert("site".into(), json!("demo"));
            b.insert("events".into(), Value::Array(events.clone()));
            if let Ok(parsed) = parse(Value::Object(b).to_string().as_bytes()) {
                prop_assert_eq!(parsed.events.len() + parsed.rejected.len(), events.len());
            }
        }
    }
}
