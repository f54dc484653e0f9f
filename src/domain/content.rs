//! Contents (the pages being shared) and the free-text fields that come with them.

use crate::domain::TargetUrl;
use crate::error::{AppError, Result};
use sha2::{Digest, Sha256};
use std::fmt;

/// A content's id: derived from its normalised URL, so that every instance, every retry
/// and every concurrent request agrees on it without asking the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(String);

const ID_HEX_LEN: usize = 16;

impl ContentId {
    pub fn for_url(url: &TargetUrl) -> ContentId {
        let digest = Sha256::digest(url.as_str().as_bytes());
        ContentId(hex::encode(&digest[..ID_HEX_LEN / 2]))
    }

    /// Parses an id from a path; anything but 16 lower-case hex digits is not an id.
    pub fn parse(raw: &str) -> Option<ContentId> {
        let valid = raw.len() == ID_HEX_LEN && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| ContentId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a short free-text field: trimmed, bounded length, no control characters but
/// the line breaks and tabs that `allow_breaks` admits. Empty means "not given".
fn parse_text(field: &'static str, raw: &str, max_chars: usize, allow_breaks: bool) -> Result<Option<String>> {
    let text = raw.trim();
    if text.chars().count() > max_chars {
        return Err(AppError::invalid("invalid_field", format!("{field} is longer than {max_chars} characters")));
    }
    let forbidden = |c: char| c.is_control() && !(allow_breaks && matches!(c, '\n' | '\r' | '\t'));
    if text.chars().any(forbidden) {
        return Err(AppError::invalid("invalid_field", format!("{field} must not contain control characters")));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// A page title, used in share texts and shown in the admin UI (always escaped there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 300;

    pub fn parse(raw: &str) -> Result<Option<Title>> {
        // Headlines sometimes come with line breaks from a CMS; they are kept (and quoted
        // in the CSV export), other control characters are refused.
        Ok(parse_text("title", raw, Self::MAX_CHARS, true)?.map(Title))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A campaign name, passed on as utm_campaign and part of a link's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Campaign(String);

impl Campaign {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Option<Campaign>> {
        Ok(parse_text("campaign", raw, Self::MAX_CHARS, false)?.map(Campaign))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_spellings_of_one_page_share_an_id() {
        let a = TargetUrl::parse("HTTPS://Example.com:443/post#top").expect("valid");
        let b = TargetUrl::parse("https://example.com/post").expect("valid");
        assert_eq!(ContentId::for_url(&a), ContentId::for_url(&b));
        let other = TargetUrl::parse("https://example.com/other").expect("valid");
        assert_ne!(ContentId::for_url(&a), ContentId::for_url(&other));
    }

    #[test]
    fn ids_parse_back_and_garbage_does_not() {
        let id = ContentId::for_url(&TargetUrl::parse("https://example.com/").expect("valid"));
        assert_eq!(ContentId::parse(id.as_str()), Some(id));
        assert_eq!(ContentId::parse("XYZ"), None);
        assert_eq!(ContentId::parse("0123456789ABCDEF"), None);
    }

    #[test]
    fn titles_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(Title::parse("  Hello  ").expect("ok").map(|t| t.0), Some("Hello".into()));
        assert_eq!(Title::parse("   ").expect("ok"), None);
        assert!(Title::parse(&"x".repeat(Title::MAX_CHARS + 1)).is_err());
        assert!(Title::parse("a\u{0}b").is_err());
        assert!(Title::parse("two\nlines").is_ok());
        assert!(Campaign::parse("spring\nsale").is_err());
        assert_eq!(Campaign::parse("spring").expect("ok").map(|c| c.0), Some("spring".into()));
    }
}
