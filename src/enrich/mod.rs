//! Enrichment at ingest: what the request says about the visitor's client and where the visit
//! came from, derived once so that batches, the spool and every store carry finished values.
//!
//! All data is embedded in the binary (sources, licences and the refresh script are in
//! `assets/README.md`): maintained third-party data for user agents (uap-core regexes), bots
//! (the `isbot` patterns) and countries (DB-IP Lite), as the brief's decision 9 asks; for
//! referrers footfall's own list, because the referrer lists on npm and PyPI either copy
//! Snowplow's data, which derives from Piwik's GPL lists, or lack a clear licence. Nothing here
//! does I/O after [`Enricher::new`], and the raw client address never leaves
//! [`Enricher::client`] (only its country and its anonymised form do).

pub mod geo;
pub mod ip;
pub mod referrer;
pub mod ua;

use std::net::IpAddr;

use crate::model::{ClientInfo, IpMode, Site, TrafficSource};

pub use geo::Geo;
pub use ip::{anonymise, client_ip};
pub use referrer::Referers;
pub use ua::{UaInfo, UaParser};

/// Why the embedded enrichment data could not be loaded (a build defect, found at start-up).
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("embedded uap-core regexes are not valid JSON of the expected shape")]
    UaData(#[source] serde_json::Error),
    #[error("embedded uap-core regexes do not compile")]
    UaCompile(#[source] ua_parser::Error),
    #[error("embedded referer data is not valid JSON of the expected shape")]
    RefererData(#[source] serde_json::Error),
    #[error("embedded referer data is empty")]
    RefererShape,
    #[error("embedded country database cannot be read")]
    GeoData(#[source] maxminddb::MaxMindDbError),
    #[error("embedded country database has an unexpected shape: {0}")]
    GeoShape(String),
}

/// The enrichment facade used by ingest: `Send + Sync`, built once, shared in an `Arc`.
pub struct Enricher {
    ua: UaParser,
    referers: Referers,
    geo: Geo,
}

impl Enricher {
    /// Loads the embedded uap regexes, referer data and mmdb. Called once at start (compiling
    /// the regexes takes a moment; do it off the async runtime or before serving).
    pub fn new() -> Result<Enricher, EnrichError> {
        Ok(Enricher {
            ua: UaParser::new()?,
            referers: Referers::new()?,
            geo: Geo::new()?,
        })
    }

    /// Browser, OS, device class and bot flag from a user agent (cached), the country of `ip`
    /// and its anonymised form under `ip_mode`. Screen and language are left for the caller,
    /// which has them from the tracker's payload.
    pub fn client(
        &self,
        user_agent: &str,
        ip: Option<IpAddr>,
        ip_mode: IpMode,
        day_salt: &[u8; 32],
    ) -> ClientInfo {
        let ua = self.ua.parse(user_agent);
        ClientInfo {
            browser: ua.browser,
            browser_version: ua.browser_version,
            os: ua.os,
            device: ua.device,
            bot: ua.bot,
            country: ip.and_then(|ip| self.geo.country(ip)),
            ip: ip.and_then(|ip| anonymise(ip, ip_mode, day_salt)),
            screen_width: None,
            screen_height: None,
            language: None,
        }
    }

    /// Source/medium from the referrer (`assets/referers.json`), with the page URL's UTM
    /// parameters taking precedence; referrers from the site's own domains are medium
    /// "internal" with no source; no referrer and no UTM tags give all `None` (direct). See
    /// [`referrer`].
    pub fn source(&self, page_url: &str, referrer: Option<&str>, site: &Site) -> TrafficSource {
        self.referers.source(page_url, referrer, site)
    }

    /// The user-agent parser alone (e.g. for bot checks before a batch is accepted).
    pub fn ua(&self) -> &UaParser {
        &self.ua
    }

    /// The country database alone (e.g. for its build date on a status page).
    pub fn geo(&self) -> &Geo {
        &self.geo
    }
}

/// `s` cut to at most `max` characters (not bytes), as an owned string.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => s[..end].to_owned(),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use crate::model::{DeviceClass, SiteId, SiteSettings};

    static ENRICHER: LazyLock<Enricher> =
        LazyLock::new(|| Enricher::new().expect("embedded data loads"));

    const SALT: [u8; 32] = [1; 32];

    #[test]
    fn the_enricher_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Enricher>();
    }

    #[test]
    fn client_combines_user_agent_country_and_anonymised_address() {
        let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
        let info = ENRICHER.client(ua, "8.8.8.8".parse().ok(), IpMode::Truncate, &SALT);
        assert_eq!(info.browser, "Chrome");
        assert_eq!(info.browser_version, "130");
        assert_eq!(info.os, "Linux");
        assert_eq!(info.device, DeviceClass::Desktop);
        assert!(!info.bot);
        assert_eq!(info.country.as_deref(), Some("US"));
        assert_eq!(info.ip.as_deref(), Some("8.8.8.0"));

        let dropped = ENRICHER.client(ua, "8.8.8.8".parse().ok(), IpMode::Drop, &SALT);
        assert_eq!(dropped.country.as_deref(), Some("US"));
        assert_eq!(dropped.ip, None);

        let local = ENRICHER.client("", "127.0.0.1".parse().ok(), IpMode::Truncate, &SALT);
        assert_eq!(local.browser, "Unknown");
        assert_eq!(local.device, DeviceClass::Unknown);
        assert_eq!(local.country, None);
        assert_eq!(local.ip.as_deref(), Some("127.0.0.0"));

        let none = ENRICHER.client("curl/8.5.0", None, IpMode::Hash, &SALT);
        assert!(none.bot);
        assert_eq!((none.country, none.ip), (None, None));
    }

    #[test]
    fn source_goes_through_the_referrer_rules() {
        let site = Site {
            id: SiteId::parse("blog").expect("site id"),
            domains: vec!["blog.example".into()],
            settings: SiteSettings::default(),
        };
        let t = ENRICHER.source(
            "https://blog.example/",
            Some("https://www.google.com/search?q=x"),
            &site,
        );
        assert_eq!(
            (t.source.as_deref(), t.medium.as_deref()),
            (Some("Google"), Some("search"))
        );
        assert_eq!(
            ENRICHER.source("https://blog.example/", None, &site),
            TrafficSource::default()
        );
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("héllo", 2), "hé");
        assert_eq!(truncate("hi", 5), "hi");
        assert_eq!(truncate("", 0), "");
    }
}
