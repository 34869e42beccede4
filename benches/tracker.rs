//! Tracker benchmark: the served size of `footfall.js` and its main-thread cost per 1,000
//! interactions in headless Chromium, as a ratio to the same page without the tracker.
//!
//! Run (release profile, like every benchmark here; needs Debian's `chromium`):
//!
//! ```sh
//! cargo run --release --example bench-tracker
//! ```
//!
//! It starts footfall on a loopback port, serves the test page twice from a second loopback
//! server (once as footfall serves it, once with the tracker's script tag removed), and in each
//! dispatches 1,000 synthetic clicks, key presses, mouse moves and scrolls, timing the
//! synchronous handler work with `performance.now()`. Each figure is the median of `RUNS`
//! fresh page loads; the tracker's cost is the difference to the page without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use footfall::app::{App, Tuning};
use footfall::config::Config;
use futures_util::StreamExt;

const RUNS: usize = 7;

const CASES: [(&str, &str); 4] = [
    (
        "clicks",
        "const el = document.getElementById('btn-secondary');
         for (let i = 0; i < 1000; i++) el.dispatchEvent(new MouseEvent('click',
             {bubbles: true, clientX: 10 + (i % 50), clientY: 20}));",
    ),
    (
        "key presses",
        "const el = document.getElementById('f-name');
         for (let i = 0; i < 1000; i++) el.dispatchEvent(new KeyboardEvent('keydown',
             {bubbles: true, key: 'a'}));",
    ),
    (
        "mouse moves",
        "for (let i = 0; i < 1000; i++) document.dispatchEvent(new MouseEvent('mousemove',
             {bubbles: true, clientX: i % 800, clientY: i % 600}));",
    ),
    (
        "scrolls",
        "for (let i = 0; i < 1000; i++) window.dispatchEvent(new Event('scroll'));",
    ),
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let app = App::start(config, Tuning::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let service = app
        .router()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });

    let html = reqwest::get(format!("{base}/tracking/test/"))
        .await?
        .text()
        .await?;
    let tag = html
        .lines()
        .find(|l| l.contains("src=\"/footfall.js\""))
        .ok_or_else(|| anyhow::anyhow!("the test page has no tracker tag"))?
        .to_owned();
    let bare = html.replace(&tag, "");
    let with_tracker = html.replace("src=\"/", &format!("src=\"{base}/"));
    let without = bare.replace("src=\"/", &format!("src=\"{base}/"));
    let pages = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let pages_base = format!("http://{}", pages.local_addr()?);
    tokio::spawn(async move {
        let router = axum::Router::new()
            .route(
                "/with",
                axum::routing::get(move || async move { axum::response::Html(with_tracker) }),
            )
            .route(
                "/without",
                axum::routing::get(move || async move { axum::response::Html(without) }),
            );
        axum::serve(pages, router).await
    });

    let gz = footfall::web::assets::TRACKER_GZ.len();
    let plain = footfall::web::assets::TRACKER_JS.len();
    println!("footfall.js: {plain} bytes as served, {gz} bytes gzip (budget 4608)\n");

    let profile = tempfile::tempdir()?;
    let (mut browser, mut handler) = Browser::launch(
        BrowserConfig::builder()
            .chrome_executable(
                std::env::var("FOOTFALL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            )
            .no_sandbox()
            .user_data_dir(profile.path())
            .arg("disable-gpu")
            .build()
            .map_err(anyhow::Error::msg)?,
    )
    .await?;
    let events = tokio::spawn(async move { while handler.next().await.is_some() {} });

    println!(
        "| 1,000 synthetic events | page without tracker (ms) | with tracker (ms) | tracker cost (ms) |"
    );
    println!("|---|---|---|---|");
    for (name, script) in CASES {
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..RUNS {
            for (i, path) in ["/without", "/with"].iter().enumerate() {
                let page = browser.new_page(format!("{pages_base}{path}")).await?;
                page.wait_for_navigation().await?;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let ms: f64 = page
                    .evaluate(format!(
                        "(() => {{ const t0 = performance.now(); {script} return performance.now() - t0; }})()"
                    ))
                    .await?
                    .into_value()?;
                times[i].push(ms);
                page.close().await?;
            }
        }
        let [without, with] = times.map(median);
        println!(
            "| {name} | {without:.1} | {with:.1} | {:.1} |",
            (with - without).max(0.0)
        );
    }
    browser.close().await?;
    let _ = browser.wait().await;
    events.abort();
    app.shutdown().await?;
    Ok(())
}
