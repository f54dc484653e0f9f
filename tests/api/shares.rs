//! Minting share links: shapes, encoding, idempotency.

use crate::helpers::*;
use serde_json::{Value, json};

const ALL_CHANNELS: [&str; 17] = [
    "whatsapp", "email", "slack", "sms", "telegram", "messenger", "teams", "signal", "viber", "line", "wechat",
    "discord", "copy", "linkedin", "x", "facebook", "reddit",
];

fn link<'a>(body: &'a Value, channel: &str) -> &'a Value {
    body["links"].as_array().expect("links").iter().find(|l| l["channel"] == channel).expect("channel minted")
}

#[tokio::test]
async fn every_registered_channel_gets_a_link_and_the_documented_share_url() {
    let app = spawn_app().await;
    let body = app.mint_ok(json!({"url": "https://example.com/post", "title": "Hi", "channels": ALL_CHANNELS})).await;
    let links = body["links"].as_array().expect("links");
    assert_eq!(links.len(), ALL_CHANNELS.len());
    let channels: Vec<&str> = links.iter().map(|l| l["channel"].as_str().expect("channel")).collect();
    assert_eq!(channels, ALL_CHANNELS, "links come in the order asked");
    for l in links {
        let code = l["code"].as_str().expect("code");
        assert_eq!(code.len(), 8);
        assert_eq!(l["short_url"], format!("{}/{code}", app.address));
    }
    let short = |channel: &str| urlencode(link(&body, channel)["short_url"].as_str().expect("short url"));
    let share = |channel: &str| link(&body, channel)["share_url"].clone();
    assert_eq!(share("whatsapp"), format!("https://wa.me/?text=Hi%20{}", short("whatsapp")));
    assert_eq!(share("email"), format!("mailto:?subject=Hi&body=Hi%0D%0A%0D%0A{}", short("email")));
    assert_eq!(share("sms"), format!("sms:?&body=Hi%20{}", short("sms")));
    assert_eq!(share("telegram"), format!("https://t.me/share/url?url={}&text=Hi", short("telegram")));
    assert_eq!(share("teams"), format!("https://teams.microsoft.com/share?href={}&msgText=Hi", short("teams")));
    assert_eq!(share("line"), format!("https://line.me/R/share?text=Hi%20{}", short("line")));
    assert_eq!(share("viber"), format!("viber://forward?text=Hi%20{}", short("viber")));
    assert_eq!(share("linkedin"), format!("https://www.linkedin.com/sharing/share-offsite/?url={}", short("linkedin")));
    assert_eq!(share("x"), format!("https://x.com/intent/tweet?url={}&text=Hi", short("x")));
    assert_eq!(share("reddit"), format!("https://www.reddit.com/submit?url={}&title=Hi", short("reddit")));
    assert_eq!(share("facebook"), format!("https://www.facebook.com/sharer/sharer.php?u={}", short("facebook")));
    for channel in ["slack", "signal", "wechat", "discord", "copy"] {
        assert_eq!(share(channel), Value::Null, "{channel} has no share URL");
    }
    assert_eq!(link(&body, "whatsapp")["private"], true);
    assert_eq!(link(&body, "reddit")["private"], false);
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('/', "%2F")
}

#[tokio::test]
async fn titles_with_spaces_ampersands_hashes_and_non_ascii_are_encoded() {
    let app = spawn_app().await;
    let title = "Fish & chips #1: Smørrebrød 東京";
    let body = app.mint_ok(json!({"url": "https://example.com/food", "title": title, "channels": ["whatsapp", "email"]})).await;
    let whatsapp = link(&body, "whatsapp")["share_url"].as_str().expect("share url").to_owned();
    let expected = "Fish%20%26%20chips%20%231%3A%20Sm%C3%B8rrebr%C3%B8d%20%E6%9D%B1%E4%BA%AC";
    assert!(whatsapp.starts_with(&format!("https://wa.me/?text={expected}%20http")), "{whatsapp}");
    let email = link(&body, "email")["share_url"].as_str().expect("share url");
    assert!(email.starts_with(&format!("mailto:?subject={expected}&body={expected}%0D%0A%0D%0A")), "{email}");
    assert_eq!(body["content"]["title"], title);
}

#[tokio::test]
async fn asking_twice_gives_the_same_links_even_for_another_spelling_of_the_url() {
    let app = spawn_app().await;
    let first = app.mint_ok(json!({"url": "https://example.com/post", "channels": ["whatsapp", "sms"]})).await;
    let second = app.mint_ok(json!({"url": "HTTPS://EXAMPLE.com:443/post#comments", "channels": ["sms", "whatsapp"]})).await;
    assert_eq!(first["content"]["id"], second["content"]["id"]);
    assert_eq!(link(&first, "whatsapp")["code"], link(&second, "whatsapp")["code"]);
    assert_eq!(link(&first, "sms")["code"], link(&second, "sms")["code"]);
    assert_eq!(second["content"]["url"], "https://example.com/post");
}

#[tokio::test]
async fn twenty_concurrent_identical_requests_agree_on_one_code_per_channel() {
    let app = spawn_app().await;
    let request = json!({"url": "https://example.com/viral", "channels": ["whatsapp", "email", "slack", "sms"]});
    let answers = futures::future::join_all((0..20).map(|_| app.mint_ok(request.clone()))).await;
    for channel in ["whatsapp", "email", "slack", "sms"] {
        let codes: std::collections::HashSet<String> =
            answers.iter().map(|a| link(a, channel)["code"].as_str().expect("code").to_owned()).collect();
        assert_eq!(codes.len(), 1, "{channel}: {codes:?}");
    }
    let link_keys = app.keys().await.into_iter().filter(|k| k.contains("link:")).count();
    assert_eq!(link_keys, 4, "losers of the race leave no orphan links behind");
}

#[tokio::test]
async fn no_channels_means_the_default_set_and_a_repeated_channel_is_minted_once() {
    let app = spawn_app().await;
    let body = app.mint_ok(json!({"url": "https://example.com/d"})).await;
    let channels: Vec<&str> = body["links"].as_array().expect("links").iter().map(|l| l["channel"].as_str().expect("c")).collect();
    assert_eq!(channels, ["whatsapp", "email", "slack", "sms", "telegram", "copy"]);
    let body = app.mint_ok(json!({"url": "https://example.com/d", "channels": ["sms", "sms", "email"]})).await;
    assert_eq!(body["links"].as_array().expect("links").len(), 2);
}

#[tokio::test]
async fn a_campaign_gets_links_of_its_own() {
    let app = spawn_app().await;
    let plain = app.mint_ok(json!({"url": "https://example.com/c", "channels": ["whatsapp"]})).await;
    let spring = app.mint_ok(json!({"url": "https://example.com/c", "channels": ["whatsapp"], "campaign": "spring"})).await;
    assert_ne!(plain["links"][0]["code"], spring["links"][0]["code"]);
    assert_eq!(plain["content"]["id"], spring["content"]["id"]);
}

#[tokio::test]
async fn subdomains_of_allowed_hosts_and_idn_hosts_can_be_minted() {
    let app = spawn_app().await;
    let body = app.mint_ok(json!({"url": "https://blog.example.com/a", "channels": ["sms"]})).await;
    assert_eq!(body["content"]["url"], "https://blog.example.com/a");
    let body = app.mint_ok(json!({"url": "https://bücher.example/neu", "channels": ["sms"]})).await;
    assert_eq!(body["content"]["url"], "https://xn--bcher-kva.example/neu");
}

#[tokio::test]
async fn a_later_request_without_a_title_keeps_the_stored_title_in_the_share_text() {
    let app = spawn_app().await;
    let first = app.mint_ok(json!({"url": "https://example.com/titled", "title": "Hello", "channels": ["sms"]})).await;
    let second = app.mint_ok(json!({"url": "https://example.com/titled", "channels": ["sms"]})).await;
    assert_eq!(second["content"]["title"], "Hello");
    assert_eq!(first["links"], second["links"]);
    let renamed = app.mint_ok(json!({"url": "https://example.com/titled", "title": "Hello again", "channels": ["sms"]})).await;
    assert_eq!(renamed["content"]["title"], "Hello again", "a new title replaces the old one");
}
