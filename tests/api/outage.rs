//! Redis restarted under a steady load: readers never notice, `/readyz` tells the operator,
//! and every answered redirect is one stored click once Redis is back.

use crate::faults::{flush_when_redis_is_back, stored_clicks, wait_for_more};
use crate::helpers::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The load: one request every 3 ms (about 330 a second) for 20 s, at most 16 in flight.
const PACE: Duration = Duration::from_millis(3);
const LOAD_FOR: Duration = Duration::from_secs(20);
const IN_FLIGHT: usize = 16;

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    answered: AtomicU64,
    failed: AtomicU64,
}

/// What `/readyz` said, in order, with repeats folded, and when it started saying it:
/// statuses `[200, 503, 200]` are an outage seen and a recovery seen.
async fn readiness_changes(address: String, until: Instant) -> Vec<(u16, Duration)> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("client");
    let started = Instant::now();
    let mut seen: Vec<(u16, Duration)> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    while Instant::now() < until {
        tick.tick().await;
        let status = client.get(format!("{address}/readyz")).send().await.map_or(0, |r| r.status().as_u16());
        if seen.last().map(|(last, _)| *last) != Some(status) {
            seen.push((status, started.elapsed()));
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_under_steady_load_loses_no_click_and_fails_no_request() {
    let data = tempfile::tempdir().expect("redis dir");
    let dir = data.path().to_str().expect("utf-8 path").to_owned();
    let persistent = ["--appendonly", "yes", "--appendfsync", "always", "--dir", dir.as_str()];
    let (mut redis, port) = spawn_redis_with(&persistent);
    let redis_url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), redis_url.clone());
    })
    .await;
    let minted = app.mint_ok(json!({"url": "https://example.com/steady", "channels": ["whatsapp", "sms", "email"]})).await;
    let content = minted["content"]["id"].as_str().expect("id").to_owned();
    let codes: Vec<String> = minted["links"].as_array().expect("links").iter().map(|l| l["code"].as_str().expect("code").to_owned()).collect();
    for code in &codes {
        assert_eq!(app.tap(code, PHONE, &[]).await.status(), 302, "each link is served once before the outage");
    }

    let started = Instant::now();
    let readiness = tokio::spawn(readiness_changes(app.address.clone(), started + LOAD_FOR));
    let tally = Arc::new(Tally::default());
    let load = tokio::spawn(steady_load(app.address.clone(), codes.clone(), tally.clone(), started + LOAD_FOR));

    // The outage comes after a quarter of the run and lasts until readiness saw it.
    wait_for_more(&tally.answered, 1500).await;
    let _ = redis.kill();
    let _ = redis.wait();
    wait_for_more(&tally.answered, 1500).await;
    let (restarted, _) = spawn_redis_on_port(port, &persistent);

    load.await.expect("load");
    let changes = readiness.await.expect("readiness");
    flush_when_redis_is_back(&app).await;

    let (sent, answered, failed) = (tally.sent.load(Ordering::Relaxed), tally.answered.load(Ordering::Relaxed), tally.failed.load(Ordering::Relaxed));
    let mut stored = 0;
    for channel in ["whatsapp", "sms", "email"] {
        stored += stored_clicks(&redis_url, &app.prefix, &content, channel).await;
    }
    eprintln!("steady load through a Redis restart: {sent} sent, {answered} answered, {failed} failed, {stored} clicks stored, readyz {changes:?}");
    assert!(sent >= 4000, "a steady load of a few hundred a second: {sent} in 20 s");
    assert_eq!(failed, 0, "no request for a link served before fails");
    assert_eq!(sent, answered);
    assert_eq!(stored, answered as i64 + codes.len() as i64, "none lost, none doubled");
    let statuses: Vec<u16> = changes.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [200, 503, 200], "readyz reports the outage and the recovery");
    assert!(spooled_files(app.spool.path()).is_empty(), "the spool was replayed");
    drop(restarted);
}

/// Sends one request per [`PACE`] until `until`, each on its own task, at most [`IN_FLIGHT`]
/// at once (a slow answer delays the load instead of piling it up).
async fn steady_load(address: String, codes: Vec<String>, tally: Arc<Tally>, until: Instant) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tick = tokio::time::interval(PACE);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut requests = Vec::new();
    for code in codes.iter().cycle() {
        tick.tick().await;
        if Instant::now() >= until {
            break;
        }
        let slot = slots.clone().acquire_owned().await.expect("semaphore");
        let (client, url, tally) = (client.clone(), format!("{address}/{code}"), tally.clone());
        tally.sent.fetch_add(1, Ordering::Relaxed);
        requests.push(tokio::spawn(async move {
            let answer = client.get(url).header("user-agent", PHONE).send().await;
            let counter = match answer {
                Ok(r) if r.status() == 302 => &tally.answered,
                _ => &tally.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            drop(slot);
        }));
    }
    for request in requests {
        request.await.expect("request task");
    }
}

