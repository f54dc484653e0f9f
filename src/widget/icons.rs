//! The share buttons' icons: one stroked path per channel on a 24 × 24 grid, drawn in the
//! text colour (`currentColor`), so they suit a light and a dark page alike. Kept here
//! once: the HTML fragment renders them from this list, and `/widget.js` gets the same
//! list spliced in when it is served, so both show the same buttons.
//!
//! They are simple glyphs of our own (a bubble, a plane, an envelope), not the apps'
//! trademarked logos: recognisable next to the visible label, and a few bytes each.

/// (channel, path data). A channel without an entry gets [`FALLBACK`].
pub const ICONS: &[(&str, &str)] = &[
    ("whatsapp", "M3.5 20.5l1.3-4A8.5 8.5 0 1 1 8 19.3zM9 8c0 3.9 3 7 7 7l1.2-1.6-2.2-1-1 .9c-1.3-.5-2.3-1.5-2.8-2.8l.9-1-1-2.2z"),
    ("email", "M3 5.5h18v13H3zM3.5 6l8.5 7 8.5-7"),
    ("sms", "M20 15.5a2 2 0 0 1-2 2H8l-4.5 3.5V6a2 2 0 0 1 2-2H18a2 2 0 0 1 2 2zM8 10h.01M12 10h.01M16 10h.01"),
    ("telegram", "M21 3.5L2.5 11l6.5 2.5 2.5 7 3.5-4.5 5 3.5zM9 13.5l12-10"),
    ("slack", "M9.5 3v18M14.5 3v18M3 9.5h18M3 14.5h18"),
    ("messenger", "M12 3C7 3 3 6.7 3 11.3c0 2.6 1.3 4.9 3.4 6.4V21l3.1-1.7c.8.2 1.6.3 2.5.3 5 0 9-3.7 9-8.3S17 3 12 3zM7.5 13.5l3.5-3.5 2.5 2.5 3.5-3.5"),
    ("teams", "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM2.5 20.5v-1a6.5 6.5 0 0 1 13 0v1M16 4.3a3.5 3.5 0 0 1 0 6.4M21.5 20.5v-1a6.5 6.5 0 0 0-4-6"),
    ("signal", "M12 3a9 9 0 0 0-7.8 13.5L3 21l4.5-1.2A9 9 0 1 0 12 3z"),
    ("viber", "M6 3.5h3.5l1.8 4.5-2.3 1.5a11 11 0 0 0 5.5 5.5l1.5-2.3 4.5 1.8V18a2.5 2.5 0 0 1-2.5 2.5A15 15 0 0 1 3.5 6 2.5 2.5 0 0 1 6 3.5z"),
    ("line", "M12 3.5c-5.2 0-9.5 3.4-9.5 7.7 0 3.8 3.4 7 8 7.6l-.5 2.7 4.5-3c3.3-1.5 7-3.8 7-7.3 0-4.3-4.3-7.7-9.5-7.7zM7 9v4h2.5M12 9v4M15 13V9l3 4V9"),
    ("wechat", "M9 4C5.1 4 2 6.6 2 9.8c0 1.8 1 3.4 2.5 4.4L4 16.5l2.6-1.3c.7.2 1.5.3 2.4.3M15.5 9.5c3.6 0 6.5 2.3 6.5 5.2 0 1.5-.8 2.9-2.1 3.8l.4 2-2.2-1.1c-.8.2-1.7.4-2.6.4-3.6 0-6.5-2.3-6.5-5.1s2.9-5.2 6.5-5.2z"),
    ("discord", "M8 5.5c2.6-.8 5.4-.8 8 0l1.5 1.5c1.5 2.8 2.3 5.8 2.5 9-1.6 1.3-3.3 2-5 2.5l-1-2M10 16.5l-1 2c-1.7-.5-3.4-1.2-5-2.5.2-3.2 1-6.2 2.5-9zM9.5 12.5h.01M14.5 12.5h.01"),
    ("copy", "M10 14a4.5 4.5 0 0 0 6.4 0l3-3A4.5 4.5 0 0 0 13 4.6l-1.2 1.2M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1.2-1.2"),
    ("native", "M4.5 12.5v7h15v-7M12 3.5v11M7.5 8L12 3.5 16.5 8"),
    ("linkedin", "M4 9.5h3.5V20H4zM5.8 3.5a1.8 1.8 0 1 1 0 3.6 1.8 1.8 0 0 1 0-3.6zM10 9.5h3.3v1.6c.6-1 1.9-1.9 3.6-1.9 2.6 0 3.6 1.6 3.6 4.4V20H17v-5.6c0-1.4-.4-2.3-1.7-2.3-1.4 0-2 1-2 2.3V20H10z"),
    ("x", "M4 4l16 16M20 4L4 20"),
    ("facebook", "M15 3.5h-2.2A4 4 0 0 0 8.8 7.5V10H6v3.5h2.8v7h3.5v-7h2.9l.6-3.5h-3.5V8a1 1 0 0 1 1-1H15z"),
    ("reddit", "M12 8.5c-4.7 0-8 2.4-8 5.7 0 3.2 3.6 5.8 8 5.8s8-2.6 8-5.8c0-3.3-3.3-5.7-8-5.7zM12 8.5l1.5-5 4 1M17.5 4.5h.01M9.3 13.5h.01M14.7 13.5h.01M9.5 16.5c1.5 1 3.5 1 5 0"),
    ("qr", "M3.5 3.5h6v6h-6zM14.5 3.5h6v6h-6zM3.5 14.5h6v6h-6zM14.5 14.5h2M14.5 17.5h6M17.5 20.5h3M6.5 6.5h.01M17.5 6.5h.01M6.5 17.5h.01"),
];

/// The icon of channels that have none of their own: the share glyph.
pub const FALLBACK: &str = "native";

/// The icon path of a channel.
pub fn icon_for(channel: &str) -> &'static str {
    let find = |name: &str| ICONS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d);
    find(channel).or_else(|| find(FALLBACK)).unwrap_or_default()
}

/// The list as a JSON object, for the script.
pub fn icons_json() -> String {
    let map: serde_json::Map<String, serde_json::Value> = ICONS.iter().map(|(n, d)| (n.to_string(), serde_json::Value::from(*d))).collect();
    serde_json::Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_is_plain_path_data_and_unknown_channels_get_the_share_glyph() {
        for (name, d) in ICONS {
            assert!(d.starts_with('M') && d.chars().all(|c| c.is_ascii_alphanumeric() || " .,-".contains(c)), "{name}: {d}");
        }
        assert_eq!(icon_for("mastodon"), icon_for("native"));
        assert_ne!(icon_for("whatsapp"), icon_for("native"));
        assert!(icons_json().contains("\"whatsapp\":\"M"));
    }
}
