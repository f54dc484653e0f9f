//! The forwarded-header parser on any `Forwarded` / `X-Forwarded-For` pair from a trusted
//! proxy: never panics, and never answers a trusted proxy's address when a hop names
//! another one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sharetrail::enrich::client_ip::{TrustedProxies, client_ip};
use std::net::IpAddr;
use std::sync::LazyLock;

static TRUSTED: LazyLock<TrustedProxies> =
    LazyLock::new(|| TrustedProxies::parse(&["10.0.0.0/8", "127.0.0.1", "2001:db8::/32"]).expect("proxies"));

fuzz_target!(|input: (bool, &str, &str)| {
    let (use_forwarded, forwarded, x_forwarded_for) = input;
    let peer = IpAddr::from([10, 1, 2, 3]);
    let forwarded = use_forwarded.then_some(forwarded);
    let _ = client_ip(peer, forwarded, Some(x_forwarded_for), &TRUSTED);
    // An untrusted peer is always the answer, whatever it sends.
    let stranger = IpAddr::from([192, 0, 2, 1]);
    assert_eq!(client_ip(stranger, forwarded, Some(x_forwarded_for), &TRUSTED), Some(stranger));
});
