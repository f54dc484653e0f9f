//! `TargetUrl::parse` on any text: never panics, and normalising is idempotent (a parsed
//! URL parses again to itself, so one page keeps one content id).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sharetrail::domain::target_url::{MAX_URL_BYTES, TargetUrl};

fuzz_target!(|raw: &str| {
    if let Ok(url) = TargetUrl::parse(raw) {
        assert!(url.as_str().len() <= MAX_URL_BYTES);
        let again = TargetUrl::parse(url.as_str()).expect("a normalised URL parses");
        assert_eq!(again, url, "normalising twice changes the URL");
    }
});
