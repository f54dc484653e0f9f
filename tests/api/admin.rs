//! The admin UI over HTTP: login and sessions, CSRF, rate limiting, security headers,
//! API tokens. (tests/api/browser.rs drives the same pages in a real browser.)

use crate::admin_client::*;
use crate::helpers::*;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn admin_pages_without_a_session_redirect_to_the_login_page() {
    let app = spawn_app().await;
    let mut visitor = AdminClient::new(&app);
    for (path, next) in [("/admin", "%2Fadmin"), ("/admin/tokens", "%2Fadmin%2Ftokens"), ("/admin/tokens?revoked=1", "%2Fadmin%2Ftokens%3Frevoked%3D1")] {
        let response = visitor.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), format!("/admin/login?next={next}"), "{path}");
    }
    visitor.cookies.insert("st_admin".into(), "ab".repeat(32));
    assert_eq!(visitor.get("/admin").await.status(), 303, "a made-up session id is no session");
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_401_and_says_so() {
    let app = spawn_app().await;
    let mut visitor = AdminClient::new(&app);
    for (user, password) in [("admin", "wrong"), ("root", ADMIN_PASSWORD), ("admin", "")] {
        let response = visitor.login(user, password).await;
        assert_eq!(response.status(), 401, "{user}/{password}");
        assert!(set_cookie(&response, "st_admin").is_none());
        assert!(response.text().await.expect("body").contains("Wrong user name or password."));
    }
}

#[tokio::test]
async fn a_correct_login_goes_to_next_but_never_off_site() {
    let app = spawn_app().await;
    for (next, expected) in [("/admin/tokens", "/admin/tokens"), ("//evil.example/admin", "/admin"), ("https://evil.example", "/admin"), ("/\\evil.example", "/admin")] {
        let mut admin = AdminClient::new(&app);
        let token = admin.login_token().await;
        let response = admin.post("/admin/login", &[("username", "admin"), ("password", ADMIN_PASSWORD), ("login_csrf", &token), ("next", next)]).await;
        assert_eq!(response.status(), 303, "{next}");
        assert_eq!(location(&response), expected, "{next}");
    }
}

#[tokio::test]
async fn cookies_are_httponly_strict_and_scoped_to_admin_without_secure_over_http() {
    let app = spawn_app().await;
    let mut admin = AdminClient::new(&app);
    let login_page = admin.get("/admin/login").await;
    let pre_session = set_cookie(&login_page, "st_admin_login").expect("login form cookie");
    let token = hidden_value(&login_page.text().await.expect("body"), "login_csrf").expect("token");
    let response = admin.post("/admin/login", &[("username", "admin"), ("password", ADMIN_PASSWORD), ("login_csrf", &token)]).await;
    let session = set_cookie(&response, "st_admin").expect("session cookie");
    for cookie in [&pre_session, &session] {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("Path=/admin"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    }
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_PUBLIC_URL".into(), "https://s.example.com".into());
    })
    .await;
    let mut admin = AdminClient::new(&app);
    let token = admin.login_token().await;
    let response = admin.post("/admin/login", &[("username", "admin"), ("password", ADMIN_PASSWORD), ("login_csrf", &token)]).await;
    let session = set_cookie(&response, "st_admin").expect("session cookie");
    assert!(session.contains("Secure") && session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
}

#[tokio::test]
async fn login_always_starts_a_new_session_and_ends_the_one_presented() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let first = admin.session().expect("session").to_owned();
    let response = admin.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let second = admin.session().expect("session").to_owned();
    assert_ne!(first, second, "a new id at login (no fixation)");
    assert_eq!(admin.get("/admin").await.status(), 200);
    let mut stale = AdminClient::new(&app);
    stale.cookies.insert("st_admin".into(), first);
    assert_eq!(stale.get("/admin").await.status(), 303, "the id presented at login is gone");
}

#[tokio::test]
async fn a_session_id_chosen_by_an_attacker_is_not_adopted_at_login() {
    let app = spawn_app().await;
    let planted = "cd".repeat(32);
    let mut victim = AdminClient::new(&app);
    victim.cookies.insert("st_admin".into(), planted.clone());
    assert_eq!(victim.login("admin", ADMIN_PASSWORD).await.status(), 303);
    assert_ne!(victim.session(), Some(planted.as_str()));
    let mut attacker = AdminClient::new(&app);
    attacker.cookies.insert("st_admin".into(), planted);
    assert_eq!(attacker.get("/admin").await.status(), 303);
}

#[tokio::test]
async fn logout_deletes_the_session_server_side() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let old = admin.session().expect("session").to_owned();
    let csrf = admin.csrf().await;
    let response = admin.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/admin/login?logged_out=1");
    assert!(admin.session().is_none(), "the browser is told to forget the cookie");
    let mut replay = AdminClient::new(&app);
    replay.cookies.insert("st_admin".into(), old);
    assert_eq!(replay.get("/admin/tokens").await.status(), 303, "the old cookie no longer works");
    assert!(app.keys().await.iter().all(|k| !k.contains("admin:session")), "no session left in Redis");
}

#[tokio::test]
async fn sessions_are_stored_under_a_digest_with_a_ttl() {
    let app = spawn_app().await;
    let admin = AdminClient::logged_in(&app).await;
    let id = admin.session().expect("session");
    let key = format!("{}admin:session:{}", app.prefix, hex::encode(Sha256::digest(id.as_bytes())));
    let mut conn = app.redis().await;
    let ttl: i64 = redis::cmd("TTL").arg(&key).query_async(&mut conn).await.expect("ttl");
    assert!(ttl > 11 * 3600 && ttl <= 12 * 3600, "ttl {ttl}");
    assert!(app.keys().await.iter().all(|k| !k.contains(id)), "the id itself is not in Redis");
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused_with_403() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let digest = "0".repeat(64);
    let revoke = format!("/admin/tokens/{digest}/revoke");
    for (path, form) in [
        ("/admin/tokens", vec![("label", "CMS")]),
        ("/admin/tokens", vec![("label", "CMS"), ("csrf", "forged")]),
        ("/admin/logout", vec![]),
        ("/admin/logout", vec![("csrf", "")]),
        (revoke.as_str(), vec![("csrf", "forged")]),
    ] {
        let response = admin.post(path, &form).await;
        assert_eq!(response.status(), 403, "{path} {form:?}");
        assert!(response.text().await.expect("body").contains("This form has expired"));
    }
    assert_eq!(admin.get("/admin").await.status(), 200, "the session survives a refused logout");
    assert!(!app.keys().await.iter().any(|k| k.ends_with("tokens")), "no token was created");
}

#[tokio::test]
async fn a_login_without_the_pre_session_token_is_refused_with_403() {
    let app = spawn_app().await;
    let mut visitor = AdminClient::new(&app);
    let form = [("username", "admin"), ("password", ADMIN_PASSWORD)];
    assert_eq!(visitor.post("/admin/login", &form).await.status(), 403, "no token, no cookie");
    let token = visitor.login_token().await;
    let forged = [("username", "admin"), ("password", ADMIN_PASSWORD), ("login_csrf", "f00d")];
    assert_eq!(visitor.post("/admin/login", &forged).await.status(), 403, "token does not match the cookie");
    visitor.cookies.remove("st_admin_login");
    let no_cookie = [("username", "admin"), ("password", ADMIN_PASSWORD), ("login_csrf", token.as_str())];
    assert_eq!(visitor.post("/admin/login", &no_cookie).await.status(), 403, "cross-site: no cookie");
}

#[tokio::test]
async fn failed_logins_are_limited_per_client_without_storing_its_address() {
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await;
    let mut guesser = AdminClient::new(&app);
    guesser.forwarded_for = Some("203.0.113.7".into());
    for attempt in 1..=10 {
        assert_eq!(guesser.login("admin", &format!("guess-{attempt}")).await.status(), 401, "attempt {attempt}");
    }
    let blocked = guesser.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(blocked.status(), 429, "even the right password, once blocked");
    assert!(blocked.headers().contains_key("retry-after"));
    assert!(blocked.text().await.expect("body").contains("Too many failed logins"));
    let mut other = AdminClient::new(&app);
    other.forwarded_for = Some("198.51.100.20".into());
    assert_eq!(other.login("admin", ADMIN_PASSWORD).await.status(), 303, "another client is not blocked");
    let keys = app.keys().await;
    assert!(keys.iter().any(|k| k.contains("admin:login-failures:")));
    assert!(keys.iter().all(|k| !k.contains("203.0.113.7") && !k.contains("198.51.100.20")), "{keys:?}");
}

#[tokio::test]
async fn every_admin_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let mut admin = AdminClient::new(&app);
    let mut responses = vec![admin.get("/admin/login").await, admin.get("/admin").await, admin.get("/admin/nope").await];
    let mut admin = AdminClient::logged_in(&app).await;
    for path in ["/admin", "/admin/tokens", "/admin/static/admin.css", "/admin/static/admin.js", "/admin/tokens/zz/nothing"] {
        responses.push(admin.get(path).await);
    }
    responses.push(admin.create_token("CMS").await);
    for response in responses {
        let url = response.url().path().to_owned();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{url}: {csp}");
        assert_eq!(header("x-frame-options"), "DENY", "{url}");
        assert_eq!(header("referrer-policy"), "same-origin", "{url}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{url}");
        let cache = header("cache-control");
        if url.starts_with("/admin/static/") {
            assert!(cache.contains("immutable"), "{url}: {cache}");
        } else {
            assert_eq!(cache, "no-store", "{url}");
        }
    }
}

#[tokio::test]
async fn admin_errors_are_pages_with_the_right_status() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let response = admin.get("/admin/nope").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
    assert!(response.text().await.expect("body").contains("Not found"));
    assert_eq!(admin.get("/admin/static/other.css").await.status(), 404);
}

#[tokio::test]
async fn without_a_password_the_admin_ui_says_it_is_disabled() {
    let app = spawn_app_with(|env| {
        env.remove("SHARETRAIL_ADMIN_PASSWORD");
    })
    .await;
    let mut visitor = AdminClient::new(&app);
    for path in ["/admin", "/admin/login", "/admin/tokens"] {
        let response = visitor.get(path).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        let body = response.text().await.expect("body");
        assert!(body.contains("disabled") && body.contains("SHARETRAIL_ADMIN_PASSWORD"), "{path}");
    }
    assert_eq!(visitor.post("/admin/login", &[("username", "admin"), ("password", "")]).await.status(), 403);
    assert_eq!(visitor.get("/admin/static/admin.css").await.status(), 200, "the page is still styled");
}

#[tokio::test]
async fn an_argon2_hash_in_the_settings_lets_the_admin_log_in() {
    let hash = sharetrail::domain::password::hash("hashed secret").expect("hash");
    let app = spawn_app_with(|env| {
        env.remove("SHARETRAIL_ADMIN_PASSWORD");
        env.insert("SHARETRAIL_ADMIN_PASSWORD_HASH".into(), hash);
    })
    .await;
    let mut admin = AdminClient::new(&app);
    assert_eq!(admin.login("admin", "hashed secret").await.status(), 303);
    assert_eq!(AdminClient::new(&app).login("admin", "hashed").await.status(), 401);
}

#[tokio::test]
async fn the_bootstrap_token_still_works() {
    let app = spawn_app().await;
    assert_eq!(api_status(&app, TOKEN).await, 404);
    assert_eq!(api_status(&app, "test-token-012345678").await, 401);
}

#[tokio::test]
async fn a_created_token_is_shown_once_stored_hashed_and_works_until_revoked() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let token = admin.new_token("Blog CMS").await;
    assert_eq!(api_status(&app, &token).await, 404, "the new token is accepted");

    let listing = admin.get("/admin/tokens").await.text().await.expect("body");
    assert!(listing.contains("Blog CMS") && listing.contains(&token[token.len() - 4..]));
    assert!(!listing.contains(&token), "shown once only");

    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    let mut conn = app.redis().await;
    let stored: std::collections::HashMap<String, String> =
        redis::cmd("HGETALL").arg(format!("{}tokens", app.prefix)).query_async(&mut conn).await.expect("hgetall");
    assert_eq!(stored.keys().collect::<Vec<_>>(), vec![&digest]);
    assert!(stored.values().all(|v| !v.contains(&token)), "only the digest is stored");

    let csrf = admin.csrf().await;
    let response = admin.post(&format!("/admin/tokens/{digest}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/admin/tokens?revoked=1");
    assert_eq!(api_status(&app, &token).await, 401, "refused at once");
    assert_eq!(api_status(&app, TOKEN).await, 404, "the bootstrap token is untouched");
}

#[tokio::test]
async fn a_token_revoked_on_one_instance_is_refused_by_another_at_once() {
    let app = spawn_app().await;
    let other = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_PREFIX".into(), app.prefix.clone());
    })
    .await;
    let mut admin = AdminClient::logged_in(&app).await;
    let token = admin.new_token("shared").await;
    assert_eq!(api_status(&other, &token).await, 404);
    let csrf = admin.csrf().await;
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    admin.post(&format!("/admin/tokens/{digest}/revoke"), &[("csrf", &csrf)]).await;
    assert_eq!(api_status(&other, &token).await, 401);
}

#[tokio::test]
async fn token_labels_are_escaped_and_checked() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let label = r#"<script>alert(1)</script>" onmouseover="x"#;
    admin.new_token(label).await;
    let page = admin.get("/admin/tokens").await.text().await.expect("body");
    let escaped = ["&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;script&#62;alert(1)&#60;/script&#62;"];
    assert!(escaped.iter().any(|e| page.contains(e)), "{page}");
    assert!(!page.contains("<script>alert") && !page.contains("\" onmouseover"));
    for bad in ["", "   ", &"x".repeat(81)] {
        let response = admin.create_token(bad).await;
        assert_eq!(response.status(), 400, "{bad:?}");
        let body = response.text().await.expect("body");
        assert!(body.contains("aria-invalid=\"true\"") && shown_token(&body).is_none());
    }
}

#[tokio::test]
async fn the_tokens_page_has_an_empty_state() {
    let app = spawn_app().await;
    let mut admin = AdminClient::logged_in(&app).await;
    let page = admin.get("/admin/tokens").await.text().await.expect("body");
    assert!(page.contains("No tokens yet"));
    assert!(page.contains("<title>API tokens · sharetrail admin</title>"));
    assert!(page.contains("aria-current=\"page\">API tokens"));
}
