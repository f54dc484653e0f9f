//! Share intents: taps on share buttons through `/share/{code}`, counted like clicks.

use crate::admin_client::AdminClient;
use crate::helpers::*;
use serde_json::{Value, json};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const SLACKBOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
const WHATSAPP_PREVIEW: &str = "WhatsApp/2.23.20.0 A";
const HEADLESS: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";

async fn app_behind_proxy() -> TestApp {
    spawn_app_with(|env| {
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1,::1".into());
    })
    .await
}

/// Mints links for a page titled "Tea & cake?" and returns the answer.
async fn mint(app: &TestApp, channels: &[&str]) -> Value {
    app.mint_ok(json!({"url": "https://example.com/tea", "title": "Tea & cake?", "channels": channels})).await
}

fn link<'a>(minted: &'a Value, channel: &str) -> &'a Value {
    minted["links"].as_array().expect("links").iter().find(|l| l["channel"] == channel).expect("channel minted")
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_else(|| panic!("{field} in {value}"))
}

async fn tap_button(app: &TestApp, method: reqwest::Method, code: &str, user_agent: &str, ip: &str) -> reqwest::Response {
    app.client
        .request(method, format!("{}/share/{code}", app.address))
        .header("user-agent", user_agent)
        .header("x-forwarded-for", ip)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_share_link_redirects_to_the_channel_share_url_and_records_an_intent() {
    let app = app_behind_proxy().await;
    let minted = mint(&app, &["whatsapp", "email"]).await;
    let whatsapp = link(&minted, "whatsapp");
    assert_eq!(text(whatsapp, "intent_url"), format!("{}/share/{}", app.address, text(whatsapp, "code")));

    let response = tap_button(&app, reqwest::Method::GET, text(whatsapp, "code"), IPHONE, "192.0.2.10").await;

    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], text(whatsapp, "share_url"), "the title goes into the share text");
    assert!(text(whatsapp, "share_url").starts_with("https://wa.me/?text=Tea%20%26%20cake%3F%20"));
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    app.flush().await;
    let content = text(&minted["content"], "id");
    let day = app.content_today(content).await;
    assert_eq!(day.get("intents:whatsapp"), Some(&1), "{day:?}");
    assert_eq!(day.get("clicks:whatsapp"), None, "a tap on the button is not a click of the link");
    assert!(!day.keys().any(|k| k.starts_with("dev:") || k.starts_with("cc:")), "readers' devices and places only: {day:?}");
    let raw = app.recent_clicks(content).await;
    assert_eq!(raw.len(), 1);
    let got = |field: &str| raw[0][field].as_str();
    assert_eq!((got("kind"), got("source"), got("channel"), got("device"), got("country")), ("intent", "button", "whatsapp", "smartphone", "GB"));
}

#[tokio::test]
async fn the_mailto_share_url_carries_the_title_as_subject() {
    let app = spawn_app().await;
    let minted = mint(&app, &["email"]).await;
    let email = link(&minted, "email");
    let response = tap_button(&app, reqwest::Method::GET, text(email, "code"), WINDOWS, "192.0.2.1").await;
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().expect("ascii");
    assert!(location.starts_with("mailto:?subject=Tea%20%26%20cake%3F&body="), "{location}");
}

#[tokio::test]
async fn a_beacon_is_answered_204_and_records_an_intent() {
    let app = app_behind_proxy().await;
    let minted = mint(&app, &["slack", "copy", "native"]).await;
    for channel in ["slack", "copy", "native"] {
        let response = tap_button(&app, reqwest::Method::POST, text(link(&minted, channel), "code"), WINDOWS, "203.0.113.1").await;
        assert_eq!(response.status(), 204, "{channel}");
        assert!(response.text().await.expect("body").is_empty());
    }
    app.flush().await;
    let content = text(&minted["content"], "id");
    let day = app.content_today(content).await;
    for channel in ["slack", "copy", "native"] {
        assert_eq!(day.get(&format!("intents:{channel}")), Some(&1), "{channel}: {day:?}");
    }
    assert!(app.recent_clicks(content).await.iter().all(|c| c["source"] == "beacon" && c["country"] == "US"));
}

#[tokio::test]
async fn bots_and_link_previews_on_share_buttons_are_not_counted() {
    let app = app_behind_proxy().await;
    let minted = mint(&app, &["whatsapp", "slack"]).await;
    let (whatsapp, slack) = (text(link(&minted, "whatsapp"), "code"), text(link(&minted, "slack"), "code"));
    for ua in [GOOGLEBOT, SLACKBOT, WHATSAPP_PREVIEW, HEADLESS, "", "curl/8.5.0"] {
        assert_eq!(tap_button(&app, reqwest::Method::GET, whatsapp, ua, "192.0.2.2").await.status(), 302, "{ua}: answered all the same");
        assert_eq!(tap_button(&app, reqwest::Method::POST, slack, ua, "192.0.2.2").await.status(), 204, "{ua}");
    }
    app.flush().await;
    let content = text(&minted["content"], "id");
    assert_eq!(app.content_today(content).await, Default::default(), "not an intent, a share, a bot fetch or a click");
    assert!(app.recent_clicks(content).await.is_empty());
}

#[tokio::test]
async fn a_channel_without_share_url_shows_its_link_to_copy_and_wechat_its_qr_code() {
    let app = spawn_app().await;
    let minted = mint(&app, &["slack", "wechat"]).await;
    let slack = link(&minted, "slack");
    let response = tap_button(&app, reqwest::Method::GET, text(slack, "code"), IPHONE, "192.0.2.3").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
    let page = response.text().await.expect("page");
    assert!(page.contains(&format!("value=\"{}\"", text(slack, "short_url"))), "{page}");
    assert!(page.contains("paste it into Slack") && page.contains("Tea &#38; cake?"), "{page}");
    assert!(!page.contains("<img"), "no QR code for Slack");
    let wechat = link(&minted, "wechat");
    assert_eq!(wechat["show_qr"], true);
    let page = tap_button(&app, reqwest::Method::GET, text(wechat, "code"), IPHONE, "192.0.2.3").await.text().await.expect("page");
    assert!(page.contains(&format!("src=\"{}\"", text(wechat, "qr_url"))), "{page}");
    app.flush().await;
    let day = app.content_today(text(&minted["content"], "id")).await;
    assert_eq!((day.get("intents:slack"), day.get("intents:wechat")), (Some(&1), Some(&1)));
}

#[tokio::test]
async fn head_answers_like_get_and_counts_nothing() {
    let app = spawn_app().await;
    let minted = mint(&app, &["whatsapp"]).await;
    let code = text(link(&minted, "whatsapp"), "code");
    let response = app.client.head(format!("{}/share/{code}", app.address)).header("user-agent", IPHONE).send().await.expect("head");
    assert_eq!(response.status(), 302);
    app.flush().await;
    assert!(app.recent_clicks(text(&minted["content"], "id")).await.is_empty());
}

#[tokio::test]
async fn unknown_and_disabled_share_buttons_answer_404_and_410() {
    let app = spawn_app().await;
    let minted = mint(&app, &["whatsapp"]).await;
    let code = text(link(&minted, "whatsapp"), "code");
    assert_eq!(app.patch_link(code, json!({"enabled": false})).await.status(), 200);
    for (path, status) in [(format!("/share/{code}"), 410), ("/share/zzzzzzzz".to_owned(), 404), ("/share/not*a*code".to_owned(), 404)] {
        let response = app.client.get(format!("{}{path}", app.address)).header("user-agent", IPHONE).send().await.expect("get");
        assert_eq!(response.status(), status, "{path}");
        let beacon = app.client.post(format!("{}{path}", app.address)).header("user-agent", IPHONE).send().await.expect("post");
        assert_eq!(beacon.status(), status, "POST {path}");
    }
}

#[tokio::test]
async fn intents_are_in_the_stats_api_the_export_and_the_dashboard() {
    let app = app_behind_proxy().await;
    let minted = mint(&app, &["whatsapp", "slack"]).await;
    let (whatsapp, slack) = (text(link(&minted, "whatsapp"), "code"), text(link(&minted, "slack"), "code"));
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        tap_button(&app, reqwest::Method::GET, whatsapp, IPHONE, ip).await;
    }
    tap_button(&app, reqwest::Method::POST, slack, WINDOWS, "192.0.2.4").await;
    app.tap(whatsapp, IPHONE, &[("x-forwarded-for", "198.51.100.1")]).await;
    app.flush().await;

    let stats: Value = app.api_get("/api/v1/stats").await.json().await.expect("json");
    assert_eq!(stats["totals"]["intents"], 4);
    assert_eq!(stats["channels"]["whatsapp"]["intents"], 3);
    assert_eq!(stats["channels"]["slack"]["intents"], 1);
    assert_eq!(stats["channels"]["whatsapp"]["clicks"], 1);
    assert_eq!(stats["contents"][0]["intents"], 4);
    let content = text(&minted["content"], "id");
    let report: Value = app.api_get(&format!("/api/v1/contents/{content}/stats")).await.json().await.expect("json");
    assert_eq!((report["totals"]["intents"].as_i64(), report["channels"]["whatsapp"]["intents"].as_i64()), (Some(4), Some(3)));

    let csv = app.api_get("/api/v1/stats/export.csv").await.text().await.expect("csv");
    let slack_row = csv.lines().find(|l| l.contains(",slack,")).expect("a slack row, though it has no click");
    assert!(slack_row.ends_with(",0,0,0,0,1"), "{slack_row}");

    let mut admin = AdminClient::logged_in(&app).await;
    let page = admin.get("/admin").await.text().await.expect("page");
    assert!(page.contains("<span class=\"kpi-value\">4</span><span class=\"kpi-label\">Button taps"), "the taps KPI");
    assert!(page.contains("button taps → shares → clicks → visitors"));
    let row = page.split("<th scope=\"row\">WhatsApp").nth(1).expect("a WhatsApp funnel row");
    assert!(row.starts_with("</th><td>3</td><td>0</td><td>1</td><td>1</td>"), "taps, shares, clicks, visitors: {}", &row[..80]);
}
