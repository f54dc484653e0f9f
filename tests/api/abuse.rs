//! Hostile clients: a mint flood, oversized and slow requests, and an enumeration of codes
//! must not hurt other users, nor grow Redis' load.

use crate::helpers::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};


#[tokio::test]
async fn minting_is_rate_limited_per_client() {
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_MINT_RATE_PER_MINUTE".into(), "3".into());
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await;
    let mint_as = |client: &'static str| {
        app.client
            .post(format!("{}/api/v1/shares", app.address))
            .bearer_auth(TOKEN)
            .header("x-forwarded-for", client)
            .json(&json!({"url": "https://example.com/flood", "channels": ["sms"]}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(mint_as("192.0.2.10").await.expect("request").status(), 200);
    }
    let refused = mint_as("192.0.2.10").await.expect("request");
    assert_eq!(refused.status(), 429);
    assert_eq!(error_code(refused).await, "rate_limited");
    assert_eq!(mint_as("192.0.2.11").await.expect("request").status(), 200, "another client is not limited");
}

#[tokio::test]
async fn a_64_kib_header_is_refused_with_431_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let big = "x".repeat(64 * 1024);
    let response = app.client.get(format!("{}/healthz", app.address)).header("x-padding", big).send().await.expect("request");
    assert_eq!(response.status(), 431);
    assert_eq!(error_code(response).await, "headers_too_large");
    let cookie = format!("junk={}", "y".repeat(40 * 1024));
    let response = app.client.get(format!("{}/admin", app.address)).header("cookie", cookie).send().await.expect("request");
    assert_eq!(response.status(), 431);
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_slow_client_is_cut_off_while_others_are_served() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&address).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.expect("write");
    let started = Instant::now();
    assert_eq!(app.get("/healthz").await.status(), 200, "others are served meanwhile");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), slow.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the slow connection is closed");
    assert!(started.elapsed() < Duration::from_secs(10), "within the request timeout: {:?}", started.elapsed());
    let head = String::from_utf8_lossy(&answer);
    assert!(head.is_empty() || head.starts_with("HTTP/1.1 408"), "{head}");
}

/// Every Redis command the server has run since its stats were reset, and the reads of
/// codes it did not have.
async fn redis_commands(conn: &mut redis::aio::MultiplexedConnection) -> (u64, u64) {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await.expect("info");
    let calls = |line: &str| -> u64 {
        line.split_once("calls=").and_then(|(_, rest)| rest.split(',').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
    };
    let total = info.lines().filter(|l| l.starts_with("cmdstat_")).map(calls).sum();
    (total, reads_of_missing_keys(conn).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enumerating_ten_thousand_codes_keeps_redis_flat_and_other_readers_served() {
    const GUESSES: u64 = 10_000;
    const LOOKUPS_PER_MINUTE: u64 = 100;
    // A Redis of its own: its command counts are this test's alone.
    let (_redis, port) = spawn_redis_on_free_port();
    let redis_url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), redis_url.clone());
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
        env.insert("SHARETRAIL_LOOKUP_RATE_PER_MINUTE".into(), LOOKUPS_PER_MINUTE.to_string());
    })
    .await;
    let code = app.mint_code("https://example.com/real", "whatsapp").await;
    assert_eq!(app.tap(&code, PHONE, &[("x-forwarded-for", "198.51.100.1")]).await.status(), 302);
    // Its click is written before the count starts (the writer's reads miss keys too).
    app.flush().await;
    let mut conn = redis::Client::open(redis_url.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis");
    let () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut conn).await.expect("resetstat");
    let started = Instant::now();

    let statuses: Arc<[AtomicU64; 3]> = Arc::new(Default::default()); // 404, 429, other
    let next = Arc::new(AtomicU64::new(0));
    let attackers: Vec<_> = (0..16)
        .map(|_| {
            let (client, url, statuses, next) = (app.client.clone(), app.address.clone(), statuses.clone(), next.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < GUESSES {
                    let guess = sharetrail::domain::ShortCode::generate(8);
                    let response = client.get(format!("{url}/{guess}")).header("x-forwarded-for", "203.0.113.66").send().await.expect("guess");
                    let slot = match response.status().as_u16() {
                        404 => 0,
                        429 => 1,
                        _ => 2,
                    };
                    statuses[slot].fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut reader_latencies = Vec::new();
    while attackers.iter().any(|a| !a.is_finished()) {
        let tapped = Instant::now();
        // HEAD redirects like GET but records no click, so Redis' count is the guesses' alone.
        let head = app.client.head(format!("{}/{code}", app.address)).header("user-agent", PHONE).header("x-forwarded-for", "198.51.100.1");
        let status = head.send().await.expect("reader").status();
        reader_latencies.push(tapped.elapsed());
        assert_eq!(status, 302, "a reader's link keeps redirecting during the enumeration");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for attacker in attackers {
        attacker.await.expect("attacker");
    }
    let elapsed = started.elapsed();
    let (total, link_reads) = redis_commands(&mut conn).await;
    let [misses, throttled, other] = [0, 1, 2].map(|i| statuses[i].load(Ordering::Relaxed));
    reader_latencies.sort();
    let p99 = reader_latencies[reader_latencies.len() * 99 / 100];
    eprintln!(
        "enumeration: {GUESSES} guesses in {elapsed:?}: {misses} got 404 (a Redis read each), {throttled} got 429; \
         Redis ran {total} commands, {link_reads} link reads; a reader's {} taps meanwhile: all 302, p99 {p99:?}",
        reader_latencies.len()
    );
    assert_eq!(other, 0, "guesses get 404 or 429, nothing else");
    // The allowance is a burst of LOOKUPS_PER_MINUTE, refilled at that rate per minute.
    let allowance = LOOKUPS_PER_MINUTE + (elapsed.as_secs_f64() / 60.0 * LOOKUPS_PER_MINUTE as f64).ceil() as u64;
    assert!(misses <= allowance && link_reads <= allowance, "{misses} lookups, {link_reads} reads, allowance {allowance}");
    // Besides the allowed reads, Redis saw only background chores (and this INFO).
    assert!(total < allowance + 20, "{total} Redis commands for {GUESSES} guesses");
}

#[tokio::test]
async fn repeating_one_unknown_code_costs_one_redis_read() {
    let (_redis, port) = spawn_redis_on_free_port();
    let redis_url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), redis_url.clone());
    })
    .await;
    let mut conn = redis::Client::open(redis_url.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis");
    let () = redis::cmd("CONFIG").arg("RESETSTAT").query_async(&mut conn).await.expect("resetstat");
    for _ in 0..500 {
        assert_eq!(app.get("/Xyzzy2345").await.status(), 404);
    }
    let (_, link_reads) = redis_commands(&mut conn).await;
    assert_eq!(link_reads, 1, "the negative cache answers the repeats");
}
