//! Prometheus metrics: what operators watch to know ingestion is healthy.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FormatLabel {
    pub format: String,
}

pub struct Metrics {
    registry: Registry,
    pub events_accepted: Family<FormatLabel, Counter>,
    pub events_rejected: Family<ReasonLabel, Counter>,
    pub requests_rejected: Family<ReasonLabel, Counter>,
    pub events_stored: Counter,
    pub duplicates_dropped: Counter,
    pub store_errors: Counter,
    /// Batches the store refused for good, kept in `DATA_DIR/dead-letter/`.
    pub dead_letter_batches: Counter,
    pub dead_letter_events: Counter,
    pub spool_pending: Gauge,
    pub batch_events: Histogram,
    pub store_write_seconds: Histogram,
    /// Content-Security-Policy violations browsers reported from dashboard pages.
    pub csp_violations: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("footfall");
        let m = Metrics {
            events_accepted: Family::default(),
            events_rejected: Family::default(),
            requests_rejected: Family::default(),
            events_stored: Counter::default(),
            duplicates_dropped: Counter::default(),
            store_errors: Counter::default(),
            dead_letter_batches: Counter::default(),
            dead_letter_events: Counter::default(),
            spool_pending: Gauge::default(),
            batch_events: Histogram::new(exponential_buckets(1.0, 2.0, 12)),
            store_write_seconds: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            csp_violations: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "events_accepted",
            "Events accepted and spooled, by wire format",
            m.events_accepted.clone(),
        );
        registry.register(
            "events_rejected",
            "Events rejected individually, by reason",
            m.events_rejected.clone(),
        );
        registry.register(
            "requests_rejected",
            "Ingest requests rejected whole, by reason",
            m.requests_rejected.clone(),
        );
        registry.register(
            "events_stored",
            "Events written to the store",
            m.events_stored.clone(),
        );
        registry.register(
            "csp_violations",
            "Content-Security-Policy violations reported by browsers on dashboard pages",
            m.csp_violations.clone(),
        );
        registry.register(
            "duplicates_dropped",
            "Retried events dropped as already stored",
            m.duplicates_dropped.clone(),
        );
        registry.register(
            "store_errors",
            "Failed store appends (unavailable: retried; refused: split, then dead-lettered)",
            m.store_errors.clone(),
        );
        registry.register(
            "dead_letter_batches",
            "Batches the store refused for good, written to DATA_DIR/dead-letter",
            m.dead_letter_batches.clone(),
        );
        registry.register(
            "dead_letter_events",
            "Events in dead-letter batches (accepted = stored + duplicates + these)",
            m.dead_letter_events.clone(),
        );
        registry.register(
            "spool_pending_bytes",
            "Spooled bytes not yet in the store",
            m.spool_pending.clone(),
        );
        registry.register(
            "batch_events",
            "Events per accepted batch",
            m.batch_events.clone(),
        );
        registry.register(
            "store_write_seconds",
            "Duration of one store append transaction",
            m.store_write_seconds.clone(),
        );
        Metrics { registry, ..m }
    }

    pub fn reject_request(&self, reason: &str) {
        self.requests_rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub fn reject_events(&self, reason: &str, n: u64) {
        self.events_rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc_by(n);
    }

    pub fn accept(&self, format: &str, events: u64) {
        self.events_accepted
            .get_or_create(&FormatLabel {
                format: format.to_owned(),
            })
            .inc_by(events);
        self.batch_events.observe(events as f64);
    }

    pub fn record_write(&self, events: u64, duplicates: u64, took: Duration) {
        self.events_stored.inc_by(events);
        self.duplicates_dropped.inc_by(duplicates);
        self.store_write_seconds.observe(took.as_secs_f64());
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
