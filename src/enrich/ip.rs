//! Client addresses: which one to believe, and what of it may be kept.
//!
//! The raw address of a visitor must never reach disk or logs (brief, decision 6). This module
//! is the single place that decides which address is the client's (honouring
//! `X-Forwarded-For` only behind trusted proxies) and turns it into what a site's `IpMode`
//! allows to be stored: a /24 or /48 network, a daily-salted hash, or nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::model::IpMode;

/// The address with IPv4-mapped IPv6 (`::ffff:a.b.c.d`) turned back into IPv4, so that
/// dual-stack sockets do not change what is stored or looked up.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// What may be stored of `ip` under `mode`:
/// - `Truncate`: the network part, IPv4 /24 (`203.0.113.0`) or IPv6 /48 (`2001:db8:1::`);
/// - `Hash`: 16 hex digits of a BLAKE3 keyed hash with the day's salt (the same visitor
///   address gives the same value within a day, and nothing links two days);
/// - `Drop`: nothing.
pub fn anonymise(ip: IpAddr, mode: IpMode, day_salt: &[u8; 32]) -> Option<String> {
    let ip = canonical(ip);
    match mode {
        IpMode::Truncate => Some(match ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                Ipv4Addr::new(a, b, c, 0).to_string()
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0).to_string()
            }
        }),
        IpMode::Hash => {
            let bytes: Vec<u8> = match ip {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            let hash = blake3::keyed_hash(day_salt, &bytes);
            Some(
                hash.as_bytes()[..8]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            )
        }
        IpMode::Drop => None,
    }
}

/// The client's address for a request that arrived from `peer`.
///
/// `X-Forwarded-For` is honoured only when `peer` is one of the `trusted` proxies (anyone can
/// send the header). The list is then walked from the right (the hop nearest to us) to the
/// left, skipping addresses of trusted proxies; the first untrusted address is the client.
/// An entry that is not an address (garbage, `unknown`, an obfuscated name) stops the walk:
/// the answer is then the last good address seen (the nearest hop), or `peer`. Several
/// `X-Forwarded-For` headers must be joined with `,` by the caller, in order.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
    let Some(header) = forwarded_for else {
        return peer;
    };
    if !is_trusted(peer) {
        return peer;
    }
    let mut last_good = peer;
    for entry in header.rsplit(',') {
        let Some(ip) = parse_forwarded_entry(entry) else {
            return last_good;
        };
        if !is_trusted(ip) {
            return ip;
        }
        last_good = ip;
    }
    last_good
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]`
/// or `[2001:db8::1]:5678` (some proxies add ports), possibly quoted.
fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    let s = entry.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, _port) = rest.split_once(']')?;
        return inside
            .parse::<Ipv6Addr>()
            .ok()
            .map(|v6| canonical(IpAddr::V6(v6)));
    }
    // `a.b.c.d:port`: exactly one colon, so never a bare IPv6 address.
    let (host, port) = s.split_once(':')?;
    if port.contains(':') || port.parse::<u16>().is_err() {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// Whether `ip` is a routable public address (the only kind a country database can place).
/// Loopback, private, link-local, shared (CGNAT), documentation, benchmarking, multicast,
/// reserved and unique-local addresses are not.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // Global unicast is 2000::/3; 2001:db8::/32 is documentation.
            (s[0] & 0xe000) == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: [u8; 32] = [7; 32];

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|s| s.parse().expect("test network"))
            .collect()
    }

    #[test]
    fn truncation_keeps_the_ipv4_24_and_the_ipv6_48() {
        let t = |s| anonymise(ip(s), IpMode::Truncate, &SALT);
        assert_eq!(t("203.0.113.77").as_deref(), Some("203.0.113.0"));
        assert_eq!(t("2001:db8:1:2::1").as_deref(), Some("2001:db8:1::"));
        assert_eq!(t("::ffff:198.51.100.9").as_deref(), Some("198.51.100.0"));
    }

    #[test]
    fn hashing_is_stable_per_salt_and_hides_the_address() {
        let a = anonymise(ip("203.0.113.77"), IpMode::Hash, &SALT).expect("hash");
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!a.contains("203"));
        assert_eq!(
            anonymise(ip("203.0.113.77"), IpMode::Hash, &SALT),
            Some(a.clone())
        );
        assert_eq!(
            anonymise(ip("::ffff:203.0.113.77"), IpMode::Hash, &SALT),
            Some(a.clone())
        );
        assert_ne!(
            anonymise(ip("203.0.113.78"), IpMode::Hash, &SALT),
            Some(a.clone())
        );
        assert_ne!(
            anonymise(ip("203.0.113.77"), IpMode::Hash, &[8; 32]),
            Some(a)
        );
    }

    #[test]
    fn drop_keeps_nothing() {
        assert_eq!(anonymise(ip("203.0.113.77"), IpMode::Drop, &SALT), None);
    }

    #[test]
    fn forwarded_for_from_an_untrusted_peer_is_ignored() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = client_ip(ip("198.51.100.1"), Some("203.0.113.5"), &trusted);
        assert_eq!(got, ip("198.51.100.1"));
        // No trusted proxies configured at all: the header is never believed.
        assert_eq!(
            client_ip(ip("10.0.0.1"), Some("203.0.113.5"), &[]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_for_from_a_trusted_peer_skips_trusted_hops_from_the_right() {
        let trusted = nets(&["10.0.0.0/8", "::1/128"]);
        let got = client_ip(
            ip("10.0.0.2"),
            Some("1.2.3.4, 203.0.113.5, 10.0.0.7"),
            &trusted,
        );
        // 1.2.3.4 was written by the client itself: only the nearest untrusted hop counts.
        assert_eq!(got, ip("203.0.113.5"));
        assert_eq!(
            client_ip(ip("::1"), Some("[2001:db8::5]:443"), &trusted),
            ip("2001:db8::5")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("203.0.113.5:8080"), &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.2"), Some("203.0.113.5"), &trusted),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn garbage_in_forwarded_for_falls_back_to_the_last_good_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("not-an-ip"), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(
                ip("10.0.0.2"),
                Some("203.0.113.5, unknown, 10.0.0.9"),
                &trusted
            ),
            ip("10.0.0.9")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some(""), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("1.2.3.4:99999"), &trusted),
            ip("10.0.0.2")
        );
        // Every hop trusted: the leftmost is the best we know.
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("10.1.1.1, 10.0.0.9"), &trusted),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn only_routable_addresses_are_public() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s}");
        }
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "203.0.113.7",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip(s)), "{s}");
        }
    }
}
