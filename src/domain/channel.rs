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
    /// Sharing is done by scanning (WeChat): the share button shows the link's QR code.
    pub qr: bool,
}

/// The channel whose button opens the system share sheet (`navigator.share`) instead of
/// an app's share URL; the widget shows it only where the browser has a share sheet.
pub const SHARE_SHEET: &str = "native";

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
mod tests;
