//! The real sharetrail binary, started like a test app, for tests of signals, restarts
//! and logs (what an operator sees, not what a test harness sees).

use crate::helpers::*;
use std::collections::BTreeMap;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

/// The token of `GET /metrics` in binaries started here.
pub const METRICS_TOKEN: &str = "metrics-token-9876543210";

pub struct Binary {
    pub child: Child,
    pub address: String,
}

/// How a binary is started: the test app's environment plus these changes.
pub struct Launch {
    pub env: BTreeMap<String, String>,
    /// Where its standard error (the log) goes; None discards it.
    pub log: Option<std::fs::File>,
}

impl Launch {
    /// A binary on a free port with two workers, test hooks and a metrics token.
    pub fn new(redis_url: &str, prefix: &str, spool: &std::path::Path) -> Launch {
        let mut env = base_env(redis_url, prefix);
        env.insert("SHARETRAIL_LISTEN".into(), format!("127.0.0.1:{}", free_port()));
        env.insert("SHARETRAIL_WORKERS".into(), "2".into());
        env.insert("SHARETRAIL_SPOOL_DIR".into(), spool.display().to_string());
        env.insert("SHARETRAIL_TEST_HOOKS".into(), "true".into());
        env.insert("SHARETRAIL_METRICS_TOKEN".into(), METRICS_TOKEN.into());
        Launch { env, log: None }
    }

    pub fn set(mut self, name: &str, value: &str) -> Launch {
        self.env.insert(name.into(), value.into());
        self
    }

    /// Starts the binary and waits until it answers /healthz.
    pub async fn start(self) -> Binary {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sharetrail"));
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("SHARETRAIL_")) {
            command.env_remove(name);
        }
        let address = format!("http://{}", self.env["SHARETRAIL_LISTEN"]);
        let stderr = self.log.map_or_else(Stdio::null, Stdio::from);
        die_with_parent(&mut command);
        let mut child = command.envs(self.env).arg("serve").stdout(Stdio::null()).stderr(stderr).spawn().expect("binary starts");
        let client = reqwest::Client::new();
        for _ in 0..400 {
            if client.get(format!("{address}/healthz")).send().await.is_ok() {
                return Binary { child, address };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("sharetrail did not start listening");
    }
}

impl Binary {
    /// The usual binary: see [`Launch::new`].
    pub async fn start(redis_url: &str, prefix: &str, spool: &std::path::Path) -> Binary {
        Launch::new(redis_url, prefix, spool).start().await
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Waits for the process to end.
    pub async fn wait(mut self) -> ExitStatus {
        tokio::task::spawn_blocking(move || self.child.wait()).await.expect("join").expect("wait")
    }

    /// Mints one link for a channel; returns (content id, code).
    pub async fn mint(&self, url: &str, channel: &str) -> (String, String) {
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v1/shares", self.address))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({"url": url, "channels": [channel]}))
            .send()
            .await
            .expect("mint")
            .json()
            .await
            .expect("json");
        (body["content"]["id"].as_str().expect("id").into(), body["links"][0]["code"].as_str().expect("code").into())
    }

    /// `GET /metrics` as text.
    pub async fn metrics(&self) -> String {
        reqwest::Client::new()
            .get(format!("{}/metrics", self.address))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// `POST /__test/flush`: true once every click is in Redis (the spool replayed).
    pub async fn flush(&self) -> bool {
        let response = reqwest::Client::new().post(format!("{}/__test/flush", self.address)).send().await;
        response.is_ok_and(|r| r.status() == 200)
    }
}

/// The value of one sample (`name{labels} value`) in a metrics text, or None.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}
