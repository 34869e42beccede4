//! ClickHouse joins the store conformance suite: each check on a fresh database of the shared
//! server.

use footfall::store::clickhouse::ClickHouseStore;

use super::server::fresh_clickhouse;
use crate::conformance::{Fresh, StoreUnderTest};

/// ClickHouse as a [`StoreUnderTest`].
pub struct ClickHouse;

impl StoreUnderTest for ClickHouse {
    const NAME: &'static str = "ClickHouse";
    type Store = ClickHouseStore;

    fn fresh() -> Fresh<ClickHouseStore> {
        Fresh::new(fresh_clickhouse())
    }
}

crate::conformance::conformance_suite!(ClickHouse);
