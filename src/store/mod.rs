//! The storage interface and its implementations: the only code that knows SQL.
//!
//! Everything above this module talks to [`Store`] with domain types and report plans.
//! `Store` is the sum of focused traits, so a caller names what it uses: [`Appends`] (the
//! ingest writer), [`Metadata`] (sites, accounts, tokens), [`Settings`] (typed shared state),
//! [`Reports`] and [`Maintenance`] (retention, shutdown); [`prelude`] imports them all. The
//! methods are synchronous: the embedded database blocks, so callers on the async runtime use
//! `spawn_blocking` and the ingest writer runs on its own thread.

mod assemble;
pub mod clickhouse;
pub mod duckdb;
mod rows;
mod settings;

pub use settings::{DailySalt, Settings, SettingsTable, SharedSession};

/// The store traits in one import, for code that calls a store's methods on a concrete type.
pub mod prelude {
    pub use super::{Appends, Maintenance, Metadata, Reports, Settings, Store};
}

use crate::model::{ApiToken, Batch, Site, SiteId, User};
use crate::query::ecommerce::{Ecommerce, EcommercePlan};
use crate::query::engagement::{Engagement, EngagementPlan};
use crate::query::frustration::{Frustration, FrustrationPlan};
use crate::query::heatmap::{Heatmap, HeatmapPlan};
use crate::query::live::{Live, LivePlan};
use crate::query::pages::{Pages, PagesPlan};
use crate::query::{
    Overview, OverviewPlan, SessionDetail, SessionDetailPlan, SessionListPlan, SessionPage,
};

/// Why a store operation failed. The kind decides what callers do (retry, report, give up).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the database (DuckDB allows one process at a time).
    #[error("the database at {path} is in use by another process (is a footfall server running?)")]
    Locked { path: String },
    /// A uniqueness rule was violated (a site or user that already exists).
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The store could not be reached or is overloaded; retrying may succeed.
    #[error("store unavailable: {message}")]
    Unavailable {
        message: String,
        #[source]
        source: Option<ErrorCause>,
    },
    /// Anything else the database reported; not worth retrying as is.
    #[error("store error: {message}")]
    Internal {
        message: String,
        #[source]
        source: Option<ErrorCause>,
    },
    /// This store cannot answer this yet (a report not written for ClickHouse yet): said
    /// plainly rather than answered with made-up figures.
    #[error("{0}")]
    Unsupported(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The underlying error a [`StoreError`] keeps as its source.
pub type ErrorCause = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// Not worth retrying as is; `message` says what failed.
    pub fn internal(message: impl Into<String>) -> StoreError {
        StoreError::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// Not worth retrying as is, because of `source`; `message` includes its text so that
    /// logs and dead letters that print one line still say why.
    pub fn internal_because(
        message: impl Into<String>,
        source: impl Into<ErrorCause>,
    ) -> StoreError {
        StoreError::Internal {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Worth retrying: the store could not be reached or is overloaded.
    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError::Unavailable {
            message: message.into(),
            source: None,
        }
    }

    /// Worth retrying, because of `source` (its text is part of `message`).
    pub fn unavailable_because(
        message: impl Into<String>,
        source: impl Into<ErrorCause>,
    ) -> StoreError {
        StoreError::Unavailable {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

/// How many recent event ids the ingest writer remembers to drop re-sent events, and how
/// many a store keeps so that a restarted writer remembers them too.
pub const DEDUP_WINDOW: usize = 2_000_000;

/// Appending ingested batches: what the ingest writer needs.
pub trait Appends {
    /// Appends enriched batches atomically together with the spool position they came from,
    /// so a restart resumes exactly after the last stored record (`None`: not from the spool,
    /// e.g. seeding).
    fn append(&self, batches: &[Batch], spool_seq: Option<u64>) -> StoreResult<()>;
    /// The spool sequence number of the last record stored (0 when none).
    fn applied_spool_seq(&self) -> StoreResult<u64>;
    /// The de-duplication keys of the most recently ingested events (appended with a spool
    /// position), newest first. At least the last [`DEDUP_WINDOW`] are kept; a store may also
    /// return seeded events' keys.
    fn recent_event_ids(&self, limit: usize) -> StoreResult<Vec<u64>>;
}

/// Sites, dashboard accounts and API tokens.
pub trait Metadata {
    /// Every site, by id.
    fn sites(&self) -> StoreResult<Vec<Site>>;
    fn site(&self, id: &SiteId) -> StoreResult<Option<Site>>;
    fn insert_site(&self, site: &Site) -> StoreResult<()>;
    fn update_site(&self, site: &Site) -> StoreResult<()>;
    /// Every account, by e-mail address.
    fn users(&self) -> StoreResult<Vec<User>>;
    fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    fn insert_user(&self, user: &User) -> StoreResult<()>;
    /// Replaces the role, password hash and site list of an existing user.
    fn update_user(&self, user: &User) -> StoreResult<()>;
    fn delete_user(&self, email: &str) -> StoreResult<()>;
    fn insert_token(&self, token: &ApiToken) -> StoreResult<()>;
    fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// Every API token (hashes only), by name.
    fn tokens(&self) -> StoreResult<Vec<ApiToken>>;
    /// Revokes every token with this name; returns how many there were.
    fn delete_tokens_named(&self, name: &str) -> StoreResult<usize>;
}

/// The reports; each plan comes from `query` and each result type states how it is counted.
pub trait Reports {
    fn overview(&self, plan: &OverviewPlan) -> StoreResult<Overview>;
    fn sessions(&self, plan: &SessionListPlan) -> StoreResult<SessionPage>;
    fn session_detail(&self, plan: &SessionDetailPlan) -> StoreResult<Option<SessionDetail>>;
    /// Visitors active in the last minutes and the newest events (the real-time view).
    fn live(&self, plan: &LivePlan) -> StoreResult<Live>;
    /// The e-commerce report; `query::ecommerce` states how orders, revenue and the funnel
    /// are counted.
    fn ecommerce(&self, plan: &EcommercePlan) -> StoreResult<Ecommerce>;
    /// The pages and interactions report; `query::pages` states how time on page, scroll
    /// depth, clicks and forms are counted.
    fn pages(&self, plan: &PagesPlan) -> StoreResult<Pages>;
    /// One page's click, move or scroll map; `query::heatmap` states how it is counted.
    fn heatmap(&self, plan: &HeatmapPlan) -> StoreResult<Heatmap>;
    /// Rage, dead and error clicks, quick backs and JavaScript errors; `query::frustration`
    /// states how they are derived.
    fn frustration(&self, plan: &FrustrationPlan) -> StoreResult<Frustration>;
    /// The engagement report; `query::engagement` states how users, scores, activity and
    /// cohorts are counted.
    fn engagement(&self, plan: &EngagementPlan) -> StoreResult<Engagement>;
    /// Stored events of a site (all kinds, bots included): for tests and operators.
    fn count_events(&self, site: &SiteId) -> StoreResult<u64>;
}

/// Retention, cleanup and shutdown.
pub trait Maintenance {
    /// Retention: deletes every session of `site` that started before `cutoff_ms`, whole (its
    /// events, items, rollups and session row, even where the session went on past the
    /// cutoff, so no report ever sees half a session), and the identity links of visitors
    /// left with no session. Returns how many sessions were deleted.
    fn delete_sessions_before(&self, site: &SiteId, cutoff_ms: i64) -> StoreResult<u64>;

    /// Whether several footfall nodes may use this store at once (ClickHouse). They then share
    /// through it what a single node keeps in memory (cookieless sessions).
    fn shared_between_nodes(&self) -> bool {
        false
    }

    /// Deletes the cookieless sessions that nodes share through the store
    /// ([`Settings::share_session`]) last written before `before_ms`: a session idle that
    /// long has ended, and without this they would pile up, one per cookieless visitor per
    /// day. A store that is not shared writes none.
    fn forget_shared_sessions(&self, _before_ms: i64) -> StoreResult<()> {
        Ok(())
    }

    /// Flushes everything to durable storage before shutdown.
    fn checkpoint(&self) -> StoreResult<()>;
}

/// What footfall needs from a database: DuckDB (embedded) and ClickHouse (scale-out). Every
/// type with all the parts is a `Store`.
pub trait Store:
    Appends + Metadata + Settings + Reports + Maintenance + Send + Sync + 'static
{
}

impl<T> Store for T where
    T: Appends + Metadata + Settings + Reports + Maintenance + Send + Sync + 'static
{
}
