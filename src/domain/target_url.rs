//! Target URLs: where a short link leads, normalised so that one page has one identity.

use crate::error::{AppError, Result};
use std::fmt;
use url::Url;

/// Longest target accepted, in bytes, before and after normalisation.
pub const MAX_URL_BYTES: usize = 4096;

/// An absolute http(s) URL without credentials, normalised: scheme and host lower-cased,
/// IDN hosts in punycode, default port and fragment dropped. Two spellings of one page
/// give one `TargetUrl`, which is what makes minting idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(Url);

impl TargetUrl {
    pub fn parse(raw: &str) -> Result<TargetUrl> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(AppError::invalid("invalid_url", "url must not be empty"));
        }
        if raw.len() > MAX_URL_BYTES {
            return Err(too_long());
        }
        let mut url = Url::parse(raw)
            .map_err(|e| AppError::invalid("invalid_url", format!("url is not a valid absolute URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AppError::invalid("invalid_url", "url must use http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(AppError::invalid("invalid_url", "url must not contain credentials"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(AppError::invalid("invalid_url", "url must have a host"));
        }
        // The fragment is a position within the page, not another page.
        url.set_fragment(None);
        if url.as_str().len() > MAX_URL_BYTES {
            return Err(too_long());
        }
        Ok(TargetUrl(url))
    }

    /// The host in its ASCII (punycode) form.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

fn too_long() -> AppError {
    AppError::invalid("invalid_url", format!("url is longer than {MAX_URL_BYTES} bytes"))
}

impl fmt::Display for TargetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(raw: &str) -> String {
        TargetUrl::parse(raw).map(|u| u.to_string()).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn scheme_and_host_are_lower_cased_and_default_port_and_fragment_dropped() {
        assert_eq!(normalised("HTTPS://Blog.Example.COM:443/Post?A=1#intro"), "https://blog.example.com/Post?A=1");
        assert_eq!(normalised("http://example.com:80/"), "http://example.com/");
        assert_eq!(normalised("  https://example.com/a  "), "https://example.com/a");
    }

    #[test]
    fn other_ports_and_path_case_are_kept() {
        assert_eq!(normalised("https://example.com:8443/CaseMatters"), "https://example.com:8443/CaseMatters");
    }

    #[test]
    fn idn_hosts_become_punycode() {
        assert_eq!(normalised("https://bücher.example/straße"), "https://xn--bcher-kva.example/stra%C3%9Fe");
    }

    #[test]
    fn non_http_schemes_are_refused() {
        for raw in ["javascript:alert(1)", "data:text/html,hi", "ftp://example.com/", "mailto:a@b.c", "file:///etc/passwd"] {
            assert!(TargetUrl::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn credentials_empty_relative_and_oversized_urls_are_refused() {
        assert!(TargetUrl::parse("https://user:pw@example.com/").is_err());
        assert!(TargetUrl::parse("https://user@example.com/").is_err());
        assert!(TargetUrl::parse("").is_err());
        assert!(TargetUrl::parse("   ").is_err());
        assert!(TargetUrl::parse("/relative/path").is_err());
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        assert!(TargetUrl::parse(&long).is_err());
    }
}
