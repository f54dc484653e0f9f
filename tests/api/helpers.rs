//! The test harness: a real redis-server started once per test binary on a free port,
//! and the real application on port 0 with a key prefix of its own per test.

use reqwest::{Client, Response, redirect};
use serde_json::{Value, json};
use sharetrail::config::Settings;
use sharetrail::startup::Application;
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "test-token-0123456789";
/// The admin UI's password in every test app.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A redis-server owned by this test process.
pub struct RedisServer {
    pub port: u16,
}

impl RedisServer {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

/// The test binary's Redis, started on first use.
/// The batch files waiting in a spool folder. Its other file, `held-incarnations`, names the
/// processes whose held counter sums may wait in Redis.
pub fn spooled_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let files = std::fs::read_dir(dir).expect("spool dir").map(|entry| entry.expect("entry").path());
    files.filter(|path| path.extension().is_some_and(|e| e == "json")).collect()
}

pub fn redis_server() -> &'static RedisServer {
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SERVER.get_or_init(|| RedisServer { port: start_redis_for_process() })
}

/// Starts redis-server from a thread that lives as long as the process: the child gets
/// PDEATHSIG, which fires when the spawning thread ends, so Redis dies with the test
/// binary however it ends (a leaked server would outlive CI's run).
fn start_redis_for_process() -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (child, port) = spawn_redis_on_free_port();
        tx.send(port).expect("test thread waits for the port");
        let _keep: Child = child;
        loop {
            std::thread::park();
        }
    });
    rx.recv().expect("redis-server started")
}

/// Spawns redis-server with the given extra arguments on a free port and waits until it
/// answers PING; tries other ports if one is taken in between.
pub fn spawn_redis_on_free_port() -> (Child, u16) {
    spawn_redis_with(&[])
}

pub fn spawn_redis_with(extra: &[&str]) -> (Child, u16) {
    for _ in 0..5 {
        if let Some(started) = try_spawn_redis(free_port(), extra) {
            return started;
        }
    }
    panic!("could not start redis-server on a free port");
}

/// Starts redis-server again on a port it used before (a restart).
pub fn spawn_redis_on_port(port: u16, extra: &[&str]) -> (Child, u16) {
    try_spawn_redis(port, extra).expect("redis-server restarts on its port")
}

fn try_spawn_redis(port: u16, extra: &[&str]) -> Option<(Child, u16)> {
    let mut command = Command::new("redis-server");
    command
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    die_with_parent(&mut command);
    let mut child = command.spawn().expect("redis-server must be installed (apt-get install redis-server)");
    if wait_for_ping(port, &mut child) {
        return Some((child, port));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

pub fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

/// Polls until the server answers PING, for at most 10 s, or until it exits.
fn wait_for_ping(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let url = format!("redis://127.0.0.1:{port}");
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        let pong = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
        if pong.is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A running application with its own key prefix and spool folder.
pub struct TestApp {
    pub address: String,
    pub prefix: String,
    pub redis_url: String,
    pub client: Client,
    pub app_state: sharetrail::state::AppState,
    pub spool: tempfile::TempDir,
}

/// The repository's test GeoIP database (built by scripts/build-test-mmdb.pl).
pub const GEO_DB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/geo-test.mmdb");

/// A prefix no other test of this process uses.
pub fn unique_prefix() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("t{}-{}:", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The environment every test app starts from.
pub fn base_env(redis_url: &str, prefix: &str) -> BTreeMap<String, String> {
    [
        ("SHARETRAIL_LISTEN", "127.0.0.1:0"),
        ("SHARETRAIL_REDIS_URL", redis_url),
        ("SHARETRAIL_REDIS_PREFIX", prefix),
        ("SHARETRAIL_API_TOKEN", TOKEN),
        ("SHARETRAIL_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("SHARETRAIL_ALLOWED_HOSTS", "example.com,bücher.example"),
        ("SHARETRAIL_WORKERS", "1"),
        ("SHARETRAIL_GEOIP_DB", GEO_DB),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after letting the test change its environment.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut BTreeMap<String, String>)) -> TestApp {
    let redis_url = redis_server().url();
    let prefix = unique_prefix();
    let spool = tempfile::tempdir().expect("spool dir");
    let mut env = base_env(&redis_url, &prefix);
    env.insert("SHARETRAIL_SPOOL_DIR".into(), spool.path().display().to_string());
    adjust(&mut env);
    // A test may point the app at another Redis or at another app's keys.
    let (redis_url, prefix) = (env["SHARETRAIL_REDIS_URL"].clone(), env["SHARETRAIL_REDIS_PREFIX"].clone());
    let (settings, _) = Settings::load(None, &env).expect("test settings load");
    let host = if settings.listen.is_ipv6() { "[::1]" } else { "127.0.0.1" };
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://{host}:{}", app.port());
    let app_state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder().redirect(redirect::Policy::none()).build().expect("client");
    TestApp { address, prefix, redis_url, client, app_state, spool }
}

impl TestApp {
    pub async fn mint(&self, body: Value) -> Response {
        self.client.post(format!("{}/api/v1/shares", self.address)).bearer_auth(TOKEN).json(&body).send().await.expect("request")
    }

    /// Mints and returns the JSON answer, failing the test on any other status.
    pub async fn mint_ok(&self, body: Value) -> Value {
        let response = self.mint(body).await;
        assert_eq!(response.status(), 200, "mint failed");
        response.json().await.expect("json")
    }

    /// Mints one link for a channel and returns its code.
    pub async fn mint_code(&self, url: &str, channel: &str) -> String {
        let body = self.mint_ok(json!({"url": url, "channels": [channel]})).await;
        body["links"][0]["code"].as_str().expect("code").to_owned()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("request")
    }

    pub async fn api_get(&self, path: &str) -> Response {
        self.client.get(format!("{}{path}", self.address)).bearer_auth(TOKEN).send().await.expect("request")
    }

    pub async fn patch_link(&self, code: &str, body: Value) -> Response {
        self.client.patch(format!("{}/api/v1/links/{code}", self.address)).bearer_auth(TOKEN).json(&body).send().await.expect("request")
    }

    /// Waits until every click queued so far is in Redis.
    pub async fn flush(&self) {
        self.app_state.tracker.recorder.flush().await.expect("clicks flushed to Redis");
    }

    /// Follows a short link as a client with this user agent and these extra headers.
    pub async fn tap(&self, code: &str, user_agent: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = self.client.get(format!("{}/{code}", self.address)).header("user-agent", user_agent);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("request")
    }

    pub fn keys_builder(&self) -> sharetrail::store::Keys {
        sharetrail::store::Keys::new(self.prefix.clone())
    }

    /// A content's counters for today.
    pub async fn content_today(&self, content: &str) -> std::collections::HashMap<String, i64> {
        let id = sharetrail::domain::ContentId::parse(content).expect("content id");
        let day = sharetrail::domain::click::day_of(sharetrail::domain::click::now_ms());
        let mut conn = self.redis().await;
        redis::cmd("HGETALL").arg(self.keys_builder().content_day(&id, &day)).query_async(&mut conn).await.expect("hgetall")
    }

    /// A content's raw clicks, oldest first, as field maps.
    pub async fn recent_clicks(&self, content: &str) -> Vec<std::collections::HashMap<String, String>> {
        raw_clicks(&self.redis_url, &self.prefix, content).await
    }

    /// Another instance of the same deployment: same Redis, same keys.
    pub async fn sibling(&self) -> TestApp {
        let (redis_url, prefix) = (self.redis_url.clone(), self.prefix.clone());
        spawn_app_with(|env| {
            env.insert("SHARETRAIL_REDIS_URL".into(), redis_url);
            env.insert("SHARETRAIL_REDIS_PREFIX".into(), prefix);
        })
        .await
    }

    /// A Redis connection for looking at what the app stored.
    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.redis_url.as_str()).expect("url").get_multiplexed_async_connection().await.expect("redis")
    }

    /// Every key this app wrote.
    pub async fn keys(&self) -> Vec<String> {
        let mut conn = self.redis().await;
        redis::cmd("KEYS").arg(format!("{}*", self.prefix)).query_async(&mut conn).await.expect("keys")
    }
}

/// A reader's phone: Safari on an iPhone, a person.
pub const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

/// Reads so far that found no key: how looking up an unknown code shows in Redis, whatever
/// command reads a link. Background chores (the visitor secret's refresh) find their keys,
/// so they do not count.
pub async fn reads_of_missing_keys(conn: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO").arg("stats").query_async(conn).await.expect("info");
    info.lines().find_map(|l| l.strip_prefix("keyspace_misses:")).map_or(0, |n| n.trim().parse().expect("a count"))
}

/// Asserts the crate's JSON error shape and returns its code.
pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.expect("error body is JSON");
    assert!(body["error"]["message"].is_string(), "error has a message: {body}");
    body["error"]["code"].as_str().expect("error has a code").to_owned()
}

/// Polls `check` every 100 ms for at most `limit`.
pub async fn eventually<F: std::future::Future<Output = bool>>(limit: std::time::Duration, mut check: impl FnMut() -> F) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A content's raw clicks in the Redis at `redis_url`, oldest first, as field maps.
pub async fn raw_clicks(redis_url: &str, prefix: &str, content: &str) -> Vec<std::collections::HashMap<String, String>> {
    let id = sharetrail::domain::ContentId::parse(content).expect("content id");
    let mut conn = redis::Client::open(redis_url).expect("url").get_multiplexed_async_connection().await.expect("redis");
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(sharetrail::store::Keys::new(prefix).content_clicks(&id))
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .expect("xrange");
    reply
        .ids
        .into_iter()
        .flat_map(|entry| {
            let fields = entry.map.into_iter().map(|(k, v)| (k, redis::from_redis_value::<String>(v).expect("string field"))).collect();
            sharetrail::store::clicks::unpack_raw_clicks(fields)
        })
        .collect()
}
