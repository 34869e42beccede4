//! Integration tests: one binary, each module drives a real footfall over HTTP.

mod api;
mod cli;
mod common;
mod durability;
mod filters;
mod ingest;
mod robustness;
mod userbehaviour;
