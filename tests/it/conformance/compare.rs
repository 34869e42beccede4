//! Comparing a report of the store under test with the reference's: exactly, but for the last
//! bits of floating-point sums, and showing where they part on failure.

use footfall::store::StoreError;
use footfall::store::prelude::*;
use serde_json::{Value, json};

/// Rounds floating-point figures (sums of many doubles may differ in the last bits between
/// the databases) to 1e-9 relative, so reports compare exactly otherwise.
fn normalise(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or_default();
            let scale = 10f64.powi(9 - f.abs().log10().ceil().max(0.0) as i32);
            json!((f * scale).round() / scale)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, normalise(v))).collect()),
        other => other,
    }
}

/// Panics, showing the lines around the first difference, unless `candidate` (the store under
/// test's answer) is `reference` (DuckDB's).
pub fn same<T: serde::Serialize>(what: &str, reference: &T, candidate: &T) {
    let (d, c) = (
        normalise(serde_json::to_value(reference).unwrap()),
        normalise(serde_json::to_value(candidate).unwrap()),
    );
    if d != c {
        let (ds, cs) = (
            serde_json::to_string_pretty(&d).unwrap(),
            serde_json::to_string_pretty(&c).unwrap(),
        );
        let first = ds
            .lines()
            .zip(cs.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let around = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(8))
                .take(16)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{what}: DuckDB and the store under test differ at line {first}:\n--- duckdb\n{}\n--- store under test\n{}",
            around(&ds),
            around(&cs)
        );
    }
}

/// Asks the reference and the candidate for the same report and requires the [`same`] answer;
/// returns the reference's, for the caller's own checks.
pub fn compare<T: serde::Serialize>(
    what: &str,
    reference: &dyn Store,
    candidate: &dyn Store,
    report: impl Fn(&dyn Store) -> Result<T, StoreError>,
) -> T {
    let d = report(reference).unwrap();
    let c = report(candidate).unwrap();
    same(what, &d, &c);
    d
}
