//! `POST /api/v1/public/shares`, the widget's endpoint: no token, but an allowed Origin,
//! an allowed host, CORS with preflight, and a rate limit per client.

use crate::helpers::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};

const PAGE: &str = "https://blog.example.com";

async fn widget_app(rate_limit: &str) -> TestApp {
    let rate_limit = rate_limit.to_owned();
    spawn_app_with(move |env| {
        env.insert("SHARETRAIL_WIDGET_ORIGINS".into(), format!("{PAGE}, http://localhost:8000"));
        env.insert("SHARETRAIL_WIDGET_RATE_LIMIT".into(), rate_limit);
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await
}

fn endpoint(app: &TestApp) -> String {
    format!("{}/api/v1/public/shares", app.address)
}

/// A POST as a browser on `origin` sends it (None: no Origin, as curl or a server).
async fn post_from(app: &TestApp, origin: Option<&str>, body: &Value) -> Response {
    let mut request = app.client.post(endpoint(app)).json(body);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.expect("request")
}

async fn preflight(app: &TestApp, origin: &str, method: &str, headers: &str) -> Response {
    app.client
        .request(Method::OPTIONS, endpoint(app))
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", headers)
        .send()
        .await
        .expect("preflight")
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().expect("ascii"))
}

fn post_body() -> Value {
    json!({"url": "https://example.com/post", "title": "Our post", "channels": ["whatsapp", "slack"]})
}

#[tokio::test]
async fn an_allowed_origin_mints_the_same_links_as_the_token_api_with_cors_headers() {
    let app = widget_app("60").await;

    let response = post_from(&app, Some(PAGE), &post_body()).await;

    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), Some(PAGE));
    assert_eq!(header(&response, "vary"), Some("Origin"));
    assert_eq!(header(&response, "access-control-allow-credentials"), None, "no cookies are involved");
    let public: Value = response.json().await.expect("json");
    let private = app.mint_ok(post_body()).await;
    assert_eq!(public, private, "the same idempotent minting");
    assert_eq!(public["links"][1]["share_url"], Value::Null);
    assert!(public["links"][1]["intent_url"].as_str().expect("intent url").ends_with(&format!("/share/{}", public["links"][1]["code"].as_str().expect("code"))));
}

#[tokio::test]
async fn a_request_without_an_origin_or_from_another_origin_is_refused_without_cors_headers() {
    let app = widget_app("60").await;
    for origin in [None, Some("https://evil.example"), Some("http://blog.example.com"), Some("https://sub.blog.example.com"), Some("null")] {
        let response = post_from(&app, origin, &post_body()).await;
        assert_eq!(response.status(), 403, "{origin:?}");
        assert_eq!(header(&response, "access-control-allow-origin"), None, "{origin:?}");
        assert_eq!(error_code(response).await, "origin_not_allowed", "{origin:?}");
    }
    let with_token = app.client.post(endpoint(&app)).bearer_auth(TOKEN).json(&post_body()).send().await.expect("request");
    assert_eq!(with_token.status(), 403, "a token is no origin: servers use /api/v1/shares");
    assert!(app.keys().await.iter().all(|k| !k.contains(":c:")), "nothing was minted");
}

#[tokio::test]
async fn without_widget_origins_the_endpoint_refuses_every_page() {
    let app = spawn_app().await;
    let response = post_from(&app, Some(PAGE), &post_body()).await;
    assert_eq!(response.status(), 403);
    let message = response.json::<Value>().await.expect("json")["error"]["message"].as_str().expect("message").to_owned();
    assert!(message.contains(PAGE) && message.contains("SHARETRAIL_WIDGET_ORIGINS"), "{message}");
}

#[tokio::test]
async fn hosts_outside_allowed_hosts_and_bad_input_get_the_api_errors_readable_by_the_page() {
    let app = widget_app("60").await;
    let cases = [
        (json!({"url": "https://evil.example.net/"}), 422, "host_not_allowed"),
        (json!({"url": "javascript:alert(1)"}), 400, "invalid_url"),
        (json!({"url": "https://example.com/", "channels": ["myspace"]}), 400, "unknown_channel"),
        (json!({"url": "https://example.com/", "token": "x"}), 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let response = post_from(&app, Some(PAGE), &body).await;
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(header(&response, "access-control-allow-origin"), Some(PAGE), "the widget can read why: {body}");
        assert_eq!(error_code(response).await, code, "{body}");
    }
    let text = app.client.post(endpoint(&app)).header("origin", PAGE).header("content-type", "text/plain").body("{}").send().await.expect("request");
    assert_eq!(text.status(), 415);
    assert_eq!(header(&text, "access-control-allow-origin"), Some(PAGE));
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_allows_a_json_post() {
    let app = widget_app("60").await;

    let response = preflight(&app, "http://localhost:8000", "POST", "content-type").await;

    assert_eq!(response.status(), 204);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("http://localhost:8000"));
    assert_eq!(header(&response, "access-control-allow-methods"), Some("POST"));
    assert_eq!(header(&response, "access-control-allow-headers"), Some("Content-Type"));
    assert!(header(&response, "access-control-max-age").is_some());
    assert_eq!(header(&response, "vary"), Some("Origin"));
}

#[tokio::test]
async fn a_preflight_from_another_origin_or_for_another_method_or_header_is_refused() {
    let app = widget_app("60").await;
    for (origin, method, headers) in [
        ("https://evil.example", "POST", "content-type"),
        (PAGE, "DELETE", "content-type"),
        (PAGE, "POST", "content-type, authorization"),
    ] {
        let response = preflight(&app, origin, method, headers).await;
        assert!(response.status().is_client_error(), "{origin} {method} {headers}: {}", response.status());
        assert_eq!(header(&response, "access-control-allow-methods"), None, "{origin} {method} {headers}");
    }
    let evil = preflight(&app, "https://evil.example", "POST", "content-type").await;
    assert_eq!(header(&evil, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn each_client_is_limited_to_its_rate_and_others_are_not_held_up() {
    let app = widget_app("3").await;
    let from = |ip: &'static str| {
        let app = &app;
        async move {
            app.client.post(endpoint(app)).header("origin", PAGE).header("x-forwarded-for", ip).json(&post_body()).send().await.expect("request")
        }
    };
    for _ in 0..3 {
        assert_eq!(from("192.0.2.1").await.status(), 200);
    }

    let limited = from("192.0.2.1").await;

    assert_eq!(limited.status(), 429);
    let retry_after: u64 = header(&limited, "retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&limited, "access-control-allow-origin"), Some(PAGE), "the widget can read the 429");
    assert_eq!(error_code(limited).await, "rate_limited");
    assert_eq!(from("198.51.100.1").await.status(), 200, "another client has its own allowance");
    assert_eq!(app.mint(post_body()).await.status(), 200, "the token API is not limited by the widget's clients");
}

#[tokio::test]
async fn another_method_is_405_with_allow_whatever_the_origin() {
    let app = widget_app("60").await;
    for origin in [PAGE, "https://elsewhere.example"] {
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::TRACE] {
            let response = app.client.request(method.clone(), endpoint(&app)).header("origin", origin).send().await.expect("request");
            assert_eq!(response.status(), 405, "{method} from {origin}");
            assert_eq!(header(&response, "allow"), Some("POST, OPTIONS"));
            let body: Value = response.json().await.expect("json error");
            assert_eq!(body["error"]["code"], "method_not_allowed");
        }
    }
}
