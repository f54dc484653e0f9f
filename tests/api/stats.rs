//! The stats API, against clicks recorded through real redirects.

use crate::helpers::*;
use serde_json::{Value, json};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36";
const INSTAGRAM: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 334.0.0.28.90 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; 606488431)";
const SLACKBOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

fn today() -> String {
    sharetrail::domain::click::day_of(sharetrail::domain::click::now_ms())
}

fn days_ago(n: i64) -> String {
    sharetrail::domain::click::day_of(sharetrail::domain::click::now_ms() - n * 86_400_000)
}

/// Two contents with clicks through private and public channels, a share, a forward, a bot.
struct Scene {
    app: TestApp,
    popular: String,
    quiet: String,
}

async fn scene() -> Scene {
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await;
    let popular = app.mint_ok(json!({"url": "https://example.com/popular", "title": "Fish, \"chips\"\nand peas", "channels": ["whatsapp", "x"]})).await;
    let quiet = app.mint_ok(json!({"url": "https://example.com/quiet", "title": "Quiet", "channels": ["email"]})).await;
    let code = |body: &Value, i: usize| body["links"][i]["code"].as_str().expect("code").to_owned();
    let (whatsapp, x, email) = (code(&popular, 0), code(&popular, 1), code(&quiet, 0));
    for (code, ua, ip) in [
        (&whatsapp, IPHONE, "192.0.2.1"),
        (&whatsapp, IPHONE, "192.0.2.1"),
        (&whatsapp, INSTAGRAM, "198.51.100.1"),
        (&x, WINDOWS, "203.0.113.1"),
        (&email, WINDOWS, "192.0.2.2"),
        (&whatsapp, SLACKBOT, "192.0.2.3"),
        (&whatsapp, GOOGLEBOT, "192.0.2.4"),
    ] {
        assert_eq!(app.tap(code, ua, &[("x-forwarded-for", ip)]).await.status(), 302);
    }
    app.flush().await;
    let id = |body: &Value| body["content"]["id"].as_str().expect("id").to_owned();
    Scene { popular: id(&popular), quiet: id(&quiet), app }
}

async fn json_ok(app: &TestApp, path: &str) -> Value {
    let response = app.api_get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("json")
}

#[tokio::test]
async fn site_stats_count_clicks_visitors_shares_bots_and_the_dark_share() {
    let s = scene().await;
    let stats = json_ok(&s.app, "/api/v1/stats").await;
    assert_eq!(stats["to"], today());
    assert_eq!(stats["from"], days_ago(29));
    assert_eq!(stats["totals"], json!({"clicks": 5, "unique_visitors": 4, "shares": 1, "intents": 0, "bots": 1, "dark_share": 0.8}));
    assert_eq!(stats["channels"]["whatsapp"], json!({"clicks": 3, "unique_visitors": 2, "shares": 1, "intents": 0, "bots": 1}));
    assert_eq!(stats["channels"]["x"]["clicks"], 1);
    assert_eq!(stats["channels"]["email"]["clicks"], 1);
    assert_eq!(stats["channels"]["sms"]["clicks"], 0, "every channel is listed");
    let contents = stats["contents"].as_array().expect("contents");
    assert_eq!(contents.len(), 2);
    assert_eq!(contents[0]["id"], s.popular.as_str(), "sorted by clicks");
    assert_eq!(contents[0]["clicks"], 4);
    assert_eq!(contents[0]["channels"], json!({"whatsapp": 3, "x": 1}));
    assert_eq!(contents[0]["title"], "Fish, \"chips\"\nand peas");
    assert_eq!(contents[1]["id"], s.quiet.as_str());
    assert_eq!(stats["forwards"], json!([{"from": "whatsapp", "to": "slack", "count": 1}]));
}

#[tokio::test]
async fn contents_are_paged_and_searchable() {
    let s = scene().await;
    let page = json_ok(&s.app, "/api/v1/stats?limit=1&offset=1").await;
    assert_eq!(page["contents"].as_array().expect("contents").len(), 1);
    assert_eq!(page["contents"][0]["id"], s.quiet.as_str());
    assert_eq!(page["total_contents"], 2);
    let found = json_ok(&s.app, "/api/v1/stats?search=QUIET").await;
    assert_eq!(found["contents"].as_array().expect("contents").len(), 1);
    assert_eq!(found["contents"][0]["id"], s.quiet.as_str());
    assert_eq!(found["totals"]["clicks"], 5, "search narrows the list, not the totals");
}

#[tokio::test]
async fn a_range_without_clicks_is_all_zeros() {
    let s = scene().await;
    let yesterday = days_ago(1);
    let stats = json_ok(&s.app, &format!("/api/v1/stats?from={yesterday}&to={yesterday}")).await;
    assert_eq!(stats["totals"], json!({"clicks": 0, "unique_visitors": 0, "shares": 0, "intents": 0, "bots": 0, "dark_share": 0.0}));
    assert_eq!(stats["contents"], json!([]));
    let today = today();
    let stats = json_ok(&s.app, &format!("/api/v1/stats?from={today}&to={today}")).await;
    assert_eq!(stats["totals"]["clicks"], 5, "a one-day range includes that day");
}

#[tokio::test]
async fn content_stats_break_clicks_down_by_device_place_app_preview_and_day() {
    let s = scene().await;
    let path = format!("/api/v1/contents/{}/stats?from={}&to={}", s.popular, days_ago(2), today());
    let stats = json_ok(&s.app, &path).await;
    assert_eq!(stats["content"]["url"], "https://example.com/popular");
    assert_eq!(stats["totals"]["clicks"], 4);
    assert_eq!(stats["totals"]["unique_visitors"], 3);
    assert_eq!(stats["totals"]["dark_share"], 0.75);
    assert_eq!(stats["devices"], json!({"pc": 1, "smartphone": 3}));
    assert_eq!(stats["countries"], json!({"DE": 1, "GB": 2, "US": 1}));
    assert_eq!(stats["in_app"], json!({"instagram": 1}));
    assert_eq!(stats["preview_platforms"], json!({"slack": 1}));
    assert_eq!(stats["forwards"], json!([{"from": "whatsapp", "to": "slack", "count": 1}]));
    let days = stats["days"].as_array().expect("days");
    assert_eq!(days.len(), 3, "days without clicks are present");
    assert_eq!(days[0], json!({"date": days_ago(2), "clicks": 0, "channels": {}}));
    assert_eq!(days[2], json!({"date": today(), "clicks": 4, "channels": {"whatsapp": 3, "x": 1}}));
}

#[tokio::test]
async fn recent_clicks_come_newest_first_without_addresses() {
    let s = scene().await;
    let body = json_ok(&s.app, &format!("/api/v1/contents/{}/clicks?limit=2", s.popular)).await;
    let clicks = body["clicks"].as_array().expect("clicks");
    assert_eq!(clicks.len(), 2);
    assert_eq!(clicks[0]["kind"], "bot", "the last fetch comes first");
    assert_eq!(clicks[1]["kind"], "preview");
    assert_eq!(clicks[1]["platform"], "slack");
    assert!(clicks[0]["time"].as_str().expect("time").starts_with(&today()));
    let text = body.to_string();
    assert!(!text.contains("192.0.2"), "{text}");
}

#[tokio::test]
async fn the_csv_export_has_a_row_per_content_channel_and_day_with_correct_quoting() {
    let s = scene().await;
    let response = s.app.api_get("/api/v1/stats/export.csv").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let text = response.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(header, ["date", "content_id", "url", "title", "channel", "private", "clicks", "unique_visitors", "shares", "bots", "intents"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let row = |channel: &str| rows.iter().find(|r| &r[4] == channel).unwrap_or_else(|| panic!("{channel} row"));
    assert_eq!(rows.len(), 3, "whatsapp and x of one content, email of the other");
    let whatsapp = row("whatsapp");
    assert_eq!((&whatsapp[0], &whatsapp[1], &whatsapp[3]), (today().as_str(), s.popular.as_str(), "Fish, \"chips\"\nand peas"));
    assert_eq!((&whatsapp[5], &whatsapp[6], &whatsapp[7], &whatsapp[8], &whatsapp[9]), ("true", "3", "2", "1", "1"));
    assert_eq!(&row("x")[5], "false");
    assert_eq!(&row("email")[6], "1");
}

#[tokio::test]
async fn bad_ranges_and_unknown_contents_get_clear_errors() {
    let app = spawn_app().await;
    for (query, code) in [
        ("from=2026-02-30", "invalid_date"),
        ("from=last-week", "invalid_date"),
        ("from=2026-11-20&to=2026-11-10", "invalid_range"),
        ("from=2001-01-01", "range_beyond_retention"),
        ("limit=0", "invalid_query"),
        ("limit=100000", "invalid_query"),
        ("bogus=1", "invalid_query"),
    ] {
        let response = app.api_get(&format!("/api/v1/stats?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(error_code(response).await, code, "{query}");
    }
    for path in ["/api/v1/contents/0123456789abcdef/stats", "/api/v1/contents/not-an-id/stats", "/api/v1/contents/0123456789abcdef/clicks"] {
        let response = app.api_get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(error_code(response).await, "not_found");
    }
    assert_eq!(app.get("/api/v1/stats").await.status(), 401);
    assert_eq!(app.get("/api/v1/stats/export.csv").await.status(), 401);
}
