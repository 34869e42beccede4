//! The userBehaviour.js parser's tests: the three recorded library versions' fixtures, envelopes,
//! entry-by-entry rejection messages, and "never panics" properties. Kept apart from the parser
//! so that the mapping in `mod.rs` reads on its own.

use super::*;
use crate::model::EventKind;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

const FIXTURE_11: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/ubjs-1.1.json"
));
const FIXTURE_12: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/1.2-chromium156.json"
));
const FIXTURE_13: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/1.3-chromium156.json"
));
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
const NAV: &str = "http://127.0.0.1:8765/product/42?utm_source=news";

/// The batches of a fixture file (a JSON array of `results` objects), parsed bare.
fn batches(fixture: &str) -> Vec<ParsedBatch> {
    let all: Vec<Value> = serde_json::from_str(fixture).unwrap();
    all.iter()
        .map(|b| parse(b.to_string().as_bytes()).unwrap())
        .collect()
}

fn counts(b: &ParsedBatch) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for e in &b.events {
        *m.entry(e.data.kind().as_str()).or_insert(0) += 1;
    }
    m
}

fn expect(pairs: &[(&'static str, usize)]) -> BTreeMap<&'static str, usize> {
    pairs.iter().copied().collect()
}

fn clicks(b: &ParsedBatch) -> Vec<(i32, i32, Option<i32>, &str)> {
    b.events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Click {
                x,
                y,
                page_y,
                selector,
                ..
            } => Some((*x, *y, *page_y, selector.as_str())),
            _ => None,
        })
        .collect()
}

fn assert_sorted(b: &ParsedBatch) {
    assert!(b.events.windows(2).all(|w| w[0].ts_ms <= w[1].ts_ms));
}

#[test]
fn v13_fixture_maps_every_entry() {
    let b = batches(FIXTURE_13);
    assert_eq!(b.len(), 3);
    let first = &b[0];
    assert_eq!(first.rejected, vec![]);
    assert_eq!(first.ignored_fields, vec![]);
    assert_eq!(
        counts(first),
        expect(&[
            ("click", 8),
            ("move", 3),
            ("scroll", 3),
            ("key", 11),
            ("pageview", 1),
            ("form", 1),
            ("touch", 1),
            ("resize", 1),
        ])
    );
    assert_sorted(first);
    assert_eq!(first.sent_at_ms, Some(1_795_560_152_576));
    assert_eq!(first.page_start_ms, Some(1_795_560_149_558));
    assert_eq!(first.screen, Some((1280, 720)));
    assert_eq!(first.user_agent.as_deref(), Some(UA));
    assert_eq!(first.site, None);
    assert_eq!(first.page_url, None);
    assert!(first.events.iter().all(|e| e.client_id.is_none()));

    // Keys keep their class and, until the caller strips it, the raw key.
    let keys: Vec<(KeyClass, Option<&str>)> = first
        .events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Key { class, raw } => Some((*class, raw.as_deref())),
            _ => None,
        })
        .collect();
    assert_eq!(keys.first(), Some(&(KeyClass::Letter, Some("a"))));
    assert_eq!(keys.get(9), Some(&(KeyClass::Digit, Some("2"))));
    assert_eq!(keys.last(), Some(&(KeyClass::Enter, Some("Enter"))));

    let form = first
        .events
        .iter()
        .find(|e| e.data.kind() == EventKind::Form);
    assert_eq!(
        form.map(|e| &e.data),
        Some(&EventData::Form {
            action: FormAction::Submit,
            form: "login".into(),
            field: None
        })
    );
    let touch = first
        .events
        .iter()
        .find(|e| e.data.kind() == EventKind::Touch);
    assert_eq!(
        touch.map(|e| &e.data),
        Some(&EventData::Touch {
            action: TouchAction::Start,
            x: 40,
            y: 26
        }),
        "25.5 rounds to 26"
    );
    let resize = first
        .events
        .iter()
        .find(|e| e.data.kind() == EventKind::Resize);
    assert_eq!(
        resize.map(|e| &e.data),
        Some(&EventData::Resize {
            width: 1024,
            height: 700
        })
    );

    // page_y: clicks before the first scroll have none; later ones add the last scrollY (0).
    let c = clicks(first);
    assert_eq!(c.len(), 8);
    assert!(c[..6].iter().all(|&(_, _, page_y, _)| page_y.is_none()));
    assert_eq!(
        c[6],
        (
            40,
            26,
            Some(26),
            "html>body>div.shop.grid#main>button.btn.primary#buy"
        )
    );
    assert_eq!(
        c[7],
        (97, 24, Some(24), "html>body>div.shop.grid#main>a#nav")
    );
    assert_eq!(c[2].3, "html>body>div.shop.grid#main>svg#icon>rect.r");

    // The url switches at the (deduplicated) navigation: events at or after it carry it.
    let nav_ts = 1_795_560_152_476;
    let pv: Vec<&ParsedEvent> = first
        .events
        .iter()
        .filter(|e| e.data.kind() == EventKind::Pageview)
        .collect();
    assert_eq!(pv.len(), 1);
    assert_eq!(pv[0].ts_ms, nav_ts);
    assert_eq!(
        pv[0].data,
        EventData::Pageview {
            url: NAV.into(),
            title: None,
            referrer: None
        }
    );
    for e in &first.events {
        let want = (e.ts_ms >= nav_ts).then_some(NAV);
        assert_eq!(
            e.url.as_deref(),
            want,
            "event at {} {:?}",
            e.ts_ms,
            e.data.kind()
        );
    }
    assert_eq!(first.events.iter().filter(|e| e.url.is_some()).count(), 3);

    assert_eq!(counts(&b[1]), expect(&[("move", 1)]));
    assert_eq!(b[1].sent_at_ms, Some(1_795_560_155_576));
    assert_eq!(
        b[1].page_start_ms, None,
        "startTime is 0 after a page's first batch"
    );
    assert_eq!(b[1].screen, Some((1024, 700)));
    assert!(b[2].events.is_empty() && b[2].rejected.is_empty());
    assert_eq!(b[2].sent_at_ms, Some(1_795_560_156_376));
}

#[test]
fn v12_fixture_has_no_keys_and_derives_page_y() {
    let b = batches(FIXTURE_12);
    assert_eq!(b.len(), 3);
    let first = &b[0];
    assert_eq!(first.rejected, vec![]);
    assert_eq!(first.ignored_fields, vec![]);
    assert_eq!(
        counts(first),
        expect(&[("click", 7), ("move", 3), ("scroll", 3), ("resize", 1)])
    );
    assert!(
        b.iter()
            .flat_map(|b| &b.events)
            .all(|e| e.data.kind() != EventKind::Key)
    );
    assert_sorted(first);
    let c = clicks(first);
    assert!(c[..5].iter().all(|&(_, _, page_y, _)| page_y.is_none()));
    assert_eq!(c[5].2, Some(26));
    assert_eq!(c[6].2, Some(24));
    assert!(first.events.iter().all(|e| e.url.is_none()));
    assert_eq!(first.screen, Some((1280, 720)));
    assert_eq!(first.sent_at_ms, Some(1_795_560_144_826));
    assert_eq!(counts(&b[1]), expect(&[("move", 1)]));
    assert!(b[2].events.is_empty());
}

#[test]
fn v11_fixture_has_no_window_size_and_scrolled_clicks_get_page_y() {
    let b = batches(FIXTURE_11);
    assert_eq!(b.len(), 2);
    let first = &b[0];
    assert_eq!(first.rejected, vec![]);
    assert_eq!(first.ignored_fields, vec![]);
    assert_eq!(first.screen, None, "1.1 has no userInfo.windowSize");
    assert_eq!(
        first.user_agent.as_deref(),
        Some(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.93 Safari/537.36"
        )
    );
    assert_eq!(first.sent_at_ms, Some(1_620_000_015_000));
    assert_eq!(first.page_start_ms, Some(1_620_000_000_000));
    assert_eq!(
        counts(first),
        expect(&[("click", 3), ("move", 2), ("scroll", 2)])
    );
    assert_sorted(first);
    assert_eq!(
        clicks(first),
        vec![
            (120, 40, None, "html>body>div#app>a.nav"),
            (300, 200, Some(500), "html>body>div#app>button.buy#add"),
            (301, 51, Some(1251), "html>body>div#app>footer>a"),
        ]
    );
    assert!(b[1].events.is_empty() && b[1].rejected.is_empty());
    assert_eq!(b[1].sent_at_ms, Some(1_620_000_030_000));
    assert_eq!(b[1].page_start_ms, None);
}

#[test]
fn envelope_supplies_identity_and_page() {
    let body = json!({
        "site": "demo", "visitor_id": "v-1", "session_id": "s-1", "user_id": "u-42",
        "url": "http://127.0.0.1:8765/", "referrer": "https://google.com/", "title": "Shop",
        "csrfmiddlewaretoken": "ignored",
        "results": serde_json::from_str::<Vec<Value>>(FIXTURE_13).unwrap()[0]
    });
    let b = parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(b.rejected, vec![]);
    assert_eq!(b.ignored_fields, vec![]);
    assert_eq!(b.site.as_deref(), Some("demo"));
    assert_eq!(b.visitor_id.as_deref(), Some("v-1"));
    assert_eq!(b.session_id.as_deref(), Some("s-1"));
    assert_eq!(b.user_id.as_deref(), Some("u-42"));
    assert_eq!(b.page_url.as_deref(), Some("http://127.0.0.1:8765/"));
    assert_eq!(b.referrer.as_deref(), Some("https://google.com/"));
    assert_eq!(b.title.as_deref(), Some("Shop"));
    assert_eq!(b.events.len(), 29);
    let nav_ts = 1_795_560_152_476;
    for e in &b.events {
        let want = if e.ts_ms >= nav_ts {
            NAV
        } else {
            "http://127.0.0.1:8765/"
        };
        assert_eq!(e.url.as_deref(), Some(want));
    }
}

#[test]
fn bad_envelope_fields_are_dropped_not_fatal() {
    let b = parse(
        br#"{"site": 5, "session_id": "", "visitor_id": "a\u0001", "url": ["x"], "user_id": 42, "results": {}}"#,
    )
    .unwrap();
    assert_eq!(
        (b.site, b.session_id, b.visitor_id, b.page_url),
        (None, None, None, None)
    );
    assert_eq!(b.user_id.as_deref(), Some("42"), "integer ids become text");
    assert_eq!(b.rejected, vec![], "no event was dropped");
    let got: Vec<String> = b.ignored_fields.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "site: must be a string, got a number",
            "visitor_id: must be 1-128 printable characters",
            "url: must be a string, got an array",
        ]
    );
}

#[test]
fn whole_body_failures() {
    let err = |body: &[u8]| parse(body).unwrap_err().to_string();
    assert_eq!(err(b""), "request body is empty");
    assert!(
        err(b"results=1")
            .starts_with("request body is not valid JSON: expected value at line 1, column 1")
    );
    assert_eq!(
        err(b"[{}]"),
        "request body must be a JSON object, got an array"
    );
    assert_eq!(
        err(b"\"x\""),
        "request body must be a JSON object, got a string"
    );
    assert_eq!(
        err(br#"{"site": "demo", "results": []}"#),
        "field `results` must be an object, got an array"
    );
    assert_eq!(
        err(br#"{"results": null}"#),
        "field `results` must be an object, got null"
    );
    let many = json!({"mouseMovements": vec![json!([1, 2, 1_795_560_152_476_i64]); 6000],
                      "mouseScroll": vec![json!([0, 2, 1_795_560_152_476_i64]); 4001]});
    assert_eq!(
        parse(many.to_string().as_bytes()).unwrap_err(),
        WireError::TooManyEvents {
            count: 10_001,
            max: 10_000,
            unit: "entries"
        }
    );
}

#[test]
fn empty_batches_are_valid() {
    let b = parse(br#"{"userInfo": {"userAgent": "UA"}, "time": {"startTime": 0, "currentTime": 1795560155576}}"#)
        .unwrap();
    assert!(b.events.is_empty() && b.rejected.is_empty());
    assert_eq!(b.user_agent.as_deref(), Some("UA"));
    assert_eq!(b.sent_at_ms, Some(1_795_560_155_576));
    let b = parse(b"{}").unwrap();
    assert_eq!(b, ParsedBatch::default());
    let b = parse(br#"{"clicks": {"clickCount": 3, "clickDetails": []}, "mouseMovements": [], "contextChange": [1, 2]}"#).unwrap();
    assert!(
        b.events.is_empty() && b.rejected.is_empty(),
        "clickCount is not trusted"
    );
}

#[test]
fn malformed_entries_are_rejected_one_by_one() {
    let ts = 1_795_560_152_476_i64;
    let body = json!({
        "clicks": {"clickCount": 9, "clickDetails": [
            [1, 2, "a", ts], [1, 2, ts], "x", [1, "2", "a", ts], [1, 2, 3, ts], [1, 2, "a", 17]
        ]},
        "mouseMovements": {"0": [1, 2, ts]},
        "keyboardActivities": [["k".repeat(65), ts], [7, ts]],
        "navigationHistory": [["", ts]],
        "formInteractions": [[{}, ts], [null, ts], ["", ts], [3, ts]],
        "touchEvents": [["touchmove", 1, 2, ts]],
        "mediaInteractions": [["play", "https://cdn/v.mp4", ts], ["rewind", "x", ts]],
        "windowSizes": [[-5, 3, ts]],
        "visibilitychanges": [["hidden", ts], ["gone", ts]],
        "userInfo": {"windowSize": [1, 2, 3], "userAgent": 5},
        "time": {"currentTime": "now", "startTime": 5}
    });
    let b = parse(body.to_string().as_bytes()).unwrap();
    let ignored: Vec<String> = b.ignored_fields.iter().map(ToString::to_string).collect();
    assert_eq!(
        ignored,
        vec![
            "userInfo.userAgent: must be a string, got a number",
            "userInfo.windowSize: must be [width, height], got an array",
            "time.currentTime: must be a number, got a string",
            "time.startTime: must be epoch milliseconds between the years 2000 and 2100, got 5",
        ]
    );
    let got: Vec<String> = b.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "clicks.clickDetails[1]: must be [x, y, path, ts] (4 elements), got 3 elements",
            "clicks.clickDetails[2]: must be an array [x, y, path, ts], got a string",
            "mouseMovements: must be an array, got an object",
            "clicks.clickDetails[3]: y must be a number, got a string",
            "clicks.clickDetails[4]: path must be a string, got a number",
            "clicks.clickDetails[5]: ts must be epoch milliseconds between the years 2000 and 2100, got 17",
            "keyboardActivities[0]: key must be at most 64 characters, got 65",
            "keyboardActivities[1]: key must be a string, got a number",
            "navigationHistory[0]: href must not be empty",
            "formInteractions[3]: name must be a string or an object, got a number",
            "touchEvents[0]: type must be \"touchstart\", got \"touchmove\"",
            "mediaInteractions[1]: action must be one of play|pause|ended|seek, got \"rewind\"",
            "windowSizes[0]: width must be between 0 and 1000000, got -5",
            "visibilitychanges[1]: state must be \"hidden\" or \"visible\", got \"gone\"",
        ]
    );
    assert_eq!(
        counts(&b),
        expect(&[("click", 1), ("form", 3), ("media", 1), ("visibility", 1)])
    );
    let forms: Vec<&EventData> = b
        .events
        .iter()
        .map(|e| &e.data)
        .filter(|d| d.kind() == EventKind::Form)
        .collect();
    assert!(
        forms
            .iter()
            .all(|d| matches!(d, EventData::Form { form, .. } if form.is_empty()))
    );
    assert!(b.events.iter().any(|e| e.data
        == EventData::Media {
            action: MediaAction::Play,
            src: "https://cdn/v.mp4".into(),
            position_ms: None
        }));
    assert!(
        b.events
            .iter()
            .any(|e| e.data == EventData::Visibility { visible: false })
    );
}

#[test]
fn navigation_dedup_window_and_url_switching() {
    let t = 1_795_560_150_000_i64;
    let results = json!({
        "navigationHistory": [
            ["https://s.example/b", t + 100],
            ["https://s.example/a", t],
            ["https://s.example/a", t + 50],
            ["https://s.example/b", t + 151],
            ["https://s.example/a", t + 300],
            ["https://s.example/b", t + 310],
            ["https://s.example/a", t + 320]
        ],
        "mouseMovements": [[1, 1, t - 1], [2, 2, t + 120], [3, 3, t + 400]],
        "mouseScroll": [[0, 100, t + 10], [0, 300, t + 10]],
        "clicks": {"clickDetails": [[5, 7, "html>body", t + 10], [5, 7.4, "html>body", t + 11]]}
    });
    // Only an envelope supplies a page url; a bare payload's "url" key would be ignored.
    let body = json!({"url": "https://s.example/", "results": results});
    let b = parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(b.rejected, vec![]);
    let pv: Vec<(i64, &str)> = b
        .events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Pageview { url, .. } => Some((e.ts_ms - t, url.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        pv,
        vec![
            (0, "https://s.example/a"),
            (100, "https://s.example/b"),
            (151, "https://s.example/b"),
            (300, "https://s.example/a"),
            (310, "https://s.example/b"),
            (320, "https://s.example/a"),
        ],
        "the same href within 50 ms (inclusive) of the previous entry is one pageview"
    );
    let moves: Vec<Option<&str>> = b
        .events
        .iter()
        .filter(|e| e.data.kind() == EventKind::Move)
        .map(|e| e.url.as_deref())
        .collect();
    assert_eq!(
        moves,
        vec![
            Some("https://s.example/"),
            Some("https://s.example/b"),
            Some("https://s.example/a")
        ]
    );
    // Two scroll samples at the same time: the later one in the array is in force.
    assert_eq!(
        clicks(&b),
        vec![
            (5, 7, Some(307), "html>body"),
            (5, 7, Some(307), "html>body")
        ]
    );
}

#[test]
fn long_click_paths_keep_their_end() {
    let path = format!("html>body>{}button#buy", "div.wrapper>".repeat(60));
    let body = json!({"clicks": {"clickDetails": [[1, 2, path, 1_795_560_152_476_i64]]}});
    let b = parse(body.to_string().as_bytes()).unwrap();
    let c = clicks(&b);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].3.chars().count(), MAX_SELECTOR_CHARS);
    assert!(c[0].3.ends_with(">button#buy"));
}

const KEYS: [&str; 24] = [
    "results",
    "site",
    "url",
    "userInfo",
    "windowSize",
    "userAgent",
    "time",
    "currentTime",
    "clicks",
    "clickDetails",
    "clickCount",
    "mouseMovements",
    "mouseScroll",
    "keyboardActivities",
    "navigationHistory",
    "formInteractions",
    "touchEvents",
    "mediaInteractions",
    "windowSizes",
    "visibilitychanges",
    "contextChange",
    "session_id",
    "touchstart",
    "hidden",
];

fn arb_leaf() -> impl Strategy<Value = Value> {
    wire::arb::leaf(&KEYS)
}

fn arb_json() -> impl Strategy<Value = Value> {
    wire::arb::json(&KEYS)
}

/// A `results` object whose known keys hold arrays of tuples of arbitrary leaves: the shape
/// the parser digs into deepest.
fn arb_entries() -> impl Strategy<Value = Value> {
    let tuple = prop::collection::vec(arb_leaf(), 0..5).prop_map(Value::Array);
    prop::collection::vec(tuple, 0..6).prop_map(Value::Array)
}

/// A `results` object whose known keys hold arrays of tuples of arbitrary leaves: the shape
/// the parser digs into deepest.
fn arb_results() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(
            prop::sample::select(ENTRY_ARRAYS.to_vec()).prop_map(str::to_owned),
            arb_entries(),
            0..9,
        ),
        arb_entries(),
        arb_json(),
    )
        .prop_map(|(m, clicks, user_info)| {
            let mut o: Map<String, Value> = m.into_iter().collect();
            o.insert("clicks".into(), json!({"clickDetails": clicks}));
            o.insert("userInfo".into(), user_info);
            Value::Object(o)
        })
}

// Arbitrary bytes: the native parser's tests feed them to both parsers.
proptest! {
    #[test]
    fn arbitrary_results_never_panic_and_stay_sorted(results in arb_results(), wrap in any::<bool>()) {
        let body = if wrap { json!({"site": "demo", "results": results}) } else { results };
        let b = parse(body.to_string().as_bytes());
        prop_assert!(b.is_ok());
        if let Ok(b) = b {
            prop_assert!(b.events.windows(2).all(|w| w[0].ts_ms <= w[1].ts_ms));
        }
    }

    #[test]
    fn arbitrary_json_never_panics(v in arb_json()) {
        let _ = parse(v.to_string().as_bytes());
    }
}
