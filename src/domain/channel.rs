//! Channels (WhatsApp, e-mail, SMS, …) as data: the registry is read from configuration,
//! and each channel's share URL is a template filled in per link.

use crate::error::{AppError, Result};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::HashMap;
use std::sync::Arc;

/// Everything but RFC 3986's unreserved characters is encoded, so a value can sit in any
/// query parameter of any scheme (`mailto:` wants spaces as %20, never `+`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Url,
    Title,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Placeholder(Piece),
}

/// A share-URL template such as `https://wa.me/?text={text}`, parsed once at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareTemplate(Vec<Part>);

impl ShareTemplate {
    /// Parses `{url}`, `{title}` and `{text}` placeholders; anything else in braces is an error.
    pub fn parse(template: &str) -> std::result::Result<ShareTemplate, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            let end = rest[start..].find('}').ok_or("unclosed `{`")? + start;
            let piece = match &rest[start + 1..end] {
                "url" => Piece::Url,
                "title" => Piece::Title,
                "text" => Piece::Text,
                other => return Err(format!("unknown placeholder `{{{other}}}`")),
            };
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_owned()));
            }
            parts.push(Part::Placeholder(piece));
            rest = &rest[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(ShareTemplate(parts))
    }

    /// Fills in the template for one short link and an optional page title.
    pub fn render(&self, short_url: &str, title: Option<&str>) -> String {
        let title = title.unwrap_or_default();
        let text = if title.is_empty() { short_url.to_owned() } else { format!("{title} {short_url}") };
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Literal(literal) => out.push_str(literal),
                Part::Placeholder(piece) => {
                    let value = match piece {
                        Piece::Url => short_url,
                        Piece::Title => title,
                        Piece::Text => &text,
                    };
                    out.extend(utf8_percent_encode(value, COMPONENT));
                }
            }
        }
        out
    }
}

/// One channel of the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub name: String,
    pub label: String,
    /// Private channels are dark social; public ones are there for contrast.
    pub private: bool,
    /// None for apps without a share link (Slack, Signal, …): the button copies the link.
    pub share_url: Option<ShareTemplate>,
    /// Preview platforms that unfurl links shared through this channel besides the one of
    /// the same name (iMessage for SMS); `*` means any. A preview by any other platform is
    /// a forward: the link was passed on to another app.
    pub previews: Vec<String>,
}

impl Channel {
    /// Whether a preview by `platform` is this channel's own (a share), not a forward.
    pub fn is_native_platform(&self, platform: &str) -> bool {
        platform == self.name || self.previews.iter().any(|p| p == platform || p == "*")
    }
}

/// All configured channels, in configuration order.
#[derive(Debug, Clone, Default)]
pub struct ChannelRegistry {
    channels: Vec<Arc<Channel>>,
    by_name: HashMap<String, Arc<Channel>>,
}

impl ChannelRegistry {
    /// Builds the registry; channel names are short lower-case identifiers.
    pub fn new(channels: Vec<Channel>) -> Result<ChannelRegistry> {
        let mut registry = ChannelRegistry::default();
        for channel in channels {
            if !is_channel_name(&channel.name) {
                return Err(AppError::config(
                    format!("channels.{}", channel.name),
                    "a channel name is 1 to 32 characters of a-z, 0-9, - and _",
                ));
            }
            let channel = Arc::new(channel);
            registry.by_name.insert(channel.name.clone(), channel.clone());
            registry.channels.push(channel);
        }
        Ok(registry)
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Channel>> {
        self.by_name.get(name)
    }

    /// Looks up a channel named by a client; unknown names are a 400.
    pub fn parse(&self, name: &str) -> Result<Arc<Channel>> {
        self.get(name.trim()).cloned().ok_or_else(|| {
            AppError::invalid("unknown_channel", format!("unknown channel `{name}`; known: {}", self.names().join(", ")))
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Channel>> {
        self.channels.iter()
    }

    pub fn names(&self) -> Vec<&str> {
        self.channels.iter().map(|c| c.name.as_str()).collect()
    }
}

fn is_channel_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: &str = "https://s.example.com/abc23456";

    fn render(template: &str, title: Option<&str>) -> String {
        ShareTemplate::parse(template).expect("valid template").render(SHORT, title)
    }

    #[test]
    fn whatsapp_text_carries_title_and_link_with_spaces_as_percent_20() {
        assert_eq!(
            render("https://wa.me/?text={text}", Some("Rust & you")),
            "https://wa.me/?text=Rust%20%26%20you%20https%3A%2F%2Fs.example.com%2Fabc23456"
        );
    }

    #[test]
    fn mailto_uses_rfc_6068_encoding_and_keeps_literal_line_breaks() {
        assert_eq!(
            render("mailto:?subject={title}&body={title}%0D%0A%0D%0A{url}", Some("A b")),
            "mailto:?subject=A%20b&body=A%20b%0D%0A%0D%0Ahttps%3A%2F%2Fs.example.com%2Fabc23456"
        );
    }

    #[test]
    fn hash_question_mark_emoji_and_non_latin_titles_are_encoded() {
        assert_eq!(render("sms:?&body={title}", Some("#1? 🎉")), "sms:?&body=%231%3F%20%F0%9F%8E%89");
        assert_eq!(render("x:{title}", Some("Привет")), "x:%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82");
    }

    #[test]
    fn without_a_title_the_text_is_the_link_alone() {
        assert_eq!(render("sms:?&body={text}", None), "sms:?&body=https%3A%2F%2Fs.example.com%2Fabc23456");
        assert_eq!(render("t:{url}&t={title}", None), "t:https%3A%2F%2Fs.example.com%2Fabc23456&t=");
    }

    #[test]
    fn unknown_or_unclosed_placeholders_are_refused() {
        assert!(ShareTemplate::parse("https://x/?q={query}").is_err());
        assert!(ShareTemplate::parse("https://x/?q={url").is_err());
    }

    #[test]
    fn registry_refuses_bad_names_and_reports_unknown_channels() {
        let channel = |name: &str| Channel { name: name.into(), label: "L".into(), private: true, share_url: None, previews: vec![] };
        assert!(ChannelRegistry::new(vec![channel("Bad Name")]).is_err());
        let registry = ChannelRegistry::new(vec![channel("whatsapp")]).expect("valid");
        assert!(registry.parse("whatsapp").is_ok());
        let err = registry.parse("myspace").expect_err("unknown");
        assert_eq!(err.code(), "unknown_channel");
    }

    #[test]
    fn a_channel_owns_its_namesake_platform_and_the_listed_ones() {
        let sms = Channel { name: "sms".into(), label: "SMS".into(), private: true, share_url: None, previews: vec!["imessage".into()] };
        assert!(sms.is_native_platform("sms") && sms.is_native_platform("imessage"));
        assert!(!sms.is_native_platform("slack"));
        let copy = Channel { previews: vec!["*".into()], name: "copy".into(), ..sms };
        assert!(copy.is_native_platform("slack"));
    }
}
