//! The ClickHouse store against a real `clickhouse-server` (Debian's 18.16), and the
//! conformance suite both stores must pass: the same store operations, and the same seeded
//! traffic giving the same report figures in DuckDB and ClickHouse.
//!
//! One server is started for the whole test binary (on free loopback ports, its own temporary
//! directory, killed and removed by a watchdog when the binary exits); each test gets a fresh
//! database. Without `clickhouse-server` these tests fail, naming the package to install
//! (`scripts/test.sh` installs it): they never skip silently.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use footfall::model::*;
use footfall::query::live::LivePlan;
use footfall::query::zone::Zone;
use footfall::query::*;
use footfall::seed::{SeedOptions, generate};
use footfall::store::clickhouse::{ClickHouseOptions, ClickHouseStore, quote};
use footfall::store::duckdb::{DuckDbOptions, DuckDbStore};
use footfall::store::{Store, StoreError};
use serde_json::{Value, json};

/// A `clickhouse-server` on loopback for this test binary.
pub struct ClickHouseServer {
    pub http_port: u16,
    /// The shell that runs the server and its watchdog (never waited for: it outlives the
    /// tests and stops with the binary).
    _watchdog: std::process::Child,
}

static SERVER: OnceLock<ClickHouseServer> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local address")
        .port()
}

/// Debian installs the server in /usr/sbin (older packages in /usr/bin).
fn server_binary() -> PathBuf {
    let mut candidates = vec![
        PathBuf::from("/usr/bin/clickhouse-server"),
        PathBuf::from("/usr/sbin/clickhouse-server"),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|p| p.join("clickhouse-server")));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "clickhouse-server is not installed, so the ClickHouse store cannot be tested: \
             install Debian's `clickhouse-server` package (scripts/test.sh does)"
            )
        })
}

fn ping(port: u16) -> bool {
    ping_on("127.0.0.1", port)
}

fn ping_on(host: &str, port: u16) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect((host, port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /ping HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.") && answer.contains(" 200 ") && answer.ends_with("Ok.\n")
}

/// Writes a server configuration for loopback ports into `dir`.
fn write_config(dir: &Path, http_port: u16, tcp_port: u16) {
    write_config_on(dir, "127.0.0.1", http_port, tcp_port, "");
}

/// Writes a server configuration listening on `host` (a loopback address), with `extra` XML
/// (e.g. `remote_servers`).
fn write_config_on(dir: &Path, host: &str, http_port: u16, tcp_port: u16, extra: &str) {
    let d = dir.display();
    let config = format!(
        r#"<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{d}/server.log</log><errorlog>{d}/error.log</errorlog></logger>
  <listen_host>{host}</listen_host>
  {extra}
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
"#
    );
    let users = r#"<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.0/8</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
"#;
    std::fs::write(dir.join("config.xml"), config).expect("config.xml");
    std::fs::write(dir.join("users.xml"), users).expect("users.xml");
}

fn start_server() -> ClickHouseServer {
    let binary = server_binary();
    let dir = std::env::temp_dir().join(format!("footfall-clickhouse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("server directory");
    let (http_port, tcp_port) = (free_port(), free_port());
    write_config(&dir, http_port, tcp_port);
    let d = dir.display();
    // The watchdog stops the server and removes its directory when this test binary exits,
    // however it exits (the server lives in a static, which is never dropped).
    let script = format!(
        "{bin} --config-file={d}/config.xml >{d}/stdout.log 2>&1 & ch=$!; \
         while kill -0 {pid} 2>/dev/null && kill -0 $ch 2>/dev/null; do sleep 0.5; done; \
         kill $ch 2>/dev/null; wait $ch; rm -rf {d}",
        bin = binary.display(),
        pid = std::process::id(),
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start clickhouse-server");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ping(http_port) {
        let exited = child.try_wait().ok().flatten().is_some();
        if exited || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let log =
                |f: &str| std::fs::read_to_string(Path::new(&dir).join(f)).unwrap_or_default();
            panic!(
                "clickhouse-server did not start on port {http_port}:\n{}\n{}",
                log("stdout.log"),
                log("error.log")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    ClickHouseServer {
        http_port,
        _watchdog: child,
    }
}

pub fn server() -> &'static ClickHouseServer {
    SERVER.get_or_init(start_server)
}

/// A `clickhouse://` URL of a database no other test uses.
pub fn fresh_url() -> String {
    let n = NEXT_DB.fetch_add(1, Ordering::Relaxed);
    format!(
        "clickhouse://127.0.0.1:{}/footfall_test_{}_{n}",
        server().http_port,
        std::process::id()
    )
}

pub fn open_at(url: &str, node: &str) -> ClickHouseStore {
    let options = ClickHouseOptions::new(url, None, None, node.into()).expect("url");
    ClickHouseStore::open(&options).expect("the ClickHouse store opens")
}

pub fn fresh_clickhouse() -> ClickHouseStore {
    open_at(&fresh_url(), "node-a")
}

pub(crate) fn fresh_duckdb() -> (DuckDbStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DuckDbStore::open(dir.path(), &DuckDbOptions::default()).expect("duckdb opens");
    (store, dir)
}

// ---------------------------------------------------------------------------------------------
// The client and the dialect

#[test]
fn quoted_strings_round_trip_through_the_server() {
    let store = fresh_clickhouse();
    for s in [
        "plain",
        "it's",
        r"back\slash",
        "nul\0byte",
        "\\'",
        "'; DROP TABLE events; --",
        "line\nbreak\ttab\r",
        "\u{1}\u{1f}\u{7f}",
        "ünïcødé ✓",
        "",
    ] {
        let got = store
            .query_raw(&format!("SELECT {}", quote(s)))
            .expect("query");
        assert_eq!(got, vec![s.to_owned()], "{s:?}");
    }
}

#[test]
fn bad_sql_is_an_internal_error_and_a_dead_server_is_unavailable() {
    let store = fresh_clickhouse();
    assert!(matches!(
        store.query_raw("SELEC 1"),
        Err(StoreError::Internal(m)) if m.contains("Syntax error")
    ));
    assert!(matches!(
        store.query_raw("SELECT * FROM no_such_table"),
        Err(StoreError::Internal(_))
    ));
    let nobody = format!("clickhouse://127.0.0.1:{}/x", free_port());
    let options = ClickHouseOptions::new(&nobody, None, None, "n".into()).unwrap();
    assert!(matches!(
        ClickHouseStore::open(&options),
        Err(StoreError::Unavailable(_))
    ));
}

#[test]
fn migrations_run_once_and_a_second_node_shares_the_schema() {
    let url = fresh_url();
    let a = open_at(&url, "node-a");
    let b = open_at(&url, "node-b");
    assert_eq!(
        a.query_raw("SELECT count() FROM schema_migrations")
            .unwrap(),
        vec!["1"]
    );
    assert_eq!(a.sites().unwrap().len(), 1);
    assert_eq!(b.sites().unwrap(), a.sites().unwrap());
}

// ---------------------------------------------------------------------------------------------
// Store conformance: the same checks on both stores

pub(crate) fn site(id: &str) -> SiteId {
    SiteId::parse(id).unwrap()
}

fn small_batch(session: &str, first_eid: u64, ts: i64, n: usize) -> Batch {
    let s = site("demo");
    Batch {
        visitor: VisitorId::from_client(&s, &format!("v-{session}")),
        session: SessionId::from_client(&s, session),
        site: s,
        user_id: None,
        received_ms: ts,
        client: ClientInfo {
            browser: "Firefox".into(),
            browser_version: "130".into(),
            os: "Linux".into(),
            device: DeviceClass::Desktop,
            country: Some("DE".into()),
            ..ClientInfo::default()
        },
        source: TrafficSource::default(),
        events: (0..n)
            .map(|i| Event {
                eid: first_eid + i as u64,
                ts_ms: ts + i as i64,
                url: format!("https://shop.example/p/{}", i % 3),
                data: if i % 2 == 0 {
                    EventData::Pageview {
                        url: format!("https://shop.example/p/{}", i % 3),
                        title: Some("it's a \"title\"\\".into()),
                        referrer: None,
                    }
                } else {
                    EventData::Click {
                        x: 1,
                        y: 2,
                        page_y: None,
                        selector: "#buy".into(),
                        text: Some("Buy\0now".into()),
                    }
                },
            })
            .collect(),
    }
}

fn conformance_append_and_positions(store: &dyn Store) {
    let demo = site("demo");
    assert_eq!(store.applied_spool_seq().unwrap(), 0);
    assert_eq!(store.count_events(&demo).unwrap(), 0);
    let t = 1_795_560_120_000;
    // Seeded (no spool position) first, then two ingested appends.
    store.append(&[small_batch("s1", 100, t, 4)], None).unwrap();
    store
        .append(&[small_batch("s2", 200, t + 10_000, 3)], Some(3))
        .unwrap();
    store
        .append(&[small_batch("s3", 300, t + 20_000, 2)], Some(9))
        .unwrap();
    assert_eq!(store.count_events(&demo).unwrap(), 9);
    assert_eq!(store.count_events(&site("other")).unwrap(), 0);
    assert_eq!(store.applied_spool_seq().unwrap(), 9);
    assert_eq!(
        store.recent_event_ids(3).unwrap(),
        vec![301, 300, 202],
        "newest first"
    );
    // Every ingested event is remembered; a store may remember seeded ones too.
    let remembered = store.recent_event_ids(100).unwrap();
    for id in [200, 201, 202, 300, 301] {
        assert!(remembered.contains(&id), "{id} in {remembered:?}");
    }
}

fn conformance_metadata(store: &dyn Store) {
    let mut shop = Site {
        id: site("shop"),
        domains: vec!["shop.example".into(), "www.shop.example".into()],
        settings: SiteSettings::default(),
    };
    store.insert_site(&shop).unwrap();
    assert!(matches!(store.insert_site(&shop), Err(StoreError::Conflict(m)) if m.contains("shop")));
    shop.settings = SiteSettings {
        raw_keys: true,
        ip_mode: IpMode::Hash,
    };
    store.update_site(&shop).unwrap();
    let sites = store.sites().unwrap();
    assert_eq!(
        sites.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        vec!["demo", "shop"]
    );
    assert_eq!(sites[1], shop);
    let ghost = Site {
        id: site("ghost"),
        ..shop.clone()
    };
    assert!(matches!(
        store.update_site(&ghost),
        Err(StoreError::NotFound(_))
    ));

    let mut user = User {
        email: "o'brien@example.com".into(),
        role: Role::Viewer,
        password_hash: "$argon2id$v=19$x\\y".into(),
        sites: vec![site("shop")],
    };
    store.insert_user(&user).unwrap();
    assert!(matches!(
        store.insert_user(&user),
        Err(StoreError::Conflict(_))
    ));
    user.role = Role::Admin;
    user.sites = vec![site("demo"), site("shop")];
    store.update_user(&user).unwrap();
    assert_eq!(store.users().unwrap(), vec![user.clone()]);
    store.delete_user(&user.email).unwrap();
    assert!(store.users().unwrap().is_empty());
    assert!(matches!(
        store.delete_user(&user.email),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.update_user(&user),
        Err(StoreError::NotFound(_))
    ));
    // A deleted account can be created again.
    store.insert_user(&user).unwrap();
    assert_eq!(store.users().unwrap().len(), 1);

    for (name, hash) in [("ci", "h1"), ("ci", "h2"), ("deploy", "h3")] {
        store
            .insert_token(&ApiToken {
                name: name.into(),
                token_hash: hash.into(),
                created_ms: 0,
            })
            .unwrap();
    }
    let found = store.token_by_hash("h2").unwrap().expect("token h2");
    assert_eq!(
        (found.name.as_str(), found.token_hash.as_str()),
        ("ci", "h2")
    );
    assert!(found.created_ms > 0);
    assert_eq!(store.token_by_hash("nope").unwrap(), None);
    assert_eq!(store.tokens().unwrap().len(), 3);
    assert_eq!(store.delete_tokens_named("ci").unwrap(), 2);
    assert_eq!(store.delete_tokens_named("ci").unwrap(), 0);
    let left: Vec<String> = store
        .tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(left, vec!["deploy"]);
    assert_eq!(store.token_by_hash("h1").unwrap(), None);

    assert_eq!(store.setting("salt").unwrap(), None);
    store.set_setting("salt", "1").unwrap();
    store.set_setting("salt", "2\0\\'").unwrap();
    assert_eq!(store.setting("salt").unwrap().as_deref(), Some("2\0\\'"));
}

#[test]
fn duckdb_passes_the_store_conformance_checks() {
    let (a, _d) = fresh_duckdb();
    conformance_append_and_positions(&a);
    let (b, _d) = fresh_duckdb();
    conformance_metadata(&b);
}

#[test]
fn clickhouse_passes_the_store_conformance_checks() {
    conformance_append_and_positions(&fresh_clickhouse());
    conformance_metadata(&fresh_clickhouse());
}

/// Shared cookieless sessions written before the cutoff are deleted; later ones and every
/// other setting stay.
#[test]
fn stale_shared_sessions_are_forgotten() {
    let store = fresh_clickhouse();
    let pause = || std::thread::sleep(std::time::Duration::from_millis(20));
    store.set_setting("not-a-session", "kept").unwrap();
    store
        .set_setting("session:00000000000000aa", "told:1")
        .unwrap();
    pause();
    let cutoff = footfall::clock::now_ms();
    pause();
    store
        .set_setting("session:00000000000000bb", "tnew:2")
        .unwrap();
    store.forget_shared_sessions(cutoff).unwrap();
    assert_eq!(store.setting("session:00000000000000aa").unwrap(), None);
    assert_eq!(
        store
            .setting("session:00000000000000bb")
            .unwrap()
            .as_deref(),
        Some("tnew:2")
    );
    assert_eq!(
        store.setting("not-a-session").unwrap().as_deref(),
        Some("kept")
    );
    // DuckDB is never shared and keeps none; the call is a no-op there.
    let (duck, _dir) = fresh_duckdb();
    duck.set_setting("session:00000000000000aa", "t:1").unwrap();
    duck.forget_shared_sessions(i64::MAX).unwrap();
    assert!(duck.setting("session:00000000000000aa").unwrap().is_some());
}

#[test]
fn each_node_records_its_own_spool_position() {
    let url = fresh_url();
    let a = open_at(&url, "node-a");
    let b = open_at(&url, "node-b");
    a.append(&[small_batch("s1", 1, 1_795_560_120_000, 2)], Some(5))
        .unwrap();
    b.append(&[small_batch("s2", 11, 1_795_560_120_000, 2)], Some(2))
        .unwrap();
    assert_eq!(a.applied_spool_seq().unwrap(), 5);
    assert_eq!(b.applied_spool_seq().unwrap(), 2);
    assert_eq!(open_at(&url, "node-c").applied_spool_seq().unwrap(), 0);
    // Both nodes' events are in the shared tables.
    assert_eq!(a.count_events(&site("demo")).unwrap(), 4);
}

// ---------------------------------------------------------------------------------------------
// Seeded traffic: the same figures from both stores

pub(crate) const NOW: i64 = 1_795_560_120_000; // 2026-11-24T22:42:00Z

fn seed_options(events: u64, days: u32) -> SeedOptions {
    SeedOptions {
        site: Site {
            id: site("demo"),
            domains: vec!["localhost".into()],
            settings: SiteSettings::default(),
        },
        events,
        days,
        now_ms: NOW,
        rng_seed: 42,
    }
}

/// Appends the same seeded chunks (with spool positions) to every store.
pub(crate) fn seed(stores: &[&dyn Store], events: u64, days: u32) {
    let mut seq = 0;
    generate(&seed_options(events, days), 700, |batches| {
        seq += 1;
        for s in stores {
            s.append(&batches, Some(seq))?;
        }
        Ok::<_, StoreError>(())
    })
    .expect("seeding");
}

/// Rounds floating-point figures (sums of many doubles may differ in the last bits between
/// the databases) to 1e-9 relative, so reports compare exactly otherwise.
fn normalise(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or_default();
            let scale = 10f64.powi(9 - f.abs().log10().ceil().max(0.0) as i32);
            json!((f * scale).round() / scale)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        other => other,
    }
}

pub(crate) fn same<T: serde::Serialize>(what: &str, duck: &T, ch: &T) {
    let (d, c) = (
        normalise(serde_json::to_value(duck).unwrap()),
        normalise(serde_json::to_value(ch).unwrap()),
    );
    if d != c {
        let (ds, cs) = (
            serde_json::to_string_pretty(&d).unwrap(),
            serde_json::to_string_pretty(&c).unwrap(),
        );
        let first = ds
            .lines()
            .zip(cs.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let around = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(8))
                .take(16)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{what}: DuckDB and ClickHouse differ at line {first}:\n--- duckdb\n{}\n--- clickhouse\n{}",
            around(&ds),
            around(&cs)
        );
    }
}

/// Filters that select something in the seeded data, taken from DuckDB's own top lists.
fn filter_sets(duck: &DuckDbStore, range: TimeRange) -> Vec<Filters> {
    let plan = OverviewPlan {
        site: site("demo"),
        range,
        filters: Filters::default(),
        granularity: Granularity::Day,
        zone: Zone::default(),
        top: 3,
    };
    let o = duck.overview(&plan).unwrap();
    let first = |list: &str| {
        o.top[list]
            .iter()
            .find_map(|r| r.value.clone())
            .unwrap_or_else(|| panic!("no {list} in the seeded data"))
    };
    let sessions = duck
        .sessions(&SessionListPlan {
            site: site("demo"),
            range,
            filters: Filters::default(),
            sort: SessionSort::MostEventsFirst,
            limit: 5,
            offset: 0,
        })
        .unwrap();
    let visitor = VisitorId::parse_hex(&sessions.sessions[0].visitor_id).unwrap();
    let user = sessions
        .sessions
        .iter()
        .find_map(|s| s.user_id.clone())
        .unwrap_or_else(|| "nobody".into());
    let page = first("pages");
    let prefix: String = page.chars().take(3).collect();
    let one = |f: Filter| Filters {
        include_bots: false,
        conditions: vec![f],
    };
    let mut out = vec![
        Filters::default(),
        Filters {
            include_bots: true,
            conditions: Vec::new(),
        },
        one(Filter::Page(page)),
        one(Filter::PagePrefix(prefix)),
        one(Filter::Session(SessionField::Country, first("countries"))),
        one(Filter::Session(SessionField::Device, first("devices"))),
        one(Filter::Session(SessionField::Browser, first("browsers"))),
        one(Filter::Session(SessionField::Source, first("sources"))),
        one(Filter::Session(
            SessionField::UtmCampaign,
            first("utm_campaigns"),
        )),
        one(Filter::SignedIn(true)),
        one(Filter::SignedIn(false)),
        one(Filter::User(user)),
        one(Filter::Visitor(visitor)),
        one(Filter::HasEvent("purchase".into())),
        one(Filter::HasEvent("click".into())),
        one(Filter::CustomEvent("plan_selected".into())),
        one(Filter::CustomProp {
            key: "plan".into(),
            value: "pro".into(),
        }),
        one(Filter::CustomProp {
            key: "network".into(),
            value: "it's \\ not there".into(),
        }),
        // Hostile values select nothing in either store (and break no SQL).
        one(Filter::Page("/' OR '1'='1".into())),
        one(Filter::User("x\\' OR 1=1 --\0".into())),
    ];
    // Every other session attribute, with a value it has in the data.
    let d = |list: &str| {
        o.top
            .get(list)
            .and_then(|rows| rows.iter().find_map(|r| r.value.clone()))
    };
    let values = duck
        .sessions(&SessionListPlan {
            site: site("demo"),
            range,
            filters: Filters::default(),
            sort: SessionSort::NewestFirst,
            limit: 1,
            offset: 0,
        })
        .unwrap();
    let os = values.sessions.first().map(|s| s.os.clone());
    for (field, value) in [
        (SessionField::Medium, Some("search".to_owned())),
        (SessionField::ReferrerHost, d("referrers")),
        (SessionField::UtmSource, Some("newsletter".to_owned())),
        (SessionField::UtmMedium, Some("email".to_owned())),
        (SessionField::UtmTerm, Some("shoes".to_owned())),
        (SessionField::UtmContent, Some("banner".to_owned())),
        (SessionField::Os, os),
    ] {
        out.push(one(Filter::Session(
            field,
            value.unwrap_or_else(|| "none".into()),
        )));
    }
    out.push(Filters {
        include_bots: true,
        conditions: vec![
            Filter::HasEvent("pageview".into()),
            Filter::Session(SessionField::Device, "desktop".into()),
        ],
    });
    out
}

struct Pair {
    duck: DuckDbStore,
    _dir: tempfile::TempDir,
    ch: ClickHouseStore,
}

fn seeded_pair(events: u64, days: u32) -> Pair {
    let (duck, dir) = fresh_duckdb();
    let ch = fresh_clickhouse();
    seed(&[&duck, &ch], events, days);
    assert_eq!(
        duck.count_events(&site("demo")).unwrap(),
        ch.count_events(&site("demo")).unwrap()
    );
    Pair {
        duck,
        _dir: dir,
        ch,
    }
}

#[test]
fn overview_figures_are_the_same_in_both_stores() {
    let p = seeded_pair(6_000, 4);
    let range = TimeRange::new(NOW - 3 * 86_400_000, NOW).unwrap();
    for filters in filter_sets(&p.duck, range) {
        for (granularity, zone) in [
            (Granularity::Day, Zone::default()),
            (Granularity::Hour, Zone::parse("Europe/Berlin").unwrap()),
            (Granularity::Week, Zone::parse("America/New_York").unwrap()),
        ] {
            let plan = OverviewPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                granularity,
                zone,
                top: 5,
            };
            let d = p.duck.overview(&plan).unwrap();
            let c = p.ch.overview(&plan).unwrap();
            same(&format!("overview {filters:?} {granularity:?}"), &d, &c);
        }
    }
}

#[test]
fn session_lists_and_details_are_the_same_in_both_stores() {
    let p = seeded_pair(4_000, 3);
    let range = TimeRange::new(NOW - 2 * 86_400_000, NOW).unwrap();
    for filters in filter_sets(&p.duck, range) {
        for sort in [
            SessionSort::NewestFirst,
            SessionSort::OldestFirst,
            SessionSort::LongestFirst,
            SessionSort::MostEventsFirst,
        ] {
            for offset in [0, 15, 100_000] {
                let plan = SessionListPlan {
                    site: site("demo"),
                    range,
                    filters: filters.clone(),
                    sort,
                    limit: 15,
                    offset,
                };
                let d = p.duck.sessions(&plan).unwrap();
                let c = p.ch.sessions(&plan).unwrap();
                same(&format!("sessions {filters:?} {sort:?} {offset}"), &d, &c);
            }
        }
    }
    let all = p
        .duck
        .sessions(&SessionListPlan {
            site: site("demo"),
            range,
            filters: Filters {
                include_bots: true,
                conditions: Vec::new(),
            },
            sort: SessionSort::MostEventsFirst,
            limit: 40,
            offset: 0,
        })
        .unwrap();
    assert!(all.sessions.len() >= 20, "{}", all.sessions.len());
    for s in &all.sessions {
        let plan = SessionDetailPlan {
            site: site("demo"),
            session: SessionId::parse_hex(&s.session_id).unwrap(),
        };
        let d = p.duck.session_detail(&plan).unwrap();
        let c = p.ch.session_detail(&plan).unwrap();
        assert!(d.is_some());
        same(&format!("session {}", s.session_id), &d, &c);
    }
    let missing = SessionDetailPlan {
        site: site("demo"),
        session: SessionId(12345),
    };
    assert_eq!(p.ch.session_detail(&missing).unwrap(), None);
}

#[test]
fn live_views_are_the_same_in_both_stores() {
    let p = seeded_pair(3_000, 1);
    let range = TimeRange::new(NOW - 86_400_000, NOW).unwrap();
    for filters in filter_sets(&p.duck, range) {
        for now_ms in [NOW, NOW - 3_600_000, NOW - 7_200_000] {
            let plan = LivePlan {
                site: site("demo"),
                now_ms,
                filters: filters.clone(),
                events: 30,
            };
            let d = p.duck.live(&plan).unwrap();
            let c = p.ch.live(&plan).unwrap();
            same(&format!("live {filters:?} {now_ms}"), &d, &c);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Idempotent appends

/// An append that fails half-way (here: a table missing after the events were inserted) and
/// is retried with the same spool position stores every row exactly once.
#[test]
fn a_retried_append_after_a_partial_failure_stores_each_row_once() {
    check_retried_append(fresh_clickhouse());
}

/// The same with every table's rows sent in inserts of at most 7 rows: some inserts of the
/// chunk land before the failure, and the retry sends exactly the others.
#[test]
fn a_retried_append_split_into_small_inserts_stores_each_row_once() {
    let mut options = ClickHouseOptions::new(&fresh_url(), None, None, "node-a".into()).unwrap();
    options.max_insert_rows = 7;
    check_retried_append(ClickHouseStore::open(&options).unwrap());
}

fn check_retried_append(ch: ClickHouseStore) {
    let (duck, _dir) = fresh_duckdb();
    let mut chunks = Vec::new();
    generate(&seed_options(1_500, 1), 500, |b| {
        chunks.push(b);
        Ok::<_, StoreError>(())
    })
    .unwrap();
    for (i, batches) in chunks.iter().enumerate() {
        let seq = i as u64 + 1;
        duck.append(batches, Some(seq)).unwrap();
        if i == 1 {
            ch.execute_raw("RENAME TABLE session_parts TO parked")
                .unwrap();
            let failed = ch.append(batches, Some(seq));
            assert!(failed.is_err(), "the sabotaged append fails");
            assert_eq!(ch.applied_spool_seq().unwrap(), seq - 1);
            ch.execute_raw("RENAME TABLE parked TO session_parts")
                .unwrap();
        }
        ch.append(batches, Some(seq)).unwrap();
    }
    assert_eq!(ch.applied_spool_seq().unwrap(), chunks.len() as u64);
    for table in ["events", "items", "batches", "identities", "session_parts"] {
        let dups = ch
            .query_raw(&format!(
                "SELECT count() FROM (SELECT chunk, {k} FROM {table} GROUP BY chunk, {k} HAVING count() > 1)",
                k = if table == "events" { "eid" } else { "row" }
            ))
            .unwrap();
        assert_eq!(dups, vec!["0"], "duplicate rows in {table}");
    }
    assert_eq!(
        duck.count_events(&site("demo")).unwrap(),
        ch.count_events(&site("demo")).unwrap()
    );
    let plan = OverviewPlan {
        site: site("demo"),
        range: TimeRange::new(NOW - 86_400_000, NOW).unwrap(),
        filters: Filters {
            include_bots: true,
            conditions: Vec::new(),
        },
        granularity: Granularity::Hour,
        zone: Zone::default(),
        top: 10,
    };
    same(
        "overview after a retried append",
        &duck.overview(&plan).unwrap(),
        &ch.overview(&plan).unwrap(),
    );
}

// ---------------------------------------------------------------------------------------------
// The whole server on ClickHouse

#[test]
fn engagement_reports_are_the_same_in_both_stores() {
    use footfall::query::engagement::{EngagementBy, EngagementPlan, EngagementSort};
    let p = seeded_pair(10_000, 20);
    let range = TimeRange::new(NOW - 19 * 86_400_000, NOW).unwrap();
    let mut filter_sets = filter_sets(&p.duck, range);
    filter_sets.truncate(6);
    for filters in filter_sets {
        for by in [EngagementBy::User, EngagementBy::Visitor] {
            for (sort, search, offset) in [
                (EngagementSort::Score, None, 0),
                (EngagementSort::Engaged, None, 5),
                (EngagementSort::Purchases, None, 0),
                (EngagementSort::LastSeenAsc, None, 0),
                (EngagementSort::FirstSeen, Some("USER-1".to_owned()), 0),
                (EngagementSort::Sessions, None, 100_000),
            ] {
                let plan = EngagementPlan {
                    site: site("demo"),
                    range,
                    filters: filters.clone(),
                    by,
                    sort,
                    search: search.clone(),
                    limit: 10,
                    offset,
                    zone: Zone::parse("Europe/Berlin").unwrap(),
                };
                let d = p.duck.engagement(&plan).unwrap();
                let c = p.ch.engagement(&plan).unwrap();
                if filters.conditions.is_empty() && offset == 0 && search.is_none() {
                    assert!(!d.rows.is_empty() && !d.cohorts.is_empty(), "{d:?}");
                }
                same(
                    &format!("engagement {filters:?} {by:?} {sort:?} {search:?} {offset}"),
                    &d,
                    &c,
                );
            }
        }
    }
}

#[test]
fn pages_reports_are_the_same_in_both_stores() {
    use footfall::query::pages::{PageSort, PagesPlan};
    let p = seeded_pair(8_000, 4);
    let range = TimeRange::new(NOW - 3 * 86_400_000, NOW).unwrap();
    for filters in filter_sets(&p.duck, range) {
        for sort in [
            PageSort::Views,
            PageSort::Visitors,
            PageSort::Time,
            PageSort::Path,
        ] {
            for offset in [0, 7, 100_000] {
                let plan = PagesPlan {
                    site: site("demo"),
                    range,
                    filters: filters.clone(),
                    sort,
                    limit: 7,
                    offset,
                };
                let d = p.duck.pages(&plan).unwrap();
                let c = p.ch.pages(&plan).unwrap();
                if filters.conditions.is_empty() && offset == 0 {
                    assert!(
                        d.pages
                            .iter()
                            .any(|p| p.scroll.reached_50 > 0 && !p.clicks.is_empty()),
                        "{d:?}"
                    );
                }
                same(&format!("pages {filters:?} {sort:?} {offset}"), &d, &c);
            }
        }
    }
}

#[test]
fn ecommerce_figures_are_the_same_in_both_stores() {
    let p = seeded_pair(8_000, 4);
    let range = TimeRange::new(NOW - 3 * 86_400_000, NOW).unwrap();
    for filters in filter_sets(&p.duck, range) {
        for (granularity, zone) in [
            (Granularity::Day, Zone::default()),
            (Granularity::Hour, Zone::parse("Asia/Kolkata").unwrap()),
        ] {
            let plan = footfall::query::ecommerce::EcommercePlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                product_limit: 8,
                granularity,
                zone,
            };
            let d = p.duck.ecommerce(&plan).unwrap();
            let c = p.ch.ecommerce(&plan).unwrap();
            if filters.conditions.is_empty() {
                assert!(d.orders > 0 && !d.top_products.is_empty(), "{d:?}");
            }
            same(&format!("ecommerce {filters:?} {granularity:?}"), &d, &c);
        }
    }
}

/// `footfall serve --store clickhouse://...`: events sent over HTTP reach ClickHouse through
/// the spool and the writer, and every report answers from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_runs_on_clickhouse() {
    use crate::common::{TestApp, native_batch};
    let url = fresh_url();
    let app = TestApp::spawn_with(
        |c| {
            c.store = footfall::config::StoreConfig::ClickHouse {
                url: url.clone(),
                user: None,
                password: None,
                cluster: None,
            }
        },
        Default::default(),
    )
    .await;
    let (status, body) = app
        .post_json(
            "/api/v1/collect",
            &native_batch("demo", "v1", "s1", "e", 10),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    // The same batch again (a client retry) is not stored twice.
    let (status, _) = app
        .post_json(
            "/api/v1/collect",
            &native_batch("demo", "v1", "s1", "e", 10),
        )
        .await;
    assert_eq!(status, 202);
    app.settle().await;
    let (status, o) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["sessions"].clone(), o["events"].clone()),
        (json!(1), json!(10))
    );
    let (status, s) = app.get_api("/api/v1/sites/demo/sessions").await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["total"], 1);
    for report in ["ecommerce", "pages", "engagement?by=visitor", "live"] {
        let (status, r) = app.get_api(&format!("/api/v1/sites/demo/{report}")).await;
        assert_eq!(status, 200, "{report}: {r}");
    }
    app.shutdown().await;
    // What the server wrote is in ClickHouse, under this node's spool position.
    let store = open_at(&url, "reader");
    assert_eq!(store.count_events(&site("demo")).unwrap(), 10);
}

/// A node stopped half-way through an append (its spool position not recorded) replays those
/// spool records after a restart; the half-written rows are deleted on open, so the replay
/// stores everything exactly once, even though the writer skips events it finds stored.
#[test]
fn a_half_written_append_is_rolled_back_when_the_node_restarts() {
    let url = fresh_url();
    check_half_written_rollback(&|node| open_at(&url, node));
}

/// The body of the test above, for a store opened by `open(node)` (one server or a cluster).
fn check_half_written_rollback(open: &dyn Fn(&str) -> ClickHouseStore) {
    let (duck, _dir) = fresh_duckdb();
    let mut chunks = Vec::new();
    generate(&seed_options(1_000, 1), 400, |b| {
        chunks.push(b);
        Ok::<_, StoreError>(())
    })
    .unwrap();
    assert!(chunks.len() >= 2);
    for (i, batches) in chunks.iter().enumerate() {
        duck.append(batches, Some(i as u64 + 1)).unwrap();
    }
    let first = open("node-a");
    first.append(&chunks[0], Some(1)).unwrap();
    first.execute_raw("RENAME TABLE batches TO parked").unwrap();
    assert!(first.append(&chunks[1], Some(2)).is_err());
    first.execute_raw("RENAME TABLE parked TO batches").unwrap();
    let partial = first.count_events(&site("demo")).unwrap();
    assert!(partial > 0);
    drop(first);

    // Another node's rows are never touched by this node's recovery.
    let other = open("node-b");
    assert_eq!(other.count_events(&site("demo")).unwrap(), partial);

    let restarted = open("node-a");
    assert_eq!(restarted.applied_spool_seq().unwrap(), 1);
    let stored: std::collections::HashSet<u64> = restarted
        .recent_event_ids(1_000_000)
        .unwrap()
        .into_iter()
        .collect();
    // What the writer replays: records after the recorded position, minus stored events.
    for (i, batches) in chunks.iter().enumerate().skip(1) {
        let mut replay = batches.clone();
        for b in &mut replay {
            b.events.retain(|e| !stored.contains(&e.eid));
        }
        replay.retain(|b| !b.events.is_empty());
        restarted.append(&replay, Some(i as u64 + 1)).unwrap();
    }
    let plan = OverviewPlan {
        site: site("demo"),
        range: TimeRange::new(NOW - 86_400_000, NOW).unwrap(),
        filters: Filters {
            include_bots: true,
            conditions: Vec::new(),
        },
        granularity: Granularity::Hour,
        zone: Zone::default(),
        top: 10,
    };
    same(
        "overview after a restart",
        &duck.overview(&plan).unwrap(),
        &restarted.overview(&plan).unwrap(),
    );
    assert_eq!(
        duck.count_events(&site("demo")).unwrap(),
        restarted.count_events(&site("demo")).unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// The hand-computed fixture tests of the other modules, run again on ClickHouse: the whole path
// from HTTP ingest through the spool and the writer to every report's API.

fn fresh_store_config() -> footfall::config::StoreConfig {
    footfall::config::StoreConfig::ClickHouse {
        url: fresh_url(),
        user: None,
        password: None,
        cluster: None,
    }
}

macro_rules! on_clickhouse {
    ($($name:ident => $check:path;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let before = NEXT_DB.load(Ordering::Relaxed);
                crate::common::STORE.scope(fresh_store_config, $check()).await;
                // The check's apps really ran on ClickHouse databases of their own.
                assert!(NEXT_DB.load(Ordering::Relaxed) > before);
            }
        )*
    };
}

on_clickhouse! {
    filters_fixture_on_clickhouse => crate::filters::every_filter_selects_the_right_sessions_check;
    bad_filters_on_clickhouse => crate::filters::bad_filters_are_400s_that_name_them_check;
    overview_fixture_on_clickhouse => crate::overview::overview_figures_match_the_hand_computed_fixture_check;
    overview_zones_on_clickhouse => crate::overview::series_and_dates_follow_the_time_zone_check;
    ecommerce_fixture_on_clickhouse => crate::ecommerce::every_figure_matches_the_hand_computed_fixture_check;
    ecommerce_filters_on_clickhouse => crate::ecommerce::filters_bots_and_limit_change_the_figures_check;
    pages_fixture_on_clickhouse => crate::pages::every_figure_matches_the_hand_computed_fixture_check;
    pages_filters_on_clickhouse => crate::pages::filters_bots_and_bad_parameters_check;
    engagement_fixture_on_clickhouse => crate::engagement::every_figure_by_user_matches_the_hand_computed_fixture_check;
    engagement_visitors_on_clickhouse => crate::engagement::by_visitor_counts_every_visitor_check;
    engagement_paging_on_clickhouse => crate::engagement::filters_search_sorting_paging_and_errors_check;
    engagement_cohorts_on_clickhouse => crate::engagement::cohort_weeks_are_local_weeks_of_the_requested_time_zone_check;
}

// ---------------------------------------------------------------------------------------------
// Outages

/// A server of one test's own, which the test stops and starts again (killed on drop).
pub(crate) struct OwnServer {
    dir: tempfile::TempDir,
    host: String,
    http_port: u16,
    child: Option<std::process::Child>,
}

impl OwnServer {
    pub(crate) fn start() -> OwnServer {
        OwnServer::start_on("127.0.0.1", free_port(), free_port(), "")
    }

    pub(crate) fn start_on(host: &str, http_port: u16, tcp_port: u16, extra: &str) -> OwnServer {
        let dir = tempfile::tempdir().expect("tempdir");
        write_config_on(dir.path(), host, http_port, tcp_port, extra);
        let mut s = OwnServer {
            dir,
            host: host.to_owned(),
            http_port,
            child: None,
        };
        s.resume();
        s
    }

    pub(crate) fn resume(&mut self) {
        let child = Command::new(server_binary())
            .arg(format!(
                "--config-file={}",
                self.dir.path().join("config.xml").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start clickhouse-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ping_on(&self.host, self.http_port) {
            assert!(Instant::now() < deadline, "clickhouse-server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server (no clean shutdown: an outage).
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("clickhouse://{}:{}/footfall", self.host, self.http_port)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// While ClickHouse is down, ingestion keeps acknowledging into the spool and the store
/// answers `Unavailable`; when it is back, the writer's retries store every acknowledged event
/// exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_a_clickhouse_outage() {
    use crate::common::{TestApp, native_batch};
    let mut server = OwnServer::start();
    let url = server.url();
    let app = TestApp::spawn_with(
        |c| {
            c.store = footfall::config::StoreConfig::ClickHouse {
                url: url.clone(),
                user: None,
                password: None,
                cluster: None,
            }
        },
        Default::default(),
    )
    .await;
    let (status, _) = app
        .post_json(
            "/api/v1/collect",
            &native_batch("demo", "v1", "s1", "a", 10),
        )
        .await;
    assert_eq!(status, 202);
    app.settle().await;

    server.kill();
    let probe = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let options = ClickHouseOptions::new(&url, None, None, "probe".into()).unwrap();
            ClickHouseStore::open(&options).err()
        })
        .await
        .unwrap()
    };
    assert!(
        matches!(probe, Some(StoreError::Unavailable(_))),
        "{probe:?}"
    );
    for (session, prefix) in [("s2", "b"), ("s3", "c")] {
        let (status, body) = app
            .post_json(
                "/api/v1/collect",
                &native_batch("demo", "v2", session, prefix, 10),
            )
            .await;
        assert_eq!(
            status, 202,
            "accepted into the spool while ClickHouse is down: {body}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let h = app.health().await;
    assert_ne!(h["spool_applied_seq"], h["spool_committed_seq"], "{h}");

    let server = tokio::task::spawn_blocking(move || {
        server.resume();
        server
    })
    .await
    .unwrap();
    app.settle().await;
    let (status, o) = app.get_api("/api/v1/sites/demo/overview").await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (o["sessions"].clone(), o["events"].clone()),
        (json!(3), json!(30))
    );
    app.shutdown().await;
    drop(server);
}

// ---------------------------------------------------------------------------------------------
// Cluster mode: two shards

/// A port free on both 127.0.0.1 and 127.0.0.2 (the two shards listen on one port each).
pub(crate) fn port_free_on_both() -> u16 {
    for _ in 0..50 {
        let port = free_port();
        if std::net::TcpListener::bind(("127.0.0.2", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free on both 127.0.0.1 and 127.0.0.2");
}

fn open_cluster(url: &str, node: &str) -> ClickHouseStore {
    let mut options = ClickHouseOptions::new(url, None, None, node.into()).expect("url");
    options.cluster = Some("footfall_test".into());
    ClickHouseStore::open(&options).expect("the cluster store opens")
}

/// `--clickhouse-cluster`: two servers as two shards of one `remote_servers` cluster. Rows
/// spread over both shards through `Distributed` tables, two footfall nodes entering through
/// different shards see the same data, and every report gives DuckDB's figures.
#[test]
fn a_two_shard_cluster_gives_the_same_figures_as_duckdb() {
    // One HTTP port (footfall reaches every shard on its URL's port), but distinct native
    // ports: ClickHouse takes a replica for itself when its address is local and the port is
    // its own, and all of 127.0.0.0/8 is local.
    let (http, tcp_a, tcp_b) = (port_free_on_both(), free_port(), port_free_on_both());
    let remote = format!(
        "<remote_servers><footfall_test>\
         <shard><replica><host>127.0.0.1</host><port>{tcp_a}</port></replica></shard>\
         <shard><replica><host>127.0.0.2</host><port>{tcp_b}</port></replica></shard>\
         </footfall_test></remote_servers>"
    );
    let a = OwnServer::start_on("127.0.0.1", http, tcp_a, &remote);
    let b = OwnServer::start_on("127.0.0.2", http, tcp_b, &remote);
    let node_a = open_cluster(&a.url(), "node-a");
    let node_b = open_cluster(&b.url(), "node-b");
    let (duck, _dir) = fresh_duckdb();
    seed(&[&duck, &node_a], 5_000, 4);

    // Each shard holds part of the events (sessions are kept whole on one shard).
    let local = |server: &OwnServer| {
        let plain = open_at(&server.url(), "inspect");
        let n: u64 = plain.query_raw("SELECT count() FROM events_local").unwrap()[0]
            .parse()
            .unwrap();
        let split: u64 = plain
            .query_raw(
                "SELECT count() FROM (SELECT session_id FROM events_local GROUP BY session_id) \
                 WHERE session_id NOT IN (SELECT session_id FROM session_parts_local)",
            )
            .unwrap()[0]
            .parse()
            .unwrap();
        assert_eq!(split, 0, "a session's rows are on one shard");
        n
    };
    let (on_a, on_b) = (local(&a), local(&b));
    assert!(on_a > 0 && on_b > 0, "{on_a} + {on_b}");
    assert_eq!(on_a + on_b, duck.count_events(&site("demo")).unwrap());

    let range = TimeRange::new(NOW - 3 * 86_400_000, NOW).unwrap();
    let mut sets = filter_sets(&duck, range);
    sets.truncate(12);
    for (node, ch) in [("a", &node_a), ("b", &node_b)] {
        for filters in &sets {
            let overview = OverviewPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                granularity: Granularity::Day,
                zone: Zone::parse("Europe/Berlin").unwrap(),
                top: 5,
            };
            same(
                &format!("cluster {node} overview {filters:?}"),
                &duck.overview(&overview).unwrap(),
                &ch.overview(&overview).unwrap(),
            );
            let sessions = SessionListPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                sort: SessionSort::LongestFirst,
                limit: 10,
                offset: 3,
            };
            same(
                &format!("cluster {node} sessions {filters:?}"),
                &duck.sessions(&sessions).unwrap(),
                &ch.sessions(&sessions).unwrap(),
            );
            let ecommerce = footfall::query::ecommerce::EcommercePlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                product_limit: 5,
                granularity: Granularity::Day,
                zone: Zone::default(),
            };
            same(
                &format!("cluster {node} ecommerce {filters:?}"),
                &duck.ecommerce(&ecommerce).unwrap(),
                &ch.ecommerce(&ecommerce).unwrap(),
            );
            let pages = footfall::query::pages::PagesPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                sort: footfall::query::pages::PageSort::Time,
                limit: 10,
                offset: 0,
            };
            same(
                &format!("cluster {node} pages {filters:?}"),
                &duck.pages(&pages).unwrap(),
                &ch.pages(&pages).unwrap(),
            );
            let engagement = footfall::query::engagement::EngagementPlan {
                site: site("demo"),
                range,
                filters: filters.clone(),
                by: Default::default(),
                sort: Default::default(),
                search: None,
                limit: 10,
                offset: 0,
                zone: Zone::default(),
            };
            same(
                &format!("cluster {node} engagement {filters:?}"),
                &duck.engagement(&engagement).unwrap(),
                &ch.engagement(&engagement).unwrap(),
            );
            let live = LivePlan {
                site: site("demo"),
                now_ms: NOW - 3_600_000,
                filters: filters.clone(),
                events: 20,
            };
            same(
                &format!("cluster {node} live {filters:?}"),
                &duck.live(&live).unwrap(),
                &ch.live(&live).unwrap(),
            );
        }
    }
    let some = duck
        .sessions(&SessionListPlan {
            site: site("demo"),
            range,
            filters: Filters::default(),
            sort: SessionSort::MostEventsFirst,
            limit: 5,
            offset: 0,
        })
        .unwrap();
    for s in &some.sessions {
        let plan = SessionDetailPlan {
            site: site("demo"),
            session: SessionId::parse_hex(&s.session_id).unwrap(),
        };
        same(
            "cluster session detail",
            &duck.session_detail(&plan).unwrap(),
            &node_b.session_detail(&plan).unwrap(),
        );
    }

    // Metadata written through one node is read through the other; spool positions are per
    // node; a second database passes the store checks on the cluster.
    conformance_metadata(&node_a);
    assert_eq!(node_b.sites().unwrap(), node_a.sites().unwrap());
    assert_eq!(node_b.users().unwrap(), node_a.users().unwrap());
    assert_eq!(node_b.applied_spool_seq().unwrap(), 0);
    assert!(node_a.applied_spool_seq().unwrap() > 0);
    // Shared cookieless sessions are forgotten on every shard (the settings rows land on
    // either shard at random).
    for k in 0..8 {
        node_a
            .set_setting(&format!("session:{k:016x}"), "t1:1")
            .unwrap();
    }
    node_b.set_setting("not-a-session", "kept").unwrap();
    node_b
        .forget_shared_sessions(footfall::clock::now_ms() + 1_000)
        .unwrap();
    for k in 0..8 {
        assert_eq!(node_a.setting(&format!("session:{k:016x}")).unwrap(), None);
    }
    assert_eq!(
        node_a.setting("not-a-session").unwrap().as_deref(),
        Some("kept")
    );
    let other = open_cluster(&a.url().replace("/footfall", "/footfall_checks"), "node-c");
    conformance_append_and_positions(&other);
    // A half-written append is deleted from every shard when its node restarts.
    let url = a.url().replace("/footfall", "/footfall_rollback");
    check_half_written_rollback(&|node| open_cluster(&url, node));
}
