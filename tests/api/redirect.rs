//! `GET /{code}`: status, target with UTM tags, caching headers, HEAD, dead codes.

use crate::helpers::*;
use serde_json::json;
use sharetrail::domain::ShortCode;
use std::collections::BTreeMap;
use std::time::Duration;

#[tokio::test]
async fn a_short_link_redirects_with_302_utm_tags_and_no_store() {
    let app = spawn_app().await;
    let body = app.mint_ok(json!({"url": "https://example.com/post?id=7", "channels": ["whatsapp", "x"], "campaign": "launch"})).await;
    let response = app.get(&format!("/{}", body["links"][0]["code"].as_str().expect("code"))).await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "https://example.com/post?id=7&utm_source=whatsapp&utm_medium=dark-social&utm_campaign=launch"
    );
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer-when-downgrade");
    let public = app.get(&format!("/{}", body["links"][1]["code"].as_str().expect("code"))).await;
    assert_eq!(public.headers()["location"], "https://example.com/post?id=7&utm_source=x&utm_medium=social&utm_campaign=launch");
}

#[tokio::test]
async fn utm_tags_already_on_the_page_are_never_overwritten() {
    let app = spawn_app().await;
    let code = app.mint_code("https://example.com/p?utm_source=newsletter&utm_medium=email", "sms").await;
    let response = app.get(&format!("/{code}")).await;
    assert_eq!(response.headers()["location"], "https://example.com/p?utm_source=newsletter&utm_medium=email");
}

#[tokio::test]
async fn utm_tagging_can_be_turned_off_and_mediums_configured() {
    let off = spawn_app_with(|env| {
        env.insert("SHARETRAIL_UTM_ENABLED".into(), "false".into());
    })
    .await;
    let code = off.mint_code("https://example.com/p", "sms").await;
    assert_eq!(off.get(&format!("/{code}")).await.headers()["location"], "https://example.com/p");
    let custom = spawn_app_with(|env| {
        env.insert("SHARETRAIL_UTM_MEDIUM_PRIVATE".into(), "dark".into());
    })
    .await;
    let code = custom.mint_code("https://example.com/p", "sms").await;
    assert_eq!(custom.get(&format!("/{code}")).await.headers()["location"], "https://example.com/p?utm_source=sms&utm_medium=dark");
}

#[tokio::test]
async fn head_answers_like_get() {
    let app = spawn_app().await;
    let code = app.mint_code("https://example.com/h", "email").await;
    let response = app.client.head(format!("{}/{code}", app.address)).send().await.expect("request");
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "https://example.com/h?utm_source=email&utm_medium=dark-social");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
}

#[tokio::test]
async fn an_unknown_code_is_an_html_404_page() {
    let app = spawn_app().await;
    let response = app.get("/zzzzzzzz").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
    assert!(response.text().await.expect("body").contains("Not found"));
}

#[tokio::test]
async fn malformed_codes_are_404_without_touching_redis() {
    let (app, own) = app_on_own_redis().await;
    let mut conn = own.connection().await;
    let before = reads_of_missing_keys(&mut conn).await;
    for path in ["/abc", "/0OlI0OlI", "/abcd-efg", &format!("/{}", "a".repeat(33)), "/%F0%9F%8E%89%F0%9F%8E%89%F0%9F%8E%89"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let after = reads_of_missing_keys(&mut conn).await;
    assert_eq!(after - before, 0, "no lookups for malformed codes");
}

/// A redis-server of the test's own, stopped when dropped.
struct OwnRedis {
    child: std::process::Child,
    url: String,
}

impl OwnRedis {
    async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis")
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An app on a Redis of its own: on the shared one, the commands of the tests running
/// alongside would be counted too.
async fn app_on_own_redis() -> (TestApp, OwnRedis) {
    app_on_own_redis_with(|_| {}).await
}

/// [`app_on_own_redis`] after letting the test change the app's environment.
async fn app_on_own_redis_with(adjust: impl FnOnce(&mut BTreeMap<String, String>)) -> (TestApp, OwnRedis) {
    let (child, port) = spawn_redis_on_free_port();
    let url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), url.clone());
        adjust(env);
    })
    .await;
    (app, OwnRedis { child, url })
}

#[tokio::test]
async fn unknown_codes_are_remembered_so_guessing_costs_redis_one_read_per_code() {
    let (app, own) = app_on_own_redis().await;
    let mut conn = own.connection().await;
    let before = reads_of_missing_keys(&mut conn).await;
    for _ in 0..20 {
        assert_eq!(app.get("/zzzzzzzz").await.status(), 404);
    }
    let after = reads_of_missing_keys(&mut conn).await;
    assert_eq!(after - before, 1, "one read of the code's key");
}

/// The headers a client sees of a redirect, and its status.
fn answer(response: &reqwest::Response) -> (u16, Vec<(String, String)>) {
    let mut headers: Vec<(String, String)> = (response.headers().iter())
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "content-length"))
        .map(|(name, value)| (name.to_string(), value.to_str().expect("ascii").to_owned()))
        .collect();
    headers.sort();
    (response.status().as_u16(), headers)
}

#[tokio::test]
async fn taps_after_the_first_answered_before_the_router_are_the_same_redirect_and_each_a_click() {
    let app = spawn_app().await;
    let minted = app.mint_ok(json!({"url": "https://example.com/again", "channels": ["whatsapp"]})).await;
    let code = minted["links"][0]["code"].as_str().expect("code");
    // The first tap goes through the router; the link is then cached and known to be routed.
    let first = answer(&app.tap(code, PHONE, &[]).await);
    assert_eq!(first.0, 302);
    for _ in 0..3 {
        assert_eq!(answer(&app.tap(code, PHONE, &[]).await), first);
    }
    let qr = app.get(&format!("/{code}?s=qr")).await;
    assert_eq!(answer(&qr), first);
    let head = app.client.head(format!("{}/{code}", app.address)).send().await.expect("head");
    assert_eq!(answer(&head), first, "HEAD answers alike and records nothing");
    app.flush().await;
    let content = minted["content"]["id"].as_str().expect("content");
    let clicks = app.recent_clicks(content).await;
    let mut sources: Vec<&str> = clicks.iter().map(|c| c["source"].as_str()).collect();
    sources.sort_unstable();
    assert_eq!(sources, ["link", "link", "link", "link", "qr"]);
    // Disabled, it is the router's 410 at once, not the cached redirect.
    assert_eq!(app.patch_link(code, json!({"enabled": false})).await.status(), 200);
    assert_eq!(app.tap(code, PHONE, &[]).await.status(), 410);
}

#[tokio::test]
async fn a_code_that_is_also_a_route_s_path_never_takes_that_route() {
    let app = spawn_app().await;
    let content = app.mint_ok(json!({"url": "https://example.com/route-names", "channels": ["sms"]})).await["content"]["id"]
        .as_str()
        .expect("content")
        .to_owned();
    let mut conn = app.redis().await;
    for name in ["readyz", "metrics"] {
        // Minted long ago, or by a deployment with short codes: both are valid codes.
        let code = sharetrail::domain::ShortCode::parse(name).expect("a valid code");
        let link = sharetrail::domain::Link {
            code: code.clone(),
            content_id: sharetrail::domain::ContentId::parse(&content).expect("id"),
            channel: "sms".into(),
            campaign: None,
            target: sharetrail::domain::TargetUrl::parse("https://example.com/route-names").expect("url"),
            created_ms: 1,
            enabled: true,
        };
        let key = app.keys_builder().link(&code);
        let () = redis::cmd("SET").arg(&key).arg(sharetrail::store::link_record::pack(&link)).query_async(&mut conn).await.expect("set");
        // Cached through its share route, which resolves it like a redirect does (and
        // sends the reader on to the SMS app).
        assert_eq!(app.get(&format!("/share/{name}")).await.status(), 302, "{name}");
    }
    for _ in 0..3 {
        assert_eq!(app.get("/readyz").await.status(), 200, "readiness, not the link");
        assert_eq!(app.get("/metrics").await.status(), 404, "the metrics route (off without its token), not the link");
    }
}

#[tokio::test]
async fn a_link_in_use_past_its_cache_ttl_never_waits_for_redis_and_is_read_again_behind_the_redirect() {
    let (app, own) = app_on_own_redis_with(|env| {
        env.insert("SHARETRAIL_CACHE_TTL_SECONDS".into(), "2".into());
    })
    .await;
    let code = app.mint_code("https://example.com/steady", "whatsapp").await;
    assert_eq!(app.tap(&code, PHONE, &[]).await.status(), 302);
    // Gone from Redis behind the app's back (no announcement): only a read can tell.
    let mut conn = own.connection().await;
    let key = app.keys_builder().link(&ShortCode::parse(&code).expect("code"));
    let _: () = redis::cmd("DEL").arg(&key).query_async(&mut conn).await.expect("del");
    // The cached link's TTL has to pass on the clock; nothing else is waited for here.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Every command waits for the pause to end: a tap that read Redis would time out.
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(1000).arg("ALL").query_async(&mut conn).await.expect("pause");
    let tap = app.client.get(format!("{}/{code}", app.address)).header("user-agent", PHONE).timeout(Duration::from_millis(1000)).send().await;
    let status = tap.expect("answered while Redis is paused: the stale link, not a read of Redis").status();
    assert_eq!(status, 302, "the link as cached");
    // Answered once the pause is over (still within the link's grace of one more TTL; a
    // command sent during the pause times out on the client's side). The read that the tap
    // started then finds the key gone, and later taps see it.
    let over = async { while redis::cmd("PING").query_async::<()>(&mut conn).await.is_err() {} };
    tokio::time::timeout(Duration::from_secs(10), over).await.expect("the pause ends");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = app.tap(&code, PHONE, &[]).await.status();
        if status == 404 {
            break;
        }
        assert_eq!(status, 302);
        assert!(std::time::Instant::now() < deadline, "the background read never replaced the stale link");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
