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

use std::time::Instant;

use footfall::model::{SessionId, SiteId};
use footfall::query::ecommerce::EcommercePlan;
use footfall::query::engagement::{EngagementBy, EngagementPlan, EngagementSort};
use footfall::query::live::LivePlan;
use footfall::query::pages::{PageSort, PagesPlan};
use footfall::query::{
    Filter, Filters, Granularity, OverviewPlan, SessionDetailPlan, SessionField, SessionListPlan,
    SessionSort, TimeRange,
};
use footfall::seed::{SeedOptions, generate};
use footfall::store::Store;
use footfall::store::duckdb::{DuckDbOptions, DuckDbStore};

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
    let sizes: Vec<u64> = args.iter().map(|a| a.parse()).collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() {
        vec![1_000_000]
    } else {
        sizes
    };
    for events in sizes {
        let temp = tempfile::tempdir()?;
        let dir = match &keep {
            Some(base) => base.join(events.to_string()),
            None => temp.path().to_path_buf(),
        };
        let reuse = dir.join("footfall.duckdb").exists();
        let store = DuckDbStore::open(&dir, &DuckDbOptions::default())?;
        let site = store
            .sites()?
            .into_iter()
            .find(|s| s.id.as_str() == "demo")
            .expect("demo site");
        let marker = dir.join("bench-seeded-at");
        let now = match std::fs::read_to_string(&marker) {
            Ok(text) if reuse => text.trim().parse()?,
            _ => footfall::clock::now_ms(),
        };
        let started = Instant::now();
        let opts = SeedOptions {
            site,
            events,
            days: 30,
            now_ms: now,
            rng_seed: 7,
        };
        if reuse {
            // The seed's timestamps are relative to when it ran; measure over its days.
            println!("reusing {}", dir.display());
        } else {
            generate(&opts, 200_000, |batches| store.append(&batches, None))?;
            std::fs::write(&marker, now.to_string())?;
        }
        store.checkpoint()?;
        let seed_secs = started.elapsed().as_secs_f64();
        let bytes: u64 = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        drop(store);
        // Reopen so the first run of each report is as cold as a restarted server's.
        let store = DuckDbStore::open(&dir, &DuckDbOptions::default())?;
        let how = if reuse {
            "reused".to_owned()
        } else {
            format!(
                "seeded in {seed_secs:.1} s ({:.0} events/s)",
                events as f64 / seed_secs
            )
        };
        println!(
            "\n{events} events: {how}, {:.1} bytes/event on disk\n",
            bytes as f64 / events as f64
        );
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
