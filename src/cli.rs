//! The command line: `serve` (default), and admin commands (`site`, `user`, `token`, `seed`,
//! `dead-letter`) that work on a stopped server's data directory, or on a shared ClickHouse
//! store directly.

use std::io::{BufRead, IsTerminal};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::app::{App, DataDir, Tuning, ensure_first_admin, open_clickhouse};
use crate::auth;
use crate::config::{Config, GlobalArgs, ServeArgs, StoreConfig};
use crate::ingest::dead_letter::DeadLetters;
use crate::model::site::normalise_domain;
use crate::model::{ApiToken, IpMode, Role, Site, SiteId, SiteSettings, User, valid_email};
use crate::query::frustration::Thresholds;

use crate::seed::{self, SeedOptions};
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "footfall",
    version,
    about = "Self-hosted user-behaviour analytics"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default command).
    Serve(ServeArgs),
    /// Manage tracked sites.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Manage dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Batches the store refused for good, kept in `DATA_DIR/dead-letter/`.
    #[command(subcommand)]
    DeadLetter(DeadLetterCommand),
    /// Write realistic synthetic traffic into a site.
    Seed {
        #[arg(long)]
        site: String,
        #[arg(long)]
        events: u64,
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Random seed, for reproducible data.
        #[arg(long, default_value_t = 1)]
        rng_seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Add a site that pages on the given domains may send events for.
    Add {
        site_id: String,
        #[arg(long = "domain", required = true)]
        domains: Vec<String>,
    },
    /// Change a site's domains or options (only what is given changes).
    Set {
        site_id: String,
        /// Replace the site's domains.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// Store raw keystrokes next to their class (default off: passwords).
        #[arg(long)]
        raw_keys: Option<bool>,
        /// How client IPs are kept: truncate, hash or drop.
        #[arg(long, value_parser = ["truncate", "hash", "drop"])]
        ip_mode: Option<String>,
        #[command(flatten)]
        thresholds: ThresholdArgs,
    },
    /// List sites and their domains.
    List,
}

/// The thresholds of the frustration signals (docs: the README, "Frustration signals").
#[derive(Debug, clap::Args)]
pub struct ThresholdArgs {
    /// Clicks a burst needs to count as a rage click (default 3).
    #[arg(long)]
    rage_clicks: Option<u32>,
    /// The longest pause between two clicks of a rage burst, in ms (default 1000).
    #[arg(long)]
    rage_window_ms: Option<u32>,
    /// How far apart two clicks of a rage burst may be, in px (default 30).
    #[arg(long)]
    rage_radius_px: Option<u32>,
    /// How long after a click an error still belongs to it, in ms (default 1000).
    #[arg(long)]
    error_window_ms: Option<u32>,
    /// How soon a return to the previous page is a quick back, in ms (default 5000).
    #[arg(long)]
    quick_back_ms: Option<u32>,
}

impl ThresholdArgs {
    /// `current` with the given thresholds changed; `None` when none was given.
    fn apply(&self, current: Thresholds) -> Option<Thresholds> {
        let given = [
            self.rage_clicks,
            self.rage_window_ms,
            self.rage_radius_px,
            self.error_window_ms,
            self.quick_back_ms,
        ];
        given.iter().any(Option::is_some).then(|| Thresholds {
            rage_clicks: self.rage_clicks.unwrap_or(current.rage_clicks),
            rage_window_ms: self.rage_window_ms.unwrap_or(current.rage_window_ms),
            rage_radius_px: self.rage_radius_px.unwrap_or(current.rage_radius_px),
            error_window_ms: self.error_window_ms.unwrap_or(current.error_window_ms),
            quick_back_ms: self.quick_back_ms.unwrap_or(current.quick_back_ms),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a dashboard user; prints a generated password unless one is read from stdin.
    Add {
        email: String,
        #[arg(long, value_parser = ["admin", "viewer"], default_value = "viewer")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeadLetterCommand {
    /// List them: spool position, time refused, site, events and the store's error.
    List,
    /// Append them to the store again once the cause is fixed; each one stored is deleted.
    /// (They bypass the writer's de-duplication: replay each once.)
    Replay,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (shown once).
    Create { name: String },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(&cli.global, &ServeArgs::default()).await,
        Some(Command::Serve(args)) => serve(&cli.global, &args).await,
        // Reading the files needs neither the store nor the data directory's lock.
        Some(Command::DeadLetter(DeadLetterCommand::List)) => {
            let config = Config::resolve(&cli.global, &ServeArgs::default())?;
            list_dead_letters(&DeadLetters::in_data_dir(&config.data_dir))
        }
        Some(command) => {
            let global = cli.global.clone();
            tokio::task::spawn_blocking(move || admin(&global, command)).await?
        }
    }
}

async fn serve(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::resolve(global, args)?;
    let listen = config.listen;
    let app = App::start(config, Tuning::default()).await?;
    let store = app.state().store.clone();
    if let Some((email, password)) =
        tokio::task::spawn_blocking(move || ensure_first_admin(store.as_ref())).await??
    {
        println!("footfall: created the first admin account (shown once):");
        println!("  email:    {email}");
        println!("  password: {password}");
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    println!("footfall listening on http://{listen}");
    let service = app
        .router()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("shutting down: draining the spool into the store");
    app.shutdown().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn admin(global: &GlobalArgs, command: Command) -> anyhow::Result<()> {
    let config = Config::resolve(global, &ServeArgs::default())?;
    // The embedded store lives in the data directory, which one process holds at a time; a
    // shared ClickHouse store is changed directly, while servers run.
    let (_dir, store) = match &config.store {
        StoreConfig::DuckDb => {
            let dir = DataDir::lock(&config.data_dir)?;
            let store = dir.open_store(&config)?;
            (Some(dir), store)
        }
        StoreConfig::ClickHouse { .. } => (None, open_clickhouse(&config, "admin")?),
    };
    let store: &dyn Store = store.as_ref();
    match command {
        Command::Serve(_) => bail!("`serve` is not an admin command"),
        Command::DeadLetter(DeadLetterCommand::List) => {
            list_dead_letters(&DeadLetters::in_data_dir(&config.data_dir))
        }
        Command::DeadLetter(DeadLetterCommand::Replay) => {
            replay_dead_letters(store, &DeadLetters::in_data_dir(&config.data_dir))
        }
        Command::Site(SiteCommand::Add { site_id, domains }) => add_site(store, &site_id, &domains),
        Command::Site(SiteCommand::Set {
            site_id,
            domains,
            raw_keys,
            ip_mode,
            thresholds,
        }) => set_site(
            store,
            &site_id,
            &domains,
            (raw_keys, ip_mode.as_deref()),
            &thresholds,
        ),
        Command::Site(SiteCommand::List) => list_sites(store),
        Command::User(UserCommand::Add {
            email,
            role,
            password_stdin,
        }) => add_user(store, &email, &role, password_stdin),
        Command::Token(TokenCommand::Create { name }) => create_token(store, &name),
        Command::Seed {
            site,
            events,
            days,
            rng_seed,
        } => seed_site(store, &site, events, days, rng_seed),
    }
}

/// `dead-letter replay`: appends each refused batch again and deletes its file once stored.
fn replay_dead_letters(store: &dyn Store, letters: &DeadLetters) -> anyhow::Result<()> {
    let (mut stored, mut events) = (0, 0);
    for path in letters.paths()? {
        let letter = DeadLetters::read(&path)?;
        store
            .append(std::slice::from_ref(&letter.batch), None)
            .with_context(|| format!("replaying {}", path.display()))?;
        std::fs::remove_file(&path)
            .with_context(|| format!("deleting {} after storing it", path.display()))?;
        stored += 1;
        events += letter.batch.events.len();
    }
    store.checkpoint()?;
    println!("replayed {stored} dead-letter batches ({events} events)");
    Ok(())
}

/// `site add`
fn add_site(store: &dyn Store, site_id: &str, domains: &[String]) -> anyhow::Result<()> {
    let id = SiteId::parse(site_id).context("SITE_ID")?;
    let domains = parse_domains(domains)?;
    store.insert_site(&Site {
        id: id.clone(),
        domains: domains.clone(),
        settings: SiteSettings::default(),
    })?;
    println!("added site {id} ({})", domains.join(", "));
    Ok(())
}

/// `site set`: changes only what was given.
fn set_site(
    store: &dyn Store,
    site_id: &str,
    domains: &[String],
    (raw_keys, ip_mode): (Option<bool>, Option<&str>),
    thresholds: &ThresholdArgs,
) -> anyhow::Result<()> {
    let id = SiteId::parse(site_id).context("SITE_ID")?;
    let mut site = store
        .site(&id)?
        .with_context(|| format!("SITE_ID: unknown site {id:?}"))?;
    if !domains.is_empty() {
        site.domains = parse_domains(domains)?;
    }
    if let Some(raw_keys) = raw_keys {
        site.settings.raw_keys = raw_keys;
    }
    if let Some(mode) = ip_mode {
        site.settings.ip_mode =
            IpMode::parse(mode).context("--ip-mode must be truncate, hash or drop")?;
    }
    let current = store.frustration_thresholds(&id)?;
    let changed = thresholds.apply(current);
    if let Some(t) = changed {
        t.validate().context("frustration thresholds")?;
    }
    store.update_site(&site)?;
    if let Some(t) = changed {
        store.set_frustration_thresholds(&id, &t)?;
    }
    let t = changed.unwrap_or(current);
    println!(
        "site {id}: domains {}, raw_keys={}, ip={}, rage={} clicks/{} ms/{} px, error={} ms, quick_back={} ms",
        site.domains.join(","),
        site.settings.raw_keys,
        site.settings.ip_mode.as_str(),
        t.rage_clicks,
        t.rage_window_ms,
        t.rage_radius_px,
        t.error_window_ms,
        t.quick_back_ms
    );
    Ok(())
}

/// `site list`
fn list_sites(store: &dyn Store) -> anyhow::Result<()> {
    for site in store.sites()? {
        println!(
            "{}\t{}\traw_keys={}\tip={}",
            site.id,
            site.domains.join(","),
            site.settings.raw_keys,
            site.settings.ip_mode.as_str()
        );
    }
    Ok(())
}

/// `user add`: prints the generated password unless one was read from stdin.
fn add_user(
    store: &dyn Store,
    email: &str,
    role: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    if !valid_email(email) {
        bail!("EMAIL {email:?} is not an e-mail address");
    }
    let role = Role::parse(role).context("--role must be admin or viewer")?;
    let (password, show) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (auth::generate_password(), true)
    };
    let password_hash = auth::hash_password(&password).context("--password-stdin")?;
    store.insert_user(&User {
        email: email.to_owned(),
        role,
        password_hash,
        sites: Vec::new(),
    })?;
    println!("added {} {email}", role.as_str());
    if show {
        println!("password: {password}");
    }
    Ok(())
}

/// `token create`: the secret goes to stdout, the only time it is shown.
fn create_token(store: &dyn Store, name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() || name.len() > 100 {
        bail!("NAME must be 1-100 characters");
    }
    let (secret, token_hash) = auth::new_token();
    store.insert_token(&ApiToken {
        name: name.to_owned(),
        token_hash,
        created_ms: 0,
    })?;
    if std::io::stdout().is_terminal() {
        eprintln!("API token {name:?} (shown once; send it as `Authorization: Bearer <token>`):");
    }
    println!("{secret}");
    Ok(())
}

/// `seed`: generates synthetic traffic for an existing site, in chunks, and reports the rate.
fn seed_site(
    store: &dyn Store,
    site: &str,
    events: u64,
    days: u32,
    rng_seed: u64,
) -> anyhow::Result<()> {
    let id = SiteId::parse(site).context("--site")?;
    let site = store
        .site(&id)?
        .with_context(|| format!("--site: unknown site {id:?}; add it with `footfall site add`"))?;
    if days == 0 {
        bail!("--days must be at least 1");
    }
    let started = Instant::now();
    let opts = SeedOptions {
        site,
        events,
        days,
        now_ms: crate::clock::now_ms(),
        rng_seed,
    };
    let stats = seed::generate(&opts, seed::CHUNK_EVENTS, |batches| {
        store.append(&batches, None)
    })?;
    store.checkpoint()?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "seeded {} events ({} sessions, {} visitors, {} purchases) in {:.1} s ({:.0} events/s)",
        stats.events,
        stats.sessions,
        stats.visitors,
        stats.purchases,
        secs,
        stats.events as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn list_dead_letters(letters: &DeadLetters) -> anyhow::Result<()> {
    let paths = letters.paths()?;
    println!(
        "{} dead-letter batches in {}",
        paths.len(),
        letters.dir().display()
    );
    for path in paths {
        let l = DeadLetters::read(&path)?;
        println!(
            "seq {} refused at {} ms: site {}, session {:016x}, {} events: {}",
            l.seq,
            l.at_ms,
            l.batch.site.as_str(),
            l.batch.session.0,
            l.batch.events.len(),
            l.error
        );
    }
    Ok(())
}

fn parse_domains(domains: &[String]) -> anyhow::Result<Vec<String>> {
    domains
        .iter()
        .map(|d| normalise_domain(d).with_context(|| format!("--domain {d:?} is not a host name")))
        .collect()
}
