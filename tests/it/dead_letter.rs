//! The writer and a store that refuses one batch for good: every other event is stored once,
//! the refused batch is kept as a dead letter, and the spool position moves past it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use footfall::ingest::dead_letter::DeadLetters;
use footfall::ingest::spool::{Spool, SpoolOptions};
use footfall::ingest::writer::{self, WriterOptions};
use footfall::metrics::Metrics;
use footfall::model::*;
use footfall::query::ecommerce::{Ecommerce, EcommercePlan};
use footfall::query::*;
use footfall::store::duckdb::{DuckDbOptions, DuckDbStore};
use footfall::store::{
    Appends, Maintenance, Metadata, Reports, SettingsTable, StoreError, StoreResult,
};

/// A real store that refuses (`Internal`) every append holding the event `bad_eid`, and is
/// unavailable for the first `outages` appends.
struct Refusing {
    inner: DuckDbStore,
    bad_eid: u64,
    outages: AtomicUsize,
    refused: AtomicUsize,
}

impl Appends for Refusing {
    fn append(&self, batches: &[Batch], spool_seq: Option<u64>) -> StoreResult<()> {
        if self
            .outages
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(StoreError::unavailable("connection refused (test)"));
        }
        if batches
            .iter()
            .any(|b| b.events.iter().any(|e| e.eid == self.bad_eid))
        {
            self.refused.fetch_add(1, Ordering::AcqRel);
            return Err(StoreError::internal("Cannot parse input: bad value (test)"));
        }
        self.inner.append(batches, spool_seq)
    }

    fn applied_spool_seq(&self) -> StoreResult<u64> {
        self.inner.applied_spool_seq()
    }

    fn recent_event_ids(&self, limit: usize) -> StoreResult<Vec<u64>> {
        self.inner.recent_event_ids(limit)
    }
}

impl Metadata for Refusing {
    fn sites(&self) -> StoreResult<Vec<Site>> {
        self.inner.sites()
    }

    fn site(&self, id: &SiteId) -> StoreResult<Option<Site>> {
        self.inner.site(id)
    }
    fn insert_site(&self, site: &Site) -> StoreResult<()> {
        self.inner.insert_site(site)
    }

    fn update_site(&self, site: &Site) -> StoreResult<()> {
        self.inner.update_site(site)
    }

    fn users(&self) -> StoreResult<Vec<User>> {
        self.inner.users()
    }

    fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_email(email)
    }
    fn insert_user(&self, user: &User) -> StoreResult<()> {
        self.inner.insert_user(user)
    }

    fn update_user(&self, user: &User) -> StoreResult<()> {
        self.inner.update_user(user)
    }

    fn delete_user(&self, email: &str) -> StoreResult<()> {
        self.inner.delete_user(email)
    }

    fn insert_token(&self, token: &ApiToken) -> StoreResult<()> {
        self.inner.insert_token(token)
    }

    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        self.inner.token_by_hash(token_hash)
    }

    fn tokens(&self) -> StoreResult<Vec<ApiToken>> {
        self.inner.tokens()
    }

    fn delete_tokens_named(&self, name: &str) -> StoreResult<usize> {
        self.inner.delete_tokens_named(name)
    }
}

impl SettingsTable for Refusing {
    fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.inner.setting(key)
    }

    fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        self.inner.set_setting(key, value)
    }
}

impl Reports for Refusing {
    fn overview(&self, plan: &OverviewPlan) -> StoreResult<Overview> {
        self.inner.overview(plan)
    }

    fn sessions(&self, plan: &SessionListPlan) -> StoreResult<SessionPage> {
        self.inner.sessions(plan)
    }

    fn session_detail(&self, plan: &SessionDetailPlan) -> StoreResult<Option<SessionDetail>> {
        self.inner.session_detail(plan)
    }

    fn live(&self, plan: &live::LivePlan) -> StoreResult<live::Live> {
        self.inner.live(plan)
    }

    fn ecommerce(&self, plan: &EcommercePlan) -> StoreResult<Ecommerce> {
        self.inner.ecommerce(plan)
    }

    fn pages(&self, plan: &pages::PagesPlan) -> StoreResult<pages::Pages> {
        self.inner.pages(plan)
    }

    fn heatmap(&self, plan: &heatmap::HeatmapPlan) -> StoreResult<heatmap::Heatmap> {
        self.inner.heatmap(plan)
    }

    fn frustration(
        &self,
        plan: &frustration::FrustrationPlan,
    ) -> StoreResult<frustration::Frustration> {
        self.inner.frustration(plan)
    }

    fn engagement(&self, plan: &engagement::EngagementPlan) -> StoreResult<engagement::Engagement> {
        self.inner.engagement(plan)
    }

    fn count_events(&self, site: &SiteId) -> StoreResult<u64> {
        self.inner.count_events(site)
    }
}

impl Maintenance for Refusing {
    fn delete_sessions_before(&self, site: &SiteId, cutoff_ms: i64) -> StoreResult<u64> {
        self.inner.delete_sessions_before(site, cutoff_ms)
    }

    fn checkpoint(&self) -> StoreResult<()> {
        self.inner.checkpoint()
    }
}

const EVENTS_PER_BATCH: u64 = 5;

fn batch(i: u64) -> Batch {
    let s = SiteId::parse("demo").expect("site id");
    let ts = 1_795_560_120_000 + i as i64 * 1_000;
    Batch {
        visitor: VisitorId::from_client(&s, &format!("v{i}")),
        session: SessionId::from_client(&s, &format!("s{i}")),
        site: s,
        user_id: None,
        received_ms: ts,
        client: ClientInfo::default(),
        source: TrafficSource::default(),
        events: (0..EVENTS_PER_BATCH)
            .map(|k| Event {
                eid: i * 100 + k + 1,
                ts_ms: ts + k as i64,
                url: format!("https://shop.example/p/{k}"),
                data: EventData::Pageview {
                    url: format!("https://shop.example/p/{k}"),
                    title: None,
                    referrer: None,
                },
            })
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_the_store_refuses_is_kept_as_a_dead_letter_and_the_rest_is_stored() {
    const BATCHES: u64 = 40;
    const BAD: u64 = 17; // spool record 18
    let dir = tempfile::tempdir().expect("tempdir");
    let inner =
        DuckDbStore::open(&dir.path().join("db"), &DuckDbOptions::default()).expect("duckdb opens");
    let store = Arc::new(Refusing {
        inner,
        bad_eid: BAD * 100 + 3,
        outages: AtomicUsize::new(2),
        refused: AtomicUsize::new(0),
    });
    let recovered = Spool::open(
        &dir.path().join("spool"),
        SpoolOptions {
            fsync: false,
            ..SpoolOptions::default()
        },
        0,
    )
    .expect("spool opens");
    // Everything is spooled before the writer starts, so its first append holds all of it.
    for i in 0..BATCHES {
        recovered
            .spool
            .append(writer::encode(&batch(i)))
            .await
            .expect("spooled");
    }
    // The same batch again (a client's retry): dropped as a duplicate, not stored twice.
    recovered
        .spool
        .append(writer::encode(&batch(3)))
        .await
        .expect("spooled");
    let metrics = Arc::new(Metrics::new());
    let stop = Arc::new(AtomicBool::new(false));
    let dead_letters = DeadLetters::in_data_dir(dir.path());
    let handle = writer::spawn(
        store.clone(),
        recovered.reader,
        WriterOptions::default(),
        metrics.clone(),
        dead_letters.clone(),
        stop.clone(),
    )
    .expect("writer starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while recovered.spool.applied_seq() < BATCHES + 1 {
        assert!(
            Instant::now() < deadline,
            "the writer stalled at {}",
            recovered.spool.applied_seq()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Release);
    tokio::task::spawn_blocking(move || handle.join())
        .await
        .expect("joined")
        .expect("the writer ends");

    let site = SiteId::parse("demo").expect("site id");
    let stored = store.count_events(&site).expect("count");
    assert_eq!(
        stored,
        (BATCHES - 1) * EVENTS_PER_BATCH,
        "every other event, once"
    );
    let mut ids = store.recent_event_ids(10_000).expect("ids");
    ids.sort_unstable();
    let mut expected: Vec<u64> = (0..BATCHES)
        .filter(|&i| i != BAD)
        .flat_map(|i| (0..EVENTS_PER_BATCH).map(move |k| i * 100 + k + 1))
        .collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "exactly the other batches' events");
    assert_eq!(store.applied_spool_seq().expect("seq"), BATCHES + 1);

    let paths = dead_letters.paths().expect("dead letters");
    assert_eq!(paths.len(), 1, "one dead letter: {paths:?}");
    let letter = DeadLetters::read(&paths[0]).expect("readable");
    assert_eq!(letter.seq, BAD + 1);
    assert_eq!(letter.batch, batch(BAD), "the batch as it was spooled");
    assert!(letter.error.contains("bad value"), "{}", letter.error);
    assert!(store.refused.load(Ordering::Acquire) >= 2);

    let text = metrics.render();
    for line in [
        "footfall_dead_letter_batches_total 1",
        "footfall_dead_letter_events_total 5",
        "footfall_events_stored_total 195",
        "footfall_duplicates_dropped_total 5",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }

    // The operator lists the dead letter and replays it once the cause is fixed, with the
    // server stopped: the real command on this data directory.
    drop(store);
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_footfall"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env("FOOTFALL_LOG", "warn")
            .output()
            .expect("footfall runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{args:?}: {text}");
        text
    };
    let listed = cli(&["dead-letter", "list"]);
    assert!(
        listed.contains(&format!("{}", BAD + 1)) && listed.contains("bad value"),
        "{listed}"
    );
    let replayed = cli(&["dead-letter", "replay"]);
    assert!(
        replayed.contains("replayed 1 dead-letter batches (5 events)"),
        "{replayed}"
    );
    assert_eq!(
        dead_letters.paths().expect("dead letters"),
        Vec::<PathBuf>::new()
    );
    // A second replay finds nothing left to store twice.
    let again = cli(&["dead-letter", "replay"]);
    assert!(again.contains("replayed 0 dead-letter batches"), "{again}");
    let reopened =
        DuckDbStore::open(&dir.path().join("db"), &DuckDbOptions::default()).expect("reopens");
    assert_eq!(
        reopened.count_events(&site).expect("count"),
        BATCHES * EVENTS_PER_BATCH,
        "every batch stored once, the refused one by the replay"
    );
}
