//! Synthetic but plausible traffic for `footfall seed --site SITE --events N [--days D]`.
//!
//! Benchmarks and demos need millions of events that look like a real shop's: returning
//! visitors, bounces, e-commerce funnels, search, social and newsletter traffic, bots, people
//! who sign in half-way through a visit. Real traffic cannot be shared and hand-written fixtures
//! do not scale, so this module makes it up.
//!
//! Generation is pure: no I/O, no clock, no global RNG. The same [`SeedOptions`] always give the
//! same batches (tests check the shape of the data without a database), and it is cheap (several
//! million events a second on one core) so that writing to the store is the bottleneck when
//! seeding tens of millions of events. Batches are shaped the way ingestion would produce them:
//! enrichment (browser, country, source, anonymised IP) is filled in directly from small tables
//! instead of parsing made-up user agents or referrers.
//!
//! The parts, in the order a session is made: [`rng`] (the one random stream), [`tables`] (the
//! audience and its habits) and [`catalog`] (the shop's pages and products) as data;
//! [`session`] picks a visitor ([`visitor`]) and a time ([`timeline`]) and plans its pages
//! ([`plan`]); [`visit`] plays them, one [`page`] at a time with its [`gestures`]; [`batches`]
//! cuts the result into what the tracker would have sent.

mod batches;
mod catalog;
mod gestures;
mod page;
mod plan;
mod rng;
mod session;
mod tables;
#[cfg(test)]
mod tests;
mod timeline;
mod visit;
mod visitor;

use crate::model::{Batch, Site};

pub use tables::{AGENTS, Agent, BOT_AGENTS};

use session::Gen;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub site: Site,
    /// Exactly this many events are generated.
    pub events: u64,
    /// Sessions are spread over the last `days` days before `now_ms` (0 counts as 1).
    pub days: u32,
    pub now_ms: i64,
    /// Same seed, same output.
    pub rng_seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedStats {
    pub events: u64,
    pub sessions: u64,
    /// Distinct visitors with at least one session.
    pub visitors: u64,
    /// Purchase events.
    pub purchases: u64,
}

/// Events per append while seeding (`footfall seed`, the benchmarks): a little under three of
/// DuckDB's row groups (122,880 rows); ClickHouse splits its inserts itself. A DuckDB append
/// fills whole row groups and leaves its remainder in a partial one that the next append does
/// not fill, so a chunk just under a multiple (chunks end after a whole session) leaves nearly
/// full row groups. Measured at 1M events: 200k-event chunks 30.9 MB, this size 30.2 MB,
/// 120,880 (one row group, more commits) 34.4 MB; larger chunks cost memory and speed for
/// little more.
pub const CHUNK_EVENTS: usize = 3 * 122_880 - 2_000;

/// Generates `opts.events` events and hands them to `sink` in chunks of about `chunk_events`
/// events. A chunk holds whole sessions (only the very last session may be cut short to hit
/// the exact count), its batches sorted by their first event's time. Chunks come in roughly
/// chronological order. The first error from `sink` stops generation and is returned.
pub fn generate<E>(
    opts: &SeedOptions,
    chunk_events: usize,
    mut sink: impl FnMut(Vec<Batch>) -> Result<(), E>,
) -> Result<SeedStats, E> {
    let chunk_events = chunk_events.max(1);
    let mut g = Gen::new(opts);
    let mut chunk: Vec<Batch> = Vec::new();
    let mut in_chunk = 0usize;
    while g.stats.events < opts.events {
        in_chunk += g.session(&mut chunk) as usize;
        if in_chunk >= chunk_events {
            chunk.sort_by_key(first_ts);
            let cap = chunk.capacity();
            sink(std::mem::replace(&mut chunk, Vec::with_capacity(cap)))?;
            in_chunk = 0;
        }
    }
    if !chunk.is_empty() {
        chunk.sort_by_key(first_ts);
        sink(chunk)?;
    }
    Ok(g.stats)
}

fn first_ts(b: &Batch) -> i64 {
    b.events.first().map_or(i64::MAX, |e| e.ts_ms)
}
