//! Builds a running footfall from its configuration, and takes it down cleanly.
//!
//! Start order: lock the data directory, open the store (migrations run), recover the spool
//! from the position the store reached, start the spool committer and the store writer, load
//! sites and enrichment data, and build the router. Shutdown runs it backwards: stop accepting,
//! let the writer drain the spool into the store, checkpoint.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use anyhow::Context;
use fs4::fs_std::FileExt;

use crate::auth;
use crate::config::{Config, StoreConfig};
use crate::enrich::Enricher;
use crate::ingest::identity::IdentityResolver;
use crate::ingest::spool::{Spool, SpoolOptions};
use crate::ingest::writer::{self, WriterOptions};
use crate::ingest::{IngestOptions, Ingestor};
use crate::metrics::Metrics;
use crate::model::{Role, User};
use crate::ratelimit::KeyedLimit;
use crate::sites::SiteRegistry;
use crate::store::Store;
use crate::store::clickhouse::{ClickHouseOptions, ClickHouseStore};
use crate::store::duckdb::{DuckDbOptions, DuckDbStore};
use crate::web::{self, AppState};

/// An exclusively locked data directory: one footfall process at a time.
pub struct DataDir {
    pub path: PathBuf,
    _lock: File,
}

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "the data directory {0} is in use by a running footfall server; stop it first \
         (admin commands work on a stopped server's data directory)"
    )]
    InUse(String),
    #[error("cannot use the data directory {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl DataDir {
    pub fn lock(path: &Path) -> Result<DataDir, DataDirError> {
        let io = |source| DataDirError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(path).map_err(io)?;
        let file = File::create(path.join("footfall.lock")).map_err(io)?;
        match file.try_lock_exclusive() {
            Ok(true) => Ok(DataDir {
                path: path.to_owned(),
                _lock: file,
            }),
            Ok(false) => Err(DataDirError::InUse(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                Err(DataDirError::InUse(path.display().to_string()))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Opens the configured store: the embedded one in this directory, or ClickHouse (with
    /// this directory's node id, under which this node's spool position is recorded).
    pub fn open_store(&self, config: &Config) -> anyhow::Result<Arc<dyn Store>> {
        match &config.store {
            StoreConfig::DuckDb => {
                let options = DuckDbOptions {
                    memory_limit: config.memory_limit.clone(),
                    ..DuckDbOptions::default()
                };
                let store = DuckDbStore::open(&self.path.join("db"), &options)
                    .with_context(|| format!("opening the database in {}", self.path.display()))?;
                Ok(Arc::new(store))
            }
            StoreConfig::ClickHouse { .. } => open_clickhouse(config, &self.node_id()?),
        }
    }

    /// This data directory's node id (created on first use): names the spool whose position
    /// a shared store records.
    pub fn node_id(&self) -> anyhow::Result<String> {
        let path = self.path.join("node-id");
        match std::fs::read_to_string(&path) {
            Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
            Ok(_) => write_node_id(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_node_id(&path),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
}

/// Opens the configured ClickHouse store as `node` (the name its spool position is recorded
/// under). Admin commands use it without a data directory: they write no spool.
pub fn open_clickhouse(config: &Config, node: &str) -> anyhow::Result<Arc<dyn Store>> {
    let StoreConfig::ClickHouse {
        url,
        user,
        password,
        cluster,
    } = &config.store
    else {
        anyhow::bail!("the configured store is not ClickHouse");
    };
    let mut options = ClickHouseOptions::new(url, user.clone(), password.clone(), node.to_owned())?;
    options.cluster = cluster.clone();
    let store = ClickHouseStore::open(&options)
        .with_context(|| format!("opening the ClickHouse store at {url}"))?;
    tracing::info!(%url, %node, "using the ClickHouse store");
    Ok(Arc::new(store))
}

fn write_node_id(path: &Path) -> anyhow::Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &id).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(id)
}

/// Knobs tests and benchmarks turn; production uses the defaults.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    pub spool: Option<SpoolOptions>,
    pub writer: WriterOptions,
}

pub struct App {
    state: AppState,
    stop: Arc<AtomicBool>,
    writer: Option<JoinHandle<()>>,
    committer: Option<JoinHandle<()>>,
    store: Arc<dyn Store>,
    _dir: DataDir,
}

/// How often each node re-reads the sites, so an admin's change on one node reaches the others.
const SITE_RELOAD: std::time::Duration = std::time::Duration::from_secs(10);

/// Reloads the site registry periodically until the app stops. It holds the store weakly so a
/// stopped app's database is not kept open.
fn spawn_site_reload(
    store: std::sync::Weak<dyn Store>,
    sites: Arc<SiteRegistry>,
    stop: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(SITE_RELOAD).await;
            if stop.load(Ordering::Acquire) {
                return;
            }
            let Some(store) = store.upgrade() else { return };
            let sites = sites.clone();
            let result = tokio::task::spawn_blocking(move || sites.reload(store.as_ref())).await;
            if let Ok(Err(e)) = result {
                tracing::warn!(error = %e, "reloading sites failed; keeping the previous ones");
            }
        }
    });
}

/// Creates the first admin when there are no users; returns the credentials to show once.
pub fn ensure_first_admin(store: &dyn Store) -> anyhow::Result<Option<(String, String)>> {
    if !store.users()?.is_empty() {
        return Ok(None);
    }
    let email = "admin@footfall.local".to_owned();
    let password = auth::generate_password();
    let password_hash = auth::hash_password(&password)?;
    store.insert_user(&User {
        email: email.clone(),
        role: Role::Admin,
        password_hash,
        sites: Vec::new(),
    })?;
    Ok(Some((email, password)))
}

impl App {
    pub async fn start(config: Config, tuning: Tuning) -> anyhow::Result<App> {
        let config = Arc::new(config);
        let dir = DataDir::lock(&config.data_dir)?;
        let (dir, store) = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || dir.open_store(&config).map(|s| (dir, s))).await??
        };
        let dyn_store: Arc<dyn Store> = store.clone();

        let applied = dyn_store.applied_spool_seq()?;
        let spool_options = tuning.spool.clone().unwrap_or(SpoolOptions {
            max_pending_bytes: config.spool_max_bytes,
            ..SpoolOptions::default()
        });
        let recovered = Spool::open(&config.data_dir.join("spool"), spool_options, applied)
            .context("opening the spool")?;
        let backlog = recovered.spool.committed_seq().saturating_sub(applied);
        if backlog > 0 {
            tracing::info!(
                records = backlog,
                "replaying spooled batches into the store"
            );
        }
        let metrics = Arc::new(Metrics::new());
        let stop = Arc::new(AtomicBool::new(false));
        let writer = writer::spawn(
            dyn_store.clone(),
            recovered.reader,
            tuning.writer.clone(),
            metrics.clone(),
            crate::ingest::dead_letter::DeadLetters::in_data_dir(&config.data_dir),
            stop.clone(),
        )?;

        let sites = Arc::new(SiteRegistry::load(dyn_store.as_ref())?);
        let keys = web::auth::Keys::load_or_create(dyn_store.as_ref())?;
        spawn_site_reload(Arc::downgrade(&dyn_store), sites.clone(), stop.clone());
        crate::retention::spawn(
            Arc::downgrade(&dyn_store),
            config.retention_days,
            stop.clone(),
        );
        let enricher = Arc::new(tokio::task::spawn_blocking(Enricher::new).await??);
        let ingestor = Arc::new(Ingestor::new(
            sites.clone(),
            enricher,
            recovered.spool,
            IdentityResolver::new(dyn_store.clone(), dyn_store.shared_between_nodes()),
            metrics.clone(),
            IngestOptions {
                rate_limit_per_site: config.rate_limit_per_site,
            },
        ));
        let state = AppState {
            ip_limit: Arc::new(KeyedLimit::per_second(config.rate_limit_per_ip)),
            config,
            store: dyn_store,
            sites,
            ingestor,
            metrics,
            token_cache: Arc::new(quick_cache::sync::Cache::new(1000)),
            keys,
            login_throttle: Arc::new(crate::throttle::LoginThrottle::default()),
        };
        Ok(App {
            state,
            stop,
            writer: Some(writer),
            committer: Some(recovered.committer),
            store,
            _dir: dir,
        })
    }

    pub fn router(&self) -> axum::Router {
        web::router(self.state.clone())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops ingestion, drains the spool into the store and checkpoints.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        self.state.ingestor.spool().close().await;
        if let Some(c) = self.committer.take() {
            tokio::task::spawn_blocking(move || c.join()).await?.ok();
        }
        self.stop.store(true, Ordering::Release);
        if let Some(w) = self.writer.take() {
            tokio::task::spawn_blocking(move || w.join()).await?.ok();
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.checkpoint()).await??;
        Ok(())
    }
}
