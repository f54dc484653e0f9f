//! The report pages of the admin UI (dashboard, content, links) over HTTP and in a real
//! headless Chromium, against clicks recorded through real redirects.

use crate::admin_client::AdminClient;
use crate::browser::{Browser, fits_width, login, screenshot, text_of};
use crate::helpers::*;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::time::Duration;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36";
const SLACKBOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
const HOSTILE: &str = "<script>alert(1)</script> & \"quotes\"";

/// Two contents: a recipe shared mostly on WhatsApp, and one with a hostile title
/// shared by e-mail.
struct Scene {
    app: TestApp,
    recipe: Value,
    hostile: Value,
}

async fn scene() -> Scene {
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await;
    let recipe = app.mint_ok(json!({"url": "https://example.com/recipe", "title": "Grandma's apple pie", "channels": ["whatsapp", "sms", "x"]})).await;
    let hostile = app.mint_ok(json!({"url": "https://example.com/hostile", "title": HOSTILE, "channels": ["email"], "campaign": "<b>camp</b>"})).await;
    let code = |body: &Value, i: usize| body["links"][i]["code"].as_str().expect("code").to_owned();
    let taps = [
        (code(&recipe, 0), IPHONE, "192.0.2.1"),
        (code(&recipe, 0), IPHONE, "192.0.2.2"),
        (code(&recipe, 0), WINDOWS, "198.51.100.3"),
        (code(&recipe, 1), IPHONE, "203.0.113.4"),
        (code(&recipe, 0), SLACKBOT, "192.0.2.9"),
        (code(&hostile, 0), WINDOWS, "192.0.2.5"),
        (code(&hostile, 0), WINDOWS, "192.0.2.6"),
    ];
    for (code, ua, ip) in &taps {
        assert_eq!(app.tap(code, ua, &[("x-forwarded-for", ip)]).await.status(), 302);
    }
    app.flush().await;
    Scene { app, recipe, hostile }
}

fn id(body: &Value) -> &str {
    body["content"]["id"].as_str().expect("id")
}

#[tokio::test]
async fn the_dashboard_shows_totals_channels_and_the_matrix() {
    let s = scene().await;
    let mut admin = AdminClient::logged_in(&s.app).await;
    let response = admin.get("/admin?days=7").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    assert!(page.contains("Content × channel"));
    assert!(page.contains("<span class=\"kpi-value\">6</span><span class=\"kpi-label\">Clicks</span>"), "6 clicks");
    assert!(page.contains("100.0 %"), "every click came through a private channel");
    assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "the hostile title is escaped");
    assert!(!page.contains("<script>alert(1)"), "never raw");
    assert!(page.contains(&format!("/admin/contents/{}", id(&s.recipe))));
}

#[tokio::test]
async fn the_content_page_shows_devices_previews_forwards_recent_clicks_and_links() {
    let s = scene().await;
    let mut admin = AdminClient::logged_in(&s.app).await;
    let response = admin.get(&format!("/admin/contents/{}", id(&s.recipe))).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    for expected in ["Grandma&#39;s apple pie", "WhatsApp link passed on to Slack: 1", "preview (slack)", "London, GB", "Clicks per day", "s-0"] {
        assert!(page.contains(expected), "{expected} missing");
    }
    for link in s.recipe["links"].as_array().expect("links") {
        assert!(page.contains(link["short_url"].as_str().expect("short url")));
    }
}

#[tokio::test]
async fn every_report_page_escapes_hostile_titles_and_campaigns() {
    let s = scene().await;
    let mut admin = AdminClient::logged_in(&s.app).await;
    for path in ["/admin".to_owned(), format!("/admin/contents/{}", id(&s.hostile)), "/admin/links".to_owned(), "/admin/links?q=hostile".to_owned()] {
        let page = admin.get(&path).await.text().await.expect("page");
        assert!(!page.contains("<script>alert(1)") && !page.contains("<b>camp</b>"), "{path} shows raw user text");
        assert!(page.contains("&#60;script&#62;alert(1)"), "{path} shows the title as text");
    }
}

#[tokio::test]
async fn unknown_contents_and_bad_ranges_are_error_pages_with_their_status() {
    let s = scene().await;
    let mut admin = AdminClient::logged_in(&s.app).await;
    assert_eq!(admin.get("/admin/contents/0123456789abcdef").await.status(), 404);
    assert_eq!(admin.get("/admin/contents/nope").await.status(), 404);
    let bad = admin.get("/admin?from=2026-02-31").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
}

#[tokio::test]
async fn links_can_be_minted_from_the_links_page_with_the_api_rules() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let empty = admin.get("/admin").await.text().await.expect("page");
    assert!(empty.contains("No share links yet"), "the empty dashboard says what to do");
    let csrf = admin.csrf().await;
    let form = [("csrf", csrf.as_str()), ("url", "https://example.com/by-hand"), ("title", "By hand"), ("channels", "whatsapp"), ("channels", "sms")];
    let response = admin.post("/admin/links", &form).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    assert!(page.contains("Share links ready"));
    let minted = app.mint_ok(json!({"url": "https://example.com/by-hand", "channels": ["whatsapp", "sms"]})).await;
    for link in minted["links"].as_array().expect("links") {
        assert!(page.contains(link["short_url"].as_str().expect("url")), "the API gives the same links");
    }
    let refused = admin.post("/admin/links", &[("csrf", csrf.as_str()), ("url", "https://evil.example.net/"), ("channels", "sms")]).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.expect("page").contains("not allowed"));
    let forged = admin.post("/admin/links", &[("csrf", "forged"), ("url", "https://example.com/x")]).await;
    assert_eq!(forged.status(), 403);
}

/// Reads the matrix as rows of cell texts, header first.
async fn matrix(client: &Client) -> Vec<Vec<String>> {
    let script = "return [...document.querySelectorAll('table.matrix tr')].map(tr => [...tr.children].map(c => c.firstChild ? c.firstChild.textContent.trim() : ''));";
    let value = client.execute(script, vec![]).await.expect("script");
    serde_json::from_value(value).expect("rows of strings")
}

#[tokio::test]
async fn browser_the_matrix_puts_the_right_numbers_in_the_right_cells() {
    let s = scene().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            login(client, &s.app).await;
            let rows = matrix(client).await;
            let header = &rows[0];
            let column = |label: &str| header.iter().position(|h| h == label).unwrap_or_else(|| panic!("{label} column in {header:?}"));
            let row = |title: &str| rows.iter().find(|r| r[0] == title).unwrap_or_else(|| panic!("{title} row in {rows:?}"));
            let recipe = row("Grandma's apple pie");
            assert_eq!((recipe[column("Clicks")].as_str(), recipe[column("WhatsApp")].as_str(), recipe[column("SMS")].as_str(), recipe[column("E-mail")].as_str()), ("4", "3", "1", "0"));
            let hostile = row(HOSTILE);
            assert_eq!((hostile[column("Clicks")].as_str(), hostile[column("E-mail")].as_str(), hostile[column("WhatsApp")].as_str()), ("2", "2", "0"));
            assert!(client.get_alert_text().await.is_err(), "the hostile title ran no script");
            assert!(rows.iter().position(|r| r[0] == "Grandma's apple pie") < rows.iter().position(|r| r[0] == HOSTILE), "sorted by clicks");
            screenshot(client, "dashboard-with-clicks").await;
            client.set_window_size(375, 800).await.expect("resize");
            screenshot(client, "dashboard-375").await;
            let widest = client
                .execute("return [...document.querySelectorAll('body *')].filter(e => !e.closest('.scroll-x') && e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className).slice(0, 5).join(' ');", vec![])
                .await
                .expect("script");
            assert!(fits_width(client).await, "the dashboard reads at 375 px without sideways scrolling; too wide: {widest}");
        })
        .await;
}

#[tokio::test]
async fn browser_disabling_a_link_on_the_content_page_makes_it_answer_410() {
    let s = scene().await;
    let whatsapp = s.recipe["links"][0]["code"].as_str().expect("code").to_owned();
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            login(client, &s.app).await;
            client.find(Locator::LinkText("Grandma's apple pie")).await.expect("content link").click().await.expect("click");
            let heading = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("h1")).await.expect("content page");
            assert_eq!(heading.text().await.expect("text"), "Grandma's apple pie");
            assert!(text_of(client, "ul.forwards").await.contains("WhatsApp link passed on to Slack: 1"));
            screenshot(client, "content-page").await;
            let button = format!("form[action='/admin/links/{whatsapp}/enabled'] button");
            client.find(Locator::Css(&button)).await.expect("disable button").click().await.expect("click");
            let form = format!("form[action='/admin/links/{whatsapp}/enabled']");
            let disabled = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(&format!("{form} .status-off"))).await.expect("shown as disabled");
            assert_eq!(disabled.text().await.expect("text"), "Disabled");
            assert_eq!(s.app.get(&format!("/{whatsapp}")).await.status(), 410);
        })
        .await;
}
