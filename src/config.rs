//! Typed configuration: defaults < TOML file < `FOOTFALL_*` environment < command-line flags.
//!
//! clap reads flags and the environment (flag wins); the optional TOML file fills what neither
//! gave; defaults fill the rest. Every error names the offending key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use ipnet::IpNet;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

/// Flags (and their environment variables) shared by every command.
#[derive(Debug, Clone, Args, Default)]
pub struct GlobalArgs {
    /// Directory holding the database and the spool.
    #[arg(long, global = true, env = "FOOTFALL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Optional TOML configuration file.
    #[arg(long, global = true, env = "FOOTFALL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where events and metadata live: `duckdb` (embedded, in the data directory; the
    /// default) or `clickhouse://HOST:PORT/DATABASE` (ClickHouse's HTTP interface).
    #[arg(long, global = true, env = "FOOTFALL_STORE")]
    pub store: Option<String>,
    /// ClickHouse user (default: ClickHouse's `default`).
    #[arg(long, global = true, env = "FOOTFALL_CLICKHOUSE_USER")]
    pub clickhouse_user: Option<String>,
    /// ClickHouse password.
    #[arg(
        long,
        global = true,
        env = "FOOTFALL_CLICKHOUSE_PASSWORD",
        hide_env_values = true
    )]
    pub clickhouse_password: Option<String>,
    /// A cluster of ClickHouse's `remote_servers`: data is sharded over its shards through
    /// `Distributed` tables (every shard's HTTP interface on the URL's port).
    #[arg(long, global = true, env = "FOOTFALL_CLICKHOUSE_CLUSTER")]
    pub clickhouse_cluster: Option<String>,
}

/// Which store holds the data.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum StoreConfig {
    /// The embedded DuckDB file in the data directory.
    #[default]
    DuckDb,
    /// A ClickHouse database over HTTP.
    ClickHouse {
        url: String,
        user: Option<String>,
        password: Option<String>,
        /// Shard over this cluster of `remote_servers` (None: one server).
        cluster: Option<String>,
    },
}

/// Never prints the password.
impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::DuckDb => f.write_str("DuckDb"),
            StoreConfig::ClickHouse {
                url,
                user,
                password,
                cluster,
            } => f
                .debug_struct("ClickHouse")
                .field("url", url)
                .field("user", user)
                .field("password", &password.as_ref().map(|_| "***"))
                .field("cluster", cluster)
                .finish(),
        }
    }
}

impl StoreConfig {
    fn parse(
        store: &str,
        user: Option<String>,
        password: Option<String>,
        cluster: Option<String>,
    ) -> Result<StoreConfig, ConfigError> {
        if store == "duckdb" {
            if cluster.is_some() {
                return Err(ConfigError::Invalid {
                    key: "clickhouse_cluster",
                    message: "needs a clickhouse:// store".into(),
                });
            }
            return Ok(StoreConfig::DuckDb);
        }
        if let Some(name) = &cluster
            && (name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            return Err(ConfigError::Invalid {
                key: "clickhouse_cluster",
                message: format!("{name:?} is not a cluster name (letters, digits, '_', '-')"),
            });
        }
        crate::store::clickhouse::Endpoint::parse(store).map_err(|e| ConfigError::Invalid {
            key: "store",
            message: format!("{e} (or `duckdb`)"),
        })?;
        Ok(StoreConfig::ClickHouse {
            url: store.to_owned(),
            user,
            password,
            cluster,
        })
    }
}

/// Flags of `footfall serve`.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FOOTFALL_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Proxies whose X-Forwarded-For is trusted (CIDR, comma separated).
    #[arg(long, env = "FOOTFALL_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Ingest requests per second allowed from one client IP (burst: twice this).
    #[arg(long, env = "FOOTFALL_RATE_LIMIT_PER_IP")]
    pub rate_limit_per_ip: Option<u32>,
    /// Ingest requests per second allowed for one site (burst: twice this).
    #[arg(long, env = "FOOTFALL_RATE_LIMIT_PER_SITE")]
    pub rate_limit_per_site: Option<u32>,
    /// Spooled megabytes not yet stored above which ingestion answers 503.
    #[arg(long, env = "FOOTFALL_SPOOL_MAX_MB")]
    pub spool_max_mb: Option<u64>,
    /// DuckDB memory limit, e.g. "1GB".
    #[arg(long, env = "FOOTFALL_MEMORY_LIMIT")]
    pub memory_limit: Option<String>,
    /// Delete sessions that started more than this many days ago (checked hourly; default:
    /// keep everything).
    #[arg(long, env = "FOOTFALL_RETENTION_DAYS")]
    pub retention_days: Option<u32>,
    /// Also serve `POST /bench/null` (reads the body, answers 204): the ingest benchmark's
    /// baseline for what this server and machine can do at all. Off in production.
    #[arg(long, env = "FOOTFALL_BENCH_ENDPOINT")]
    pub bench_endpoint: bool,
}

/// The TOML file: every key optional; unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    trusted_proxies: Option<Vec<String>>,
    rate_limit_per_ip: Option<u32>,
    rate_limit_per_site: Option<u32>,
    spool_max_mb: Option<u64>,
    memory_limit: Option<String>,
    retention_days: Option<u32>,
    store: Option<String>,
    clickhouse_user: Option<String>,
    clickhouse_password: Option<String>,
    clickhouse_cluster: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub trusted_proxies: Vec<IpNet>,
    pub rate_limit_per_ip: u32,
    pub rate_limit_per_site: u32,
    pub spool_max_bytes: u64,
    pub memory_limit: String,
    /// Sessions older than this many days are deleted; `None` keeps everything.
    pub retention_days: Option<u32>,
    /// Serve the benchmark baseline endpoint `POST /bench/null`.
    pub bench_endpoint: bool,
    pub store: StoreConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            trusted_proxies: Vec::new(),
            rate_limit_per_ip: 200,
            rate_limit_per_site: 50_000,
            spool_max_bytes: 512 << 20,
            memory_limit: "1GB".into(),
            retention_days: None,
            bench_endpoint: false,
            store: StoreConfig::DuckDb,
        }
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.display().to_string(),
        // The full text shows the offending line (and so the key), not just the reason.
        message: e.to_string().trim_end().to_owned(),
    })
}

impl Config {
    /// Resolves the configuration of a command from its flags (with environment) and file.
    pub fn resolve(global: &GlobalArgs, serve: &ServeArgs) -> Result<Config, ConfigError> {
        let file = match &global.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let d = Config::default();
        let listen = match (serve.listen, file.listen) {
            (Some(a), _) => a,
            (None, Some(text)) => text.parse().map_err(|e| ConfigError::Invalid {
                key: "listen",
                message: format!("{text:?}: {e}"),
            })?,
            (None, None) => d.listen,
        };
        let trusted_proxies = match (&serve.trusted_proxies, file.trusted_proxies) {
            (Some(p), _) => p.clone(),
            (None, Some(list)) => list
                .iter()
                .map(|t| {
                    t.parse::<IpNet>()
                        .or_else(|_| t.parse::<std::net::IpAddr>().map(IpNet::from))
                })
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError::Invalid {
                    key: "trusted_proxies",
                    message: e.to_string(),
                })?,
            (None, None) => d.trusted_proxies,
        };
        let rate_limit_per_ip = serve
            .rate_limit_per_ip
            .or(file.rate_limit_per_ip)
            .unwrap_or(d.rate_limit_per_ip);
        let rate_limit_per_site = serve
            .rate_limit_per_site
            .or(file.rate_limit_per_site)
            .unwrap_or(d.rate_limit_per_site);
        for (key, v) in [
            ("rate_limit_per_ip", rate_limit_per_ip),
            ("rate_limit_per_site", rate_limit_per_site),
        ] {
            if v == 0 {
                return Err(ConfigError::Invalid {
                    key,
                    message: "must be at least 1".into(),
                });
            }
        }
        let spool_mb = serve
            .spool_max_mb
            .or(file.spool_max_mb)
            .unwrap_or(d.spool_max_bytes >> 20);
        if spool_mb == 0 {
            return Err(ConfigError::Invalid {
                key: "spool_max_mb",
                message: "must be at least 1".into(),
            });
        }
        let retention_days = serve.retention_days.or(file.retention_days);
        if retention_days == Some(0) {
            return Err(ConfigError::Invalid {
                key: "retention_days",
                message: "must be at least 1 (leave it out to keep everything)".into(),
            });
        }
        let store = StoreConfig::parse(
            global
                .store
                .as_deref()
                .or(file.store.as_deref())
                .unwrap_or("duckdb"),
            global.clickhouse_user.clone().or(file.clickhouse_user),
            global
                .clickhouse_password
                .clone()
                .or(file.clickhouse_password),
            global
                .clickhouse_cluster
                .clone()
                .or(file.clickhouse_cluster),
        )?;
        Ok(Config {
            listen,
            data_dir: global
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or(d.data_dir),
            trusted_proxies,
            rate_limit_per_ip,
            rate_limit_per_site,
            spool_max_bytes: spool_mb << 20,
            memory_limit: serve
                .memory_limit
                .clone()
                .or(file.memory_limit)
                .unwrap_or(d.memory_limit),
            retention_days,
            bench_endpoint: serve.bench_endpoint,
            store,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("footfall.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let (_d, path) = write("listen = \"127.0.0.1:9000\"\nrate_limit_per_ip = 7\n");
        let global = GlobalArgs {
            config: Some(path),
            ..GlobalArgs::default()
        };
        let serve = ServeArgs {
            rate_limit_per_ip: Some(9),
            ..ServeArgs::default()
        };
        let c = Config::resolve(&global, &serve).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.rate_limit_per_ip, 9);
        assert_eq!(c.data_dir, PathBuf::from("data"));
    }

    #[test]
    fn retention_days_come_from_the_flag_or_the_file_and_zero_is_refused() {
        let (_d, path) = write("retention_days = 30\n");
        let global = GlobalArgs {
            config: Some(path),
            ..GlobalArgs::default()
        };
        let resolved = Config::resolve(&global, &ServeArgs::default()).unwrap();
        assert_eq!(resolved.retention_days, Some(30));
        let flag = ServeArgs {
            retention_days: Some(7),
            ..ServeArgs::default()
        };
        assert_eq!(
            Config::resolve(&global, &flag).unwrap().retention_days,
            Some(7)
        );
        let zero = ServeArgs {
            retention_days: Some(0),
            ..ServeArgs::default()
        };
        let err = Config::resolve(&GlobalArgs::default(), &zero)
            .unwrap_err()
            .to_string();
        assert!(err.contains("retention_days"), "{err}");
        assert_eq!(Config::default().retention_days, None);
    }

    #[test]
    fn errors_name_the_key() {
        let (_d, path) = write("lisen = \"x\"\n");
        let err = Config::resolve(
            &GlobalArgs {
                config: Some(path),
                ..GlobalArgs::default()
            },
            &ServeArgs::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("lisen"), "{err}");
        let (_d, path) = write("listen = \"nope\"\n");
        let err = Config::resolve(
            &GlobalArgs {
                config: Some(path),
                ..GlobalArgs::default()
            },
            &ServeArgs::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`listen`"), "{err}");
        let (_d, path) = write("spool_max_mb = 0\n");
        let err = Config::resolve(
            &GlobalArgs {
                config: Some(path),
                ..GlobalArgs::default()
            },
            &ServeArgs::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("spool_max_mb"), "{err}");
        let (_d, path) = write("store = \"postgres://x/db\"\n");
        let err = Config::resolve(
            &GlobalArgs {
                config: Some(path),
                ..GlobalArgs::default()
            },
            &ServeArgs::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`store`"), "{err}");
    }

    #[test]
    fn the_store_is_duckdb_unless_a_clickhouse_url_is_given() {
        let c = Config::resolve(&GlobalArgs::default(), &ServeArgs::default()).unwrap();
        assert_eq!(c.store, StoreConfig::DuckDb);
        let (_d, path) =
            write("store = \"clickhouse://ch:8123/footfall\"\nclickhouse_user = \"file\"\n");
        let global = GlobalArgs {
            config: Some(path),
            clickhouse_password: Some("secret".into()),
            ..GlobalArgs::default()
        };
        let c = Config::resolve(&global, &ServeArgs::default()).unwrap();
        assert_eq!(
            c.store,
            StoreConfig::ClickHouse {
                url: "clickhouse://ch:8123/footfall".into(),
                user: Some("file".into()),
                password: Some("secret".into()),
                cluster: None,
            }
        );
        assert!(!format!("{c:?}").contains("secret"));
        let cluster = |name: &str| {
            Config::resolve(
                &GlobalArgs {
                    store: Some("clickhouse://ch/footfall".into()),
                    clickhouse_cluster: Some(name.into()),
                    ..GlobalArgs::default()
                },
                &ServeArgs::default(),
            )
        };
        assert!(matches!(
            cluster("shards_2").unwrap().store,
            StoreConfig::ClickHouse { cluster: Some(c), .. } if c == "shards_2"
        ));
        let err = cluster("a,b); DROP").unwrap_err().to_string();
        assert!(err.contains("clickhouse_cluster"), "{err}");
        let err = Config::resolve(
            &GlobalArgs {
                clickhouse_cluster: Some("c".into()),
                ..GlobalArgs::default()
            },
            &ServeArgs::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("needs a clickhouse:// store"), "{err}");
    }
}
