//! Share-URL templates and the channel registry.

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
    let channel = |name: &str| Channel { name: name.into(), label: "L".into(), private: true, share_url: None, previews: vec![], qr: false };
    assert!(ChannelRegistry::new(vec![channel("Bad Name")]).is_err());
    let registry = ChannelRegistry::new(vec![channel("whatsapp")]).expect("valid");
    assert!(registry.parse("whatsapp").is_ok());
    let err = registry.parse("myspace").expect_err("unknown");
    assert_eq!(err.code(), "unknown_channel");
}

#[test]
fn a_channel_owns_its_namesake_platform_and_the_listed_ones() {
    let sms = Channel { name: "sms".into(), label: "SMS".into(), private: true, share_url: None, previews: vec!["imessage".into()], qr: false };
    assert!(sms.is_native_platform("sms") && sms.is_native_platform("imessage"));
    assert!(!sms.is_native_platform("slack"));
    let copy = Channel { previews: vec!["*".into()], name: "copy".into(), ..sms };
    assert!(copy.is_native_platform("slack"));
}

/// The templates the defaults ship, read from config/default.toml itself, so a channel
/// added there without a row below fails `every_default_template_is_tested`.
fn default_templates() -> Vec<(String, Option<String>)> {
    let table: toml::Table = include_str!("../../../config/default.toml").parse().expect("defaults parse");
    let channels = table["channels"].as_table().expect("[channels]");
    channels
        .iter()
        .map(|(name, channel)| (name.clone(), channel.get("share_url").and_then(|t| t.as_str()).map(str::to_owned)))
        .collect()
}

/// Everything a title can throw at a template: spaces, `&`, `#`, `?`, `=`, `+`, `%`,
/// an emoji, Cyrillic, Japanese and Arabic.
const NASTY_TITLE: &str = "Fish & chips #1? a=b+c 100% 🎉 Привет 東京 مرحبا";

/// What each default channel's share URL must carry once decoded: (parameter, value).
/// `T` stands for the title, `U` for the short link, `X` for "title link".
fn expected_parameters(channel: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match channel {
        "whatsapp" | "viber" | "line" => &[("text", "X")],
        "email" => &[("subject", "T"), ("body", "T\r\n\r\nU")],
        "sms" => &[("body", "X")],
        "telegram" => &[("url", "U"), ("text", "T")],
        "messenger" => &[("link", "U")],
        "teams" => &[("href", "U"), ("msgText", "T")],
        "linkedin" => &[("url", "U")],
        "x" => &[("url", "U"), ("text", "T")],
        "facebook" => &[("u", "U")],
        "reddit" => &[("url", "U"), ("title", "T")],
        _ => return None,
    })
}

/// The query parameters of a share URL of any scheme (`https:`, `mailto:`, `sms:`,
/// `viber:`), percent-decoded by hand: `+` must stay a plus, as mail and SMS apps read it.
fn decoded_parameters(share_url: &str) -> Vec<(String, String)> {
    let (_, query) = share_url.split_once('?').expect("a query");
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("name=value");
            let value = percent_encoding::percent_decode_str(value).decode_utf8().expect("UTF-8");
            (name.to_owned(), value.into_owned())
        })
        .collect()
}

#[test]
fn every_default_template_carries_title_and_link_exactly_once_decoded() {
    let text = format!("{NASTY_TITLE} {SHORT}");
    for (channel, template) in default_templates() {
        let (Some(template), Some(expected)) = (template, expected_parameters(&channel)) else { continue };
        let rendered = render(&template, Some(NASTY_TITLE));
        assert!(!rendered.contains([' ', '#', '+']), "{channel}: raw space, # or + in {rendered}");
        assert_eq!(rendered.matches('?').count(), 1, "{channel}: a ? of the title leaked: {rendered}");
        assert!(rendered.is_ascii(), "{channel}: {rendered}");
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(name, value)| (name.to_string(), value.replace('X', &text).replace('T', NASTY_TITLE).replace('U', SHORT)))
            .collect();
        assert_eq!(decoded_parameters(&rendered), want, "{channel}: {rendered}");
    }
}

#[test]
fn every_default_template_is_tested_and_the_copy_channels_have_none() {
    for (channel, template) in default_templates() {
        match template {
            Some(_) => assert!(expected_parameters(&channel).is_some(), "add {channel} to expected_parameters"),
            None => assert!(
                ["slack", "signal", "wechat", "discord", "copy", "native"].contains(&channel.as_str()),
                "{channel} lost its share URL"
            ),
        }
    }
}

#[test]
fn the_sms_body_is_in_the_form_both_ios_and_android_read() {
    let (_, template) = default_templates().into_iter().find(|(name, _)| name == "sms").expect("sms channel");
    let rendered = render(&template.expect("sms has a template"), Some("Tea & cake?"));
    // iOS reads only `&body=` after the `?`, Android only a `body` parameter: `sms:?&body=`
    // satisfies both; spaces must be %20 (iOS shows a `+` literally).
    assert_eq!(rendered, "sms:?&body=Tea%20%26%20cake%3F%20https%3A%2F%2Fs.example.com%2Fabc23456");
}

#[test]
fn an_emoji_only_or_right_to_left_title_survives_a_round_trip() {
    for title in ["🎉🎉", "مرحبا بالعالم", "東京 · 2026"] {
        let rendered = render("https://wa.me/?text={text}", Some(title));
        assert_eq!(decoded_parameters(&rendered), [("text".to_owned(), format!("{title} {SHORT}"))]);
    }
}
