//! An accepted, enriched batch: what the spool persists and the store writer appends.
//!
//! Enrichment (browser, country, source, anonymised IP, corrected time) happens once at ingest
//! and travels with the batch, so replaying the spool after a crash stores exactly what was
//! acknowledged, and no store needs enrichment code.

use serde::{Deserialize, Serialize};

use super::event::EventData;
use super::ids::{SessionId, SiteId, VisitorId};

/// Coarse device class derived from the user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    Desktop,
    Mobile,
    Tablet,
    Bot,
    #[default]
    Unknown,
}

impl DeviceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceClass::Desktop => "desktop",
            DeviceClass::Mobile => "mobile",
            DeviceClass::Tablet => "tablet",
            DeviceClass::Bot => "bot",
            DeviceClass::Unknown => "unknown",
        }
    }
}

/// What footfall knows about the visitor's client, derived at ingest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ClientInfo {
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    pub device: DeviceClass,
    pub bot: bool,
    /// ISO 3166-1 alpha-2 country code, when the address is in the offline database.
    pub country: Option<String>,
    /// The anonymised address (see `IpMode`); never the raw one.
    pub ip: Option<String>,
    pub screen_width: Option<i32>,
    pub screen_height: Option<i32>,
    pub language: Option<String>,
}

/// Where the visit came from: UTM parameters take precedence over the referrer's source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TrafficSource {
    pub referrer_host: Option<String>,
    /// e.g. "Google", "Facebook", "news" (from utm_source), or None for direct traffic.
    pub source: Option<String>,
    /// e.g. "search", "social", "email", "unknown", "internal".
    pub medium: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
}

/// One event of a batch with its ids and times resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Hash of the client event id (or of the content for formats without ids): the
    /// de-duplication key for retried batches.
    pub eid: u64,
    /// Event time in epoch milliseconds, corrected for the client's clock skew.
    pub ts_ms: i64,
    /// URL of the page the event happened on (scheme, host, path, query; no fragment).
    pub url: String,
    pub data: EventData,
}

/// An accepted batch after enrichment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub site: SiteId,
    pub visitor: VisitorId,
    pub session: SessionId,
    pub user_id: Option<String>,
    pub received_ms: i64,
    pub client: ClientInfo,
    pub source: TrafficSource,
    pub events: Vec<Event>,
}

/// The path of a URL (no query, no fragment), or the whole text when it is not a URL.
pub fn path_of(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            match after.find('/') {
                Some(j) => &after[j..],
                None => "/",
            }
        }
        None => url,
    };
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    if end == 0 { "/" } else { &rest[..end] }
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn paths_drop_host_query_and_fragment() {
        assert_eq!(
            path_of("http://127.0.0.1:8765/product/42?utm_source=news"),
            "/product/42"
        );
        assert_eq!(path_of("https://shop.example"), "/");
        assert_eq!(path_of("https://shop.example/#top"), "/");
        assert_eq!(path_of("/cart?x=1"), "/cart");
        assert_eq!(path_of(""), "/");
    }
}
