//! Measures Redis memory per link and per content-channel-day, with the real key layout
//! and the real writers (no HTTP). Usage:
//!
//!     cargo run --release --example redis_memory -- redis://127.0.0.1:6399 [links] [contents]
//!
//! Use an empty Redis: it reads `used_memory` before and after, and runs FLUSHDB at the end
//! only on the keys it wrote (its own prefix).

use sharetrail::domain::click::{VisitorId, now_ms};
use sharetrail::domain::{Channel, ChannelRegistry, Click, ClickKind, ContentId, Link, ShortCode, TargetUrl};
use std::sync::Arc;
use sharetrail::store::Store;
use sharetrail::store::clicks::{WritePolicy, encode_batch};

const CHANNELS: [&str; 4] = ["whatsapp", "email", "slack", "sms"];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let links: usize = args.get(2).map_or(Ok(100_000), |n| n.parse())?;
    let contents: usize = args.get(3).map_or(Ok(2_000), |n| n.parse())?;
    let prefix = "mem:";
    let store = Store::connect(&url.clone().into(), prefix)?;
    let channels = registry()?;

    let before = used_memory(&store).await?;
    mint_links(&store, &channels, links).await?;
    let after_links = used_memory(&store).await?;
    let per_link = (after_links - before) as f64 / links as f64;
    println!("links: {links}, memory {:.1} MiB, {per_link:.0} bytes per link (its string + content hash + index)", mib(after_links - before));

    let clicks_per_cell = 10;
    write_clicks(&store, &channels, contents, clicks_per_cell).await?;
    let after_clicks = used_memory(&store).await?;
    let cells = contents * CHANNELS.len();
    println!(
        "content-channel-days: {cells} ({clicks_per_cell} clicks each from distinct visitors), memory {:.1} MiB, {:.0} bytes per content-channel-day including raw clicks",
        mib(after_clicks - after_links),
        (after_clicks - after_links) as f64 / cells as f64
    );
    let sample = ContentId::for_url(&TargetUrl::parse("https://example.com/clicked/0")?);
    let day = sharetrail::domain::click::day_of(now_ms());
    let keys = store.keys();
    for (what, key) in [
        ("content day hash", keys.content_day(&sample, &day)),
        ("visitors HLL (one channel)", keys.content_visitors(&sample, &day, "sms")),
        ("raw clicks stream", keys.content_clicks(&sample)),
        ("site day hash", keys.site_day(&day)),
    ] {
        let bytes: Option<i64> = redis::cmd("MEMORY").arg("USAGE").arg(&key).query_async(&mut store.conn()).await?;
        println!("  MEMORY USAGE {what}: {} bytes", bytes.unwrap_or(0));
    }
    println!("projection: 1,000,000 links ≈ {:.0} MiB", per_link * 1e6 / 1048576.0);
    Ok(())
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / 1048576.0
}

fn registry() -> Result<ChannelRegistry, Box<dyn std::error::Error>> {
    let channel = |name: &str| Channel { name: name.into(), label: name.into(), private: true, share_url: None, previews: vec![], qr: false };
    Ok(ChannelRegistry::new(CHANNELS.iter().map(|c| channel(c)).collect())?)
}

async fn used_memory(store: &Store) -> Result<i64, redis::RedisError> {
    let info: String = redis::cmd("INFO").arg("memory").query_async(&mut store.conn()).await?;
    Ok(info.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0))
}

/// One content per four links, one link per channel, as a CMS would mint them.
async fn mint_links(store: &Store, channels: &ChannelRegistry, links: usize) -> Result<(), Box<dyn std::error::Error>> {
    let now = now_ms();
    let mut pending = Vec::new();
    for i in 0..links.div_ceil(CHANNELS.len()) {
        let url = TargetUrl::parse(&format!("https://example.com/blog/2026/11/a-post-with-a-typical-slug-{i}"))?;
        let id = ContentId::for_url(&url);
        let (store, channels) = (store.clone(), channels.clone());
        pending.push(tokio::spawn(async move {
            store.save_content(&id, &url, None, now).await?;
            for name in CHANNELS {
                let channel = channels.get(name).expect("registered");
                store.mint_link(&id, &url, channel, None, 8, now).await?;
            }
            Ok::<_, sharetrail::error::AppError>(())
        }));
        if pending.len() == 256 {
            for task in pending.drain(..) {
                task.await??;
            }
        }
    }
    for task in pending {
        task.await??;
    }
    Ok(())
}

async fn write_clicks(store: &Store, channels: &ChannelRegistry, contents: usize, per_cell: usize) -> Result<(), Box<dyn std::error::Error>> {
    let policy = WritePolicy { retention_days: 400, recent_clicks: 1000, preview_window_secs: 300, marker_ttl_secs: 3600, group_by_slot: false };
    let mut clicks = Vec::new();
    for c in 0..contents {
        let target = TargetUrl::parse(&format!("https://example.com/clicked/{c}"))?;
        let content = ContentId::for_url(&target);
        for channel in CHANNELS {
            let link = Arc::new(Link {
                code: ShortCode::generate(8),
                content_id: content.clone(),
                channel: channel.into(),
                campaign: None,
                target: target.clone(),
                created_ms: now_ms(),
                enabled: true,
            });
            for v in 0..per_cell {
                clicks.push(Click {
                    at_ms: now_ms(),
                    link: link.clone(),
                    kind: ClickKind::Person,
                    device: "smartphone",
                    os: "iPhone".into(),
                    browser: "Safari".into(),
                    in_app: None,
                    country: ["GB", "DE", "US", "FR"][v % 4].into(),
                    city: Some("London".into()),
                    referrer_host: None,
                    visitor: VisitorId::from_hash(&((c * 1000 + v) as u128 * 0x9e3779b97f4a7c15).to_be_bytes()),
                    source: "link",
                });
            }
        }
    }
    for (n, chunk) in clicks.chunks(1000).enumerate() {
        let batch = encode_batch(store.keys(), &policy, channels, &format!("mem{n}"), chunk);
        store.apply_batch(&batch).await?;
    }
    Ok(())
}
