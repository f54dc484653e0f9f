//! API tokens created in the admin UI: `st_` and 32 random letters and digits (about 190
//! bits). Only the SHA-256 digest is stored, so a copy of Redis lets nobody call the API.

use crate::error::{AppError, Result};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const PREFIX: &str = "st_";
const RANDOM_LEN: usize = 32;
const ALPHANUMERIC: [char; 62] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
    'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H',
    'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z',
];
/// Longest label accepted, in characters.
pub const MAX_LABEL_CHARS: usize = 80;

/// A freshly created token: shown to the admin once, then only its digest is kept.
pub struct NewToken(SecretString);

impl NewToken {
    pub fn generate() -> NewToken {
        NewToken(SecretString::from(format!("{PREFIX}{}", nanoid::nanoid!(RANDOM_LEN, &ALPHANUMERIC))))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(self.expose())
    }

    /// The last four characters, shown in listings so an admin can tell tokens apart.
    pub fn last4(&self) -> String {
        let token = self.expose();
        token[token.len() - 4..].to_owned()
    }
}

/// SHA-256 of a token, hex: how a token is stored and looked up, and its id in the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDigest(String);

impl TokenDigest {
    pub fn of(token: &str) -> TokenDigest {
        TokenDigest(hex::encode(Sha256::digest(token.as_bytes())))
    }

    /// Parses a digest taken from a form or a path.
    pub fn parse(raw: &str) -> Option<TokenDigest> {
        let valid = raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| TokenDigest(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an admin calls a token ("CMS production"): 1 to 80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLabel(String);

impl TokenLabel {
    pub fn parse(raw: &str) -> Result<TokenLabel> {
        let label = raw.trim();
        if label.is_empty() {
            return Err(AppError::invalid("invalid_label", "give the token a label, e.g. the system that will use it"));
        }
        if label.chars().count() > MAX_LABEL_CHARS {
            return Err(AppError::invalid("invalid_label", format!("a label has at most {MAX_LABEL_CHARS} characters")));
        }
        if label.chars().any(char::is_control) {
            return Err(AppError::invalid("invalid_label", "a label cannot contain control characters"));
        }
        Ok(TokenLabel(label.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tokens_are_prefixed_random_and_known_by_their_digest() {
        let (a, b) = (NewToken::generate(), NewToken::generate());
        assert!(a.expose().starts_with("st_") && a.expose().len() == 35);
        assert!(a.expose()[3..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.digest(), TokenDigest::of(a.expose()));
        assert_eq!(TokenDigest::parse(a.digest().as_str()), Some(a.digest()));
        assert!(a.expose().ends_with(&a.last4()));
    }

    #[test]
    fn digests_are_lowercase_hex_of_64_characters() {
        assert!(TokenDigest::parse("zz").is_none());
        assert!(TokenDigest::parse(&"A".repeat(64)).is_none());
        assert!(TokenDigest::parse(&"a".repeat(64)).is_some());
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(TokenLabel::parse("  CMS  ").expect("valid").as_str(), "CMS");
        assert_eq!(TokenLabel::parse("<script>alert(1)</script>").expect("any text").as_str(), "<script>alert(1)</script>");
        assert!(TokenLabel::parse("   ").is_err());
        assert!(TokenLabel::parse(&"é".repeat(81)).is_err());
        assert!(TokenLabel::parse("a\u{0}b").is_err());
    }
}
