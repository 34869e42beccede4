//! CSV export of every report table: `?format=csv&table=NAME` on any report route.
//!
//! A middleware in front of the report routes takes `format` and `table` off the query, lets
//! the report answer as usual (same validation, same filters), then turns the named array of
//! the JSON answer into CSV (columns: the rows' fields in alphabetical order, nested values as
//! JSON). One mechanism serves every report, present and future, so a table
//! can never be missing its export. Cells that a spreadsheet would run as a formula are
//! prefixed with `'` (tracked values are untrusted).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;

/// Largest report answer converted (far above any real report).
const MAX_JSON_BYTES: usize = 256 << 20;

pub async fn export(mut req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or("").to_owned();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let value_of = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let format = value_of("format");
    let table = value_of("table");
    match (format.as_deref(), table.as_deref()) {
        (None, None) => return next.run(req).await,
        (Some("csv"), _) | (Some("json"), None) => {}
        (None | Some("json"), Some(_)) => {
            return ApiError::bad_request("invalid_query", "`table` applies only with format=csv")
                .into_response();
        }
        (Some(other), _) => {
            return ApiError::bad_request(
                "invalid_query",
                format!("`format` must be json or csv, got {other:?}"),
            )
            .into_response();
        }
    }
    let rest: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(k, _)| k != "format" && k != "table"))
        .finish();
    let path = req.uri().path().to_owned();
    let rewritten = if rest.is_empty() {
        path.clone()
    } else {
        format!("{path}?{rest}")
    };
    match rewritten.parse::<Uri>() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(_) => {
            return ApiError::bad_request("invalid_query", "the query string is malformed")
                .into_response();
        }
    }
    let response = next.run(req).await;
    if format.as_deref() != Some("csv") || !response.status().is_success() {
        return response;
    }
    let bytes = match to_bytes(response.into_body(), MAX_JSON_BYTES).await {
        Ok(b) => b,
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    let json: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    match to_csv(&json, table.as_deref()) {
        Ok(text) => {
            let report = path.rsplit('/').next().unwrap_or("report");
            let name = format!(
                "{report}-{}.csv",
                table.as_deref().unwrap_or("rows").replace('.', "-")
            );
            let mut response = (StatusCode::OK, Body::from(text)).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

/// The names of the arrays in a report answer (to two levels), for error messages.
fn tables(json: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Object(map) = json {
        for (k, v) in map {
            match v {
                Value::Array(_) => out.push(k.clone()),
                Value::Object(inner) => out.extend(
                    inner
                        .iter()
                        .filter(|(_, v)| v.is_array())
                        .map(|(k2, _)| format!("{k}.{k2}")),
                ),
                _ => {}
            }
        }
    }
    out
}

fn to_csv(json: &Value, table: Option<&str>) -> Result<String, ApiError> {
    let rows = match (json, table) {
        (Value::Array(rows), None) => rows,
        (_, Some(name)) => {
            let mut node = json;
            for part in name.split('.') {
                node = node.get(part).unwrap_or(&Value::Null);
            }
            node.as_array().ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "`table` must be one of: {}; got {name:?}",
                        tables(json).join(", ")
                    ),
                )
            })?
        }
        (_, None) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("add `table=` to choose one of: {}", tables(json).join(", ")),
            ));
        }
    };
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        match row {
            Value::Object(map) => {
                for k in map.keys() {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
            }
            _ if columns.is_empty() => columns.push("value".into()),
            _ => {}
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| ApiError::internal(&e);
    writer.write_record(&columns).map_err(write_err)?;
    for row in rows {
        let cells: Vec<String> = match row {
            Value::Object(map) => columns
                .iter()
                .map(|c| cell(map.get(c).unwrap_or(&Value::Null)))
                .collect(),
            other => vec![cell(other)],
        };
        writer.write_record(&cells).map_err(write_err)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::internal(&e))?;
    String::from_utf8(bytes).map_err(|e| ApiError::internal(&e))
}

fn cell(v: &Value) -> String {
    let text = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        nested => nested.to_string(),
    };
    // A leading =, +, -, @, tab or CR makes spreadsheets evaluate the cell: neutralise it
    // (numbers are written by the branch above and never take this path for their sign).
    if !matches!(v, Value::Number(_)) && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_named_table_becomes_csv_with_union_columns() {
        let report = json!({"top": {"pages": [
            {"value": "/a", "visitors": 2, "count": 3},
            {"value": null, "visitors": 1, "count": 1, "extra": [1, 2]}]}});
        let text = to_csv(&report, Some("top.pages")).unwrap();
        assert_eq!(
            text,
            "count,value,visitors,extra\n3,/a,2,\n1,,1,\"[1,2]\"\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_are_not() {
        let rows = json!([{"text": "=HYPERLINK(\"x\")", "n": -5, "s": "-5"}]);
        assert_eq!(
            to_csv(&rows, None).unwrap(),
            "n,s,text\n-5,'-5,\"'=HYPERLINK(\"\"x\"\")\"\n"
        );
    }

    #[test]
    fn unknown_tables_list_the_known_ones() {
        let report = json!({"sessions": [], "top": {"pages": []}, "total": 1});
        let err = to_csv(&report, Some("nope")).unwrap_err();
        assert!(
            err.message.contains("sessions, top.pages"),
            "{}",
            err.message
        );
        assert!(
            to_csv(&report, None)
                .unwrap_err()
                .message
                .contains("table=")
        );
    }
}
