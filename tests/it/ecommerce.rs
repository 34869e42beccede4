//! The e-commerce report on a hand-built fixture whose every figure is computed by hand:
//!
//! | session | from | country | events (in this order) |
//! |---|---|---|---|
//! | A | Google search | US | view_item sku-1, view_item sku-2 |
//! | B | direct | NL | view_item sku-1, add_to_cart sku-1 ×1 (abandons) |
//! | C | newsletter (utm) | NL | view_item sku-1, add_to_cart sku-1 ×2, begin_checkout, purchase T-1 (2×9.99 + 1×5.00 = 24.98 EUR), the same T-1 again (a reload: not counted), purchase T-3 (1.01 EUR, no items) |
//! | D | Google search | US | view_item sku-3, add_to_cart sku-3, purchase T-2 (1×30.00 USD, no checkout); a later batch: refund T-2 30.00 USD |
//! | E (bot) | direct | US | purchase T-9 100.00 EUR |

use serde_json::{Value, json};

use crate::common::{BOT, CHROME, TestApp, now_ms, send_from as send};

const GOOGLE: &str = "https://www.google.com/search?q=mugs";

fn batch(session: &str, url: &str, referrer: Option<&str>, events: Vec<Value>) -> Value {
    let mut page = json!({ "url": url });
    if let Some(r) = referrer {
        page["referrer"] = json!(r);
    }
    json!({"site": "demo", "visitor_id": format!("v-{session}"), "session_id": session,
           "page": page, "events": events})
}

fn item(id: &str, name: &str, price: &str, quantity: u32) -> Value {
    json!({"item_id": id, "item_name": name, "price": price, "quantity": quantity})
}

fn commerce(id: &str, ts: i64, kind: &str, currency: &str, extra: Value) -> Value {
    let mut e = json!({"id": id, "ts": ts, "type": kind, "currency": currency});
    if let (Some(e), Value::Object(extra)) = (e.as_object_mut(), extra) {
        e.extend(extra);
    }
    e
}

async fn fixture() -> TestApp {
    let app = TestApp::spawn_with(
        |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()],
        Default::default(),
    )
    .await;
    let t = now_ms() - 600_000;
    let mug = |q| item("sku-1", "Mug", "9.99", q);
    let tee = |q| item("sku-2", "Tee", "5.00", q);
    let hat = |q| item("sku-3", "Hat", "30.00", q);
    let shop = "http://localhost/shop";
    let ev = |id, ts, kind, cur, extra| commerce(id, ts, kind, cur, extra);

    send(
        &app,
        "8.8.8.8",
        CHROME,
        batch(
            "sa",
            shop,
            Some(GOOGLE),
            vec![
                ev("a1", t, "view_item", "EUR", json!({"items": [mug(1)]})),
                ev(
                    "a2",
                    t + 1000,
                    "view_item",
                    "EUR",
                    json!({"items": [tee(1)]}),
                ),
            ],
        ),
    )
    .await;
    send(
        &app,
        "193.0.6.139",
        CHROME,
        batch(
            "sb",
            shop,
            None,
            vec![
                ev("b1", t, "view_item", "EUR", json!({"items": [mug(1)]})),
                ev(
                    "b2",
                    t + 1000,
                    "add_to_cart",
                    "EUR",
                    json!({"value": "9.99", "items": [mug(1)]}),
                ),
            ],
        ),
    )
    .await;
    let newsletter = "http://localhost/shop?utm_source=newsletter&utm_medium=email";
    send(
        &app,
        "193.0.6.139",
        CHROME,
        batch(
            "sc",
            newsletter,
            None,
            vec![
                ev("c1", t, "view_item", "EUR", json!({"items": [mug(1)]})),
                ev(
                    "c2",
                    t + 1000,
                    "add_to_cart",
                    "EUR",
                    json!({"items": [mug(2)]}),
                ),
                ev(
                    "c3",
                    t + 2000,
                    "begin_checkout",
                    "EUR",
                    json!({"value": "24.98", "items": [mug(2), tee(1)]}),
                ),
                ev(
                    "c4",
                    t + 3000,
                    "purchase",
                    "EUR",
                    json!({"value": "24.98", "transaction_id": "T-1", "items": [mug(2), tee(1)]}),
                ),
                ev(
                    "c5",
                    t + 4000,
                    "purchase",
                    "EUR",
                    json!({"value": "24.98", "transaction_id": "T-1", "items": [mug(2), tee(1)]}),
                ),
                ev(
                    "c6",
                    t + 5000,
                    "purchase",
                    "EUR",
                    json!({"value": "1.01", "transaction_id": "T-3"}),
                ),
            ],
        ),
    )
    .await;
    send(
        &app,
        "8.8.8.8",
        CHROME,
        batch(
            "sd",
            shop,
            Some(GOOGLE),
            vec![
                ev("d1", t, "view_item", "USD", json!({"items": [hat(1)]})),
                ev(
                    "d2",
                    t + 1000,
                    "add_to_cart",
                    "USD",
                    json!({"items": [hat(1)]}),
                ),
                ev(
                    "d3",
                    t + 2000,
                    "purchase",
                    "USD",
                    json!({"value": "30.00", "transaction_id": "T-2", "items": [hat(1)]}),
                ),
            ],
        ),
    )
    .await;
    send(
        &app,
        "8.8.8.8",
        CHROME,
        batch(
            "sd",
            "http://localhost/account",
            None,
            vec![ev(
                "d4",
                t + 60_000,
                "refund",
                "USD",
                json!({"value": "30.00", "transaction_id": "T-2"}),
            )],
        ),
    )
    .await;
    send(
        &app,
        "8.8.8.8",
        BOT,
        batch(
            "se",
            shop,
            None,
            vec![ev(
                "e1",
                t,
                "purchase",
                "EUR",
                json!({"value": "100.00", "transaction_id": "T-9"}),
            )],
        ),
    )
    .await;
    app.settle().await;
    app
}

async fn report(app: &TestApp, query: &str) -> Value {
    let (status, body) = app
        .get_api(&format!("/api/v1/sites/demo/ecommerce?{query}"))
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn amounts(pairs: &[(&str, i64)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(c, m)| json!({"currency": c, "minor": m}))
            .collect(),
    )
}

fn steps(counts: [u64; 4], drops: [Option<(i64, f64)>; 4]) -> Value {
    let names = ["view_item", "add_to_cart", "begin_checkout", "purchase"];
    Value::Array(
        (0..4)
            .map(|i| {
                json!({
                    "step": names[i],
                    "sessions": counts[i],
                    "drop_off": drops[i].map(|d| d.0),
                    "drop_off_rate": drops[i].map(|d| d.1),
                })
            })
            .collect(),
    )
}

fn product(id: &str, name: &str, v: u64, c: u64, p: u64, revenue: &[(&str, i64)]) -> Value {
    json!({"item_id": id, "item_name": name, "views": v, "add_to_carts": c, "purchases": p,
           "revenue": amounts(revenue)})
}

#[tokio::test]
async fn every_figure_matches_the_hand_computed_fixture() {
    every_figure_matches_the_hand_computed_fixture_check().await;
}

/// The body of [`every_figure_matches_the_hand_computed_fixture`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn every_figure_matches_the_hand_computed_fixture_check() {
    let app = fixture().await;
    let r = report(&app, "").await;
    assert_eq!(r["sessions"], 4, "{r}");
    assert_eq!(r["converted_sessions"], 2);
    assert_eq!(r["conversion_rate"], 0.5);
    // T-1 (sent twice, counted once), T-3 and T-2; the bot's T-9 is left out.
    assert_eq!(r["orders"], 3);
    assert_eq!(r["revenue"], amounts(&[("EUR", 2498 + 101), ("USD", 3000)]));
    // 2599 / 2 = 1299.5, rounded down.
    assert_eq!(
        r["average_order_value"],
        amounts(&[("EUR", 1299), ("USD", 3000)])
    );
    assert_eq!(
        r["refunds"],
        json!({"count": 1, "amount": amounts(&[("USD", 3000)])})
    );
    // Any order: D bought without a checkout event, so purchase has more sessions than checkout.
    assert_eq!(
        r["funnel"]["any_order"],
        steps(
            [4, 3, 1, 2],
            [
                None,
                Some((1, 0.25)),
                Some((2, 2.0 / 3.0)),
                Some((-1, -1.0))
            ]
        )
    );
    assert_eq!(
        r["funnel"]["in_order"],
        steps(
            [4, 3, 1, 1],
            [None, Some((1, 0.25)), Some((2, 2.0 / 3.0)), Some((0, 0.0))]
        )
    );
    assert_eq!(r["cart_sessions"], 3);
    assert_eq!(r["abandoned_carts"], 1);
    assert_eq!(r["cart_abandonment_rate"], 1.0 / 3.0);
    assert_eq!(
        r["top_products"],
        json!([
            product("sku-1", "Mug", 3, 3, 2, &[("EUR", 1998)]),
            product("sku-3", "Hat", 1, 1, 1, &[("USD", 3000)]),
            product("sku-2", "Tee", 1, 0, 1, &[("EUR", 500)]),
        ])
    );
    assert_eq!(
        r["revenue_by_source"],
        json!([
            {"source": "newsletter", "orders": 2, "revenue": amounts(&[("EUR", 2599)])},
            {"source": "Google", "orders": 1, "revenue": amounts(&[("USD", 3000)])},
        ])
    );
    assert_eq!(
        r["revenue_by_country"],
        json!([
            {"country": "NL", "orders": 2, "revenue": amounts(&[("EUR", 2599)])},
            {"country": "US", "orders": 1, "revenue": amounts(&[("USD", 3000)])},
        ])
    );
    app.shutdown().await;
}

#[tokio::test]
async fn filters_bots_and_limit_change_the_figures() {
    filters_bots_and_limit_change_the_figures_check().await;
}

/// The body of [`filters_bots_and_limit_change_the_figures`], also run on ClickHouse
/// (`clickhouse/fixtures.rs`).
pub(crate) async fn filters_bots_and_limit_change_the_figures_check() {
    let app = fixture().await;

    // US: sessions A and D.
    let r = report(&app, "country=US").await;
    assert_eq!(r["sessions"], 2, "{r}");
    assert_eq!(r["converted_sessions"], 1);
    assert_eq!(r["conversion_rate"], 0.5);
    assert_eq!(r["orders"], 1);
    assert_eq!(r["revenue"], amounts(&[("USD", 3000)]));
    assert_eq!(r["average_order_value"], amounts(&[("USD", 3000)]));
    assert_eq!(r["refunds"]["count"], 1);
    assert_eq!(
        r["funnel"]["any_order"],
        steps(
            [2, 1, 0, 1],
            [None, Some((1, 0.5)), Some((1, 1.0)), Some((-1, 0.0))]
        )
    );
    assert_eq!(r["cart_sessions"], 1);
    assert_eq!(r["abandoned_carts"], 0);
    assert_eq!(r["cart_abandonment_rate"], 0.0);
    assert_eq!(
        r["top_products"],
        json!([
            product("sku-3", "Hat", 1, 1, 1, &[("USD", 3000)]),
            product("sku-1", "Mug", 1, 0, 0, &[]),
            product("sku-2", "Tee", 1, 0, 0, &[]),
        ])
    );
    assert_eq!(
        r["revenue_by_country"],
        json!([{"country": "US", "orders": 1, "revenue": amounts(&[("USD", 3000)])}])
    );

    // NL: sessions B and C; no refunds.
    let r = report(&app, "country=NL").await;
    assert_eq!(r["sessions"], 2, "{r}");
    assert_eq!(r["orders"], 2);
    assert_eq!(r["revenue"], amounts(&[("EUR", 2599)]));
    assert_eq!(r["refunds"], json!({"count": 0, "amount": []}));
    assert_eq!(r["abandoned_carts"], 1);
    assert_eq!(r["cart_abandonment_rate"], 0.5);

    // Bots on request: E's order joins (direct, so a `null` source).
    let r = report(&app, "include_bots=true").await;
    assert_eq!(r["sessions"], 5, "{r}");
    assert_eq!(r["orders"], 4);
    assert_eq!(r["revenue"], amounts(&[("EUR", 12599), ("USD", 3000)]));
    assert_eq!(
        r["revenue_by_source"][2],
        json!({"source": null, "orders": 1, "revenue": amounts(&[("EUR", 10000)])})
    );

    let r = report(&app, "limit=1").await;
    assert_eq!(r["top_products"].as_array().map(Vec::len), Some(1));
    for bad in ["limit=0", "limit=x", "colour=red"] {
        let (status, body) = app
            .get_api(&format!("/api/v1/sites/demo/ecommerce?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let r = app
        .client
        .get(app.url("/api/v1/sites/demo/ecommerce"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.shutdown().await;
}
