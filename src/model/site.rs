//! Sites and the per-site options that change what ingestion does.

use serde::{Deserialize, Serialize};

use super::ids::SiteId;

/// How a client IP is kept. The raw address never reaches disk or logs in any mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IpMode {
    /// Keep the network part only (IPv4 /24, IPv6 /48).
    #[default]
    Truncate,
    /// Keep a salted hash that rotates daily (no address at all).
    Hash,
    /// Keep nothing but the derived country.
    Drop,
}

impl IpMode {
    pub fn as_str(self) -> &'static str {
        match self {
            IpMode::Truncate => "truncate",
            IpMode::Hash => "hash",
            IpMode::Drop => "drop",
        }
    }

    pub fn parse(s: &str) -> Option<IpMode> {
        [IpMode::Truncate, IpMode::Hash, IpMode::Drop]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SiteSettings {
    /// Store raw `KeyboardEvent.key` values next to their class (off by default: passwords).
    pub raw_keys: bool,
    pub ip_mode: IpMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub id: SiteId,
    /// Host names (no port) whose pages may send events for this site.
    pub domains: Vec<String>,
    pub settings: SiteSettings,
}

impl Site {
    /// Whether `host` (port already removed, any case) is one of the site's domains or a
    /// subdomain of one.
    pub fn serves_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|d| {
            host == *d
                || host
                    .strip_suffix(d.as_str())
                    .is_some_and(|prefix| prefix.ends_with('.'))
        })
    }
}

/// Normalises a domain given by an operator: lower case, no scheme, no port, no path.
pub fn normalise_domain(input: &str) -> Option<String> {
    let s = input.trim().to_ascii_lowercase();
    let s = s.split("://").last().unwrap_or(&s);
    let s = s.split('/').next().unwrap_or(s);
    let host = if s.starts_with('[') {
        s.split(']').next().map(|h| format!("{h}]"))?
    } else {
        s.split(':').next()?.to_owned()
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    ok.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_match_their_domains_and_subdomains_only() {
        let site = Site {
            id: SiteId::parse("shop").unwrap(),
            domains: vec!["example.com".into()],
            settings: SiteSettings::default(),
        };
        assert!(site.serves_host("example.com"));
        assert!(site.serves_host("WWW.Example.com"));
        assert!(!site.serves_host("badexample.com"));
        assert!(!site.serves_host("example.com.evil.org"));
    }

    #[test]
    fn domains_are_normalised() {
        assert_eq!(
            normalise_domain("https://Shop.Example:8443/x").as_deref(),
            Some("shop.example")
        );
        assert_eq!(normalise_domain("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(normalise_domain("").as_deref(), None);
        assert_eq!(normalise_domain("a b").as_deref(), None);
    }
}
