//! Restarts an operator lives through: Redis absent at startup, a frozen Redis at stop,
//! sharetrail killed with SIGKILL, and a persistent Redis restarted. Each prints what it
//! measured (run with --nocapture to see the figures).

use crate::binary::{Binary, Launch, sample};
use crate::faults::{Tappers, stored_clicks, stored_raw_clicks, wait_for_more};
use crate::helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// The batches in the spool folder (a batch whose save was cut off included).
fn spooled_batches(dir: &std::path::Path) -> Vec<serde_json::Value> {
    spooled_files(dir)
        .into_iter()
        .filter_map(|path| std::fs::read(path).ok())
        .filter_map(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .collect()
}

fn spooled_clicks(dir: &std::path::Path) -> u64 {
    spooled_batches(dir).iter().filter_map(|batch| batch["clicks"].as_u64()).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_at_startup_the_service_starts_answers_503_and_recovers() {
    let port = free_port();
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), format!("redis://127.0.0.1:{port}"));
    })
    .await;
    assert_eq!(app.get("/healthz").await.status(), 200, "the process serves");
    assert_eq!(app.get("/readyz").await.status(), 503);
    let unknown = app.get("/Xyzzy2345").await;
    assert_eq!(unknown.status(), 503, "an unknown code is not a 404 while Redis cannot say");
    assert_eq!(app.get("/Xyzzy2345").await.status(), 503, "and the outage is not cached as a miss");
    let mint = app.mint(json!({"url": "https://example.com/later", "channels": ["sms"]})).await;
    assert_eq!(mint.status(), 503);
    assert_eq!(error_code(mint).await, "unavailable");

    let (_redis, _) = spawn_redis_on_port(port, &[]);
    let ready = eventually(Duration::from_secs(15), || async { app.get("/readyz").await.status() == 200 }).await;
    assert!(ready, "readyz recovers once Redis is up");
    assert_eq!(app.get("/Xyzzy2345").await.status(), 404);
    let code = app.mint_code("https://example.com/later", "sms").await;
    assert_eq!(app.get(&format!("/{code}")).await.status(), 302);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_a_burst_loses_at_most_the_clicks_still_in_memory() {
    let redis_url = redis_server().url();
    let prefix = unique_prefix();
    let spool = tempfile::tempdir().expect("spool");
    let binary = Binary::start(&redis_url, &prefix, spool.path()).await;
    let (content, code) = binary.mint("https://example.com/sigkill", "sms").await;
    let tappers = Tappers::start(format!("{}/{code}", binary.address), 8);
    wait_for_more(&tappers.answered, 300).await;
    let depth_before = sample(&binary.metrics().await, "sharetrail_click_queue_depth").unwrap_or(-1.0);
    binary.signal(libc::SIGKILL);
    assert!(!binary.wait().await.success());
    let answered = tappers.stop().await;
    let restarted = Binary::start(&redis_url, &prefix, spool.path()).await;
    assert!(restarted.flush().await);
    let stored = stored_raw_clicks(&redis_url, &prefix, &content).await;
    let counted = stored_clicks(&redis_url, &prefix, &content, "sms").await;
    eprintln!("SIGKILL, Redis up: {answered} redirects answered, {stored} clicks stored, {counted} counted, {} lost (queue depth at the last scrape before the kill: {depth_before})", answered - stored);
    assert!(stored <= answered, "no click stored twice");
    assert_eq!(counted, stored, "a click's counters go with its raw click, or wait in the pending hash for the restart");
    // What can be lost is what was in memory: the queue and the batch being written. The
    // writer keeps up with a burst, so that is a small part of what was answered.
    assert!(answered - stored <= answered / 2 + 50, "lost {} of {answered}", answered - stored);
    restarted.signal(libc::SIGTERM);
    assert!(restarted.wait().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_the_counter_sums_held_loses_none_of_them() {
    let redis_url = redis_server().url();
    let prefix = unique_prefix();
    let spool = tempfile::tempdir().expect("spool");
    // Held for a minute: every sum of the burst is still held when the process dies.
    let launch = || Launch::new(&redis_url, &prefix, spool.path()).set("SHARETRAIL_CLICK_COUNTERS_EVERY_MS", "60000");
    let binary = launch().start().await;
    let (content, code) = binary.mint("https://example.com/held", "sms").await;
    let tappers = Tappers::start(format!("{}/{code}", binary.address), 8);
    wait_for_more(&tappers.answered, 300).await;
    binary.signal(libc::SIGKILL);
    assert!(!binary.wait().await.success());
    let answered = tappers.stop().await;
    let stored = stored_raw_clicks(&redis_url, &prefix, &content).await;
    assert!(stored > 0, "raw clicks were written");
    assert_eq!(stored_clicks(&redis_url, &prefix, &content, "sms").await, 0, "their counters were held when the process died");
    let pending_hashes = || async {
        let mut conn = redis::Client::open(redis_url.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis");
        let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}held:*")).query_async(&mut conn).await.expect("keys");
        keys
    };
    assert_eq!(pending_hashes().await.len(), 1, "the held sums wait in the process's pending hash");
    let restarted = launch().start().await;
    assert!(eventually(Duration::from_secs(15), || restarted.flush()).await, "the restart writes them");
    let counted = stored_clicks(&redis_url, &prefix, &content, "sms").await;
    eprintln!("SIGKILL with sums held: {answered} redirects answered, {stored} clicks stored, {counted} counted after the restart");
    assert_eq!(stored_raw_clicks(&redis_url, &prefix, &content).await, stored, "no click stored since");
    assert_eq!(counted, stored, "every stored click is counted, once");
    assert!(pending_hashes().await.is_empty(), "written sums leave no pending hash (the flush wrote the new process's too)");
    restarted.signal(libc::SIGTERM);
    assert!(restarted.wait().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_redis_is_down_keeps_the_spooled_clicks_for_the_next_start() {
    let data = tempfile::tempdir().expect("redis dir");
    let persistent = ["--appendonly", "yes", "--appendfsync", "always", "--dir", data.path().to_str().expect("utf-8 path")];
    let (mut redis, port) = spawn_redis_with(&persistent);
    let redis_url = format!("redis://127.0.0.1:{port}");
    let prefix = unique_prefix();
    let spool = tempfile::tempdir().expect("spool");
    // With the counters' sums held, to check that none is held while batches go to the spool.
    let binary = Launch::new(&redis_url, &prefix, spool.path()).set("SHARETRAIL_CLICK_COUNTERS_EVERY_MS", "1000").start().await;
    let (content, code) = binary.mint("https://example.com/spooled", "sms").await;
    let tappers = Tappers::start(format!("{}/{code}", binary.address), 4);
    wait_for_more(&tappers.answered, 50).await;
    let _ = redis.kill();
    let _ = redis.wait();
    let spooled_enough = eventually(Duration::from_secs(20), || async {
        sample(&binary.metrics().await, "sharetrail_clicks_spooled_total").is_some_and(|n| n >= 200.0)
    })
    .await;
    assert!(spooled_enough, "clicks are spooled while Redis is down");
    binary.signal(libc::SIGKILL);
    assert!(!binary.wait().await.success());
    let answered = tappers.stop().await;
    let in_spool = spooled_clicks(spool.path()) as i64;
    let batch_ids: Vec<String> = spooled_batches(spool.path()).iter().map(|b| b["id"].as_str().expect("batch id").to_owned()).collect();
    let before_outage = stored_clicks_after_restart_of(port, &persistent, &prefix, &content).await;
    let restarted = Binary::start(&redis_url, &prefix, spool.path()).await;
    assert!(eventually(Duration::from_secs(15), || restarted.flush()).await, "the spool is replayed");
    let stored = stored_raw_clicks(&redis_url, &prefix, &content).await;
    let counted = stored_clicks(&redis_url, &prefix, &content, "sms").await;
    eprintln!("SIGKILL, Redis down: {answered} redirects answered, {before_outage} stored before the outage, {in_spool} in the spool after the kill, {stored} stored and {counted} counted after the restart, {} lost", answered - stored);
    // Counter sums held when Redis went away went to the spool with the next batch, and
    // each spooled batch took its own: none was in memory at the kill.
    assert_eq!(counted, stored, "every stored click is counted");
    assert!(in_spool > 0 && stored > before_outage, "the spooled clicks are replayed");
    let keys = sharetrail::store::Keys::new(prefix.as_str());
    let mut conn = redis::Client::open(redis_url.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis");
    for id in &batch_ids {
        let applied: bool = redis::cmd("EXISTS").arg(keys.batch_marker("all", id)).query_async(&mut conn).await.expect("exists");
        assert!(applied, "spooled batch {id} is in Redis");
    }
    // A batch can be both in Redis and in the spool (Redis died before its reply): the
    // replay then changes nothing, so the total never exceeds what was spooled on top.
    assert!(stored <= before_outage + in_spool, "no batch applied twice");
    assert!(stored <= answered, "no click counted twice");
    assert_eq!(spooled_clicks(spool.path()), 0, "the spool is empty after the replay");
}

/// Restarts the persistent Redis on its port and reads the raw clicks it kept.
async fn stored_clicks_after_restart_of(port: u16, args: &[&str], prefix: &str, content: &str) -> i64 {
    let (redis, _) = spawn_redis_on_port(port, args);
    // Kept alive by the test's process: PDEATHSIG ends it with the test binary.
    std::mem::forget(redis);
    stored_raw_clicks(&format!("redis://127.0.0.1:{port}"), prefix, content).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_with_a_frozen_redis_ends_within_the_drain_time_and_spools_the_clicks() {
    let (redis, port) = spawn_redis_on_free_port();
    let redis_url = format!("redis://127.0.0.1:{port}");
    let prefix = unique_prefix();
    let spool = tempfile::tempdir().expect("spool");
    let binary = Launch::new(&redis_url, &prefix, spool.path()).set("SHARETRAIL_SHUTDOWN_SECONDS", "1").start().await;
    let (content, code) = binary.mint("https://example.com/frozen", "sms").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).user_agent(PHONE).build().expect("client");
    assert_eq!(client.get(format!("{}/{code}", binary.address)).send().await.expect("tap").status(), 302);
    // A frozen Redis accepts connections and never answers: the worst case for a drain.
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(redis.id() as i32, libc::SIGSTOP) };
    for _ in 0..20 {
        assert_eq!(client.get(format!("{}/{code}", binary.address)).send().await.expect("tap").status(), 302);
    }
    let started = Instant::now();
    binary.signal(libc::SIGTERM);
    assert!(binary.wait().await.success());
    let took = started.elapsed();
    // SAFETY: as above.
    unsafe { libc::kill(redis.id() as i32, libc::SIGCONT) };
    eprintln!("stop with a frozen Redis took {took:?} (SHARETRAIL_SHUTDOWN_SECONDS=1), {} clicks in the spool", spooled_clicks(spool.path()));
    assert!(took < Duration::from_millis(3500), "the stop took {took:?}");

    let restarted = Binary::start(&redis_url, &prefix, spool.path()).await;
    assert!(eventually(Duration::from_secs(15), || restarted.flush()).await);
    assert_eq!(stored_clicks(&redis_url, &prefix, &content, "sms").await, 21, "every answered click, via the spool");
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_redis_restarted_keeps_links_and_stats() {
    let data = tempfile::tempdir().expect("redis dir");
    let dir = data.path().to_str().expect("utf-8 path");
    let persistent = ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir];
    let (redis, port) = spawn_redis_with(&persistent);
    let redis_url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), redis_url.clone());
    })
    .await;
    let body = app.mint_ok(json!({"url": "https://example.com/kept", "title": "Kept", "channels": ["whatsapp"]})).await;
    let (content, code) = (body["content"]["id"].as_str().expect("id"), body["links"][0]["code"].as_str().expect("code"));
    for _ in 0..3 {
        assert_eq!(app.tap(code, PHONE, &[]).await.status(), 302);
    }
    app.flush().await;

    // A clean restart: SIGTERM makes Redis write and sync the append-only file.
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(redis.id() as i32, libc::SIGTERM) };
    let mut redis = redis;
    let _ = redis.wait();
    let (_restarted, _) = spawn_redis_on_port(port, &persistent);

    let fresh = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), redis_url.clone());
        env.insert("SHARETRAIL_REDIS_PREFIX".into(), app.prefix.clone());
    })
    .await;
    let link: serde_json::Value = fresh.api_get(&format!("/api/v1/links/{code}")).await.json().await.expect("json");
    assert_eq!(link["target"], "https://example.com/kept");
    assert_eq!(fresh.get(&format!("/{code}")).await.status(), 302);
    let stats: serde_json::Value = fresh.api_get(&format!("/api/v1/contents/{content}/stats")).await.json().await.expect("json");
    assert_eq!(stats["totals"]["clicks"], 3, "{stats}");
    assert_eq!(stats["content"]["title"], "Kept");
}
