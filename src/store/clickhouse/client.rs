//! ClickHouse's HTTP interface: gzip `JSONEachRow` inserts, `JSONCompact` reads, statements,
//! string quoting and error classification.
//!
//! ClickHouse 18.16 has no bound parameters, so every value from a client goes into SQL through
//! [`quote`] (strings) or as a Rust number; nothing else from a request ever becomes SQL text.

use std::io::Write;
use std::time::Duration;

use base64::Engine;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use crate::store::StoreError;

/// Where and as whom to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://host:port/` (always ends with `/`).
    pub base: String,
    pub database: String,
    pub user: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("a ClickHouse store URL looks like clickhouse://HOST:PORT/DATABASE, got {0:?}")]
    Shape(String),
    #[error("the database name in {0:?} must be letters, digits and '_'")]
    Database(String),
}

impl Endpoint {
    /// Parses `clickhouse://HOST[:PORT]/DATABASE` (port 8123 by default, the HTTP interface).
    pub fn parse(url: &str) -> Result<Endpoint, UrlError> {
        let rest = url
            .strip_prefix("clickhouse://")
            .ok_or_else(|| UrlError::Shape(url.to_owned()))?;
        let (authority, database) = rest
            .split_once('/')
            .ok_or_else(|| UrlError::Shape(url.to_owned()))?;
        let database = database.trim_end_matches('/');
        if authority.is_empty()
            || authority.contains(['@', '?', '#', ' '])
            || database.is_empty()
            || database.contains('/')
        {
            return Err(UrlError::Shape(url.to_owned()));
        }
        if !database
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(UrlError::Database(url.to_owned()));
        }
        let has_port = authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let authority = if has_port {
            authority.to_owned()
        } else {
            format!("{authority}:8123")
        };
        Ok(Endpoint {
            base: format!("http://{authority}/"),
            database: database.to_owned(),
            user: None,
            password: None,
        })
    }
}

/// Why a request to ClickHouse failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing was sent (no connection): certainly not applied.
    #[error("cannot connect to ClickHouse at {base}: {message}")]
    Connect { base: String, message: String },
    /// The connection broke or timed out after the request may have been sent: an insert may
    /// or may not have been applied.
    #[error("ClickHouse at {base} did not answer: {message}")]
    Transport { base: String, message: String },
    /// ClickHouse answered with an error.
    #[error("ClickHouse answered HTTP {status} (code {code:?}): {message}")]
    Server {
        status: u16,
        code: Option<u32>,
        message: String,
    },
    /// ClickHouse answered something this module cannot read.
    #[error("unexpected answer from ClickHouse: {0}")]
    Decode(String),
}

/// ClickHouse error codes worth retrying: overload, timeouts, network and memory trouble.
const RETRYABLE_CODES: &[u32] = &[
    3,   // UNEXPECTED_END_OF_FILE (a body cut short)
    159, // TIMEOUT_EXCEEDED
    164, // READONLY (a replica in read-only mode)
    202, // TOO_MANY_SIMULTANEOUS_QUERIES
    203, // NO_FREE_CONNECTION
    209, // SOCKET_TIMEOUT
    210, // NETWORK_ERROR
    236, // ABORTED
    241, // MEMORY_LIMIT_EXCEEDED
    242, // TABLE_IS_READ_ONLY
    252, // TOO_MANY_PARTS
    279, // ALL_CONNECTION_TRIES_FAILED
    285, // TOO_FEW_LIVE_REPLICAS
    319, // UNKNOWN_STATUS_OF_INSERT
    394, // QUERY_WAS_CANCELLED
    425, // SYSTEM_ERROR
];

impl ClientError {
    /// True when trying again later may succeed (network, timeouts, overload).
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Connect { .. } | ClientError::Transport { .. } => true,
            ClientError::Server { status, code, .. } => match code {
                Some(c) if RETRYABLE_CODES.contains(c) => true,
                Some(_) => false,
                // No ClickHouse code: a proxy or the server itself is overloaded.
                None => *status >= 500 || *status == 429,
            },
            ClientError::Decode(_) => false,
        }
    }
}

impl From<ClientError> for StoreError {
    fn from(e: ClientError) -> StoreError {
        if e.is_retryable() {
            StoreError::unavailable_because(e.to_string(), e)
        } else {
            StoreError::internal_because(e.to_string(), e)
        }
    }
}

/// The error code in a ClickHouse error body (`Code: 60, e.displayText() = ...`).
fn error_code(body: &str) -> Option<u32> {
    let rest = body.trim_start().strip_prefix("Code: ")?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}

/// A string literal for ClickHouse SQL: single quotes, with backslash, quote and every control
/// byte escaped, so any text (quotes, backslashes, NUL, newlines, any UTF-8) round-trips.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The rows of a `JSONCompact` answer: positional values, 64-bit integers quoted or not.
#[derive(Debug, Default)]
pub struct Rows(pub Vec<Vec<Value>>);

/// Typed access to one positional value of a row.
pub struct Cell<'a>(pub &'a Value);

impl Cell<'_> {
    fn bad(&self, what: &str) -> ClientError {
        ClientError::Decode(format!("expected {what}, got {}", self.0))
    }

    pub fn i64(&self) -> Result<i64, ClientError> {
        match self.0 {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_u64().map(|u| u as i64))
                .or_else(|| n.as_f64().map(|f| f as i64))
                .ok_or_else(|| self.bad("an integer")),
            Value::String(s) => s.parse().map_err(|_| self.bad("an integer")),
            Value::Bool(b) => Ok(i64::from(*b)),
            _ => Err(self.bad("an integer")),
        }
    }

    pub fn opt_i64(&self) -> Result<Option<i64>, ClientError> {
        if self.0.is_null() {
            Ok(None)
        } else {
            self.i64().map(Some)
        }
    }

    pub fn u64(&self) -> Result<u64, ClientError> {
        match self.0 {
            Value::String(s) => s.parse().map_err(|_| self.bad("an unsigned integer")),
            Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or_default()),
            _ => self.i64().map(|v| v as u64),
        }
    }

    pub fn f64(&self) -> Result<f64, ClientError> {
        match self.0 {
            Value::Number(n) => n.as_f64().ok_or_else(|| self.bad("a number")),
            Value::String(s) => s.parse().map_err(|_| self.bad("a number")),
            // NaN and infinities come back as null (no rows to average): none.
            Value::Null => Ok(0.0),
            _ => Err(self.bad("a number")),
        }
    }

    pub fn bool(&self) -> Result<bool, ClientError> {
        self.i64().map(|v| v != 0)
    }

    pub fn string(&self) -> Result<String, ClientError> {
        match self.0 {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(self.bad("a string")),
        }
    }

    pub fn opt_string(&self) -> Result<Option<String>, ClientError> {
        if self.0.is_null() {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }
}

/// Accessor for one row: `row.at(i)?.i64()?`.
pub trait RowExt {
    fn at(&self, i: usize) -> Result<Cell<'_>, ClientError>;
}

impl RowExt for [Value] {
    fn at(&self, i: usize) -> Result<Cell<'_>, ClientError> {
        self.get(i)
            .map(Cell)
            .ok_or_else(|| ClientError::Decode(format!("a row has no column {i}")))
    }
}

/// A blocking HTTP client for one ClickHouse database. Cheap to share between threads.
pub struct Client {
    agent: ureq::Agent,
    endpoint: Endpoint,
    auth: Option<String>,
    /// Extra settings of every request (cluster mode).
    settings: &'static str,
}

/// Settings for a cluster: subqueries over `Distributed` tables inside queries over them run
/// once and are sent to the shards (`GLOBAL IN`/`GLOBAL JOIN`), and an insert into a
/// `Distributed` table answers only once every shard has its rows (so idempotency checks and
/// reports see them).
pub const CLUSTER_SETTINGS: &str = "&distributed_product_mode=global&insert_distributed_sync=1";

/// Settings sent with every request: 64-bit integers as JSON numbers (an old setting current
/// ClickHouse still accepts; [`Cell`] reads quoted ones too).
const READ_SETTINGS: &str = "output_format_json_quote_64bit_integers=0";

/// The largest answer read into memory (reports are aggregates; event lists are limited).
const MAX_ANSWER_BYTES: u64 = 256 << 20;

impl Client {
    pub fn new(endpoint: Endpoint, timeout: Duration, settings: &'static str) -> Client {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(5).min(timeout)))
            .http_status_as_error(false)
            .build();
        let auth = endpoint.user.as_ref().map(|user| {
            let pair = format!("{user}:{}", endpoint.password.as_deref().unwrap_or(""));
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        Client {
            agent: config.into(),
            endpoint,
            auth,
            settings,
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn url(&self, query: Option<&str>, with_database: bool) -> String {
        let mut url = format!("{}?{READ_SETTINGS}{}", self.endpoint.base, self.settings);
        if with_database {
            url.push_str("&database=");
            url.push_str(&self.endpoint.database);
        }
        if let Some(q) = query {
            url.push_str("&query=");
            url.push_str(&percent_encode(q));
        }
        url
    }

    fn send(&self, url: &str, body: &[u8], gzip: bool) -> Result<String, ClientError> {
        let mut req = self.agent.post(url);
        if let Some(auth) = &self.auth {
            req = req.header("Authorization", auth);
        }
        if gzip {
            req = req.header("Content-Encoding", "gzip");
        }
        let mut response = req.send(body).map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|e| ClientError::Transport {
                base: self.endpoint.base.clone(),
                message: format!("reading the answer: {e}"),
            })?;
        if (200..300).contains(&status) {
            // An error that happens while the answer streams arrives after the 200 status.
            if let Some(i) = text.rfind("\nCode: ")
                && text[i..].contains("DB::Exception")
            {
                let message = text[i + 1..].trim().to_owned();
                return Err(ClientError::Server {
                    status: 500,
                    code: error_code(&message),
                    message,
                });
            }
            Ok(text)
        } else {
            Err(ClientError::Server {
                status,
                code: error_code(&text),
                message: text.trim().chars().take(2000).collect(),
            })
        }
    }

    fn transport(&self, e: ureq::Error) -> ClientError {
        let base = self.endpoint.base.clone();
        match e {
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => ClientError::Connect {
                base,
                message: e.to_string(),
            },
            ureq::Error::Io(ref io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                ClientError::Connect {
                    base,
                    message: e.to_string(),
                }
            }
            ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                ClientError::Connect {
                    base,
                    message: e.to_string(),
                }
            }
            _ => ClientError::Transport {
                base,
                message: e.to_string(),
            },
        }
    }

    /// Runs a statement that returns nothing (DDL, ALTER ... DELETE).
    pub fn execute(&self, sql: &str) -> Result<(), ClientError> {
        self.send(&self.url(None, true), sql.as_bytes(), false)
            .map(|_| ())
    }

    /// Runs a statement outside the database (CREATE DATABASE).
    pub fn execute_server(&self, sql: &str) -> Result<(), ClientError> {
        self.send(&self.url(None, false), sql.as_bytes(), false)
            .map(|_| ())
    }

    /// Runs a query and returns its rows (the SQL must not name a FORMAT).
    pub fn query(&self, sql: &str) -> Result<Rows, ClientError> {
        let text = self.send(
            &self.url(None, true),
            format!("{sql}\nFORMAT JSONCompact").as_bytes(),
            false,
        )?;
        let mut doc: Value = serde_json::from_str(&text)
            .map_err(|e| ClientError::Decode(format!("{e} in {:.200}", text)))?;
        match doc.get_mut("data").map(Value::take) {
            Some(Value::Array(rows)) => rows
                .into_iter()
                .map(|r| match r {
                    Value::Array(cells) => Ok(cells),
                    other => Err(ClientError::Decode(format!(
                        "a row is not an array: {other}"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Rows),
            _ => Err(ClientError::Decode("no `data` in the answer".into())),
        }
    }

    /// Inserts rows (JSON objects named by column) into `table` as one gzip'd `JSONEachRow`
    /// body. Nothing is sent for no rows. (Small inserts: metadata and positions.)
    pub fn insert<'a>(
        &self,
        table: &str,
        rows: impl IntoIterator<Item = &'a Value>,
    ) -> Result<(), ClientError> {
        let mut plain = Vec::new();
        for row in rows {
            serde_json::to_writer(&mut plain, row)
                .map_err(|e| ClientError::Decode(format!("serialising a row: {e}")))?;
            plain.push(b'\n');
        }
        self.insert_lines(table, [plain.as_slice()])
    }

    /// Inserts `JSONEachRow` text (whole lines, each ending in a newline) given as pieces that
    /// are sent back to back, as one gzip'd body. Nothing is sent for no text.
    pub fn insert_lines<'a>(
        &self,
        table: &str,
        pieces: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), ClientError> {
        // Pieces are whole runs of rows (kilobytes to megabytes), so feeding them to the
        // compressor one by one costs nothing extra; writing serde_json's tokens into it
        // directly would (thousands of tiny writes).
        let mut gz = GzEncoder::new(Vec::with_capacity(1 << 16), Compression::fast());
        let mut plain = 0;
        for piece in pieces {
            plain += piece.len();
            gz.write_all(piece)
                .map_err(|e| ClientError::Decode(format!("compressing an insert: {e}")))?;
        }
        if plain == 0 {
            return Ok(());
        }
        let body = gz
            .finish()
            .map_err(|e| ClientError::Decode(format!("compressing an insert: {e}")))?;
        let sql = format!("INSERT INTO {table} FORMAT JSONEachRow");
        self.send(&self.url(Some(&sql), true), &body, true)
            .map(|_| ())
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_parse_and_bad_ones_are_named() {
        let e = Endpoint::parse("clickhouse://127.0.0.1:8123/footfall").unwrap();
        assert_eq!(e.base, "http://127.0.0.1:8123/");
        assert_eq!(e.database, "footfall");
        let e = Endpoint::parse("clickhouse://ch.internal/db_1/").unwrap();
        assert_eq!(e.base, "http://ch.internal:8123/");
        assert_eq!(e.database, "db_1");
        for bad in [
            "http://x/db",
            "clickhouse://x",
            "clickhouse:///db",
            "clickhouse://u:p@x/db",
            "clickhouse://x/a/b",
        ] {
            assert!(
                matches!(Endpoint::parse(bad), Err(UrlError::Shape(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Endpoint::parse("clickhouse://x/db;drop"),
            Err(UrlError::Database(_))
        ));
    }

    #[test]
    fn quoting_escapes_quotes_backslashes_and_control_bytes() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's"), r"'it\'s'");
        assert_eq!(quote(r"a\b"), r"'a\\b'");
        assert_eq!(quote("nul\0x"), r"'nul\0x'");
        assert_eq!(quote("\\'"), r"'\\\''");
        assert_eq!(quote("l1\nl2\u{1}"), r"'l1\nl2\x01'");
        assert_eq!(quote("ünï"), "'ünï'");
    }

    #[test]
    fn errors_are_classified_by_code_and_status() {
        let server = |status, body: &str| ClientError::Server {
            status,
            code: error_code(body),
            message: body.into(),
        };
        assert!(server(500, "Code: 252, e.displayText() = Too many parts").is_retryable());
        assert!(server(500, "Code: 241, e.displayText() = Memory limit").is_retryable());
        assert!(!server(400, "Code: 62, e.displayText() = Syntax error").is_retryable());
        assert!(!server(404, "Code: 60, e.displayText() = Table x doesn't exist").is_retryable());
        assert!(!server(500, "Code: 26, e.displayText() = Cannot parse JSON").is_retryable());
        assert!(server(503, "Service Unavailable").is_retryable());
        assert!(server(502, "<html>bad gateway</html>").is_retryable());
        assert!(!server(401, "Unauthorized").is_retryable());
        assert!(
            ClientError::Transport {
                base: String::new(),
                message: "timeout".into()
            }
            .is_retryable()
        );
        assert!(matches!(
            StoreError::from(server(400, "Code: 62, x")),
            StoreError::Internal { .. }
        ));
        assert!(matches!(
            StoreError::from(server(500, "Code: 202, x")),
            StoreError::Unavailable { .. }
        ));
    }

    #[test]
    fn cells_read_quoted_and_unquoted_integers() {
        let v: Vec<Value> =
            serde_json::from_str(r#"[1, "-5", "18446744073709551615", null, "x", 0.5]"#).unwrap();
        assert_eq!(v.at(0).unwrap().i64().unwrap(), 1);
        assert_eq!(v.at(1).unwrap().i64().unwrap(), -5);
        assert_eq!(v.at(2).unwrap().u64().unwrap(), u64::MAX);
        assert_eq!(v.at(3).unwrap().opt_i64().unwrap(), None);
        assert_eq!(v.at(4).unwrap().string().unwrap(), "x");
        assert_eq!(v.at(5).unwrap().f64().unwrap(), 0.5);
        assert!(v.at(4).unwrap().i64().is_err());
        assert!(v.at(9).is_err());
    }
}
