//! Stats speed: loads 10,000 contents × 14 channels × 90 days of aggregates into Redis (the
//! key layout of the click writer, written directly: 12.6 M content-channel-days would take
//! hours through redirects), starts sharetrail in this process, and times the stats API.
//! Usage (see scripts/bench-stats, which starts its own Redis):
//!
//!     cargo run --release --example stats_bench -- redis://127.0.0.1:6390 [contents] [days] [requests]
//!
//! `contents` 0 skips loading (to time again against data loaded before).

use sharetrail::config::Settings;
use sharetrail::domain::click::{day_of, now_ms};
use sharetrail::domain::{ContentId, TargetUrl};
use sharetrail::startup::Application;
use sharetrail::store::Keys;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CHANNELS: [&str; 14] = [
    "whatsapp", "email", "slack", "sms", "telegram", "messenger", "teams", "signal", "viber", "line", "wechat", "discord", "copy", "linkedin",
];
const PREFIX: &str = "bench:";
const TOKEN: &str = "bench-token";
const PASSWORD: &str = "bench-password";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "redis://127.0.0.1:6390".into());
    let contents: usize = args.get(2).map_or(Ok(10_000), |n| n.parse())?;
    let days: usize = args.get(3).map_or(Ok(90), |n| n.parse())?;
    let requests: usize = args.get(4).map_or(Ok(100), |n| n.parse())?;

    let started = Instant::now();
    load(&url, contents, days).await?;
    let sample = ContentId::for_url(&TargetUrl::parse(&story_url(0))?);
    println!("loaded {contents} contents × {} channels × {days} days in {:.0?}", CHANNELS.len(), started.elapsed());

    let env: BTreeMap<String, String> = [
        ("SHARETRAIL_LISTEN", "127.0.0.1:0"),
        ("SHARETRAIL_REDIS_URL", url.as_str()),
        ("SHARETRAIL_REDIS_PREFIX", PREFIX),
        ("SHARETRAIL_API_TOKEN", TOKEN),
        ("SHARETRAIL_ALLOWED_HOSTS", "example.com"),
        ("SHARETRAIL_WORKERS", "2"),
        ("SHARETRAIL_ADMIN_PASSWORD", PASSWORD),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let (settings, _) = Settings::load(None, &env)?;
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let cookie = admin_login(&client, &base).await?;
    let from = day_of(now_ms() - (days as i64 - 1) * 86_400_000);
    let api = format!("Bearer {TOKEN}");
    for (name, path, auth) in [
        ("stats API, 30 days".to_owned(), "/api/v1/stats".to_owned(), ("authorization", &api)),
        (format!("stats API, {days} days"), format!("/api/v1/stats?from={from}"), ("authorization", &api)),
        (format!("content stats, {days} days"), format!("/api/v1/contents/{sample}/stats?from={from}"), ("authorization", &api)),
        ("dashboard, 30 days".to_owned(), "/admin".to_owned(), ("cookie", &cookie)),
        (format!("dashboard, {days} days"), format!("/admin?days={days}"), ("cookie", &cookie)),
        (format!("content page, {days} days"), format!("/admin/contents/{sample}?days={days}"), ("cookie", &cookie)),
    ] {
        let timings = time_requests(&client, &format!("{base}{path}"), auth, requests).await?;
        report(&name, &timings);
    }
    Ok(())
}

/// Logs in to the admin UI and returns the Cookie header of the session.
async fn admin_login(client: &reqwest::Client, base: &str) -> Result<String, Box<dyn std::error::Error>> {
    let form = client.get(format!("{base}/admin/login")).send().await?;
    let login_cookie = cookie_pair(&form, "st_admin_login").ok_or("no login cookie")?;
    let page = form.text().await?;
    let token = page.split("name=\"login_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).ok_or("no login token")?;
    let answer = client
        .post(format!("{base}/admin/login"))
        .header("cookie", login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(url::form_urlencoded::Serializer::new(String::new()).extend_pairs([("username", "admin"), ("password", PASSWORD), ("login_csrf", token)]).finish())
        .send()
        .await?;
    Ok(cookie_pair(&answer, "st_admin").ok_or("login failed")?)
}

fn cookie_pair(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Times `n` sequential GETs after two warm-up calls.
async fn time_requests(client: &reqwest::Client, url: &str, (header, value): (&str, &String), n: usize) -> Result<Vec<Duration>, reqwest::Error> {
    for _ in 0..2 {
        client.get(url).header(header, value).send().await?.error_for_status()?.bytes().await?;
    }
    let mut timings = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        client.get(url).header(header, value).send().await?.error_for_status()?.bytes().await?;
        timings.push(start.elapsed());
    }
    timings.sort();
    Ok(timings)
}

fn report(name: &str, sorted: &[Duration]) {
    let at = |q: f64| sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1];
    println!("{name:<28} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms", ms(at(0.5)), ms(at(0.95)), ms(at(1.0)));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Writes the aggregates a real click stream would leave: per content-day hash, per
/// content-channel-day visitors, per day site hash, ranking and visitors.
fn story_url(n: usize) -> String {
    format!("https://example.com/2026/story-number-{n}")
}

async fn load(url: &str, contents: usize, days: usize) -> Result<(), Box<dyn std::error::Error>> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys = Keys::new(PREFIX);
    let now = now_ms();
    for c in 0..contents {
        let target = TargetUrl::parse(&story_url(c))?;
        let id = ContentId::for_url(&target);
        let mut pipe = redis::pipe();
        pipe.hset_multiple(keys.content(&id), &[("url", target.as_str()), ("title", &format!("Story number {c}")), ("created", &now.to_string())]).ignore();
        for d in 0..days {
            let day = day_of(now - d as i64 * 86_400_000);
            let weight = (contents - c) as i64 % 50 + 1;
            let mut fields: Vec<(String, i64)> = Vec::new();
            for (i, channel) in CHANNELS.iter().enumerate() {
                fields.push((format!("clicks:{channel}"), weight * (i as i64 + 1)));
                fields.push((format!("shares:{channel}"), weight));
                pipe.pfadd(keys.content_visitors(&id, &day, channel), format!("v{c}-{i}")).ignore();
            }
            fields.extend([("dev:smartphone".to_owned(), weight * 60), ("dev:pc".to_owned(), weight * 45), ("cc:GB".to_owned(), weight * 50), ("cc:DE".to_owned(), weight * 55)]);
            pipe.hset_multiple(keys.content_day(&id, &day), &fields).ignore();
            pipe.zincr(keys.site_top(&day), id.as_str(), weight * 105).ignore();
        }
        let () = pipe.query_async(&mut conn).await?;
    }
    for d in 0..days {
        let day = day_of(now - d as i64 * 86_400_000);
        let mut pipe = redis::pipe();
        let fields: Vec<(String, i64)> = CHANNELS.iter().map(|ch| (format!("clicks:{ch}"), 1000)).collect();
        pipe.hset_multiple(keys.site_day(&day), &fields).ignore();
        for channel in CHANNELS {
            pipe.pfadd(keys.site_visitors(&day, channel), (0..100).map(|v| format!("v{v}")).collect::<Vec<_>>()).ignore();
        }
        let () = pipe.query_async(&mut conn).await?;
    }
    Ok(())
}
