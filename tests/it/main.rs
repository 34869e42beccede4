//! Integration tests: one binary, each module drives a real footfall over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod browser;
mod cli;
mod clickhouse;
mod cluster;
mod common;
mod conformance;
mod dashboard;
mod dashboard_browser;
mod dead_letter;
mod durability;
mod ecommerce;
mod engagement;
mod filters;
mod frustration;
mod heatmap_browser;
mod heatmap_token;
mod ingest;
mod overview;
mod pages;
mod retention;
mod robustness;
mod tracker;
mod userbehaviour;
