//! The store writer: drains the spool into the store in large batches, on its own thread.
//!
//! It reads committed spool records in order, drops events already stored (a bounded window of
//! recent event ids, warmed from the store on start, so a client's retried batch is not stored
//! twice), and appends with the spool position in the same store transaction.
//!
//! Failures: an unavailable store (network, timeouts, overload: `StoreError::Unavailable`) is
//! retried with backoff for as long as it takes; the spool keeps every acknowledged record
//! meanwhile. A store that refuses an append as bad (`Internal`: bad data, bad schema) would be
//! refused again, and stalling on it would stop all ingestion behind it; so the append is
//! split in halves, in spool order, until the refused batches stand alone, everything else is
//! stored, and each refused batch is written to the dead-letter directory (`dead_letter.rs`)
//! before the spool position moves past it. Nothing acknowledged is dropped.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::dead_letter::{DeadLetter, DeadLetters};
use super::spool::SpoolReader;
use crate::metrics::Metrics;
use crate::model::Batch;
use crate::store::{Store, StoreError};

/// Remembers the most recent event ids; forgets the oldest beyond its capacity.
pub struct Dedup {
    seen: HashSet<u64>,
    order: VecDeque<u64>,
    capacity: usize,
}

impl Dedup {
    pub fn new(capacity: usize) -> Dedup {
        Dedup {
            seen: HashSet::with_capacity(capacity.min(1 << 20)),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// True when `id` was not seen before (and remembers it).
    pub fn first_time(&mut self, id: u64) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }
}

#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Spooled bytes read into one store transaction, at most.
    pub max_bytes: usize,
    /// How long to wait for more records when few are available (bigger batches).
    pub linger: Duration,
    /// How many recent event ids to remember for de-duplication.
    pub dedup_window: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            // 16 MiB of spool is about 350k events per append. On the ingest benchmark (128
            // connections, 2026-12-02) it stored as fast as 32 MiB (about 285k events/s
            // sustained) with a peak RSS of 536-586 MB instead of 710-754; 8 MiB stored 242k/s
            // and 4 MiB 195k/s, because every append pays a commit and a session merge.
            max_bytes: 16 << 20,
            linger: Duration::from_millis(100),
            dedup_window: crate::store::DEDUP_WINDOW,
        }
    }
}

pub use super::codec::{decode_batch as decode, encode_batch as encode};

/// Starts the writer thread; it exits once `stop` is set and the spool is drained.
pub fn spawn(
    store: Arc<dyn Store>,
    mut reader: SpoolReader,
    options: WriterOptions,
    metrics: Arc<Metrics>,
    dead_letters: DeadLetters,
    stop: Arc<AtomicBool>,
) -> std::io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || {
            let mut dedup = Dedup::new(options.dedup_window);
            match store.recent_event_ids(options.dedup_window) {
                Ok(ids) => ids.into_iter().rev().for_each(|id| {
                    dedup.first_time(id);
                }),
                Err(e) => tracing::error!(error = %e, "could not warm the de-duplication window"),
            }
            loop {
                let stopping = stop.load(Ordering::Acquire);
                if !reader.wait(Duration::from_millis(200)) {
                    if stopping {
                        break;
                    }
                    continue;
                }
                if !stopping && reader.available() < 64 {
                    thread::sleep(options.linger);
                }
                let records = match reader.read(usize::MAX, options.max_bytes) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the spool; retrying");
                        thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                };
                let Some(&(last_seq, _)) = records.last() else {
                    continue;
                };
                let mut batches = Vec::with_capacity(records.len());
                let mut seqs = Vec::with_capacity(records.len());
                let mut duplicates = 0u64;
                for (seq, payload) in &records {
                    let Some(mut batch) = decode(payload) else {
                        tracing::error!(seq, "undecodable spool record skipped");
                        continue;
                    };
                    let before = batch.events.len();
                    batch.events.retain(|e| dedup.first_time(e.eid));
                    duplicates += (before - batch.events.len()) as u64;
                    if !batch.events.is_empty() {
                        batches.push(batch);
                        seqs.push(*seq);
                    }
                }
                // The records are decoded: their bytes are not needed while storing.
                drop(records);
                let sink = Sink {
                    store: store.as_ref(),
                    metrics: &metrics,
                    dead_letters: &dead_letters,
                };
                sink.store(&batches, &seqs, last_seq);
                metrics.duplicates_dropped.inc_by(duplicates);
                if let Err(e) = reader.release(last_seq) {
                    tracing::warn!(error = %e, "could not delete a stored spool segment");
                }
                metrics.spool_pending.set(reader_pending(&reader));
            }
        })
}

/// How often a lone batch is tried before it is taken for refused for good: an error the
/// store misclassifies as permanent gets a few more chances.
const LONE_ATTEMPTS: u32 = 3;

/// What the writer needs to store one read of the spool.
struct Sink<'a> {
    store: &'a dyn Store,
    metrics: &'a Metrics,
    dead_letters: &'a DeadLetters,
}

impl Sink<'_> {
    /// Stores `batches` (the spool records `seqs`, in order) and records `end` as the spool
    /// position reached. Unavailable stores are retried with backoff, forever: the spool keeps
    /// the records meanwhile. When the store refuses the append as bad (`Internal`), the
    /// append is split in halves, each stored in spool order with the position of its last
    /// record, recursively, until each refused batch stands alone; a lone refused batch goes
    /// to the dead-letter directory and the position moves past it.
    fn store(&self, batches: &[Batch], seqs: &[u64], end: u64) {
        let refused = match self.append(batches, end, 1) {
            None => return,
            Some(error) => error,
        };
        if batches.len() > 1 {
            let mid = batches.len() / 2;
            tracing::warn!(batches = batches.len(), error = %refused,
                "the store refused an append; splitting it to find the refused batches");
            self.store(&batches[..mid], &seqs[..mid], seqs[mid - 1]);
            self.store(&batches[mid..], &seqs[mid..], end);
            return;
        }
        let Some((batch, &seq)) = batches.first().zip(seqs.first()) else {
            // Nothing to store, and the position alone was refused: keep trying (an operator
            // must fix the store; nothing is lost meanwhile).
            self.append(batches, end, u32::MAX);
            return;
        };
        // A lone batch: a few more tries before it counts as refused for good.
        let Some(error) = self.append(batches, end, LONE_ATTEMPTS) else {
            return;
        };
        let letter = DeadLetter {
            seq,
            at_ms: crate::clock::now_ms(),
            error,
            batch: batch.clone(),
        };
        let mut backoff = Duration::from_millis(50);
        loop {
            match self.dead_letters.write(&letter) {
                Ok(path) => {
                    tracing::error!(seq, events = batch.events.len(), path = %path.display(),
                        error = %letter.error, "the store refused a batch; kept as a dead letter");
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, retry_in = ?backoff, "cannot write a dead letter");
                    thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
        self.metrics.dead_letter_batches.inc();
        self.metrics
            .dead_letter_events
            .inc_by(batch.events.len() as u64);
        // Only the position: the refused batch is on disk, so the spool may let it go.
        self.append(&[], end, u32::MAX);
    }

    /// Appends with backoff while the store is unavailable; returns the error text once the
    /// store refused the append (`Internal`) `refusals` times, `None` once it is stored.
    fn append(&self, batches: &[Batch], end: u64, refusals: u32) -> Option<String> {
        let mut backoff = Duration::from_millis(50);
        let mut refused = 0;
        loop {
            let started = Instant::now();
            match self.store.append(batches, Some(end)) {
                Ok(()) => {
                    let events = batches.iter().map(|b| b.events.len() as u64).sum();
                    self.metrics.record_write(events, 0, started.elapsed());
                    return None;
                }
                Err(StoreError::Unavailable { message, .. }) => {
                    self.metrics.store_errors.inc();
                    tracing::error!(error = %message, retry_in = ?backoff, "store unavailable; retrying");
                }
                // Bad data or schema (or another refusal): retrying the same append cannot help.
                Err(e) => {
                    let e = e.to_string();
                    self.metrics.store_errors.inc();
                    refused += 1;
                    if refused >= refusals {
                        return Some(e);
                    }
                    tracing::error!(error = %e, retry_in = ?backoff, "store append refused; retrying");
                }
            }
            thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }
}

fn reader_pending(reader: &SpoolReader) -> i64 {
    reader.pending_bytes() as i64
}

#[cfg(test)]
mod tests {
    use super::Dedup;

    #[test]
    fn dedup_forgets_only_beyond_its_window() {
        let mut d = Dedup::new(2);
        assert!(d.first_time(1));
        assert!(!d.first_time(1));
        assert!(d.first_time(2));
        assert!(d.first_time(3)); // evicts 1
        assert!(!d.first_time(3));
        assert!(d.first_time(1));
    }
}
