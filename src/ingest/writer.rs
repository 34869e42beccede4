//! The store writer: drains the spool into the store in large batches, on its own thread.
//!
//! It reads committed spool records in order, drops events already stored (a bounded window of
//! recent event ids, warmed from the store on start, so a client's retried batch is not stored
//! twice), and appends with the spool position in the same store transaction. A failing store
//! is retried with backoff; the spool keeps every acknowledged record meanwhile.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::spool::SpoolReader;
use crate::metrics::Metrics;
use crate::model::Batch;
use crate::store::Store;

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
            max_bytes: 32 << 20,
            linger: Duration::from_millis(100),
            dedup_window: 2_000_000,
        }
    }
}

pub fn decode(payload: &[u8]) -> Option<Batch> {
    postcard::from_bytes(payload).ok()
}

pub fn encode(batch: &Batch) -> Vec<u8> {
    // Serialising our own types into a Vec cannot fail.
    postcard::to_allocvec(batch).unwrap_or_default()
}

/// Starts the writer thread; it exits once `stop` is set and the spool is drained.
pub fn spawn(
    store: Arc<dyn Store>,
    mut reader: SpoolReader,
    options: WriterOptions,
    metrics: Arc<Metrics>,
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
                let mut events = 0usize;
                let mut duplicates = 0u64;
                for (seq, payload) in &records {
                    let Some(mut batch) = decode(payload) else {
                        tracing::error!(seq, "undecodable spool record skipped");
                        continue;
                    };
                    let before = batch.events.len();
                    batch.events.retain(|e| dedup.first_time(e.eid));
                    duplicates += (before - batch.events.len()) as u64;
                    events += batch.events.len();
                    if !batch.events.is_empty() {
                        batches.push(batch);
                    }
                }
                let mut backoff = Duration::from_millis(50);
                loop {
                    let started = Instant::now();
                    match store.append(&batches, Some(last_seq)) {
                        Ok(()) => {
                            metrics.record_write(events as u64, duplicates, started.elapsed());
                            break;
                        }
                        Err(e) => {
                            metrics.store_errors.inc();
                            tracing::error!(error = %e, retry_in = ?backoff, "store append failed");
                            thread::sleep(backoff);
                            backoff = (backoff * 2).min(Duration::from_secs(10));
                        }
                    }
                }
                if let Err(e) = reader.release(last_seq) {
                    tracing::warn!(error = %e, "could not delete a stored spool segment");
                }
                metrics.spool_pending.set(reader_pending(&reader));
            }
        })
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
