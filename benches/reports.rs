//! Query benchmark: every report over `footfall seed` data, cold and warm, median and p95.
//!
//! Run (release profile, so DuckDB is not rebuilt for another profile):
//!
//! ```sh
//! cargo run --release --example bench-reports -- 1000000 10000000
//! ```
//!
//! For each size it seeds a fresh database in a temporary directory (30 days of traffic for
//! site `demo`), then runs each report plan once cold (first run after opening the store) and
//! `RUNS` times warm, and prints one table row per report: the store's own time, which is what
//! the server spends per request before serialising JSON. Timing lives here, never in tests.
//!
//! `--keep DIR` seeds into `DIR/<events>` and reuses a database already there, so a report can
//! be re-measured after a query change without seeding again.
//!
//! `--store clickhouse://HOST:PORT/DB` runs the same plans on ClickHouse instead, in one
//! database per size (`DB_<events>`), kept and reused the same way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use footfall::model::{SessionId, SiteId};
use footfall::query::ecommerce::EcommercePlan;
use footfall::query::engagement::{EngagementBy, EngagementPlan, EngagementSort};
use footfall::query::frustration::{FrustrationPlan, Thresholds};
use footfall::query::heatmap::{HeatmapKind, HeatmapPlan, WidthRange};
use footfall::query::live::LivePlan;
use footfall::query::pages::{PageSort, PagesPlan};
use footfall::query::{
    Filter, Filters, Granularity, OverviewPlan, SessionDetailPlan, SessionField, SessionListPlan,
    SessionSort, TimeRange,
};
use footfall::seed::{SeedOptions, generate};
use footfall::store::clickhouse::{ClickHouseOptions, ClickHouseStore};
use footfall::store::duckdb::{DuckDbOptions, DuckDbStore};
use footfall::store::prelude::*;

const RUNS: usize = 15;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn measure(name: &str, mut run: impl FnMut()) {
    let t = Instant::now();
    run();
    let cold = t.elapsed().as_secs_f64() * 1000.0;
    let mut warm: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    warm.sort_by(f64::total_cmp);
    println!(
        "| {name:<28} | {cold:>9.1} | {:>9.1} | {:>9.1} | {:>9.1} |",
        percentile(&warm, 0.5),
        percentile(&warm, 0.95),
        warm[0]
    );
}

/// When a kept database was seeded: the seed's timestamps are relative to it, so reports on a
/// reused database measure over the seeded days.
fn seeded_at(store: &dyn Store) -> anyhow::Result<i64> {
    store
        .bench_seeded_at()?
        .ok_or_else(|| anyhow::anyhow!("the database records no seeding time"))
}

/// Seeds `events` into `store` unless it was seeded before; says how long seeding took.
fn seed_unless_kept(store: &dyn Store, events: u64) -> anyhow::Result<String> {
    if seeded_at(store).is_ok() {
        return Ok("reused".to_owned());
    }
    let site = store
        .site(&SiteId::parse("demo")?)?
        .ok_or_else(|| anyhow::anyhow!("no demo site"))?;
    let now = footfall::clock::now_ms();
    let opts = SeedOptions {
        site,
        events,
        days: 30,
        now_ms: now,
        rng_seed: 7,
    };
    let started = Instant::now();
    generate(&opts, footfall::seed::CHUNK_EVENTS, |batches| {
        store.append(&batches, None)
    })?;
    store.checkpoint()?;
    let secs = started.elapsed().as_secs_f64();
    store.set_bench_seeded_at(now)?;
    Ok(format!(
        "seeded in {secs:.1} s ({:.0} events/s)",
        events as f64 / secs
    ))
}

/// A DuckDB store in `dir`, seeded, then reopened so the first run of each report is as cold
/// as a restarted server's.
fn open_duckdb(dir: &std::path::Path, events: u64) -> anyhow::Result<(Box<dyn Store>, String)> {
    let store = DuckDbStore::open(dir, &DuckDbOptions::default())?;
    // Databases kept by earlier versions of this benchmark recorded the time in a file.
    if let Some(at) = std::fs::read_to_string(dir.join("bench-seeded-at"))
        .ok()
        .and_then(|text| text.trim().parse().ok())
    {
        store.set_bench_seeded_at(at)?;
    }
    let how = seed_unless_kept(&store, events)?;
    // bench-pages reads the time from the file.
    std::fs::write(dir.join("bench-seeded-at"), seeded_at(&store)?.to_string())?;
    drop(store);
    let bytes: u64 = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let store = DuckDbStore::open(dir, &DuckDbOptions::default())?;
    let how = format!(
        "{how}, {:.1} bytes/event on disk",
        bytes as f64 / events as f64
    );
    Ok((Box::new(store), how))
}

/// A ClickHouse database per size (`<DB>_<events>`), kept between runs like `--keep`.
fn open_clickhouse(url: &str, events: u64) -> anyhow::Result<(Box<dyn Store>, String)> {
    let url = format!("{}_{events}", url.trim_end_matches('/'));
    let options = ClickHouseOptions::new(&url, None, None, "bench".to_owned())?;
    let store = ClickHouseStore::open(&options)?;
    let how = seed_unless_kept(&store, events)?;
    Ok((Box::new(store), format!("{how}, ClickHouse {url}")))
}

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let keep = match args.iter().position(|a| a == "--keep") {
        Some(i) if i + 1 < args.len() => {
            let dir = std::path::PathBuf::from(args.remove(i + 1));
            args.remove(i);
            Some(dir)
        }
        Some(_) => anyhow::bail!("--keep needs a directory"),
        None => None,
    };
    let clickhouse = match args.iter().position(|a| a == "--store") {
        Some(i) if i + 1 < args.len() => {
            let url = args.remove(i + 1);
            args.remove(i);
            Some(url)
        }
        Some(_) => anyhow::bail!("--store needs a clickhouse://HOST:PORT/DB address"),
        None => None,
    };
    let sizes: Vec<u64> = args.iter().map(|a| a.parse()).collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![1_000_000]
    } else {
        sizes
    };
    for events in sizes {
        let temp = tempfile::tempdir()?;
        let (store, how) = match &clickhouse {
            Some(url) => open_clickhouse(url, events)?,
            None => {
                let dir = match &keep {
                    Some(base) => base.join(events.to_string()),
                    None => temp.path().to_path_buf(),
                };
                open_duckdb(&dir, events)?
            }
        };
        let now = seeded_at(store.as_ref())?;
        println!("\n{events} events: {how}\n");
        println!(
            "| report (ms)                  |      cold |  warm p50 |  warm p95 |  warm min |"
        );
        println!(
            "|------------------------------|-----------|-----------|-----------|-----------|"
        );
        let site = SiteId::parse("demo")?;
        let range = TimeRange::new(now - 30 * 86_400_000, now + 1)?;
        let all = Filters::default();
        let filtered = Filters {
            include_bots: false,
            conditions: vec![Filter::Session(SessionField::Country, "DE".into())],
        };
        let overview = |filters: &Filters| OverviewPlan {
            site: site.clone(),
            range,
            filters: filters.clone(),
            granularity: Granularity::Day,
            zone: Default::default(),
            top: 10,
            previous_series: false,
        };
        measure("overview (30 days)", || {
            store.overview(&overview(&all)).expect("overview");
        });
        measure("overview, country filter", || {
            store.overview(&overview(&filtered)).expect("overview");
        });
        let list = SessionListPlan {
            site: site.clone(),
            range,
            filters: all.clone(),
            sort: SessionSort::NewestFirst,
            limit: 50,
            offset: 0,
        };
        measure("session list (50)", || {
            store.sessions(&list).expect("sessions");
        });
        let first = store
            .sessions(&list)?
            .sessions
            .first()
            .map(|s| s.session_id.clone());
        if let Some(id) = first {
            let detail = SessionDetailPlan {
                site: site.clone(),
                session: SessionId::parse_hex(&id)?,
            };
            measure("session detail", || {
                store.session_detail(&detail).expect("detail");
            });
        }
        let ecommerce = EcommercePlan {
            site: site.clone(),
            range,
            filters: all.clone(),
            product_limit: EcommercePlan::DEFAULT_PRODUCT_LIMIT,
            granularity: footfall::query::Granularity::for_range(range),
            zone: footfall::query::zone::Zone::default(),
        };
        measure("e-commerce", || {
            store.ecommerce(&ecommerce).expect("ecommerce");
        });
        let pages = PagesPlan {
            site: site.clone(),
            range,
            filters: all.clone(),
            sort: PageSort::Views,
            limit: PagesPlan::DEFAULT_LIMIT,
            offset: 0,
        };
        measure("pages and interactions", || {
            store.pages(&pages).expect("pages");
        });
        // The heatmaps of the most viewed page, and the frustration report.
        let top_page = store.pages(&pages)?.pages.first().map(|p| p.path.clone());
        if let Some(path) = top_page {
            for (name, kind) in [
                ("heatmap, clicks (top page)", HeatmapKind::Click),
                ("heatmap, moves (top page)", HeatmapKind::Move),
                ("scroll map (top page)", HeatmapKind::Scroll),
            ] {
                let heatmap = HeatmapPlan {
                    site: site.clone(),
                    range,
                    filters: all.clone(),
                    path: path.clone(),
                    kind,
                    device: None,
                    widths: WidthRange::default(),
                    thresholds: Thresholds::default(),
                };
                measure(name, || {
                    store.heatmap(&heatmap).expect("heatmap");
                });
            }
        }
        let frustration = FrustrationPlan {
            site: site.clone(),
            range,
            filters: all.clone(),
            thresholds: Thresholds::default(),
            limit: FrustrationPlan::DEFAULT_LIMIT,
        };
        measure("frustration", || {
            store.frustration(&frustration).expect("frustration");
        });
        for by in [EngagementBy::User, EngagementBy::Visitor] {
            let engagement = EngagementPlan {
                site: site.clone(),
                range,
                filters: all.clone(),
                by,
                sort: EngagementSort::Score,
                search: None,
                limit: EngagementPlan::DEFAULT_LIMIT,
                offset: 0,
                zone: Default::default(),
            };
            let name = format!("engagement + retention ({by:?})");
            measure(&name, || {
                store.engagement(&engagement).expect("engagement");
            });
        }
        let live = LivePlan {
            site: site.clone(),
            now_ms: now,
            filters: all.clone(),
            events: 50,
        };
        measure("live", || {
            store.live(&live).expect("live");
        });
    }
    Ok(())
}
