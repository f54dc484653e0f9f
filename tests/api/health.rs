use crate::helpers::*;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn readyz_is_ready_when_redis_answers() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["redis"], "up");
    assert_eq!(body["geo"], "on");
}

#[tokio::test]
async fn readyz_says_geo_is_off_without_a_database() {
    let app = spawn_app_with(|env| {
        env.remove("SHARETRAIL_GEOIP_DB");
    })
    .await;
    let body: serde_json::Value = app.get("/readyz").await.json().await.expect("json");
    assert_eq!((body["status"].as_str(), body["geo"].as_str()), (Some("ready"), Some("off")));
}

#[tokio::test]
async fn readyz_is_unavailable_when_redis_is_not_there() {
    let port = free_port();
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), format!("redis://127.0.0.1:{port}"));
    })
    .await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["redis"], "down");
}

#[tokio::test]
async fn unknown_api_paths_get_a_json_404_and_others_an_html_one() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_code(response).await, "not_found");
    let response = app.get("/some/page").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
}
