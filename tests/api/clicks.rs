//! Click recording through real redirects: kind, device, place, shares, forwards, visitors.

use crate::helpers::*;
use serde_json::json;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36";
const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36";
const INSTAGRAM: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 334.0.0.28.90 (iPhone15,2; iOS 17_5; en_US; en; scale=3.00; 1179x2556; 606488431)";
const FACEBOOK_ANDROID: &str = "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/467.0.0.46.83;]";
const SLACK_DESKTOP: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.38.125 Chrome/124.0.6367.243 Electron/30.0.0 Safari/537.36 Sonic Slack_SSB/4.38.125";
const SLACKBOT: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
const WHATSAPP_PREVIEW: &str = "WhatsApp/2.23.20.0 A";
const IMESSAGE: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// An app that believes X-Forwarded-For from loopback, so tests can pose as any address.
async fn app_behind_proxy() -> TestApp {
    spawn_app_with(|env| {
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1,::1".into());
    })
    .await
}

async fn mint(app: &TestApp, channel: &str) -> (String, String) {
    let body = app.mint_ok(json!({"url": format!("https://example.com/{channel}-post"), "channels": [channel]})).await;
    (body["content"]["id"].as_str().expect("id").to_owned(), body["links"][0]["code"].as_str().expect("code").to_owned())
}

#[tokio::test]
async fn each_kind_of_client_is_recorded_with_device_place_and_kind() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "whatsapp").await;
    // (user agent, address, kind, platform, device, in-app, country, city)
    type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str);
    let table: &[Row] = &[
        (IPHONE, "192.0.2.10", "person", "", "smartphone", "", "GB", "London"),
        (ANDROID, "198.51.100.20", "person", "", "smartphone", "", "DE", "Berlin"),
        (WINDOWS, "203.0.113.30", "person", "", "pc", "", "US", "New York"),
        (INSTAGRAM, "100.64.1.1", "person", "", "smartphone", "instagram", "BR", "São Paulo"),
        (FACEBOOK_ANDROID, "10.1.2.3", "person", "", "smartphone", "facebook", "CH", ""),
        (SLACK_DESKTOP, "2001:db8::5", "person", "", "pc", "slack", "FR", "Paris"),
        (WHATSAPP_PREVIEW, "192.0.2.11", "preview", "whatsapp", "crawler", "", "GB", "London"),
        (IMESSAGE, "192.0.2.12", "preview", "imessage", "crawler", "", "GB", "London"),
        (GOOGLEBOT, "192.0.2.13", "bot", "", "crawler", "", "GB", "London"),
        ("", "192.0.2.14", "bot", "", "crawler", "", "GB", "London"),
    ];
    for (ua, ip, ..) in table {
        assert_eq!(app.tap(&code, ua, &[("x-forwarded-for", ip)]).await.status(), 302, "{ua}");
    }
    app.flush().await;
    let clicks = app.recent_clicks(&content).await;
    assert_eq!(clicks.len(), table.len());
    for (click, (ua, _, kind, platform, device, in_app, country, city)) in clicks.iter().zip(table) {
        let got = |f: &str| click.get(f).map(String::as_str).unwrap_or_default();
        assert_eq!(
            (got("kind"), got("platform"), got("device"), got("in_app"), got("country"), got("city")),
            (*kind, *platform, *device, *in_app, *country, *city),
            "{ua}"
        );
        assert_eq!(got("channel"), "whatsapp");
        assert_eq!(got("code"), code);
        assert_eq!(got("source"), "link");
    }
    let day = app.content_today(&content).await;
    assert_eq!(day.get("clicks:whatsapp"), Some(&6), "people only: {day:?}");
    assert_eq!(day.get("bots:whatsapp"), Some(&2));
    assert_eq!(day.get("shares:whatsapp"), Some(&2), "one share per previewing platform");
    assert_eq!(day.get("dev:smartphone"), Some(&4));
    assert_eq!(day.get("cc:GB"), Some(&1), "previews and bots are not in the place counts");
    assert_eq!(day.get("app:instagram"), Some(&1));
}

#[tokio::test]
async fn a_burst_of_previews_by_one_platform_is_one_share() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "slack").await;
    for _ in 0..5 {
        app.tap(&code, SLACKBOT, &[]).await;
    }
    app.tap(&code, "Slack-ImgProxy (+https://api.slack.com/robots)", &[]).await;
    app.flush().await;
    let day = app.content_today(&content).await;
    assert_eq!(day.get("shares:slack"), Some(&1), "{day:?}");
    assert_eq!(day.get("pv:slack"), Some(&1));
    assert_eq!(day.get("clicks:slack"), None, "previews are never clicks");
    assert_eq!(app.recent_clicks(&content).await.len(), 6, "every fetch stays visible in the raw clicks");
}

#[tokio::test]
async fn a_writer_leaves_out_previews_in_a_window_it_opened_and_redis_judges_the_others() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "slack").await;
    app.tap(&code, SLACKBOT, &[]).await;
    app.flush().await;
    // The window's key goes behind the writer's back. A writer that asked Redis would now
    // count a second share; this one knows the window it opened is open, and asks nothing.
    let id = sharetrail::domain::ContentId::parse(&content).expect("id");
    let code_of = sharetrail::domain::ShortCode::parse(&code).expect("code");
    let window = app.keys_builder().content_preview_seen(&id, &code_of, "slack");
    let deleted: i64 = redis::cmd("DEL").arg(&window).query_async(&mut app.redis().await).await.expect("del");
    assert_eq!(deleted, 1, "the first preview opened {window}");
    app.tap(&code, SLACKBOT, &[]).await;
    app.flush().await;
    assert_eq!(app.content_today(&content).await.get("shares:slack"), Some(&1));
    // Another instance has not seen the window, so Redis decides, and finds it closed.
    let other = app.sibling().await;
    other.tap(&code, SLACKBOT, &[]).await;
    other.flush().await;
    let day = app.content_today(&content).await;
    assert_eq!((day.get("shares:slack"), day.get("pv:slack")), (Some(&2), Some(&2)), "{day:?}");
    assert_eq!(app.recent_clicks(&content).await.len(), 3, "every fetch is a raw click");
}

#[tokio::test]
async fn a_preview_by_another_platform_is_a_forward() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "whatsapp").await;
    app.tap(&code, WHATSAPP_PREVIEW, &[]).await;
    app.tap(&code, SLACKBOT, &[]).await;
    app.tap(&code, SLACKBOT, &[]).await;
    app.flush().await;
    let day = app.content_today(&content).await;
    assert_eq!(day.get("fwd:whatsapp>slack"), Some(&1), "{day:?}");
    assert_eq!(day.get("fwd:whatsapp>whatsapp"), None);
    assert_eq!(day.get("shares:whatsapp"), Some(&2));
}

#[tokio::test]
async fn imessage_unfurling_an_sms_link_is_a_share_not_a_forward() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "sms").await;
    app.tap(&code, IMESSAGE, &[]).await;
    app.flush().await;
    let day = app.content_today(&content).await;
    assert_eq!(day.get("shares:sms"), Some(&1));
    assert!(!day.keys().any(|k| k.starts_with("fwd:")), "{day:?}");
}

#[tokio::test]
async fn unique_visitors_count_distinct_address_and_agent_pairs() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "email").await;
    for (ua, ip) in [(IPHONE, "192.0.2.1"), (IPHONE, "192.0.2.1"), (IPHONE, "192.0.2.2"), (ANDROID, "192.0.2.1"), (ANDROID, "192.0.2.1")] {
        app.tap(&code, ua, &[("x-forwarded-for", ip)]).await;
    }
    app.flush().await;
    let id = sharetrail::domain::ContentId::parse(&content).expect("id");
    let day = sharetrail::domain::click::day_of(sharetrail::domain::click::now_ms());
    let mut conn = app.redis().await;
    let unique: i64 = redis::cmd("PFCOUNT").arg(app.keys_builder().content_visitors(&id, &day, "email")).query_async(&mut conn).await.expect("pfcount");
    assert_eq!(unique, 3);
    let site: i64 = redis::cmd("PFCOUNT").arg(app.keys_builder().site_visitors(&day, "email")).query_async(&mut conn).await.expect("pfcount");
    assert_eq!(site, 3);
    assert_eq!(app.content_today(&content).await.get("clicks:email"), Some(&5));
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let untrusting = spawn_app().await;
    let (content, code) = mint(&untrusting, "sms").await;
    untrusting.tap(&code, IPHONE, &[("x-forwarded-for", "192.0.2.1")]).await;
    untrusting.flush().await;
    // The socket peer, 127.0.0.1, is in the test database as NL/Amsterdam.
    assert_eq!(untrusting.recent_clicks(&content).await[0]["country"], "NL");

    let trusting = app_behind_proxy().await;
    let (content, code) = mint(&trusting, "sms").await;
    trusting.tap(&code, IPHONE, &[("x-forwarded-for", "203.0.113.5, 192.0.2.1")]).await;
    trusting.tap(&code, IPHONE, &[("forwarded", "for=\"[2001:db8:1::9]:443\"")]).await;
    trusting.flush().await;
    let clicks = trusting.recent_clicks(&content).await;
    assert_eq!(clicks[0]["country"], "GB", "right-most untrusted hop");
    assert_eq!(clicks[1]["country"], "JP", "IPv6 from Forwarded");
}

#[tokio::test]
async fn an_ipv6_client_is_recorded() {
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_LISTEN".into(), "[::1]:0".into());
    })
    .await;
    assert!(app.address.starts_with("http://[::1]:"));
    let (content, code) = mint(&app, "telegram").await;
    let response = app.tap(&code, IPHONE, &[]).await;
    assert_eq!(response.status(), 302);
    app.flush().await;
    let clicks = app.recent_clicks(&content).await;
    assert_eq!(clicks.len(), 1);
    assert_eq!(clicks[0]["country"], "unknown", "::1 is in no network of the test database");
    assert_eq!(clicks[0]["device"], "smartphone");
}

#[tokio::test]
async fn head_requests_redirect_but_record_nothing() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "sms").await;
    let response = app.client.head(format!("{}/{code}", app.address)).header("user-agent", IPHONE).send().await.expect("head");
    assert_eq!(response.status(), 302);
    app.flush().await;
    assert!(app.recent_clicks(&content).await.is_empty());
}

#[tokio::test]
async fn do_not_track_counts_the_click_without_device_or_place() {
    let app = app_behind_proxy().await;
    let (content, code) = mint(&app, "sms").await;
    app.tap(&code, IPHONE, &[("x-forwarded-for", "192.0.2.1"), ("dnt", "1")]).await;
    app.tap(&code, IPHONE, &[("x-forwarded-for", "192.0.2.1"), ("sec-gpc", "1")]).await;
    app.flush().await;
    for click in app.recent_clicks(&content).await {
        assert_eq!((click["kind"].as_str(), click["device"].as_str(), click["country"].as_str(), click["city"].as_str()), ("person", "unknown", "unknown", ""));
    }
    assert_eq!(app.content_today(&content).await.get("clicks:sms"), Some(&2));
}

#[tokio::test]
async fn the_referrer_host_and_campaign_are_kept_but_not_the_referrer_path() {
    let app = app_behind_proxy().await;
    let body = app.mint_ok(json!({"url": "https://example.com/r", "channels": ["email"], "campaign": "nov"})).await;
    let (content, code) = (body["content"]["id"].as_str().expect("id"), body["links"][0]["code"].as_str().expect("code"));
    app.tap(code, WINDOWS, &[("referer", "https://Mail.Example.org/inbox/123?secret=1")]).await;
    app.flush().await;
    let click = &app.recent_clicks(content).await[0];
    assert_eq!(click["referrer"], "mail.example.org");
    assert_eq!(click["campaign"], "nov");
    assert_eq!(app.content_today(content).await.get("camp:nov"), Some(&1));
}

#[tokio::test]
async fn no_raw_ip_address_is_stored_anywhere() {
    let app = app_behind_proxy().await;
    let (_, code) = mint(&app, "whatsapp").await;
    let addresses = ["192.0.2.77", "198.51.100.77", "2001:db8::77", "203.0.113.77"];
    for ip in addresses {
        app.tap(&code, IPHONE, &[("x-forwarded-for", ip)]).await;
        app.tap(&code, SLACKBOT, &[("x-forwarded-for", ip)]).await;
    }
    app.tap(&code, IPHONE, &[]).await; // the socket peer, 127.0.0.1
    app.flush().await;
    let dump = dump_keys(&app).await;
    assert!(dump.contains("whatsapp"), "the dump holds the stored clicks");
    for ip in addresses.iter().chain(&["127.0.0.1", "::1"]) {
        assert!(!dump.contains(ip), "{ip} found in Redis");
    }
    assert!(spooled_files(app.spool.path()).is_empty());
}

/// Every key of the app and every value in it, as text.
async fn dump_keys(app: &TestApp) -> String {
    let mut conn = app.redis().await;
    let mut dump = String::new();
    for key in app.keys().await {
        let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut conn).await.expect("type");
        let (command, extra): (&str, &[&str]) = match kind.as_str() {
            "string" => ("GET", &[]),
            "hash" => ("HGETALL", &[]),
            "zset" => ("ZRANGE", &["0", "-1", "WITHSCORES"]),
            "stream" => ("XRANGE", &["-", "+"]),
            "set" => ("SMEMBERS", &[]),
            "list" => ("LRANGE", &["0", "-1"]),
            other => panic!("unexpected key type {other} for {key}"),
        };
        let value: redis::Value = redis::cmd(command).arg(&key).arg(extra).query_async(&mut conn).await.expect("value");
        dump.push_str(&format!("{key} = {value:?}\n"));
    }
    dump
}

/// A batch's ops reach the script as one MessagePack array (`Args::to_msgpack`); Redis'
/// own decoder must read back every string, whatever header its length and the array's
/// size take, multi-byte text and separators included.
#[tokio::test]
async fn redis_decodes_a_batch_of_ops_of_every_size() {
    use sharetrail::store::args::Args;
    let mut conn = redis::Client::open(redis_server().url()).expect("client").get_multiplexed_async_connection().await.expect("connects");
    let lengths = [0, 1, 31, 32, 255, 256, 65_535, 65_536];
    let long: Vec<String> = lengths.iter().map(|&len| "é\u{1f}x".repeat(len / 4) + &"y".repeat(len % 4)).collect();
    let short: Vec<String> = (0..65_536).map(|i| format!("{i}")).collect();
    for sent in [&long[..], &short[..15], &short[..16], &short[..65_535], &short[..]] {
        let args: Args = std::iter::once("skipped").chain(sent.iter().map(String::as_str)).collect();
        let back: Vec<String> = redis::cmd("EVAL").arg("return cmsgpack.unpack(ARGV[1])").arg(0).arg(args.to_msgpack(1)).query_async(&mut conn).await.expect("decodes");
        assert!(back == sent, "{} strings came back changed", sent.len());
    }
}

#[tokio::test]
async fn a_day_s_counters_are_held_and_then_written_with_their_expiry_without_a_flush() {
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_CLICK_COUNTERS_EVERY_MS".into(), "2000".into());
    })
    .await;
    let (content, code) = mint(&app, "whatsapp").await;
    assert_eq!(app.tap(&code, IPHONE, &[]).await.status(), 302);
    let written = eventually(std::time::Duration::from_secs(5), || async { app.recent_clicks(&content).await.len() == 1 }).await;
    assert!(written, "the raw click goes with its batch");
    assert_eq!(app.content_today(&content).await.get("clicks:whatsapp"), None, "its counters are held for 2 s from then");
    let counted = eventually(std::time::Duration::from_secs(10), || async { app.content_today(&content).await.get("clicks:whatsapp") == Some(&1) }).await;
    assert!(counted, "and written when due, with no flush");
    let id = sharetrail::domain::ContentId::parse(&content).expect("id");
    let day = sharetrail::domain::click::day_of(sharetrail::domain::click::now_ms());
    let ttl: i64 = redis::cmd("TTL").arg(app.keys_builder().content_day(&id, &day)).query_async(&mut app.redis().await).await.expect("ttl");
    assert!(ttl > 0, "the day hash expires (TTL {ttl})");
}
