//! Which hosts short links may point to, so that sharetrail is never an open redirector.

use crate::error::{AppError, Result};
use crate::domain::TargetUrl;

/// Hosts links may point to. A listed host also allows its subdomains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    Any,
    /// ASCII (punycode), lower-case hosts.
    Only(Vec<String>),
}

impl AllowedHosts {
    /// Parses the configured entries; `*` anywhere means any host. Entries may be written
    /// as `example.com`, `.example.com` or `*.example.com`, and in Unicode.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedHosts> {
        let mut hosts = Vec::new();
        for entry in entries.iter().map(|e| e.as_ref().trim()).filter(|e| !e.is_empty()) {
            if entry == "*" {
                return Ok(AllowedHosts::Any);
            }
            let bare = entry.trim_start_matches("*.").trim_start_matches('.');
            let host = url::Host::parse(bare)
                .map_err(|e| AppError::config("allowed_hosts", format!("`{entry}` is not a host name: {e}")))?;
            hosts.push(host.to_string());
        }
        Ok(AllowedHosts::Only(hosts))
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, AllowedHosts::Only(hosts) if hosts.is_empty())
    }

    /// Whether a link may point at this URL.
    pub fn permits(&self, url: &TargetUrl) -> bool {
        let host = url.host();
        match self {
            AllowedHosts::Any => true,
            AllowedHosts::Only(hosts) => hosts.iter().any(|allowed| {
                host == allowed
                    || host.strip_suffix(allowed.as_str()).is_some_and(|rest| rest.ends_with('.'))
            }),
        }
    }

    /// Refuses a URL whose host is not allowed.
    pub fn check(&self, url: &TargetUrl) -> Result<()> {
        if self.permits(url) { Ok(()) } else { Err(AppError::HostNotAllowed(url.host().to_owned())) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> TargetUrl {
        TargetUrl::parse(raw).expect("valid url")
    }

    #[test]
    fn a_host_allows_itself_and_its_subdomains_only() {
        let allowed = AllowedHosts::parse(&["example.com"]).expect("parses");
        assert!(allowed.permits(&url("https://example.com/a")));
        assert!(allowed.permits(&url("https://blog.example.com/a")));
        assert!(!allowed.permits(&url("https://badexample.com/a")));
        assert!(!allowed.permits(&url("https://example.com.evil.net/a")));
    }

    #[test]
    fn star_allows_any_and_empty_allows_none() {
        assert!(AllowedHosts::parse(&["a.com", "*"]).expect("parses").permits(&url("https://z.org/")));
        let none = AllowedHosts::parse::<&str>(&[]).expect("parses");
        assert!(none.is_empty());
        assert!(!none.permits(&url("https://z.org/")));
    }

    #[test]
    fn unicode_and_wildcard_entries_are_normalised() {
        let allowed = AllowedHosts::parse(&["*.Bücher.example", ".News.Example.org"]).expect("parses");
        assert!(allowed.permits(&url("https://www.bücher.example/")));
        assert!(allowed.permits(&url("https://news.example.org/")));
    }

    #[test]
    fn garbage_entries_name_the_setting() {
        let err = AllowedHosts::parse(&["exa mple.com"]).expect_err("refused");
        assert!(err.to_string().contains("allowed_hosts"), "{err}");
    }
}
