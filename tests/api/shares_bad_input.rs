//! Every malformed, oversized or hostile mint request gets a clear JSON error.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn no_token_or_a_wrong_one_is_401() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/shares", app.address);
    let body = json!({"url": "https://example.com/"});
    let none = app.client.post(&url).json(&body).send().await.expect("request");
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_code(none).await, "unauthorized");
    let wrong = app.client.post(&url).bearer_auth("not-the-token").json(&body).send().await.expect("request");
    assert_eq!(wrong.status(), 401);
    let prefix = app.client.post(&url).bearer_auth(&TOKEN[..10]).json(&body).send().await.expect("request");
    assert_eq!(prefix.status(), 401);
}

#[tokio::test]
async fn malformed_json_wrong_types_and_unknown_fields_are_400() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/shares", app.address);
    let raw = |body: &'static str| {
        app.client.post(&url).bearer_auth(TOKEN).header("content-type", "application/json").body(body).send()
    };
    for body in ["{", "[]", "{\"url\": 5}", "{\"url\": \"https://example.com\", \"channels\": \"sms\"}", "{\"url\": \"https://example.com\", \"chanels\": []}", ""] {
        let response = raw(body).await.expect("request");
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(error_code(response).await, "invalid_json", "{body}");
    }
}

#[tokio::test]
async fn unknown_channels_and_empty_channel_lists_are_400() {
    let app = spawn_app().await;
    let response = app.mint(json!({"url": "https://example.com/", "channels": ["whatsapp", "myspace"]})).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "unknown_channel");
    let response = app.mint(json!({"url": "https://example.com/", "channels": []})).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn empty_non_http_credentialed_and_overlong_urls_are_400() {
    let app = spawn_app().await;
    let long = format!("https://example.com/{}", "a".repeat(4100));
    for url in ["", "   ", "javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://example.com/f", "https://user:pw@example.com/", "example.com/no-scheme", long.as_str()] {
        let response = app.mint(json!({"url": url})).await;
        assert_eq!(response.status(), 400, "{url:.60}");
        assert_eq!(error_code(response).await, "invalid_url", "{url:.60}");
    }
}

#[tokio::test]
async fn hosts_outside_the_allowed_list_are_422() {
    let app = spawn_app().await;
    for url in ["https://evil.example.net/phish", "https://example.com.evil.net/", "https://notexample.com/"] {
        let response = app.mint(json!({"url": url})).await;
        assert_eq!(response.status(), 422, "{url}");
        assert_eq!(error_code(response).await, "host_not_allowed");
    }
    let stored: Vec<String> = app.keys().await.into_iter().filter(|k| k.contains("link:") || k.contains("c:{")).collect();
    assert!(stored.is_empty(), "a refused request stores nothing: {stored:?}");
}

#[tokio::test]
async fn with_no_allowed_hosts_nothing_can_be_minted() {
    let app = spawn_app_with(|env| {
        env.remove("SHARETRAIL_ALLOWED_HOSTS");
    })
    .await;
    let response = app.mint(json!({"url": "https://example.com/"})).await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn a_body_over_16_kib_is_413() {
    let app = spawn_app().await;
    let response = app.mint(json!({"url": "https://example.com/", "title": "x".repeat(17 * 1024)})).await;
    assert_eq!(response.status(), 413);
    assert_eq!(error_code(response).await, "payload_too_large");
}

#[tokio::test]
async fn a_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/api/v1/shares", app.address))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body(r#"{"url": "https://example.com/"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 415);
    assert_eq!(error_code(response).await, "unsupported_media_type");
}

#[tokio::test]
async fn overlong_titles_and_campaigns_with_control_characters_are_400() {
    let app = spawn_app().await;
    let response = app.mint(json!({"url": "https://example.com/", "title": "t".repeat(301)})).await;
    assert_eq!(response.status(), 400);
    let response = app.mint(json!({"url": "https://example.com/", "campaign": "a\u{7}b"})).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "invalid_field");
}
