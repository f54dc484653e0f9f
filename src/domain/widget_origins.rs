//! Which web pages may mint links without a token, through the widget: the origins
//! (`https://blog.example.com`) listed in `SHARETRAIL_WIDGET_ORIGINS`.

use crate::error::{AppError, Result};
use url::Url;

/// Origins allowed to call the public minting endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WidgetOrigins {
    /// `*`: any page may ask (the links still only point to allowed hosts).
    Any,
    /// ASCII serialisations (`https://xn--bcher-kva.example`, default port dropped).
    Only(Vec<String>),
}

impl WidgetOrigins {
    /// Parses entries such as `https://blog.example.com` or `http://localhost:8000`; a
    /// trailing `/` is allowed, a path, query or credentials are not (an origin has none).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<WidgetOrigins> {
        let mut origins = Vec::new();
        for entry in entries.iter().map(|e| e.as_ref().trim()).filter(|e| !e.is_empty()) {
            if entry == "*" {
                return Ok(WidgetOrigins::Any);
            }
            origins.push(parse_origin(entry).ok_or_else(|| {
                AppError::config("widget_origins", format!("`{entry}` is not an origin such as https://blog.example.com"))
            })?);
        }
        Ok(WidgetOrigins::Only(origins))
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, WidgetOrigins::Only(origins) if origins.is_empty())
    }

    /// Whether a request's `Origin` header names an allowed origin. `null` (a file or a
    /// sandboxed frame) never is.
    pub fn permits(&self, origin: &str) -> bool {
        match (self, parse_origin(origin)) {
            (_, None) => false,
            (WidgetOrigins::Any, Some(_)) => true,
            (WidgetOrigins::Only(origins), Some(origin)) => origins.contains(&origin),
        }
    }
}

/// The origins as configured: `*`, a comma-separated list, or nothing.
impl std::fmt::Display for WidgetOrigins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WidgetOrigins::Any => f.write_str("*"),
            WidgetOrigins::Only(origins) => f.write_str(&origins.join(", ")),
        }
    }
}

/// The ASCII serialisation of an http(s) origin, or None for anything else.
fn parse_origin(raw: &str) -> Option<String> {
    let url = Url::parse(raw).ok()?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    let plain = url.username().is_empty() && url.password().is_none();
    (matches!(url.scheme(), "http" | "https") && url.host().is_some() && bare && plain).then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_matches_itself_only_scheme_and_port_included() {
        let origins = WidgetOrigins::parse(&["https://blog.example.com", "http://localhost:8000/"]).expect("parses");
        assert!(origins.permits("https://blog.example.com"));
        assert!(origins.permits("https://BLOG.example.com:443"));
        assert!(origins.permits("http://localhost:8000"));
        assert!(!origins.permits("http://blog.example.com"), "another scheme");
        assert!(!origins.permits("https://blog.example.com:8443"), "another port");
        assert!(!origins.permits("https://evil.blog.example.com"), "subdomains are other origins");
        assert!(!origins.permits("null"));
        assert!(!origins.permits(""));
    }

    #[test]
    fn star_allows_any_http_origin_and_empty_allows_none() {
        let any = WidgetOrigins::parse(&["*"]).expect("parses");
        assert!(any.permits("https://anything.example"));
        assert!(!any.permits("null"));
        let none = WidgetOrigins::parse::<&str>(&[]).expect("parses");
        assert!(none.is_empty() && !none.permits("https://blog.example.com"));
    }

    #[test]
    fn unicode_hosts_are_compared_in_punycode() {
        let origins = WidgetOrigins::parse(&["https://bücher.example"]).expect("parses");
        assert!(origins.permits("https://xn--bcher-kva.example"));
    }

    #[test]
    fn paths_and_other_schemes_are_refused_naming_the_setting() {
        for entry in ["https://blog.example.com/post", "blog.example.com", "ftp://x.example", "https://u:p@x.example"] {
            let err = WidgetOrigins::parse(&[entry]).expect_err(entry);
            assert!(err.to_string().contains("widget_origins"), "{err}");
        }
    }
}
