//! Dashboard page benchmark: the time footfall takes to answer each dashboard page (report
//! plus rendering) over databases seeded by `bench-reports --keep`, cold and warm.
//!
//! ```sh
//! cargo run --release --example bench-reports -- --keep /tmp/bk 1000000 10000000
//! cargo run --release --example bench-pages -- /tmp/bk/1000000 /tmp/bk/10000000
//! ```
//!
//! Each argument is a directory holding `footfall.duckdb` and `bench-seeded-at`. The benchmark
//! starts a footfall on it (a temporary data directory whose `db/` links to that file), signs
//! in as an admin over loopback HTTP, and requests every page once cold and `RUNS` times warm.
//! Times are measured at the client on 127.0.0.1, so they include the HTTP round trip (well
//! under a millisecond here) on top of the server's work.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use footfall::app::{App, Tuning};
use footfall::config::Config;
use footfall::model::{Role, User};

const RUNS: usize = 15;
const PASSWORD: &str = "bench password 1234";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn time_get(client: &reqwest::Client, url: &str) -> anyhow::Result<f64> {
    let t = Instant::now();
    let r = client.get(url).send().await?;
    let status = r.status();
    let body = r.bytes().await?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if !status.is_success() {
        bail!("{url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(ms)
}

async fn measure(client: &reqwest::Client, name: &str, url: &str) -> anyhow::Result<()> {
    let cold = time_get(client, url).await?;
    let mut warm = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        warm.push(time_get(client, url).await?);
    }
    warm.sort_by(f64::total_cmp);
    println!(
        "| {name:<24} | {cold:>9.1} | {:>9.1} | {:>9.1} | {:>9.1} |",
        percentile(&warm, 0.5),
        percentile(&warm, 0.95),
        warm[0]
    );
    Ok(())
}

/// A data directory whose database is the benchmark's seeded file.
fn data_dir_for(seeded: &Path) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let file = seeded.join("footfall.duckdb");
    if !file.exists() {
        bail!(
            "{} has no footfall.duckdb; seed it with bench-reports --keep",
            seeded.display()
        );
    }
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("db"))?;
    std::os::unix::fs::symlink(file.canonicalize()?, dir.path().join("db/footfall.duckdb"))?;
    let path = dir.path().to_owned();
    Ok((dir, path))
}

async fn bench(seeded: &Path) -> anyhow::Result<()> {
    let seeded_at: i64 = std::fs::read_to_string(seeded.join("bench-seeded-at"))
        .context("bench-seeded-at")?
        .trim()
        .parse()?;
    let (_dir, data_dir) = data_dir_for(seeded)?;
    let config = Config {
        data_dir,
        ..Config::default()
    };
    let app = App::start(config, Tuning::default()).await?;
    let store = app.state().store.clone();
    let email = "bench@footfall.local";
    if store.user_by_email(email)?.is_none() {
        store.insert_user(&User {
            email: email.into(),
            role: Role::Admin,
            password_hash: footfall::auth::hash_password(PASSWORD)?,
            sites: vec![],
        })?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let service = app
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let form = client
        .get(format!("{base}/tracking/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .context("csrf field")?
        .to_owned();
    let signed_in = client
        .post(format!("{base}/tracking/login"))
        .form(&[("email", email), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await?;
    if !signed_in.status().is_success() {
        bail!("sign-in failed: {}", signed_in.status());
    }

    let day = 86_400_000;
    let range = format!(
        "site=demo&from={}&to={}",
        seeded_at - 30 * day,
        seeded_at + 1
    );
    let api = |path: &str| format!("{base}/api/v1/sites/demo/{path}");
    let sessions: serde_json::Value = client
        .get(api(&format!(
            "sessions?{}&limit=1&sort=-events",
            &range[10..]
        )))
        .send()
        .await?
        .json()
        .await?;
    let session = sessions["sessions"][0]["session_id"]
        .as_str()
        .context("a session")?
        .to_owned();
    let users: serde_json::Value = client
        .get(api(&format!("engagement?{}&limit=1", &range[10..])))
        .send()
        .await?
        .json()
        .await?;
    let user = users["rows"][0]["id"]
        .as_str()
        .unwrap_or("nobody")
        .to_owned();

    let events = store.count_events(&footfall::model::SiteId::parse("demo")?)?;
    println!("\n{events} events ({})\n", seeded.display());
    println!(
        "| {:<24} | {:>9} | {:>9} | {:>9} | {:>9} |",
        "page", "cold ms", "p50 ms", "p95 ms", "min ms"
    );
    println!(
        "|{:-<26}|{:->11}|{:->11}|{:->11}|{:->11}|",
        "", "", "", "", ""
    );
    let pages = [
        ("overview", format!("/tracking/dashboard/?{range}")),
        ("sessions", format!("/tracking/sessions/?{range}")),
        ("session", format!("/tracking/sessions/{session}?{range}")),
        ("e-commerce", format!("/tracking/ecommerce/?{range}")),
        (
            "engagement (users)",
            format!("/tracking/engagement/?{range}"),
        ),
        (
            "engagement (visitors)",
            format!("/tracking/engagement/?{range}&by=visitor"),
        ),
        ("user", format!("/tracking/engagement/users/{user}?{range}")),
        ("live", "/tracking/live/?site=demo".to_owned()),
        ("admin", "/tracking/admin/".to_owned()),
    ];
    for (name, path) in pages {
        measure(&client, name, &format!("{base}{path}")).await?;
    }
    server.abort();
    app.shutdown().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        bail!("usage: bench-pages DIR... (directories seeded by bench-reports --keep)");
    }
    for dir in dirs {
        bench(Path::new(&dir)).await?;
    }
    Ok(())
}
