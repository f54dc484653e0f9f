//! `GET`/`PATCH /api/v1/links/{code}`: reading a link and switching it off and on.

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_link_can_be_read_back() {
    let app = spawn_app().await;
    let minted = app.mint_ok(json!({"url": "https://example.com/r", "channels": ["slack"], "campaign": "q3"})).await;
    let code = minted["links"][0]["code"].as_str().expect("code");
    let response = app.api_get(&format!("/api/v1/links/{code}")).await;
    assert_eq!(response.status(), 200);
    let link: Value = response.json().await.expect("json");
    assert_eq!(link["code"], code);
    assert_eq!(link["channel"], "slack");
    assert_eq!(link["campaign"], "q3");
    assert_eq!(link["content"], minted["content"]["id"]);
    assert_eq!(link["target"], "https://example.com/r");
    assert_eq!(link["enabled"], true);
    assert!(link["created"].as_str().expect("created").starts_with("20"));
}

#[tokio::test]
async fn a_disabled_link_answers_410_at_once_and_can_be_enabled_again() {
    let app = spawn_app().await;
    let code = app.mint_code("https://example.com/d", "whatsapp").await;
    assert_eq!(app.get(&format!("/{code}")).await.status(), 302, "cached as enabled first");
    let response = app.patch_link(&code, json!({"enabled": false})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.expect("json")["enabled"], false);
    let gone = app.get(&format!("/{code}")).await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.expect("body").contains("disabled"));
    assert_eq!(app.patch_link(&code, json!({"enabled": true})).await.status(), 200);
    assert_eq!(app.get(&format!("/{code}")).await.status(), 302);
}

#[tokio::test]
async fn unknown_and_malformed_codes_are_404_and_bad_patches_400() {
    let app = spawn_app().await;
    assert_eq!(app.api_get("/api/v1/links/zzzzzzzz").await.status(), 404);
    assert_eq!(app.api_get("/api/v1/links/not-a-code!").await.status(), 404);
    assert_eq!(app.patch_link("zzzzzzzz", json!({"enabled": false})).await.status(), 404);
    let code = app.mint_code("https://example.com/p", "sms").await;
    let response = app.patch_link(&code, json!({"enabled": "no"})).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "invalid_json");
}

#[tokio::test]
async fn reading_a_link_needs_the_token() {
    let app = spawn_app().await;
    let code = app.mint_code("https://example.com/p", "sms").await;
    assert_eq!(app.get(&format!("/api/v1/links/{code}")).await.status(), 401);
}

#[tokio::test]
async fn a_link_stored_as_a_hash_by_an_earlier_version_still_works_and_is_rewritten_on_change() {
    let app = spawn_app().await;
    let minted = app.mint_ok(json!({"url": "https://example.com/old-format", "channels": ["sms"]})).await;
    let content = minted["content"]["id"].as_str().expect("content");
    // A second link of the same page, written the way links were stored before they were
    // packed into one string.
    let code = "Legacy234";
    let key = app.keys_builder().link(&sharetrail::domain::ShortCode::parse(code).expect("code"));
    let mut conn = app.redis().await;
    let fields = [
        ("content", content),
        ("channel", "email"),
        ("campaign", "old"),
        ("target", "https://example.com/old-format"),
        ("created", "1700000000000"),
        ("enabled", "1"),
    ];
    let () = redis::cmd("HSET").arg(&key).arg(&fields).query_async(&mut conn).await.expect("hset");

    let link: Value = app.api_get(&format!("/api/v1/links/{code}")).await.json().await.expect("json");
    assert_eq!((link["channel"].as_str(), link["campaign"].as_str(), link["enabled"].as_bool()), (Some("email"), Some("old"), Some(true)));
    let tapped = app.get(&format!("/{code}")).await;
    assert_eq!(tapped.status(), 302);
    assert!(tapped.headers()["location"].to_str().expect("ascii").contains("utm_source=email"));

    assert_eq!(app.patch_link(code, json!({"enabled": false})).await.status(), 200);
    let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut conn).await.expect("type");
    assert_eq!(kind, "string", "rewritten in the current format");
    let link: Value = app.api_get(&format!("/api/v1/links/{code}")).await.json().await.expect("json");
    assert_eq!((link["channel"].as_str(), link["campaign"].as_str(), link["enabled"].as_bool()), (Some("email"), Some("old"), Some(false)));
    assert_eq!(link["created"], "2023-11-14T22:13:20Z");
    assert_eq!(app.get(&format!("/{code}")).await.status(), 410);
}

#[tokio::test]
async fn a_link_is_one_string_of_about_its_target_s_length() {
    let app = spawn_app().await;
    let target = format!("https://example.com/archive/2026/{}", "a-long-article-slug-".repeat(4));
    let code = app.mint_code(&target, "whatsapp").await;
    let key = app.keys_builder().link(&sharetrail::domain::ShortCode::parse(&code).expect("code"));
    let mut conn = app.redis().await;
    let value: String = redis::cmd("GET").arg(&key).query_async(&mut conn).await.expect("a string");
    assert!(value.ends_with(&target) && value.len() < target.len() + 60, "{value:?}");
}
