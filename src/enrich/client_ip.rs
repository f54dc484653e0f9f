//! The client's address: the socket peer, or, when the peer is a trusted proxy, the
//! right-most address in `Forwarded` / `X-Forwarded-For` that is not itself a trusted proxy.
//! Left of that, every entry could have been written by the client, so none is believed.

use crate::error::{AppError, Result};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The proxies (CIDRs) whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses CIDRs; a bare address means just that address.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies> {
        entries
            .iter()
            .map(|e| e.as_ref().trim())
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| AppError::config("trusted_proxies", format!("`{e}` is not an address or CIDR")))
            })
            .collect::<Result<Vec<_>>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The address to attribute a request to, or None when a trusted proxy forwarded a value
/// that is not an address (`unknown`, an obfuscated node name).
///
/// `forwarded` is the `Forwarded` header (RFC 7239), preferred when present;
/// `x_forwarded_for` the `X-Forwarded-For` header; several header lines joined by commas.
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, x_forwarded_for: Option<&str>, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let chain: Vec<Option<IpAddr>> = match (forwarded, x_forwarded_for) {
        (Some(header), _) => forwarded_for_values(header).map(parse_node).collect(),
        (None, Some(header)) => header.split(',').map(parse_node).collect(),
        (None, None) => return Some(peer),
    };
    for hop in chain.iter().rev() {
        match hop {
            Some(ip) if trusted.contains(*ip) => continue,
            Some(ip) => return Some(*ip),
            None => return None,
        }
    }
    // Every hop was a trusted proxy: the left-most one is as close to the client as we know.
    chain.first().copied().flatten().or(Some(peer))
}

/// The `for=` values of a `Forwarded` header, in order.
fn forwarded_for_values(header: &str) -> impl Iterator<Item = &str> {
    header.split(',').filter_map(|element| {
        element.split(';').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            name.trim().eq_ignore_ascii_case("for").then_some(value.trim())
        })
    })
}

/// One hop: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let node = raw.trim().trim_matches('"');
    let ip = node
        .parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| node.strip_prefix('[').and_then(|n| n.strip_suffix(']')).and_then(|n| n.parse().ok()))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(entries).expect("valid")
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        let got = client_ip(ip("198.51.100.7"), None, Some("192.0.2.1"), &TrustedProxies::default());
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_address_wins() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let xff = "203.0.113.9, 192.0.2.1, 10.1.1.1";
        assert_eq!(client_ip(ip("10.0.0.2"), None, Some(xff), &trusted), Some(ip("192.0.2.1")));
    }

    #[test]
    fn forwarded_is_preferred_and_its_ipv6_ports_and_quotes_are_read() {
        let trusted = proxies(&["127.0.0.1"]);
        let forwarded = r#"for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711""#;
        assert_eq!(client_ip(ip("127.0.0.1"), Some(forwarded), Some("198.51.100.1"), &trusted), Some(ip("2001:db8:cafe::17")));
    }

    #[test]
    fn ipv4_mapped_addresses_are_treated_as_ipv4() {
        let trusted = proxies(&["127.0.0.0/8"]);
        assert_eq!(client_ip(ip("::ffff:127.0.0.1"), None, Some("::ffff:192.0.2.5"), &trusted), Some(ip("192.0.2.5")));
        assert_eq!(client_ip(ip("::ffff:198.51.100.1"), None, None, &trusted), Some(ip("198.51.100.1")));
    }

    #[test]
    fn a_garbage_hop_from_a_trusted_proxy_gives_no_address() {
        let trusted = proxies(&["127.0.0.1"]);
        assert_eq!(client_ip(ip("127.0.0.1"), None, Some("unknown"), &trusted), None);
        assert_eq!(client_ip(ip("127.0.0.1"), Some("for=_hidden"), None, &trusted), None);
    }

    #[test]
    fn addresses_with_ports_parse() {
        let trusted = proxies(&["127.0.0.1"]);
        assert_eq!(client_ip(ip("127.0.0.1"), None, Some("192.0.2.3:5555"), &trusted), Some(ip("192.0.2.3")));
    }

    #[test]
    fn bad_cidrs_name_the_setting() {
        let err = TrustedProxies::parse(&["10.0.0.0/33"]).expect_err("refused");
        assert!(err.to_string().contains("trusted_proxies"));
    }
}
