//! `clickhouse-server` processes for the tests, in one place for the ClickHouse store tests and
//! the cluster tests: finding the binary, configuring a loopback server, the one server the whole
//! test binary shares (a fresh database per test), servers a test owns and stops for an outage,
//! and the two-shard cluster.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use footfall::config::StoreConfig;
use footfall::store::clickhouse::{ClickHouseOptions, ClickHouseStore};

/// The `remote_servers` cluster that [`TwoShards`] configures.
pub const CLUSTER: &str = "footfall_test";

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local address")
        .port()
}

/// A port free on both 127.0.0.1 and 127.0.0.2 (the two shards listen on one port each).
pub fn port_free_on_both() -> u16 {
    for _ in 0..50 {
        let port = free_port();
        if std::net::TcpListener::bind(("127.0.0.2", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free on both 127.0.0.1 and 127.0.0.2");
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

/// Whether a server answers `GET /ping` on `host:port`.
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

/// Writes a server configuration listening on `host` (a loopback address) into `dir`, with
/// `extra` XML (e.g. `remote_servers`).
fn write_config(dir: &Path, host: &str, http_port: u16, tcp_port: u16, extra: &str) {
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

/// Waits until the server that `child` runs (configured in `dir`) answers on `host:port`;
/// panics with its logs if it exits or is not up within a minute.
fn wait_until_up(child: &mut Child, dir: &Path, host: &str, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ping_on(host, port) {
        let exited = child.try_wait().ok().flatten().is_some();
        if exited || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let log = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            panic!(
                "clickhouse-server did not start on {host}:{port}:\n{}\n{}",
                log("stdout.log"),
                log("error.log")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------------------------
// The server the whole test binary shares

/// A `clickhouse-server` on loopback for this test binary.
struct SharedServer {
    http_port: u16,
    /// The shell that runs the server and its watchdog (never waited for: it outlives the
    /// tests and stops with the binary).
    _watchdog: Child,
}

static SHARED: OnceLock<SharedServer> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

fn start_shared() -> SharedServer {
    let binary = server_binary();
    let dir = std::env::temp_dir().join(format!("footfall-clickhouse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("server directory");
    let (http_port, tcp_port) = (free_port(), free_port());
    write_config(&dir, "127.0.0.1", http_port, tcp_port, "");
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
    wait_until_up(&mut child, &dir, "127.0.0.1", http_port);
    SharedServer {
        http_port,
        _watchdog: child,
    }
}

/// A `clickhouse://` URL of a database no other test uses, on the shared server.
pub fn fresh_url() -> String {
    let n = NEXT_DB.fetch_add(1, Ordering::Relaxed);
    format!(
        "clickhouse://127.0.0.1:{}/footfall_test_{}_{n}",
        SHARED.get_or_init(start_shared).http_port,
        std::process::id()
    )
}

/// How many databases [`fresh_url`] has handed out so far.
pub fn databases_made() -> usize {
    NEXT_DB.load(Ordering::Relaxed)
}

/// The ClickHouse store at `url` as footfall node `node`.
pub fn open_at(url: &str, node: &str) -> ClickHouseStore {
    let options = ClickHouseOptions::new(url, None, None, node.into()).expect("url");
    ClickHouseStore::open(&options).expect("the ClickHouse store opens")
}

/// The ClickHouse store at `url` as node `node` of the [`TwoShards`] cluster.
pub fn open_cluster(url: &str, node: &str) -> ClickHouseStore {
    let mut options = ClickHouseOptions::new(url, None, None, node.into()).expect("url");
    options.cluster = Some(CLUSTER.into());
    ClickHouseStore::open(&options).expect("the cluster store opens")
}

/// A ClickHouse store on a database of its own.
pub fn fresh_clickhouse() -> ClickHouseStore {
    open_at(&fresh_url(), "node-a")
}

/// The configuration of a footfall whose store is the ClickHouse database at `url` (through
/// `cluster` if given).
pub fn store_config(url: &str, cluster: Option<&str>) -> StoreConfig {
    StoreConfig::ClickHouse {
        url: url.to_owned(),
        user: None,
        password: None,
        cluster: cluster.map(str::to_owned),
    }
}

// ---------------------------------------------------------------------------------------------
// Servers a test owns

/// A server of one test's own, which the test stops and starts again (killed on drop).
pub struct OwnServer {
    dir: tempfile::TempDir,
    host: String,
    http_port: u16,
    child: Option<Child>,
}

impl OwnServer {
    pub fn start() -> OwnServer {
        OwnServer::start_on("127.0.0.1", free_port(), free_port(), "")
    }

    pub fn start_on(host: &str, http_port: u16, tcp_port: u16, extra: &str) -> OwnServer {
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(dir.path(), host, http_port, tcp_port, extra);
        let mut s = OwnServer {
            dir,
            host: host.to_owned(),
            http_port,
            child: None,
        };
        s.resume();
        s
    }

    /// Starts the server again after [`OwnServer::kill`], on the data it had.
    pub fn resume(&mut self) {
        let mut child = Command::new(server_binary())
            .arg(format!(
                "--config-file={}",
                self.dir.path().join("config.xml").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start clickhouse-server");
        wait_until_up(&mut child, self.dir.path(), &self.host, self.http_port);
        self.child = Some(child);
    }

    /// [`OwnServer::resume`] on a blocking thread, for async tests whose runtime must go on
    /// serving the app meanwhile.
    pub async fn resumed(mut self) -> OwnServer {
        tokio::task::spawn_blocking(move || {
            self.resume();
            self
        })
        .await
        .expect("the server resumes")
    }

    /// Kills the server (no clean shutdown: an outage).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("clickhouse://{}:{}/footfall", self.host, self.http_port)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Two servers as the two shards of the `remote_servers` cluster [`CLUSTER`]: shard `a` on
/// 127.0.0.1, shard `b` on 127.0.0.2.
pub struct TwoShards {
    pub a: OwnServer,
    pub b: OwnServer,
}

impl TwoShards {
    pub fn start() -> TwoShards {
        // One HTTP port (footfall reaches every shard on its URL's port), but distinct native
        // ports: ClickHouse takes a replica for itself when its address is local and the port
        // is its own, and all of 127.0.0.0/8 is local.
        let (http, tcp_a, tcp_b) = (port_free_on_both(), free_port(), port_free_on_both());
        let remote = format!(
            "<remote_servers><{CLUSTER}>\
             <shard><replica><host>127.0.0.1</host><port>{tcp_a}</port></replica></shard>\
             <shard><replica><host>127.0.0.2</host><port>{tcp_b}</port></replica></shard>\
             </{CLUSTER}></remote_servers>"
        );
        TwoShards {
            a: OwnServer::start_on("127.0.0.1", http, tcp_a, &remote),
            b: OwnServer::start_on("127.0.0.2", http, tcp_b, &remote),
        }
    }
}
