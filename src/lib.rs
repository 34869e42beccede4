//! footfall: self-hosted user-behaviour analytics in one binary.
//!
//! Data flows one way: tracker → `web` (HTTP edge) → `ingest` (parse, enrich, durable spool,
//! store writer) → `store` (embedded DuckDB, or ClickHouse to scale out) → `query` plans → JSON
//! API and dashboard. See ARCHITECTURE.md for the map and the decisions.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod enrich;
pub mod ingest;
pub mod metrics;
pub mod model;
pub mod query;
pub mod ratelimit;
pub mod retention;
pub mod seed;
pub mod sites;
pub mod store;
pub mod throttle;
pub mod web;
