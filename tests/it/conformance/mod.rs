//! The store conformance suite: what every store must do the same way, written once against
//! [`StoreUnderTest`], so that a store joins it by implementing that trait (how to open a fresh
//! one) and declaring the suite's tests with [`conformance_suite!`], with no edit to the checks.
//!
//! Two kinds of check: the store operations ([`store_ops`]: appends and spool positions,
//! metadata), which every store passes on its own; and the reports ([`reports`]), where the
//! same seeded traffic must give every report the same figures under every filter as the
//! reference store, the embedded DuckDB ([`DuckDb`]).

mod compare;
pub mod data;
mod duckdb;
pub mod reports;
pub mod store_ops;

use std::any::Any;
use std::ops::Deref;

use footfall::store::SettingsTable;
use footfall::store::prelude::*;

pub use compare::{compare, same};
pub use data::{NOW, filter_sets, seed, seed_options, site, small_batch};
pub use duckdb::{DuckDb, fresh_duckdb};

/// A store the suite can run on.
pub trait StoreUnderTest {
    /// How test messages name the store.
    const NAME: &'static str;
    type Store: Store + SettingsTable;
    /// A store of its own, with nothing in it but what opening it creates (the `demo` site).
    fn fresh() -> Fresh<Self::Store>;
}

/// A freshly opened store, with whatever it needs for as long as it is open (a temporary
/// directory, say), released after the store.
pub struct Fresh<S> {
    pub store: S,
    _keep: Box<dyn Any>,
}

impl<S> Fresh<S> {
    /// A store that needs nothing kept.
    pub fn new(store: S) -> Fresh<S> {
        Fresh::keeping(store, ())
    }

    /// A store that needs `keep` until it is dropped.
    pub fn keeping(store: S, keep: impl Any) -> Fresh<S> {
        Fresh {
            store,
            _keep: Box::new(keep),
        }
    }
}

impl<S> Deref for Fresh<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.store
    }
}

/// Declares the suite's tests, for the [`StoreUnderTest`] `$store`, in the module that says
/// `conformance_suite!($store)`: the store operations and every report against the reference.
/// `conformance_suite!(reference: $store)` declares only the store operations, for the
/// reference itself (its reports are what the others are compared with).
macro_rules! conformance_suite {
    (@tests $store:ty; $($name:ident => $module:ident::$check:ident),+) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::$module::$check::<$store>();
            }
        )+
    };
    (reference: $store:ty) => {
        $crate::conformance::conformance_suite!(@tests $store; passes_the_store_conformance_checks => store_ops::check);
    };
    ($store:ty) => {
        $crate::conformance::conformance_suite!(@tests $store;
            passes_the_store_conformance_checks => store_ops::check,
            overview_figures_are_the_same_in_both_stores => reports::overview,
            session_lists_and_details_are_the_same_in_both_stores => reports::sessions,
            live_views_are_the_same_in_both_stores => reports::live,
            engagement_reports_are_the_same_in_both_stores => reports::engagement,
            pages_reports_are_the_same_in_both_stores => reports::pages,
            ecommerce_figures_are_the_same_in_both_stores => reports::ecommerce,
            heatmaps_are_the_same_in_both_stores => reports::heatmaps,
            frustration_reports_are_the_same_in_both_stores => reports::frustration
        );
    };
}
pub(crate) use conformance_suite;
