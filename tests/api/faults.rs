//! Lose nothing: SIGTERM during a burst, and Redis going away and coming back.

use crate::binary::Binary;
use crate::helpers::*;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;


/// Tasks tapping a link until stopped, counting 302 answers.
pub struct Tappers {
    pub answered: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Tappers {
    /// Taps `url` from `workers` tasks.
    pub fn start(url: String, workers: usize) -> Tappers {
        let (stop, answered) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        let tasks = (0..workers)
            .map(|_| {
                let (url, stop, answered) = (url.clone(), stop.clone(), answered.clone());
                tokio::spawn(async move {
                    // A new connection per request: a request is either answered or refused, never
                    // cut off on a keep-alive connection the server is closing.
                    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(0).build().expect("client");
                    while !stop.load(Ordering::Relaxed) {
                        match client.get(&url).header("user-agent", PHONE).send().await {
                            Ok(r) if r.status() == 302 => {
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(r) => panic!("unexpected status {}", r.status()),
                            Err(_) => tokio::task::yield_now().await,
                        }
                    }
                })
            })
            .collect();
        Tappers { answered, stop, tasks }
    }

    /// Stops every tapper and returns the answers they got.
    pub async fn stop(self) -> i64 {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("tapper");
        }
        self.answered.load(Ordering::Relaxed) as i64
    }
}

/// The raw clicks in a content's stream: written with each batch, while the counters' sums
/// may be held for up to a second before they are.
pub async fn stored_raw_clicks(redis_url: &str, prefix: &str, content: &str) -> i64 {
    crate::helpers::raw_clicks(redis_url, prefix, content).await.len() as i64
}

pub async fn stored_clicks(redis_url: &str, prefix: &str, content: &str, channel: &str) -> i64 {
    let id = sharetrail::domain::ContentId::parse(content).expect("id");
    let day = sharetrail::domain::click::day_of(sharetrail::domain::click::now_ms());
    let key = sharetrail::store::Keys::new(prefix).content_day(&id, &day);
    let mut conn = redis::Client::open(redis_url).expect("url").get_multiplexed_async_connection().await.expect("redis");
    let n: Option<i64> = redis::cmd("HGET").arg(key).arg(format!("clicks:{channel}")).query_async(&mut conn).await.expect("hget");
    n.unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_loses_no_answered_click() {
    a_stop_signal_during_a_burst_loses_no_answered_click(libc::SIGTERM).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_a_burst_loses_no_answered_click() {
    a_stop_signal_during_a_burst_loses_no_answered_click(libc::SIGINT).await;
}

async fn a_stop_signal_during_a_burst_loses_no_answered_click(signal: i32) {
    let redis_url = redis_server().url();
    let prefix = unique_prefix();
    let spool = tempfile::tempdir().expect("spool");
    let binary = Binary::start(&redis_url, &prefix, spool.path()).await;
    let (content, code) = binary.mint("https://example.com/sigterm", "sms").await;
    let tappers = Tappers::start(format!("{}/{code}", binary.address), 8);
    wait_for_more(&tappers.answered, 300).await;
    binary.signal(signal);
    let status = binary.wait().await;
    let answered = tappers.stop().await;
    assert!(status.success(), "clean exit: {status:?}");
    assert_eq!(stored_clicks(&redis_url, &prefix, &content, "sms").await, answered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_during_a_burst_loses_nothing_and_doubles_nothing() {
    let data = tempfile::tempdir().expect("redis dir");
    let persistent = ["--appendonly", "yes", "--appendfsync", "always", "--dir"];
    let dir = data.path().to_str().expect("utf-8 path");
    let (mut redis, port) = spawn_redis_with(&[&persistent[..], &[dir]].concat());
    let redis_url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), redis_url.clone());
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await;
    let body = app.mint_ok(json!({"url": "https://example.com/outage", "channels": ["whatsapp"]})).await;
    let (content, code) = (body["content"]["id"].as_str().expect("id"), body["links"][0]["code"].as_str().expect("code"));
    assert_eq!(app.tap(code, PHONE, &[]).await.status(), 302, "the link is cached before the outage");
    let tappers = Tappers::start(format!("{}/{code}", app.address), 4);
    wait_for_more(&tappers.answered, 200).await;

    let _ = redis.kill();
    let _ = redis.wait();
    wait_for_more(&tappers.answered, 200).await;
    let ip_tap = app.tap(code, PHONE, &[("x-forwarded-for", "192.0.2.99")]).await;
    assert_eq!(ip_tap.status(), 302, "cached links keep redirecting while Redis is down");
    assert!(app.app_state.tracker.recorder.flush().await.is_err(), "flush reports that Redis is away");
    let spooled = spool_text(app.spool.path());
    assert!(!spooled.is_empty(), "clicks wait in the spool");
    assert!(!spooled.contains("192.0.2.99") && !spooled.contains("127.0.0.1"), "no address in the spool");

    let (restarted, _) = spawn_redis_on_port(port, &[&persistent[..], &[dir]].concat());
    wait_for_more(&tappers.answered, 200).await;
    let answered = tappers.stop().await;
    flush_when_redis_is_back(&app).await;
    let expected = answered + 2;
    assert_eq!(stored_clicks(&redis_url, &app.prefix, content, "whatsapp").await, expected);
    assert!(spooled_files(app.spool.path()).is_empty(), "the spool is empty after the replay");
    drop(restarted);
}

/// Waits until the tappers got `more` answers; a tapper that stopped (a panic on an
/// unexpected status) fails the test here instead of hanging it.
pub async fn wait_for_more(counter: &AtomicU64, more: u64) {
    let target = counter.load(Ordering::Relaxed) + more;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < target {
        assert!(std::time::Instant::now() < deadline, "redirects stopped being answered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The reconnect takes a moment after Redis is back; flush reports when it succeeded.
pub async fn flush_when_redis_is_back(app: &TestApp) {
    for _ in 0..100 {
        if app.app_state.tracker.recorder.flush().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("clicks were not replayed within 10 s of Redis coming back");
}

pub fn spool_text(dir: &std::path::Path) -> String {
    std::fs::read_dir(dir)
        .expect("spool dir")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("spool file"))
        .collect()
}
