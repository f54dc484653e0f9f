//! Fills Redis for `scripts/bench --preload`: links (one page per four links, one per
//! channel, as a CMS mints them) and recorded clicks spread over past days, written with
//! sharetrail's own writers (`Store::save_content`, `Store::mint_link`, `encode_batch` +
//! `Store::apply_batch`), so the keys are exactly the ones the service writes. Then it
//! measures, with `MEMORY USAGE … SAMPLES 0` on a sample of pages, the memory per link and
//! per content-channel-day, and prints what one batch of clicks costs Redis. Usage:
//!
//!     cargo run --release --example bench_preload -- REDIS_URL PREFIX [links] [clicks] [days]
//!
//! Defaults: 1,000,000 links, 10,000,000 clicks over the last 30 days. Pages are
//! `https://example.com/archive/<n>`, so they never collide with the bench's own pages.

use sharetrail::config::Settings;
use sharetrail::domain::click::{VisitorId, day_of, now_ms};
use sharetrail::domain::{ChannelRegistry, Click, ClickKind, ContentId, Link, TargetUrl};
use sharetrail::store::Store;
use sharetrail::store::clicks::{ClickBatch, WritePolicy, encode_batch};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinSet;

type AnyError = Box<dyn std::error::Error + Send + Sync>;

const CHANNELS: [&str; 4] = ["whatsapp", "email", "slack", "sms"];
const DAY_MS: i64 = 86_400_000;
const BATCH: usize = 1000;
/// Pages whose keys are measured.
const SAMPLE_PAGES: usize = 2000;

#[tokio::main]
async fn main() -> Result<(), AnyError> {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "redis://127.0.0.1:6390".into());
    let prefix = args.get(2).cloned().unwrap_or_else(|| "bench:".into());
    let links: usize = args.get(3).map_or(Ok(1_000_000), |n| n.parse())?;
    let clicks: usize = args.get(4).map_or(Ok(10_000_000), |n| n.parse())?;
    let days: i64 = args.get(5).map_or(Ok(30), |n| n.parse())?;
    let store = Store::connect(&url.into(), &prefix)?;
    let env = BTreeMap::from([("SHARETRAIL_ALLOWED_HOSTS".to_owned(), "example.com".to_owned())]);
    let channels = Arc::new(Settings::load(None, &env)?.0.channels);
    let page_count = links.div_ceil(CHANNELS.len());

    let memory_before = used_memory(&store).await?;
    let started = Instant::now();
    let pages = mint_pages(&store, &channels, page_count).await?;
    let memory_links = used_memory(&store).await?;
    println!("preload: {} links on {} pages in {:.0?}, used_memory +{:.0} MiB", pages.len() * CHANNELS.len(), pages.len(), started.elapsed(), mib(memory_links - memory_before));

    let started = Instant::now();
    let sample_batch = record_clicks(&store, &channels, &pages, clicks, days).await?;
    let memory_clicks = used_memory(&store).await?;
    println!("preload: {clicks} clicks over {days} days in {:.0?}, used_memory +{:.0} MiB", started.elapsed(), mib(memory_clicks - memory_links));

    measure_memory(&store, &pages, days).await?;
    report_batch_cost(&sample_batch);
    Ok(())
}

fn page_url(page: usize) -> Result<TargetUrl, AnyError> {
    Ok(TargetUrl::parse(&format!("https://example.com/archive/2026/a-post-with-a-typical-slug-{page}"))?)
}

/// A preloaded page and its links, one per channel of `CHANNELS`.
#[derive(Clone)]
struct Page {
    id: ContentId,
    links: [Arc<Link>; 4],
}

/// Mints every page's four links, 256 pages at a time.
async fn mint_pages(store: &Store, channels: &Arc<ChannelRegistry>, pages: usize) -> Result<Vec<Page>, AnyError> {
    let now = now_ms();
    let mut minted_pages = vec![None; pages];
    let mut running = JoinSet::new();
    for page in 0..pages {
        if running.len() == 256 {
            let (page, minted) = running.join_next().await.expect("a task runs")??;
            minted_pages[page] = Some(minted);
        }
        let (store, channels, url) = (store.clone(), channels.clone(), page_url(page)?);
        running.spawn(async move {
            let id = ContentId::for_url(&url);
            store.save_content(&id, &url, None, now).await?;
            let mut minted = Vec::with_capacity(CHANNELS.len());
            for name in CHANNELS {
                let channel = channels.get(name).expect("a built-in channel");
                minted.push(Arc::new(store.mint_link(&id, &url, channel, None, 8, now).await?));
            }
            let links: [Arc<Link>; 4] = minted.try_into().expect("four links");
            Ok::<_, AnyError>((page, Page { id, links }))
        });
    }
    while let Some(done) = running.join_next().await {
        let (page, minted) = done??;
        minted_pages[page] = Some(minted);
    }
    Ok(minted_pages.into_iter().map(|p| p.expect("every page minted")).collect())
}

/// A well-mixed 64-bit hash of a counter (splitmix64), to spread clicks without a RNG.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The i-th of `total` preloaded clicks. Pages get their clicks in turn, so that a batch
/// holds a few pages' clicks and writes fast (counters summed per page); a page published
/// `page % days` days ago gets its clicks over its first three days; 85 % people, 10 %
/// previews, 5 % bots.
fn click(i: usize, total: usize, pages: &[Page], days: i64, now: i64) -> Click {
    let h = mix(i as u64);
    let page = i * pages.len() / total;
    let days_ago = (page as i64 % days - ((h >> 40) % 3) as i64).max(0);
    let at_ms = (now - days_ago * DAY_MS - ((h >> 8) % DAY_MS as u64) as i64).max(now - (days + 1) * DAY_MS);
    let channel = (h >> 20) as usize % CHANNELS.len();
    let kind = match (h >> 24) % 100 {
        0..85 => ClickKind::Person,
        85..95 => ClickKind::Preview(["whatsapp", "slack", "imessage", "telegram", "facebook"][(h >> 32) as usize % 5].into()),
        _ => ClickKind::Bot,
    };
    let person = kind == ClickKind::Person;
    let pick = |list: &[&'static str], shift: u32| list[(h >> shift) as usize % list.len()];
    let (country, city) = [("GB", "London"), ("DE", "Berlin"), ("US", "New York"), ("FR", "Paris"), ("BR", "São Paulo")][(h >> 36) as usize % 5];
    Click {
        at_ms,
        link: pages[page].links[channel].clone(),
        device: if person { pick(&["smartphone", "smartphone", "pc"], 44) } else { "crawler" },
        os: pick(&["iPhone", "Android", "Windows 10", "Mac OSX"], 46).into(),
        browser: pick(&["Safari", "Chrome", "Webview"], 48).into(),
        in_app: (person && h >> 50 & 7 == 0).then(|| pick(&["instagram", "facebook", "linkedin"], 52).into()),
        country: country.into(),
        city: Some(city.into()),
        referrer_host: None,
        visitor: VisitorId::from_hash(&(u128::from(mix(h)) << 64 | u128::from(h)).to_be_bytes()),
        source: "link",
        kind,
    }
}

/// Writes `clicks` clicks in batches of a thousand, four batches in flight; returns the
/// first batch, for its cost.
async fn record_clicks(store: &Store, channels: &ChannelRegistry, pages: &[Page], clicks: usize, days: i64) -> Result<ClickBatch, AnyError> {
    let policy = WritePolicy { retention_days: 400, recent_clicks: 1000, preview_window_secs: 300, marker_ttl_secs: 3600, group_by_slot: false };
    let now = now_ms();
    let batches = clicks.div_ceil(BATCH);
    let mut running = JoinSet::new();
    let mut first = None;
    for b in 0..batches {
        if running.len() == 4 {
            running.join_next().await.expect("a task runs")??;
        }
        let range = b * BATCH..((b + 1) * BATCH).min(clicks);
        let batch_clicks: Vec<Click> = range.map(|i| click(i, clicks, pages, days, now)).collect();
        let batch = encode_batch(store.keys(), &policy, channels, &format!("preload{b}"), &batch_clicks);
        if first.is_none() {
            first = Some(batch.clone());
        }
        let store = store.clone();
        running.spawn(async move { store.apply_batch(&batch).await.map_err(AnyError::from) });
        if b % 1000 == 999 {
            println!("preload: {} clicks written", (b + 1) * BATCH);
        }
    }
    while let Some(done) = running.join_next().await {
        done??;
    }
    Ok(first.expect("at least one batch"))
}

/// Sums `MEMORY USAGE … SAMPLES 0` over the keys of a sample of pages and over the
/// site-wide day keys, and prints bytes per link and per content-channel-day.
async fn measure_memory(store: &Store, pages: &[Page], days: i64) -> Result<(), AnyError> {
    let keys = store.keys();
    let day_list: Vec<String> = (0..=days + 1).map(|d| day_of(now_ms() - d * DAY_MS)).collect();
    let step = (pages.len() / SAMPLE_PAGES).max(1);
    let (mut link_bytes, mut click_bytes, mut cells, mut sampled) = (0, 0, 0, 0);
    for page in pages.iter().step_by(step) {
        let id = &page.id;
        let mut link_keys = vec![keys.content(id), keys.content_links(id)];
        link_keys.extend(page.links.iter().map(|link| keys.link(&link.code)));
        link_bytes += memory_usage(store, &link_keys).await?;
        let mut click_keys = vec![keys.content_clicks(id)];
        for day in &day_list {
            click_keys.push(keys.content_day(id, day));
            click_keys.extend(CHANNELS.iter().map(|ch| keys.content_visitors(id, day, ch)));
        }
        cells += channels_with_clicks(store, &day_list.iter().map(|day| keys.content_day(id, day)).collect::<Vec<_>>()).await?;
        click_bytes += memory_usage(store, &click_keys).await?;
        sampled += 1;
    }
    let mut site_keys = vec![keys.contents()];
    for day in &day_list {
        site_keys.extend([keys.site_day(day), keys.site_top(day)]);
        site_keys.extend(CHANNELS.iter().map(|ch| keys.site_visitors(day, ch)));
    }
    let site = memory_usage(store, &site_keys[1..]).await?;
    let contents_index = memory_usage(store, &site_keys[..1]).await?;
    let page_count = pages.len() as f64;
    let per_link = (link_bytes as f64 / sampled as f64 + contents_index as f64 / page_count) / CHANNELS.len() as f64;
    let total_cells = cells as f64 / sampled as f64 * page_count;
    let per_cell = (click_bytes as f64 / sampled as f64 * page_count + site as f64) / total_cells;
    println!("memory: MEMORY USAGE (SAMPLES 0) over {sampled} sampled pages of {} and every site-wide key", pages.len());
    println!("memory: per link {per_link:.0} bytes (its string, a quarter of the page's hash and link index, of its `contents` entry)");
    println!(
        "memory: per content-channel-day {per_cell:.0} bytes ({:.1} content-channel-days per page; day hash, visitor HLL and raw-click stream shares, site-wide day keys)",
        cells as f64 / sampled as f64
    );
    Ok(())
}

/// The summed `MEMORY USAGE` of keys (missing keys count 0), in one pipeline.
async fn memory_usage(store: &Store, keys: &[String]) -> Result<i64, AnyError> {
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("MEMORY").arg("USAGE").arg(key).arg("SAMPLES").arg(0);
    }
    let sizes: Vec<Option<i64>> = pipe.query_async(&mut store.conn()).await?;
    Ok(sizes.into_iter().flatten().sum())
}

/// Content-channel-days with a click, share or bot counted, over a content's day hashes.
async fn channels_with_clicks(store: &Store, day_keys: &[String]) -> Result<usize, AnyError> {
    let mut pipe = redis::pipe();
    for key in day_keys {
        pipe.cmd("HKEYS").arg(key);
    }
    let days: Vec<Vec<String>> = pipe.query_async(&mut store.conn()).await?;
    let cells = days.iter().map(|fields| {
        let channels: BTreeSet<&str> = fields
            .iter()
            .filter_map(|f| f.split_once(':'))
            .filter(|(kind, _)| matches!(*kind, "clicks" | "shares" | "bots"))
            .map(|(_, channel)| channel)
            .collect();
        channels.len()
    });
    Ok(cells.sum())
}

/// What one batch of preloaded clicks (random pages, so little to sum) costs Redis.
fn report_batch_cost(batch: &ClickBatch) {
    let commands = batch.commands();
    let total: usize = commands.values().sum();
    let per_click = |n: usize| n as f64 / batch.clicks as f64;
    let listed: Vec<String> = commands.iter().map(|(name, n)| format!("{name} {:.2}", per_click(*n))).collect();
    println!(
        "batch cost: {} clicks → {total} commands ({:.1} per click: {}), {} bytes sent ({:.0} per click), one round trip",
        batch.clicks,
        per_click(total),
        listed.join(", "),
        batch.wire_bytes(),
        per_click(batch.wire_bytes())
    );
}

async fn used_memory(store: &Store) -> Result<i64, AnyError> {
    let info: String = redis::cmd("INFO").arg("memory").query_async(&mut store.conn()).await?;
    Ok(info.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0))
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / 1_048_576.0
}
