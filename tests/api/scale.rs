//! Scale-out: several instances on one Redis, and a real 3-master Redis Cluster.

use crate::admin_client::AdminClient;
use crate::helpers::*;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};


/// Polls `check` until it holds, for at most `limit`; returns how long it took.
async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() <= limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

#[tokio::test]
async fn disabling_a_link_on_one_instance_holds_on_every_instance_within_a_second() {
    let a = spawn_app().await;
    let b = a.sibling().await;
    let code = a.mint_code("https://example.com/two", "whatsapp").await;
    assert_eq!(a.get(&format!("/{code}")).await.status(), 302);
    assert_eq!(b.get(&format!("/{code}")).await.status(), 302, "b has the link cached as enabled");
    assert_eq!(a.patch_link(&code, json!({"enabled": false})).await.status(), 200);
    let took = within(Duration::from_secs(1), async || b.get(&format!("/{code}")).await.status() == 410).await;
    assert!(took.is_some(), "b still redirects a second after a disabled the link");
    assert_eq!(b.patch_link(&code, json!({"enabled": true})).await.status(), 200);
    let took = within(Duration::from_secs(1), async || a.get(&format!("/{code}")).await.status() == 302).await;
    assert!(took.is_some(), "a still answers 410 a second after b enabled the link");
}

#[tokio::test]
async fn clicks_recorded_by_two_instances_add_up_exactly() {
    let a = spawn_app().await;
    let b = a.sibling().await;
    let body = a.mint_ok(json!({"url": "https://example.com/both", "channels": ["sms"]})).await;
    let (content, code) = (body["content"]["id"].as_str().expect("id"), body["links"][0]["code"].as_str().expect("code"));
    for i in 0..50 {
        let app = if i % 5 < 3 { &a } else { &b };
        assert_eq!(app.tap(code, PHONE, &[]).await.status(), 302);
    }
    a.flush().await;
    b.flush().await;
    assert_eq!(a.content_today(content).await.get("clicks:sms"), Some(&50));
    let stats: Value = b.api_get("/api/v1/stats").await.json().await.expect("json");
    assert_eq!(stats["totals"]["clicks"], 50);
    assert_eq!(stats["totals"]["unique_visitors"], 1, "one visitor, whichever instance counted it");
}

/// Three cluster masters for this test binary, started once.
fn cluster_ports() -> &'static [u16; 3] {
    static CLUSTER: OnceLock<[u16; 3]> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        // Started from a thread that lives as long as the process: the nodes die with it.
        std::thread::spawn(move || {
            let (children, ports) = start_cluster();
            tx.send(ports).expect("the test waits for the cluster");
            let _keep: Vec<Child> = children;
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("cluster started")
    })
}

/// A port whose cluster bus port (+10000) is free too.
fn cluster_port() -> u16 {
    loop {
        let port = free_port();
        if port < 55_000 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

fn start_cluster() -> (Vec<Child>, [u16; 3]) {
    let dir = tempfile::tempdir().expect("cluster dir").keep();
    let ports = [cluster_port(), cluster_port(), cluster_port()];
    let children: Vec<Child> = ports
        .iter()
        .map(|port| {
            let (child, _) = spawn_redis_on_port(
                *port,
                &["--cluster-enabled", "yes", "--cluster-config-file", &dir.join(format!("nodes-{port}.conf")).display().to_string()],
            );
            child
        })
        .collect();
    let nodes: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let created = Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&nodes)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("redis-cli runs");
    assert!(created.success(), "redis-cli --cluster create failed");
    for port in ports {
        let ok = (0..200).any(|_| {
            let info = redis::Client::open(format!("redis://127.0.0.1:{port}"))
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("CLUSTER").arg("INFO").query::<String>(&mut c));
            let ready = info.is_ok_and(|i| i.contains("cluster_state:ok"));
            if !ready {
                std::thread::sleep(Duration::from_millis(50));
            }
            ready
        });
        assert!(ok, "node {port} never reported cluster_state:ok");
    }
    (children, ports)
}

async fn keys_on(port: u16, prefix: &str) -> usize {
    let mut conn = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("url").get_multiplexed_async_connection().await.expect("node");
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.expect("keys");
    keys.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_redirect_click_stats_and_admin_work_on_a_redis_cluster() {
    let ports = *cluster_ports();
    let seeds = ports.iter().map(|p| format!("redis://127.0.0.1:{p}")).collect::<Vec<_>>().join(",");
    let app = spawn_app_with(|env| {
        env.insert("SHARETRAIL_REDIS_URL".into(), seeds);
        env.insert("SHARETRAIL_REDIS_CLUSTER".into(), "true".into());
        env.insert("SHARETRAIL_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await;
    let mut contents = Vec::new();
    for page in 0..6 {
        let body = app.mint_ok(json!({"url": format!("https://example.com/cluster/{page}"), "title": format!("Page {page}"), "channels": ["whatsapp", "email"]})).await;
        let again = app.mint_ok(json!({"url": format!("https://example.com/cluster/{page}"), "channels": ["whatsapp", "email"]})).await;
        assert_eq!(body["links"], again["links"], "minting stays idempotent on a cluster");
        contents.push(body);
    }
    let mut taps = 0;
    for (i, body) in contents.iter().enumerate() {
        for n in 0..=i {
            let code = body["links"][n % 2]["code"].as_str().expect("code");
            let ip = format!("192.0.2.{}", n + 1);
            assert_eq!(app.tap(code, PHONE, &[("x-forwarded-for", &ip)]).await.status(), 302);
            taps += 1;
        }
        let slackbot = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";
        app.tap(body["links"][0]["code"].as_str().expect("code"), slackbot, &[]).await;
    }
    app.flush().await;
    let stats: Value = app.api_get("/api/v1/stats").await.json().await.expect("stats");
    assert_eq!(stats["totals"]["clicks"], taps);
    assert_eq!(stats["totals"]["shares"], 6);
    assert_eq!(stats["contents"][0]["title"], "Page 5", "ranked by clicks across slots");
    let top = contents[5]["content"]["id"].as_str().expect("id");
    let content: Value = app.api_get(&format!("/api/v1/contents/{top}/stats")).await.json().await.expect("content stats");
    assert_eq!(content["totals"]["clicks"], 6);
    assert_eq!(content["countries"]["GB"], 6);
    let mut admin = AdminClient::logged_in(&app).await;
    let dashboard = admin.get("/admin").await;
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.expect("page").contains("Page 5"));
    let code = contents[0]["links"][0]["code"].as_str().expect("code");
    assert_eq!(app.patch_link(code, json!({"enabled": false})).await.status(), 200);
    assert_eq!(app.get(&format!("/{code}")).await.status(), 410);
    let mut spread = 0;
    for port in ports {
        spread += usize::from(keys_on(port, &app.prefix).await > 0);
    }
    assert!(spread >= 2, "keys live on {spread} of 3 masters");
}
