//! The client and the dialect: strings quoted for the server come back as they were, and the
//! client tells a query the server refuses from a server that is not there.

use footfall::store::StoreError;
use footfall::store::clickhouse::{ClickHouseOptions, ClickHouseStore, quote};

use super::server::{free_port, fresh_clickhouse};

#[test]
fn quoted_strings_round_trip_through_the_server() {
    let store = fresh_clickhouse();
    for s in [
        "plain",
        "it's",
        r"back\slash",
        "nul\0byte",
        "\\'",
        "'; DROP TABLE events; --",
        "line\nbreak\ttab\r",
        "\u{1}\u{1f}\u{7f}",
        "ünïcødé ✓",
        "",
    ] {
        let got = store
            .query_raw(&format!("SELECT {}", quote(s)))
            .expect("query");
        assert_eq!(got, vec![s.to_owned()], "{s:?}");
    }
}

#[test]
fn bad_sql_is_an_internal_error_and_a_dead_server_is_unavailable() {
    let store = fresh_clickhouse();
    assert!(matches!(
        store.query_raw("SELEC 1"),
        Err(StoreError::Internal { message, .. }) if message.contains("Syntax error")
    ));
    assert!(matches!(
        store.query_raw("SELECT * FROM no_such_table"),
        Err(StoreError::Internal { .. })
    ));
    let nobody = format!("clickhouse://127.0.0.1:{}/x", free_port());
    let options = ClickHouseOptions::new(&nobody, None, None, "n".into()).unwrap();
    assert!(matches!(
        ClickHouseStore::open(&options),
        Err(StoreError::Unavailable { .. })
    ));
}
