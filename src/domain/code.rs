//! Short codes: the part of a short link after the host.

use std::fmt;

/// nanoid's alphabet without look-alikes (0/O/o, 1/l/I) and without `-`/`_`, which some
/// apps cut off when they turn a URL at the end of a sentence into a link.
pub const ALPHABET: [char; 56] = [
    '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k',
    'm', 'n', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'F',
    'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z',
];

/// Whether a byte is one of [`ALPHABET`] (all ASCII): a table, because every request's path
/// is checked against it.
const IN_ALPHABET: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = true;
        i += 1;
    }
    table
};

/// Shortest and longest code accepted in a path (the configured length lies in between).
pub const MIN_LEN: usize = 6;
pub const MAX_LEN: usize = 32;

/// A short code of the code alphabet. Anything else in a path is not a code, so it is
/// answered 404 without a store lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShortCode(String);

impl ShortCode {
    /// Parses a code taken from a path or from the store.
    pub fn parse(raw: &str) -> Option<ShortCode> {
        let valid_len = (MIN_LEN..=MAX_LEN).contains(&raw.len());
        let valid_chars = raw.bytes().all(|b| IN_ALPHABET[usize::from(b)]);
        (valid_len && valid_chars).then(|| ShortCode(raw.to_owned()))
    }

    /// A fresh random code; uniqueness is up to the store (`SET … NX`).
    pub fn generate(len: usize) -> ShortCode {
        ShortCode(nanoid::nanoid!(len.clamp(MIN_LEN, MAX_LEN), &ALPHABET))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_back_and_have_the_asked_length() {
        for len in [MIN_LEN, 8, 12, MAX_LEN] {
            let code = ShortCode::generate(len);
            assert_eq!(code.as_str().len(), len);
            assert_eq!(ShortCode::parse(code.as_str()), Some(code));
        }
    }

    #[test]
    fn look_alike_and_foreign_characters_are_not_codes() {
        for raw in ["abcdefg0", "abcdefgO", "abcdefgl", "abcdefgI", "abcd-efg", "abc/defg", "abcdéfgh"] {
            assert_eq!(ShortCode::parse(raw), None, "{raw}");
        }
    }

    #[test]
    fn too_short_and_too_long_are_not_codes() {
        assert_eq!(ShortCode::parse("abcde"), None);
        assert_eq!(ShortCode::parse(&"a".repeat(MAX_LEN + 1)), None);
        assert!(ShortCode::parse(&"a".repeat(MAX_LEN)).is_some());
    }

    #[test]
    fn two_codes_differ() {
        assert_ne!(ShortCode::generate(8), ShortCode::generate(8));
    }
}
