//! `GET /metrics`: protected by its token, and counting what an operator watches.

use crate::binary::{METRICS_TOKEN, sample};
use crate::helpers::*;

const WHATSAPP_PREVIEW: &str = "WhatsApp/2.23.20.0 A";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

async fn app_with_metrics() -> TestApp {
    spawn_app_with(|env| {
        env.insert("SHARETRAIL_METRICS_TOKEN".into(), METRICS_TOKEN.into());
    })
    .await
}

async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(format!("{}/metrics", app.address)).bearer_auth(METRICS_TOKEN).send().await.expect("request");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    response.text().await.expect("text")
}

#[tokio::test]
async fn metrics_do_not_exist_without_a_token_setting() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn metrics_refuse_a_missing_or_wrong_token() {
    let app = app_with_metrics().await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app.client.get(format!("{}/metrics", app.address)).bearer_auth(TOKEN).send().await.expect("request");
    assert_eq!(wrong.status(), 401, "the API token is not the metrics token");
}

#[tokio::test]
async fn metrics_count_redirects_by_status_clicks_by_kind_and_request_latency() {
    let app = app_with_metrics().await;
    let code = app.mint_code("https://example.com/metrics", "whatsapp").await;
    for agent in [PHONE, PHONE, WHATSAPP_PREVIEW, GOOGLEBOT] {
        assert_eq!(app.tap(&code, agent, &[]).await.status(), 302);
    }
    assert_eq!(app.get("/Unknown0").await.status(), 404);
    app.flush().await;
    let text = scrape(&app).await;

    assert_eq!(sample(&text, r#"sharetrail_redirects_total{status="302"}"#), Some(4.0), "{text}");
    assert_eq!(sample(&text, r#"sharetrail_redirects_total{status="404"}"#), Some(1.0));
    assert_eq!(sample(&text, r#"sharetrail_clicks_total{kind="person"}"#), Some(2.0));
    assert_eq!(sample(&text, r#"sharetrail_clicks_total{kind="preview"}"#), Some(1.0));
    assert_eq!(sample(&text, r#"sharetrail_clicks_total{kind="bot"}"#), Some(1.0));
    assert_eq!(sample(&text, "sharetrail_clicks_recorded_total"), Some(4.0));
    assert_eq!(sample(&text, "sharetrail_clicks_spooled_total"), Some(0.0));
    assert_eq!(sample(&text, "sharetrail_clicks_dropped_total"), Some(0.0));
    assert_eq!(sample(&text, "sharetrail_click_queue_depth"), Some(0.0));
    let redirects = r#"sharetrail_http_request_duration_seconds_count{route="/{code}",method="GET",status="302"}"#;
    assert_eq!(sample(&text, redirects), Some(4.0));
    let mints = r#"sharetrail_http_request_duration_seconds_count{route="/api/v1/shares",method="POST",status="200"}"#;
    assert_eq!(sample(&text, mints), Some(1.0));
    assert!(sample(&text, "sharetrail_redis_round_trip_duration_seconds_count").is_some_and(|n| n > 0.0));
    assert_eq!(sample(&text, "sharetrail_redis_errors_total"), Some(0.0));
    assert!(text.trim_end().ends_with("# EOF"), "a complete exposition");
}

#[tokio::test]
async fn metrics_count_redis_errors_while_redis_is_away() {
    let port = free_port();
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_METRICS_TOKEN".into(), METRICS_TOKEN.into());
        env.insert("SHARETRAIL_REDIS_URL".into(), format!("redis://127.0.0.1:{port}"));
    })
    .await;
    assert_eq!(app.get("/readyz").await.status(), 503);
    let text = scrape(&app).await;
    assert!(sample(&text, "sharetrail_redis_errors_total").is_some_and(|n| n >= 1.0), "{text}");
}
