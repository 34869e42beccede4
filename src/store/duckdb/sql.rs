//! Building DuckDB SQL from plans: bound parameters and the fixed shapes of filters.
//!
//! Every value from a request goes into [`Params`] and appears in the SQL only as `$n`. The SQL
//! text itself is chosen from fixed fragments by the plan's enums, so it is the same for every
//! request with the same shape of filters (and is snapshot-tested).

use duckdb::types::Value;
use duckdb::{Connection, params_from_iter};

use super::map_err;
use super::signals::{marked_clicks, quick_backs};
use crate::model::SiteId;
use crate::query::frustration::{Signal, Thresholds};
use crate::query::zone::Zone;
use crate::query::{Filter, Filters, TimeRange};
use crate::store::StoreResult;

/// Positional parameters of one statement.
#[derive(Debug, Default)]
pub(super) struct Params {
    pub values: Vec<Value>,
}

impl Params {
    /// Adds a value and returns its placeholder.
    pub fn bind(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("${}", self.values.len())
    }
}

/// The predicate on `events` for a site, a time range, bots and filters. It binds the site as
/// `$1`, the range as `$2`/`$3` and the bot switch as `$4` (callers may refer to them), then
/// each filter's values.
pub(super) fn events_where(
    site: &SiteId,
    range: TimeRange,
    filters: &Filters,
    p: &mut Params,
) -> String {
    assert!(
        p.values.is_empty(),
        "events_where binds $1..$4 and must come first"
    );
    p.bind(Value::Text(site.as_str().to_owned()));
    p.bind(Value::BigInt(range.from_ms));
    p.bind(Value::BigInt(range.to_ms));
    p.bind(Value::Boolean(filters.include_bots));
    let mut sql =
        String::from("site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND ($4 OR NOT bot)");
    for f in &filters.conditions {
        sql.push_str(" AND ");
        sql.push_str(&filter_sql(f, p));
    }
    sql
}

/// A statement on one line, so snapshot tests can pin it exactly.
pub(super) fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `sql` with `params` and maps every row.
pub(super) fn query<T>(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    row: impl FnMut(&duckdb::Row<'_>) -> duckdb::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare(sql).map_err(map_err)?;
    let rows = stmt
        .query_map(params_from_iter(params), row)
        .map_err(map_err)?;
    rows.map(|r| r.map_err(map_err)).collect()
}

/// SQL that shifts the column `ts` to wall-clock time in `zone` over `range`: one bound
/// offset, or a CASE over the offsets between daylight-saving transitions (each bound).
pub(super) fn local_ts(zone: Zone, range: TimeRange, p: &mut Params) -> String {
    let segments = zone.segments(range);
    match segments.as_slice() {
        [(_, offset)] => format!("ts + to_milliseconds({})", p.bind(Value::BigInt(*offset))),
        _ => {
            let mut sql = String::from("ts + to_milliseconds(CASE");
            let last = segments.len() - 1;
            for (i, (until, offset)) in segments.iter().enumerate() {
                let offset = p.bind(Value::BigInt(*offset));
                if i == last {
                    sql.push_str(&format!(" ELSE {offset} END)"));
                } else {
                    let until = p.bind(Value::BigInt(*until));
                    sql.push_str(&format!(" WHEN ts < epoch_ms({until}) THEN {offset}"));
                }
            }
            sql
        }
    }
}

/// Sessions with an event in the range that meets `cond` (a fixed fragment).
fn sessions_with(cond: &str) -> String {
    format!(
        "session_id IN (SELECT session_id FROM events \
         WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND {cond})"
    )
}

/// Sessions with a pageview in the range whose path meets `cond` (a fixed fragment), from the
/// `pageviews` projection rather than every event.
fn sessions_viewing(cond: &str) -> String {
    format!(
        "session_id IN (SELECT session_id FROM pageviews \
         WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND {cond})"
    )
}

fn user_sessions(user_cond: &str, link_cond: &str) -> String {
    format!(
        "({} OR visitor_id IN (SELECT visitor_id FROM identities WHERE site = $1{link_cond}))",
        sessions_with(user_cond)
    )
}

/// Sessions that show `signal` in the range, derived as the frustration report derives it.
fn frustrated_sessions(signal: Signal, thresholds: &Thresholds, p: &mut Params) -> String {
    const IN_RANGE: &str = "site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3)";
    match signal {
        Signal::Dead => sessions_with("kind = 'click' AND dead"),
        Signal::Rage | Signal::Error => format!(
            "session_id IN (WITH {} SELECT session_id FROM marked WHERE {})",
            marked_clicks(IN_RANGE, "true", thresholds, p),
            if signal == Signal::Rage {
                "rage"
            } else {
                "error"
            }
        ),
        Signal::QuickBack => format!(
            "session_id IN (WITH {} SELECT session_id FROM backs)",
            quick_backs(IN_RANGE, thresholds, p)
        ),
    }
}

fn filter_sql(f: &Filter, p: &mut Params) -> String {
    let text = |p: &mut Params, s: &str| p.bind(Value::Text(s.to_owned()));
    match f {
        Filter::Page(path) => sessions_viewing(&format!("path = {}", text(p, path))),
        Filter::PagePrefix(prefix) => {
            sessions_viewing(&format!("starts_with(path, {})", text(p, prefix)))
        }
        Filter::Session(field, value) => format!(
            "session_id IN (SELECT session_id FROM sessions WHERE site = $1 AND {} = {})",
            field.as_str(),
            text(p, value)
        ),
        Filter::SignedIn(true) => user_sessions("user_id IS NOT NULL", ""),
        Filter::SignedIn(false) => format!("NOT {}", user_sessions("user_id IS NOT NULL", "")),
        Filter::User(user) => {
            let v = text(p, user);
            user_sessions(&format!("user_id = {v}"), &format!(" AND user_id = {v}"))
        }
        Filter::Visitor(v) => format!("visitor_id = {}", p.bind(Value::BigInt(v.0 as i64))),
        Filter::CustomEvent(name) => {
            sessions_with(&format!("kind = 'custom' AND name = {}", text(p, name)))
        }
        Filter::CustomProp { key, value } => {
            // The key is validated (letters, digits, '_', '-', '.'), so quoting it as a JSON
            // path member is safe; it is still bound, not spliced.
            let path = text(p, &format!("$.\"{key}\""));
            let v = text(p, value);
            sessions_with(&format!(
                "kind = 'custom' AND json_extract_string(props, {path}) = {v}"
            ))
        }
        Filter::HasEvent(name) => {
            let v = text(p, name);
            sessions_with(&format!("(kind = {v} OR name = {v})"))
        }
        Filter::ErrorMessage(message) => {
            sessions_with(&format!("kind = 'error' AND label = {}", text(p, message)))
        }
        Filter::Frustration(signal, thresholds) => frustrated_sessions(*signal, thresholds, p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VisitorId;
    use crate::query::SessionField;

    /// The SQL of every filter shape, pinned: a change here is a change of query plans.
    #[test]
    fn filter_sql_snapshot() {
        let filters = Filters {
            include_bots: false,
            conditions: vec![
                Filter::Page("/cart".into()),
                Filter::PagePrefix("/blog/".into()),
                Filter::Session(SessionField::Country, "DE".into()),
                Filter::SignedIn(false),
                Filter::User("u-1".into()),
                Filter::Visitor(VisitorId(255)),
                Filter::CustomEvent("signup".into()),
                Filter::CustomProp {
                    key: "plan".into(),
                    value: "pro".into(),
                },
                Filter::HasEvent("purchase".into()),
            ],
        };
        let mut p = Params::default();
        let range = TimeRange::new(1_000, 2_000).unwrap();
        let sql = events_where(&SiteId::parse("demo").unwrap(), range, &filters, &mut p);
        let expected = [
            "site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND ($4 OR NOT bot)",
            "session_id IN (SELECT session_id FROM pageviews WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND path = $5)",
            "session_id IN (SELECT session_id FROM pageviews WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND starts_with(path, $6))",
            "session_id IN (SELECT session_id FROM sessions WHERE site = $1 AND country = $7)",
            "NOT (session_id IN (SELECT session_id FROM events WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND user_id IS NOT NULL) OR visitor_id IN (SELECT visitor_id FROM identities WHERE site = $1))",
            "(session_id IN (SELECT session_id FROM events WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND user_id = $8) OR visitor_id IN (SELECT visitor_id FROM identities WHERE site = $1 AND user_id = $8))",
            "visitor_id = $9",
            "session_id IN (SELECT session_id FROM events WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND kind = 'custom' AND name = $10)",
            "session_id IN (SELECT session_id FROM events WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND kind = 'custom' AND json_extract_string(props, $11) = $12)",
            "session_id IN (SELECT session_id FROM events WHERE site = $1 AND ts >= epoch_ms($2) AND ts < epoch_ms($3) AND (kind = $13 OR name = $13))",
        ]
        .join(" AND ");
        assert_eq!(sql, expected);
        assert_eq!(p.values.len(), 13);
        assert_eq!(p.values[10], Value::Text("$.\"plan\"".into()));
    }
}
