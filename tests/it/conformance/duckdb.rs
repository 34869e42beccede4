//! The embedded DuckDB store, the suite's reference: it passes the store operations itself,
//! and every other store's reports are compared with its.

use footfall::store::duckdb::{DuckDbOptions, DuckDbStore};

use super::{Fresh, StoreUnderTest};

/// DuckDB as a [`StoreUnderTest`].
pub struct DuckDb;

impl StoreUnderTest for DuckDb {
    const NAME: &'static str = "DuckDB";
    type Store = DuckDbStore;

    fn fresh() -> Fresh<DuckDbStore> {
        let (store, dir) = fresh_duckdb();
        Fresh::keeping(store, dir)
    }
}

/// A DuckDB store in a temporary directory of its own (removed when the directory is dropped).
pub fn fresh_duckdb() -> (DuckDbStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = DuckDbStore::open(dir.path(), &DuckDbOptions::default()).expect("duckdb opens");
    (store, dir)
}

super::conformance_suite!(reference: DuckDb);
