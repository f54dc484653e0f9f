//! How a link is stored: one Redis string, its fields joined by U+001F.
//!
//! A string rather than a hash because a hash whose target URL is longer than 64 bytes (most
//! real article URLs) stops being a compact listpack and costs Redis about twice the memory.
//! Links minted before this format are hashes; they are still read, and become strings when
//! they are next written (enabling or disabling a link rewrites it).

use super::clicks::PACKED_SEPARATOR;
use crate::domain::{ContentId, Link, ShortCode, TargetUrl};
use crate::error::{AppError, Result};
use std::collections::HashMap;

/// The first field of every packed link, so that a later format can tell itself apart.
const VERSION: &str = "1";

/// `1␟enabled␟created␟content␟channel␟campaign␟target`. The target comes last: it is the
/// only field that could be long, and none of the fields can hold U+001F (codes, content ids
/// and channel names are parsed, campaigns refuse control characters, and a parsed URL
/// percent-encodes them).
pub fn pack(link: &Link) -> String {
    let enabled = if link.enabled { "1" } else { "0" };
    let campaign = link.campaign.as_deref().unwrap_or_default();
    let created = link.created_ms.to_string();
    let fields = [VERSION, enabled, &created, link.content_id.as_str(), &link.channel, campaign, link.target.as_str()];
    fields.join(&PACKED_SEPARATOR.to_string())
}

/// The link stored under `code` as a packed string.
pub fn unpack(code: &ShortCode, packed: &str) -> Result<Link> {
    let mut fields = packed.splitn(7, PACKED_SEPARATOR);
    let mut next = |what: &str| fields.next().ok_or_else(|| corrupt(code, what));
    if next("version")? != VERSION {
        return Err(corrupt(code, "version"));
    }
    let enabled = next("enabled")? != "0";
    let created = next("created")?;
    let content = next("content")?;
    let channel = next("channel")?;
    let campaign = next("campaign")?;
    let target = next("target")?;
    parse(code, Fields { content, channel, campaign, target, created, enabled })
}

/// A link stored as a hash (the format before [`pack`]).
pub fn from_hash(code: &ShortCode, fields: &HashMap<String, String>) -> Result<Link> {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let enabled = field("enabled") != "0";
    parse(code, Fields { content: field("content"), channel: field("channel"), campaign: field("campaign"), target: field("target"), created: field("created"), enabled })
}

/// A link's fields as text, from either format.
struct Fields<'a> {
    content: &'a str,
    channel: &'a str,
    campaign: &'a str,
    target: &'a str,
    created: &'a str,
    enabled: bool,
}

fn parse(code: &ShortCode, fields: Fields<'_>) -> Result<Link> {
    Ok(Link {
        code: code.clone(),
        content_id: ContentId::parse(fields.content).ok_or_else(|| corrupt(code, "content"))?,
        channel: fields.channel.to_owned(),
        campaign: Some(fields.campaign).filter(|c| !c.is_empty()).map(str::to_owned),
        target: TargetUrl::parse(fields.target).map_err(|_| corrupt(code, "target"))?,
        created_ms: fields.created.parse().map_err(|_| corrupt(code, "created"))?,
        enabled: fields.enabled,
    })
}

fn corrupt(code: &ShortCode, what: &str) -> AppError {
    AppError::Internal(format!("link {code} has a corrupt {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(campaign: Option<&str>, enabled: bool) -> Link {
        Link {
            code: ShortCode::parse("abc23456").expect("code"),
            content_id: ContentId::parse("0123456789abcdef").expect("id"),
            channel: "whatsapp".into(),
            campaign: campaign.map(Into::into),
            target: TargetUrl::parse("https://example.com/archive/2026/a-post?x=1&y=%1F").expect("url"),
            created_ms: 1_763_800_000_123,
            enabled,
        }
    }

    #[test]
    fn a_packed_link_reads_back_as_the_same_link() {
        for original in [link(Some("spring sale"), true), link(None, false)] {
            let packed = pack(&original);
            assert!(packed.starts_with("1\u{1f}"), "{packed:?}");
            assert_eq!(unpack(&original.code, &packed).expect("unpack"), original);
        }
    }

    #[test]
    fn the_packed_form_is_the_documented_one() {
        assert_eq!(
            pack(&link(Some("q4"), false)),
            "1\u{1f}0\u{1f}1763800000123\u{1f}0123456789abcdef\u{1f}whatsapp\u{1f}q4\u{1f}https://example.com/archive/2026/a-post?x=1&y=%1F"
        );
    }

    #[test]
    fn a_hash_from_before_reads_as_the_same_link() {
        let original = link(Some("spring sale"), false);
        let fields: HashMap<String, String> = [
            ("content", "0123456789abcdef"),
            ("channel", "whatsapp"),
            ("campaign", "spring sale"),
            ("target", original.target.as_str()),
            ("created", "1763800000123"),
            ("enabled", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(from_hash(&original.code, &fields).expect("hash"), original);
    }

    #[test]
    fn a_damaged_value_is_an_error_that_names_the_field() {
        let code = ShortCode::parse("abc23456").expect("code");
        let cases = [
            ("", "version"),
            ("2\u{1f}1", "version"),
            ("1\u{1f}1\u{1f}12", "content"),
            ("1\u{1f}1\u{1f}nope\u{1f}0123456789abcdef\u{1f}sms\u{1f}\u{1f}https://example.com/", "created"),
            ("1\u{1f}1\u{1f}12\u{1f}0123456789abcdef\u{1f}sms\u{1f}", "target"),
            ("1\u{1f}1\u{1f}12\u{1f}0123456789abcdef\u{1f}sms\u{1f}\u{1f}not a url", "target"),
        ];
        for (packed, field) in cases {
            let error = unpack(&code, packed).expect_err(packed).to_string();
            assert!(error.contains(&format!("corrupt {field}")), "{packed:?}: {error}");
        }
    }
}
