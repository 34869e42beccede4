//! No input makes the server answer 5xx: mutated versions of real payloads, posted to both
//! ingest endpoints, always get a JSON answer below 500 (the parsers are also property-tested
//! on their own; this drives the whole path: body, parse, identity, enrichment, spool).

use serde_json::{Value, json};

use crate::common::{TestApp, native_batch};

/// A small deterministic PRNG (splitmix64) so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn strange_value(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(-1),
        2 => json!(1e308),
        3 => json!(i64::MAX),
        4 => json!(0.5),
        5 => json!(""),
        6 => json!("\u{0000}\u{202e}<script>alert(1)</script>"),
        7 => json!("x".repeat(5000)),
        8 => json!([[[[]]]]),
        9 => json!({"nested": {"deeper": [1, "two", null]}}),
        10 => json!(true),
        _ => json!("http://[::1]:99999/%zz?utm_source=\u{1F600}"),
    }
}

/// Replaces one randomly chosen node of `v` (possibly `v` itself) with a strange value.
fn mutate(v: &mut Value, rng: &mut Rng, depth: usize) {
    let descend = depth < 6 && rng.below(4) != 0;
    match v {
        Value::Object(m) if descend && !m.is_empty() => {
            let key = m
                .keys()
                .nth(rng.below(m.len()))
                .cloned()
                .unwrap_or_default();
            if let Some(child) = m.get_mut(&key) {
                mutate(child, rng, depth + 1);
            }
        }
        Value::Array(a) if descend && !a.is_empty() => {
            let i = rng.below(a.len());
            mutate(&mut a[i], rng, depth + 1);
        }
        _ => *v = strange_value(rng),
    }
}

#[tokio::test]
async fn mutated_payloads_never_get_a_5xx() {
    let app = TestApp::spawn_with(|c| c.rate_limit_per_ip = 100_000, Default::default()).await;
    let fixture: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/fixtures/1.3-chromium156.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let mut rng = Rng(0x5EED);
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..400 {
        let (path, mut body) = if i % 2 == 0 {
            (
                "/api/v1/collect",
                native_batch("demo", "v", "s", &format!("m{i}"), 6),
            )
        } else {
            let envelope =
                json!({"site": "demo", "session_id": "s", "results": fixture[0].clone()});
            (
                "/api/track-behavior/",
                if i % 4 == 1 {
                    envelope
                } else {
                    fixture[0].clone()
                },
            )
        };
        for _ in 0..=rng.below(3) {
            mutate(&mut body, &mut rng, 0);
        }
        let r = app
            .client
            .post(app.url(path))
            .header("origin", "http://127.0.0.1:8765")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let answer: Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path} {body}: answer is not JSON: {e}"));
        assert!(status < 500, "{path} answered {status} to {body}: {answer}");
        assert!(
            answer.get("status").is_some() || answer["error"]["message"].is_string(),
            "{answer}"
        );
        *statuses.entry(status).or_insert(0) += 1;
    }
    // Both good and bad answers occurred, so the mutations exercised both paths.
    assert!(
        statuses.keys().any(|s| *s < 300) && statuses.keys().any(|s| *s >= 400),
        "{statuses:?}"
    );
    app.settle().await;
    app.shutdown().await;
}
