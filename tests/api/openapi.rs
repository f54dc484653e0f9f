//! The OpenAPI document: served, valid enough to generate clients from, and naming every
//! route (and only routes that exist).

use crate::helpers::*;
use serde_json::Value;

#[tokio::test]
async fn the_openapi_document_is_served_without_a_token() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    for schema in ["ShareBody", "Minted", "LinkView", "SiteReport", "ContentReport", "RecentClicks", "ApiError"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema}");
    }
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().expect("path item").keys() {
            operations.push(format!("{} {path}", method.to_uppercase()));
            let url = format!("{}{}", app.address, path.replace("{code}", "Xyzzy2345").replace("{id}", "0123456789abcdef"));
            let request = app.client.request(method.to_uppercase().parse().expect("method"), url);
            let response = request.send().await.expect("request");
            // Without a token every API route answers 401 (the widget's, without an Origin,
            // 403); a 404 would be a documented route that is not mounted.
            let expected = match path.as_str() {
                "/api/v1/openapi.json" => 200,
                "/api/v1/public/shares" => 403,
                _ => 401,
            };
            assert_eq!(response.status(), expected, "{method} {path}");
        }
    }
    operations.sort();
    assert_eq!(
        operations,
        [
            "GET /api/v1/contents/{id}/clicks",
            "GET /api/v1/contents/{id}/stats",
            "GET /api/v1/links/{code}",
            "GET /api/v1/openapi.json",
            "GET /api/v1/shares/buttons",
            "GET /api/v1/stats",
            "GET /api/v1/stats/export.csv",
            "PATCH /api/v1/links/{code}",
            "POST /api/v1/public/shares",
            "POST /api/v1/shares",
        ]
    );
}

#[tokio::test]
async fn an_undocumented_method_on_an_api_path_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app.client.put(format!("{}/api/v1/links/Xyzzy2345", app.address)).bearer_auth(TOKEN).send().await.expect("request");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, PATCH");
    assert_eq!(error_code(response).await, "method_not_allowed");
    let response = app.client.delete(format!("{}/api/v1/nothing", app.address)).send().await.expect("request");
    assert_eq!(response.status(), 404);
}
