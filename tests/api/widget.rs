//! The widget's files (`/widget.js`, `/widget.css`) and the server-rendered buttons
//! (`GET /api/v1/shares/buttons`), over HTTP.

use crate::helpers::*;
use reqwest::Response;
use serde_json::{Value, json};
use sharetrail::widget::assets::VERSION;

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response.headers().get(name).map(|v| v.to_str().expect("ascii")).unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn the_script_is_small_readable_by_any_page_and_cached_for_a_year_at_its_versioned_url() {
    let app = spawn_app().await;
    for (path, content_type) in [("/widget.js", "text/javascript"), ("/widget.css", "text/css")] {
        let bare = app.get(path).await;
        assert_eq!(bare.status(), 200, "{path}");
        assert!(header(&bare, "content-type").starts_with(content_type));
        assert_eq!(header(&bare, "cache-control"), "public, max-age=300", "{path}: the bare URL picks up a release soon");
        assert_eq!(header(&bare, "access-control-allow-origin"), "*");
        assert_eq!(header(&bare, "x-content-type-options"), "nosniff");
        assert_eq!(header(&bare, "cross-origin-resource-policy"), "cross-origin");
        assert!(bare.headers().get("set-cookie").is_none() && bare.headers().get("content-security-policy").is_none());
        let etag = header(&bare, "etag").to_owned();
        let body = bare.text().await.expect("body");
        assert!(body.len() < 10 * 1024, "{path} is {} bytes", body.len());

        let versioned = app.get(&format!("{path}?v={}", *VERSION)).await;
        assert_eq!(header(&versioned, "cache-control"), "public, max-age=31536000, immutable", "{path}");
        assert_eq!(versioned.text().await.expect("body"), body);
        let stale = app.get(&format!("{path}?v=0000")).await;
        assert_eq!(header(&stale, "cache-control"), "public, max-age=300", "an old version is not pinned for a year");

        let revalidated = app.client.get(format!("{}{path}", app.address)).header("if-none-match", &etag).send().await.expect("request");
        assert_eq!(revalidated.status(), 304, "{path}");
        let head = app.client.head(format!("{}{path}", app.address)).send().await.expect("request");
        assert_eq!(head.status(), 200, "{path}: HEAD answers like GET");
        assert!(head.text().await.expect("body").is_empty());
    }
    let script = app.get("/widget.js").await.text().await.expect("script");
    assert!(script.contains(&format!("\"{}\"", *VERSION)), "the script asks for the stylesheet of its version");
}

/// Mints through the fragment endpoint and returns its HTML.
async fn fragment(app: &TestApp, query: &str) -> Response {
    app.client.get(format!("{}/api/v1/shares/buttons?{query}", app.address)).bearer_auth(TOKEN).send().await.expect("request")
}

#[tokio::test]
async fn the_fragment_has_a_link_per_share_url_a_copy_button_per_app_without_and_a_hidden_share_sheet() {
    let app = spawn_app().await;
    let query = "url=https%3A%2F%2Fexample.com%2Fpost&title=Tea%20%26%20cake&channels=whatsapp,email,slack,wechat,native";

    let response = fragment(&app, query).await;

    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("text/html"));
    let html = response.text().await.expect("html");
    let minted = app.mint_ok(json!({"url": "https://example.com/post", "title": "Tea & cake", "channels": ["whatsapp", "email", "slack", "wechat", "native"]})).await;
    let link = |channel: &str| minted["links"].as_array().expect("links").iter().find(|l| l["channel"] == channel).expect("link").clone();
    let text = |value: &Value, field: &str| value[field].as_str().expect("field").to_owned();
    let (whatsapp, email, slack, wechat, native) = (link("whatsapp"), link("email"), link("slack"), link("wechat"), link("native"));
    assert!(html.contains(&format!("<link rel=\"stylesheet\" href=\"{}/widget.css?v={}\">", app.address, *VERSION)));
    assert!(html.contains(&format!("<a class=\"st-btn\" data-st-channel=\"whatsapp\" href=\"{}\" target=\"_blank\" rel=\"noopener\">", text(&whatsapp, "intent_url"))), "{html}");
    assert!(html.contains(&format!("data-st-channel=\"email\" href=\"{}\">", text(&email, "intent_url"))), "mailto: opens an app, not a tab: {html}");
    assert!(html.contains(&format!(
        "<form class=\"st-form\" method=\"get\" action=\"{0}\"><button type=\"submit\" class=\"st-btn\" data-st-channel=\"slack\" data-st-copy=\"{1}\" data-st-intent=\"{0}\">",
        text(&slack, "intent_url"),
        text(&slack, "short_url")
    )), "{html}");
    assert!(html.contains(&format!("data-st-qr=\"{}\"", text(&wechat, "qr_url"))));
    assert!(html.contains(&format!("<li class=\"st-item\" hidden><button type=\"button\" class=\"st-btn\" data-st-channel=\"native\" data-st-native=\"{}\"", text(&native, "short_url"))));
    assert!(html.contains("data-st-title=\"Tea &#38; cake\""), "escaped: {html}");
    assert_eq!(html.matches("<svg class=\"st-icon\"").count(), 5, "an icon per button");
    assert_eq!(html.matches("<span class=\"st-label\">").count(), 5);
    assert!(html.contains("<p class=\"st-status\" role=\"status\"></p>"));
}

#[tokio::test]
async fn the_fragment_escapes_titles_and_uses_the_default_channels_without_a_list() {
    let app = spawn_app().await;
    let html = fragment(&app, "url=https%3A%2F%2Fexample.com%2Fx&title=%3Cscript%3Ealert(1)%3C%2Fscript%3E&channels=").await.text().await.expect("html");
    assert!(!html.contains("<script>"), "{html}");
    for channel in ["whatsapp", "email", "slack", "sms", "telegram", "copy"] {
        assert!(html.contains(&format!("data-st-channel=\"{channel}\"")), "{channel} is a default channel");
    }
}

#[tokio::test]
async fn the_fragment_needs_a_token_an_allowed_host_and_a_url() {
    let app = spawn_app().await;
    let anonymous = app.get("/api/v1/shares/buttons?url=https%3A%2F%2Fexample.com%2F").await;
    assert_eq!(anonymous.status(), 401);
    let foreign = fragment(&app, "url=https%3A%2F%2Fevil.example.net%2F").await;
    assert_eq!(foreign.status(), 422);
    assert_eq!(error_code(foreign).await, "host_not_allowed");
    let missing = fragment(&app, "title=x").await;
    assert_eq!(missing.status(), 400);
    assert_eq!(error_code(missing).await, "invalid_query");
    let unknown = fragment(&app, "url=https%3A%2F%2Fexample.com%2F&channels=myspace").await;
    assert_eq!(error_code(unknown).await, "unknown_channel");
}

#[tokio::test]
async fn the_links_page_hands_out_the_snippet_with_the_versioned_script_and_says_whether_the_widget_is_on() {
    let off = spawn_app().await;
    let page = crate::admin_client::AdminClient::logged_in(&off).await.get("/admin/links").await.text().await.expect("page");
    assert!(page.contains("The widget is off"), "no origins configured");
    let on = spawn_app_with(|env| {
        env.insert("SHARETRAIL_WIDGET_ORIGINS".into(), "https://blog.example.com".into());
    })
    .await;
    let page = crate::admin_client::AdminClient::logged_in(&on).await.get("/admin/links").await.text().await.expect("page");
    assert!(page.contains("Pages on https://blog.example.com can show share buttons"), "{page}");
    let snippet = format!(
        "&#60;div data-sharetrail data-channels=\"whatsapp,email,slack,sms,telegram,copy\"&#62;&#60;/div&#62;\n&#60;script src=\"{}/widget.js?v={}\" async&#62;&#60;/script&#62;",
        on.address, *VERSION
    );
    assert!(page.contains(&snippet), "{page}");
}
