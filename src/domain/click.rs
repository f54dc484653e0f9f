//! A click: one GET of a short link, as recorded — or a tap on a share button (an
//! intent), which travels the same pipeline. It holds no IP address: the client's address
//! is used for geo lookup and hashed into `visitor` before a click is built.

use crate::domain::{ContentId, Link, ShortCode};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Who fetched the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "platform")]
pub enum ClickKind {
    /// A reader.
    Person,
    /// A messaging app's link preview: evidence of a share into `platform`, never a click.
    Preview(Arc<str>),
    /// Any other automated client.
    Bot,
    /// A person tapped a share button (`/share/{code}`): the link is about to be shared.
    /// Only people make intents; bots and previews of a share button are not recorded.
    Intent,
}

impl ClickKind {
    pub fn name(&self) -> &'static str {
        match self {
            ClickKind::Person => "person",
            ClickKind::Preview(_) => "preview",
            ClickKind::Bot => "bot",
            ClickKind::Intent => "intent",
        }
    }
}

/// One recorded fetch of a short link.
///
/// Built on every redirect and dropped by the click writer, so what it shares with the link
/// cache and the user-agent cache is shared, not copied: an owned `String` per field was
/// an allocation on a worker and a free on the writer each (docs/performance.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The link followed: its code, content, channel and campaign.
    pub link: Arc<Link>,
    pub kind: ClickKind,
    /// woothee's device class: pc, smartphone, mobilephone, appliance, misc, crawler, unknown.
    pub device: &'static str,
    pub os: Arc<str>,
    pub browser: Arc<str>,
    /// The app whose in-app browser opened the link (instagram, facebook, linkedin, …).
    pub in_app: Option<Arc<str>>,
    /// ISO country code, or "unknown"; shared with the geo lookup's cache, as the city is.
    pub country: Arc<str>,
    pub city: Option<Arc<str>>,
    pub referrer_host: Option<String>,
    /// Keyed hash of (address, user agent) under the day's secret: counts unique visitors,
    /// cannot be turned back into an address once the secret is gone.
    pub visitor: VisitorId,
    /// How the link was reached: "link", or "qr" for a scanned QR code; for an intent,
    /// "button" (a share link followed) or "beacon" (a copy or share-sheet button).
    pub source: &'static str,
}

/// A visitor's id: 128 bits of a keyed hash as 32 hex digits, kept inline, since a click
/// is built on every redirect (as a `String` it was an allocation and a free per click).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisitorId([u8; 32]);

impl VisitorId {
    pub fn from_hash(hash: &[u8; 16]) -> VisitorId {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0; 32];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(hash) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        VisitorId(hex)
    }

    pub fn as_str(&self) -> &str {
        // Always ASCII hex digits, so never the empty fallback.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for VisitorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Click {
    pub fn code(&self) -> &ShortCode {
        &self.link.code
    }

    pub fn content(&self) -> &ContentId {
        &self.link.content_id
    }

    pub fn channel(&self) -> &str {
        &self.link.channel
    }

    pub fn campaign(&self) -> Option<&str> {
        self.link.campaign.as_deref()
    }
}

#[cfg(test)]
impl Click {
    /// A person's click on a WhatsApp link from an iPhone in London, for tests; `visitor`
    /// makes its visitor id.
    pub fn sample(visitor: usize) -> Click {
        let target = crate::domain::TargetUrl::parse("https://example.com/post").expect("url");
        let link = Link {
            code: ShortCode::parse("abc23456").expect("code"),
            content_id: ContentId::for_url(&target),
            channel: "whatsapp".into(),
            campaign: None,
            target,
            created_ms: 1_763_856_000_000,
            enabled: true,
        };
        Click {
            at_ms: 1_763_856_000_000,
            link: Arc::new(link),
            kind: ClickKind::Person,
            device: "smartphone",
            os: "iOS".into(),
            browser: "Safari".into(),
            in_app: None,
            country: "GB".into(),
            city: Some("London".into()),
            referrer_host: None,
            visitor: VisitorId::from_hash(&(visitor as u128).to_be_bytes()),
            source: "link",
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The UTC day (YYYY-MM-DD) of a timestamp in milliseconds.
pub fn day_of(at_ms: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_id_is_its_hash_in_hex() {
        let hash = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10];
        assert_eq!(VisitorId::from_hash(&hash).as_str(), "0123456789abcdeffedcba9876543210");
        assert_eq!(Click::sample(255).visitor.as_str(), format!("{:032x}", 255));
    }

    #[test]
    fn days_are_utc_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_763_855_999_999), "2025-11-22");
        assert_eq!(day_of(1_763_856_000_000), "2025-11-23");
    }

    #[test]
    fn kinds_serialise_with_their_platform() {
        let json = serde_json::to_string(&ClickKind::Preview("slack".into())).expect("serialises");
        assert_eq!(json, r#"{"kind":"preview","platform":"slack"}"#);
        assert_eq!(serde_json::from_str::<ClickKind>(&json).expect("parses"), ClickKind::Preview("slack".into()));
    }
}
