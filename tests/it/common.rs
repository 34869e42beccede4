//! A footfall started in-process on a loopback port with its own temporary data directory.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use footfall::app::{App, Tuning};
use footfall::config::Config;
use footfall::model::ApiToken;
use serde_json::Value;

tokio::task_local! {
    /// When set, apps spawned in the task use the store this makes (each call a fresh one)
    /// instead of the embedded DuckDB: how `clickhouse/fixtures.rs` runs the fixture tests on
    /// ClickHouse.
    pub static STORE: fn() -> footfall::config::StoreConfig;
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
    pub app: Option<App>,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}, Tuning::default()).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config), tuning: Tuning) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        if let Ok(make) = STORE.try_with(|make| *make) {
            config.store = make();
        }
        configure(&mut config);
        let app = App::start(config, tuning).await.expect("app starts");
        let (secret, token_hash) = footfall::auth::new_token();
        app.state()
            .store
            .insert_token(&ApiToken {
                name: "tests".into(),
                token_hash,
                created_ms: 0,
            })
            .expect("token");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let service = app
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, service).await.expect("serve");
        });
        TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            token: secret,
            app: Some(app),
            server,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_api(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// `GET /healthz`: the spool positions.
    pub async fn health(&self) -> Value {
        self.client
            .get(self.url("/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until the store writer has stored everything the spool acknowledged.
    pub async fn settle(&self) {
        self.settle_within(Duration::from_secs(20)).await;
    }

    /// [`TestApp::settle`] with its own deadline (a writer backing off after an outage needs
    /// longer).
    pub async fn settle_within(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let h = self.health().await;
            if h["spool_applied_seq"] == h["spool_committed_seq"] {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the writer did not catch up: {h}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Asserts that the writer has not stored everything the spool acknowledged (a store
    /// outage holds it back).
    pub async fn assert_not_settled(&self) {
        let h = self.health().await;
        assert_ne!(h["spool_applied_seq"], h["spool_committed_seq"], "{h}");
    }

    pub async fn shutdown(mut self) {
        self.server.abort();
        if let Some(app) = self.app.take() {
            app.shutdown().await.expect("clean shutdown");
        }
    }
}

/// The epoch milliseconds of now.
pub fn now_ms() -> i64 {
    footfall::clock::now_ms()
}

/// A native batch with `n` mixed events with ids `{prefix}-{i}`.
pub fn native_batch(site: &str, visitor: &str, session: &str, prefix: &str, n: usize) -> Value {
    let t = now_ms() - 5_000;
    let events: Vec<Value> = (0..n)
        .map(|i| {
            let id = format!("{prefix}-{i}");
            let ts = t + i as i64;
            match i % 5 {
                0 => serde_json::json!({"id": id, "ts": ts, "type": "pageview", "url": format!("http://localhost/p/{i}"), "title": "P"}),
                1 => serde_json::json!({"id": id, "ts": ts, "type": "click", "x": 10, "y": 20, "selector": "#buy", "text": "Buy"}),
                2 => serde_json::json!({"id": id, "ts": ts, "type": "scroll", "x": 0, "y": 300, "depth": 40}),
                3 => serde_json::json!({"id": id, "ts": ts, "type": "move", "x": 5, "y": 6}),
                _ => serde_json::json!({"id": id, "ts": ts, "type": "key", "class": "letter"}),
            }
        })
        .collect();
    serde_json::json!({
        "site": site, "visitor_id": visitor, "session_id": session,
        "sent_at": now_ms(),
        "page": {"url": "http://localhost/", "referrer": "https://www.google.com/"},
        "events": events,
    })
}

pub const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
pub const BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// Posts a native batch as a browser with user agent `ua` whose address a trusted proxy
/// forwards as `ip` (the app must trust 127.0.0.1); expects it to be accepted.
pub async fn send_from(app: &TestApp, ip: &str, ua: &str, batch: Value) {
    let r = app
        .client
        .post(app.url("/api/v1/collect"))
        .header("x-forwarded-for", ip)
        .header("user-agent", ua)
        .json(&batch)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
}
