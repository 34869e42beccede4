//! The ClickHouse store against a real `clickhouse-server` (Debian's 18.16): its client and
//! dialect, nodes sharing a database, idempotent appends, the whole server on ClickHouse, an
//! outage, the two-shard cluster, and its run of the store conformance suite
//! (`crate::conformance`).
//!
//! One server is started for the whole test binary (on free loopback ports, its own temporary
//! directory, killed and removed by a watchdog when the binary exits); each test gets a fresh
//! database. Without `clickhouse-server` these tests fail, naming the package to install
//! (`scripts/test.sh` installs it): they never skip silently.

mod appends;
mod client;
mod cluster;
mod conformance;
mod fixtures;
mod outage;
pub mod server;
mod shared;

pub use server::fresh_clickhouse;
