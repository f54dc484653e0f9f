//! The binary's JSON log: one line per request with status and latency, and nothing a log
//! must not hold (addresses, tokens, query strings).

use crate::binary::{Launch, METRICS_TOKEN};
use crate::helpers::*;
use serde_json::Value;

const CLIENT_ADDRESS: &str = "198.51.100.77";
const QUERY_SECRET: &str = "tracking-id-4242";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_have_a_line_per_request_and_no_address_token_or_query() {
    let (spool, logs) = (tempfile::tempdir().expect("spool"), tempfile::tempdir().expect("logs"));
    let log_path = logs.path().join("sharetrail.log");
    let mut launch = Launch::new(&redis_server().url(), &unique_prefix(), spool.path())
        .set("SHARETRAIL_LOG_FORMAT", "json")
        .set("SHARETRAIL_TRUSTED_PROXIES", "127.0.0.1");
    launch.log = Some(std::fs::File::create(&log_path).expect("log file"));
    let binary = launch.start().await;
    let (_, code) = binary.mint("https://example.com/logged", "sms").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let forwarded = [("x-forwarded-for", CLIENT_ADDRESS), ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")];
    let mut requests = vec![
        client.get(format!("{}/{code}?utm_content={QUERY_SECRET}", binary.address)),
        client.get(format!("{}/NoSuchCode1?ref={QUERY_SECRET}", binary.address)),
        client.get(format!("{}/api/v1/stats?search={QUERY_SECRET}", binary.address)).bearer_auth(TOKEN),
        client.get(format!("{}/api/v1/stats", binary.address)).bearer_auth("wrong-token-not-logged"),
        client.get(format!("{}/metrics", binary.address)).bearer_auth(METRICS_TOKEN),
        client.get(format!("{}/readyz", binary.address)),
    ];
    let expected_statuses: [u16; 6] = [302, 404, 200, 401, 200, 200];
    for (request, status) in requests.drain(..).zip(expected_statuses) {
        let mut request = request;
        for (name, value) in forwarded {
            request = request.header(name, value);
        }
        assert_eq!(request.send().await.expect("request").status(), status);
    }
    binary.signal(libc::SIGTERM);
    assert!(binary.wait().await.success());

    let text = std::fs::read_to_string(&log_path).expect("log");
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let request_lines: Vec<&Value> = lines.iter().filter(|l| l["fields"]["message"] == "request").collect();
    // The mint and the six requests above, each logged once; the health polls at start too.
    assert!(request_lines.len() >= 7, "{text}");
    for line in &request_lines {
        let fields = &line["fields"];
        assert!(fields["status"].is_u64() && fields["latency_ms"].is_number(), "status and latency: {line}");
        assert!(!fields["path"].as_str().expect("path").contains('?'), "no query string: {line}");
    }
    let statuses: Vec<u64> = request_lines.iter().filter_map(|l| l["fields"]["status"].as_u64()).collect();
    for status in expected_statuses {
        assert!(statuses.contains(&u64::from(status)), "a {status} line: {statuses:?}");
    }
    for secret in [CLIENT_ADDRESS, QUERY_SECRET, TOKEN, METRICS_TOKEN, ADMIN_PASSWORD, "wrong-token-not-logged"] {
        assert!(!text.contains(secret), "the log holds `{secret}`");
    }
    assert!(text.contains("click writer stopped"), "the stop is logged");
}
