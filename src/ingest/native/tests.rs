//! The native batch parser's tests: every event type, whole-body and per-event error messages,
//! money rules, the schema's event types against [`EVENT_TYPES`], and "never panics" properties.
//! Kept apart from the parser so that `mod.rs` reads on its own.

use super::*;
use crate::model::EventKind;
use proptest::prelude::*;
use serde_json::json;

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
        {"id": "e-15", "ts": TS + 14, "type": "pageview", "url": "https://shop.example/cart", "title": "Cart"},
        {"id": "e-16", "ts": TS + 15, "type": "error", "message": "boom"}
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
    assert_eq!(b.events.len(), 16);
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
            offset: None,
            viewport: None,
            fixed: false,
            dead: false,
        }
    );
    assert_eq!(e[1].url, None, "no own url: the caller uses page_url");
    assert_eq!(
        e[3].data,
        EventData::Scroll {
            x: 0,
            y: 400,
            depth_pct: Some(55),
            viewport_height: None,
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
    let b = parse(
        br#"{"site":"demo","visitor_id":"","session_id":null,"page":{"referrer":""},"events":[]}"#,
    )
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
        EventData::Move {
            x: -13,
            y: 7,
            page_y: None,
            viewport_width: None
        }
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
        one(json!({"type": "custom", "name": "x", "props": {"k": "v".repeat(5000)}})).unwrap_err(),
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
        c(json!({"type": "refund", "currency": "EUR", "value": "1.234", "transaction_id": "T"}))
            .unwrap_err(),
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
        c(json!({"type": "add_to_cart", "items": [{"item_id": "a", "quantity": 0}]})).unwrap_err(),
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
    fn arbitrary_bytes_never_panic_either_parser(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse(&body);
        let _ = crate::ingest::ubjs::parse(&body);
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

#[test]
fn clicks_moves_and_scrolls_carry_what_heatmaps_need() {
    assert_eq!(
        one(
            json!({"type": "click", "x": 10, "y": 20, "page_y": 820, "selector": "#buy",
                   "ex": 250.4, "ey": 1000, "vw": 390, "vh": 844, "fixed": 1, "dead": true})
        )
        .unwrap(),
        EventData::Click {
            x: 10,
            y: 20,
            page_y: Some(820),
            selector: "#buy".into(),
            text: None,
            offset: Some(ElementOffset { x: 250, y: 1000 }),
            viewport: Some(Viewport {
                width: 390,
                height: 844
            }),
            fixed: true,
            dead: true,
        }
    );
    // Half a position or half a viewport is no position; flags default to false.
    let EventData::Click {
        offset,
        viewport,
        fixed,
        dead,
        ..
    } = one(json!({"type": "click", "x": 1, "y": 1, "selector": "a", "ex": 5, "vw": 800})).unwrap()
    else {
        panic!("click")
    };
    assert_eq!((offset, viewport, fixed, dead), (None, None, false, false));
    assert_eq!(
        one(json!({"type": "click", "x": 1, "y": 1, "selector": "a", "ex": 1001, "ey": 0}))
            .unwrap_err(),
        "events[0]: click.ex must be between 0 and 1000, got 1001"
    );
    assert_eq!(
        one(json!({"type": "click", "x": 1, "y": 1, "selector": "a", "dead": "yes"})).unwrap_err(),
        "events[0]: click.dead must be true, false, 1 or 0, got \"yes\""
    );
    assert_eq!(
        one(json!({"type": "move", "x": 1, "y": 2, "page_y": 902, "vw": 1280})).unwrap(),
        EventData::Move {
            x: 1,
            y: 2,
            page_y: Some(902),
            viewport_width: Some(1280)
        }
    );
    assert_eq!(
        one(json!({"type": "scroll", "x": 0, "y": 300, "depth": 40, "vh": 700})).unwrap(),
        EventData::Scroll {
            x: 0,
            y: 300,
            depth_pct: Some(40),
            viewport_height: Some(700)
        }
    );
}

#[test]
fn errors_are_masked_and_their_source_loses_query_and_fragment() {
    assert_eq!(
        one(json!({"type": "error", "message": "TypeError: no user ann@shop.example (card 4111111111111111)",
                   "source": "https://shop.example/app.js?v=3#x", "line": 12, "column": 7}))
        .unwrap(),
        EventData::Error {
            message: "TypeError: no user [email] (card [number])".into(),
            source: Some("https://shop.example/app.js".into()),
            line: Some(12),
            column: Some(7),
        }
    );
    assert_eq!(
        one(json!({"type": "error", "message": "x"})).unwrap(),
        EventData::Error {
            message: "x".into(),
            source: None,
            line: None,
            column: None
        }
    );
    assert_eq!(
        one(json!({"type": "error"})).unwrap_err(),
        "events[0]: error.message is required"
    );
    assert_eq!(
        one(json!({"type": "error", "message": "x", "line": 1.5})).unwrap_err(),
        "events[0]: error.line must be a whole number, got 1.5"
    );
}
