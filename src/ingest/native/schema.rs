//! The JSON Schema of the native batch format, served at `/api/v1/schema.json` for clients.
//!
//! It is a document of its own (nearly 300 lines of `json!`) that changes with the format, not
//! with the parser's logic, so it lives beside the parser rather than inside it. Its limits come
//! from the same [`wire`] constants the parser enforces.

use serde_json::{Map, Value, json};

use super::EVENT_TYPES;
use crate::ingest::wire::{
    self, MAX_ENGAGED_MS, MAX_ERROR_MESSAGE_CHARS, MAX_EVENT_NAME_CHARS, MAX_ITEM_FIELD_CHARS,
    MAX_ITEMS, MAX_KEY_CHARS, MAX_MEDIA_POSITION_MS, MAX_NAME_CHARS, MAX_NATIVE_EVENTS,
    MAX_QUANTITY, MAX_SELECTOR_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS,
};
use crate::model::{CommerceAction, FormAction, KeyClass, MediaAction, TouchAction};

/// The JSON Schema (draft 2020-12) of the native batch format, served at `/api/v1/schema.json`.
///
/// It is written by hand to match [`parse`](super::parse); a test keeps its event types in step
/// with [`EVENT_TYPES`]. Two rules it states only in words: a pageview without `url` needs
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
    defs.insert(
        "permille".into(),
        json!({"type": "number", "minimum": 0, "maximum": 1000, "description": "Thousandths; fractions are rounded."}),
    );
    defs.insert(
        "flag".into(),
        json!({"enum": [true, false, 1, 0], "description": "true or 1; absent, false or 0 is false."}),
    );
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
        "text": {"type": "string", "description": format!("Element text; trimmed and truncated to {MAX_TEXT_CHARS} characters.")},
        "ex": {"$ref": "#/$defs/permille", "description": "Position inside the element's box, thousandths of its width (with ey)."},
        "ey": {"$ref": "#/$defs/permille", "description": "Position inside the element's box, thousandths of its height (with ex)."},
        "vw": {"$ref": "#/$defs/size", "description": "Viewport width (with vh)."},
        "vh": {"$ref": "#/$defs/size", "description": "Viewport height (with vw)."},
        "fixed": {"$ref": "#/$defs/flag", "description": "The element is in a position: fixed or sticky ancestor."},
        "dead": {"$ref": "#/$defs/flag", "description": "Nothing answered the click (no DOM or URL change, scroll, selection or focus change)."}
    }), &["x", "y", "selector"], "A click in viewport coordinates."));
    defs.insert(
        "move".into(),
        event(
            "move",
            json!({
                "x": {"$ref": "#/$defs/coord"}, "y": {"$ref": "#/$defs/coord"},
                "page_y": {"$ref": "#/$defs/coord", "description": "y plus the vertical scroll offset."},
                "vw": {"$ref": "#/$defs/size", "description": "Viewport width."}
            }),
            &["x", "y"],
            "A sampled pointer position (viewport).",
        ),
    );
    defs.insert("scroll".into(), event("scroll", json!({
        "x": {"$ref": "#/$defs/coord"}, "y": {"$ref": "#/$defs/coord"},
        "depth": {"type": "number", "minimum": 0, "maximum": 100, "description": "Percent of the document seen."},
        "vh": {"$ref": "#/$defs/size", "description": "Viewport height."}
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
    defs.insert(
        "error".into(),
        event(
            "error",
            json!({
                "message": {"type": "string", "description": format!("The error's message; e-mail addresses and runs of 7 or more digits are masked, then it is truncated to {MAX_ERROR_MESSAGE_CHARS} characters.")},
                "source": {"type": "string", "maxLength": wire::MAX_URL_CHARS, "description": "The script's URL; query string and fragment are dropped."},
                "line": {"type": "integer", "minimum": 0},
                "column": {"type": "integer", "minimum": 0}
            }),
            &["message"],
            "A JavaScript error on the page.",
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
