use super::*;
use crate::domain::{Channel, ChannelRegistry, Click, ClickKind};
use crate::store::keys::Keys;
use crate::store::held_counters::{HeldCounters, PendingSums};
use crate::store::sent_recently::SentRecently;
use std::time::Duration;
use std::collections::BTreeMap;

fn click(visitor: usize) -> Click {
    Click::sample(visitor)
}

fn setup() -> (Keys, WritePolicy, ChannelRegistry) {
    let policy = WritePolicy { retention_days: 400, recent_clicks: 1000, preview_window_secs: 300, marker_ttl_secs: 3600, group_by_slot: false };
    let channel = Channel { name: "whatsapp".into(), label: "WhatsApp".into(), private: true, share_url: None, previews: vec![], qr: false };
    (Keys::new("st:"), policy, ChannelRegistry::new(vec![channel]).expect("registry"))
}

fn encode(clicks: &[Click]) -> ClickBatch {
    let (keys, policy, channels) = setup();
    encode_batch(&keys, &policy, &channels, "batch1", clicks)
}

#[test]
fn a_batch_sums_counters_so_only_raw_clicks_grow_with_its_size() {
    let one = encode(&[click(0)]).commands();
    let thousand = encode(&(0..1000).map(click).collect::<Vec<_>>()).commands();
    assert_eq!(one["xadd"], 1);
    assert_eq!(thousand["xadd"], 1000_usize.div_ceil(CLICKS_PER_ENTRY), "raw clicks go CLICKS_PER_ENTRY to an entry");
    for command in ["hincrby", "zincrby", "expireat", "set", "evalsha", "script load"] {
        assert_eq!(one[command], thousand[command], "{command} is per key, not per click");
    }
    // Visitors are added PFADD_CHUNK at a time, to the content's and the site's HLL.
    assert_eq!((one["pfadd"], thousand["pfadd"]), (2, 2 * 1000_usize.div_ceil(PFADD_CHUNK)));
    // Site and content days each get clicks, dev and cc, the content a city too: one `H`
    // op per hash, an HINCRBY per field.
    assert_eq!(one["hincrby"], 3 + 4);
    assert_eq!(script_ops(&encode(&[click(0)]).groups[0].args).filter(|&(op, _)| op == "H").count(), 2);
}

#[test]
fn a_writer_sends_each_expiry_and_trim_once() {
    let (keys, policy, channels) = setup();
    let mut sent = SentRecently::default();
    let first = encode_batch_after(&keys, &policy, &channels, "b1", &[click(0)], &mut sent, &mut HeldCounters::default()).commands();
    let second = encode_batch_after(&keys, &policy, &channels, "b2", &[click(1)], &mut sent, &mut HeldCounters::default()).commands();
    assert_eq!((first["expireat"], first["xtrim"]), (6, 1), "day hashes, HLLs, top, stream; one stream");
    assert!(!second.contains_key("expireat") && !second.contains_key("xtrim"), "{second:?}");
    sent.forget();
    let third = encode_batch_after(&keys, &policy, &channels, "b3", &[click(2)], &mut sent, &mut HeldCounters::default()).commands();
    assert_eq!(third["expireat"], 6);
}

#[test]
fn a_batch_knows_its_bytes_on_the_wire() {
    let batch = encode(&[click(0), click(1)]);
    let args: usize = batch.groups.iter().flat_map(|g| g.keys.iter().map(String::as_str).chain(g.args.iter())).map(str::len).sum();
    assert!(batch.wire_bytes() > args + include_str!("../apply_clicks.lua").len());
}

#[test]
fn raw_clicks_of_one_stream_travel_packed_in_one_entry() {
    let batch = encode(&[click(0), click(1), click(2)]);
    let args = &batch.groups[0].args;
    let at = args.iter().position(|a| a == "R").expect("an R op");
    assert_eq!(args.get(at + 3), Some("1"), "one entry");
    let records: Vec<&str> = args.get(at + 4).expect("the entry").split(RECORD_SEPARATOR).collect();
    assert_eq!(records.len(), 3);
    assert!(records[0].starts_with(&format!("{}{PACKED_SEPARATOR}", click(0).at_ms)), "the first starts with its time");
    assert!(records.iter().all(|r| r.split(PACKED_SEPARATOR).count() == CLICK_FIELDS.len()));
    assert_eq!(batch.commands()["xadd"], 1);
}

#[test]
fn a_full_entry_starts_the_next_and_maxlen_counts_entries_of_that_size() {
    let clicks: Vec<Click> = (0..2 * CLICKS_PER_ENTRY + 1).map(click).collect();
    let batch = encode(&clicks);
    let args = &batch.groups[0].args;
    let at = args.iter().position(|a| a == "R").expect("an R op");
    let sizes: Vec<usize> = (0..3).map(|e| args.get(at + 4 + e).expect("an entry").split(RECORD_SEPARATOR).count()).collect();
    assert_eq!((args.get(at + 3), sizes), (Some("3"), vec![CLICKS_PER_ENTRY, CLICKS_PER_ENTRY, 1]));
    // 1,000 recent clicks at 43 clicks an entry (129 / 3) are 24 entries.
    assert_eq!(args.get(at + 2), Some("24"));
}

#[test]
fn after_an_entry_s_first_click_times_and_repeated_values_refer_to_the_click_before() {
    let (mut second, mut third) = (click(1), click(2));
    second.at_ms += 250;
    third.at_ms += 240;
    third.kind = ClickKind::Bot;
    third.city = None;
    let batch = encode(&[click(0), second.clone(), third.clone()]);
    let args = &batch.groups[0].args;
    let at = args.iter().position(|a| a == "R").expect("an R op");
    let packed = args.get(at + 4).expect("the packed clicks");
    let records: Vec<Vec<&str>> = packed.split(RECORD_SEPARATOR).map(|r| r.split(PACKED_SEPARATOR).collect()).collect();
    let value = |record: usize, field: &str| records[record][CLICK_FIELDS.iter().position(|f| *f == field).expect("a field")];
    assert_eq!((value(1, "t"), value(2, "t")), ("250", "-10"), "milliseconds since the click before, which may be later");
    assert_eq!((value(1, "country"), value(1, "kind"), value(2, "kind")), (SAME_AS_BEFORE, SAME_AS_BEFORE, "bot"));
    assert_eq!((value(1, "campaign"), value(2, "city")), ("", ""), "an empty value stays empty");
    let clicks = unpack_raw_clicks(HashMap::from([(PACKED_FIELD.to_owned(), packed.to_owned())]));
    let times: Vec<String> = clicks.iter().map(|c| c["t"].clone()).collect();
    assert_eq!(times, [click(0).at_ms, second.at_ms, third.at_ms].map(|t| t.to_string()));
    assert_eq!((clicks[2]["country"].as_str(), clicks[2]["kind"].as_str(), clicks[2]["city"].as_str()), ("GB", "bot", ""));
    assert_eq!((clicks[1]["city"].as_str(), clicks[1]["os"].as_str(), clicks[1]["code"].as_str()), ("London", "iOS", "abc23456"));
}

#[test]
fn an_entry_packed_whole_reads_as_it_is() {
    let packed = ["1763856000000", "abc23456", "whatsapp", "", "person", "", "smartphone", "iOS", "Safari", "", "GB", "London", "", "link"].join("\u{1f}");
    let two = format!("{packed}{RECORD_SEPARATOR}{packed}");
    let clicks = unpack_raw_clicks(HashMap::from([(PACKED_WHOLE_FIELD.to_owned(), two)]));
    assert_eq!(clicks.len(), 2);
    assert!(clicks.iter().all(|c| c["t"] == "1763856000000" && c["city"] == "London" && c.len() == CLICK_FIELDS.len()));
}

#[test]
fn packed_clicks_unpack_to_their_fields_and_a_separator_in_a_value_cannot_shift_them() {
    let mut tricky = click(0);
    tricky.city = Some("Saint\u{1f}Denis".into());
    tricky.os = "i\u{1e}OS".into();
    tricky.browser = "\u{1d}".into();
    let batch = encode(&[tricky, click(1)]);
    let args = &batch.groups[0].args;
    let at = args.iter().position(|a| a == "R").expect("an R op");
    let packed = args.get(at + 4).expect("the packed clicks");
    let clicks = unpack_raw_clicks(HashMap::from([(PACKED_FIELD.to_owned(), packed.to_owned())]));
    assert_eq!(clicks.len(), 2);
    let fields = &clicks[0];
    assert_eq!(fields.len(), CLICK_FIELDS.len());
    assert_eq!((fields["city"].as_str(), fields["os"].as_str(), fields["country"].as_str()), ("Saint Denis", "i OS", "GB"));
    assert_eq!((fields["browser"].as_str(), clicks[1]["browser"].as_str()), (" ", "Safari"), "not taken as the same as before");
    assert_eq!((fields["campaign"].as_str(), fields["kind"].as_str(), fields["code"].as_str(), fields["source"].as_str()), ("", "person", "abc23456", "link"));
    assert_eq!(fields["t"], "1763856000000");
    assert_eq!(clicks[1]["city"], "London");
}

#[test]
fn an_entry_written_before_packing_reads_as_it_is() {
    let old = HashMap::from([("t".to_owned(), "1".to_owned()), ("kind".to_owned(), "bot".to_owned())]);
    assert_eq!(unpack_raw_clicks(old.clone()), vec![old]);
}

#[test]
fn one_or_two_fields_of_a_hash_are_plain_increments() {
    let mut bot = click(0);
    bot.kind = ClickKind::Bot;
    let batch = encode(&[bot]);
    assert_eq!(batch.commands()["hincrby"], 2, "bots:whatsapp on the content's and the site's day");
    let ops: Vec<&str> = script_ops(&batch.groups[0].args).map(|(op, _)| op).filter(|op| op.eq_ignore_ascii_case("h")).collect();
    assert_eq!(ops, ["h", "h"]);
}

#[test]
fn a_batch_encodes_the_same_way_every_time() {
    let clicks: Vec<Click> = (0..50).map(click).collect();
    let (first, second) = (encode(&clicks), encode(&clicks));
    assert_eq!(first.groups[0].keys, second.groups[0].keys);
    assert_eq!(first.groups[0].args, second.groups[0].args, "the maps' random order must not leak into the batch");
}

#[test]
fn counter_fields_are_written_whole_and_summed() {
    let mut preview = click(0);
    preview.kind = ClickKind::Preview("slack".into());
    let batch = encode(&[click(0), click(1), preview]);
    let args: Vec<&str> = batch.groups[0].args.iter().collect();
    let sum_of = |field: &str| args.windows(2).find(|pair| pair[0] == field).map(|pair| pair[1]);
    assert_eq!(sum_of("clicks:whatsapp"), Some("2"), "{args:?}");
    assert_eq!(sum_of("city:GB:London"), Some("2"));
    // A Slack preview of a WhatsApp link is a share of it, and a forward to Slack.
    for field in ["shares:whatsapp", "pv:slack", "fwd:whatsapp>slack"] {
        assert_eq!(args.iter().filter(|a| **a == field).count(), 2, "{field}: the content's day and the site's");
    }
}

#[test]
fn a_preview_opens_one_window_on_one_redis_and_one_per_slot_on_a_cluster() {
    let (keys, mut policy, channels) = setup();
    let mut preview = click(0);
    preview.kind = ClickKind::Preview("slack".into());
    let single = encode_batch(&keys, &policy, &channels, "b1", std::slice::from_ref(&preview));
    policy.group_by_slot = true;
    let cluster = encode_batch(&keys, &policy, &channels, "b1", &[preview]);
    // Every group has its batch marker; then one window per preview, or one per slot.
    assert_eq!((single.groups.len(), single.commands()["set"]), (1, 1 + 1));
    assert_eq!((cluster.groups.len(), cluster.commands()["set"]), (2, 2 + 2));
    // Either way both days get the share.
    for batch in [&single, &cluster] {
        let shares = batch.groups.iter().flat_map(|g| g.args.iter()).filter(|a| *a == "shares:whatsapp").count();
        assert_eq!(shares, 2);
    }
}

#[test]
fn a_preview_in_a_window_the_writer_knows_open_is_left_out() {
    let (keys, mut policy, channels) = setup();
    let mut preview = click(0);
    preview.kind = ClickKind::Preview("slack".into());
    let window = keys.content_preview_seen(preview.content(), preview.code(), "slack");
    let mut sent = SentRecently::default();
    sent.windows_opened([window.clone()], std::time::Instant::now(), policy.preview_window());
    let batch = encode_batch_after(&keys, &policy, &channels, "b1", std::slice::from_ref(&preview), &mut sent, &mut HeldCounters::default());
    assert_eq!(batch.commands()["set"], 1, "the batch marker only");
    assert!(!batch.groups[0].keys.contains(&window));
    assert!(!batch.groups[0].args.iter().any(|a| a == "shares:whatsapp"));
    assert_eq!(batch.commands()["xadd"], 1, "the preview is still a raw click");
    // On a cluster the site-wide window is another key, which this writer did not open.
    policy.group_by_slot = true;
    let cluster = encode_batch_after(&keys, &policy, &channels, "b2", &[preview], &mut sent, &mut HeldCounters::default());
    assert_eq!(cluster.commands()["set"], 2 + 1, "two markers and the site's window");
}

/// The batch's counter increments (`h` and `H` ops), by key and field.
fn increments(batch: &ClickBatch) -> BTreeMap<(String, String), i64> {
    let mut sums = BTreeMap::new();
    for group in &batch.groups {
        let (args, keys) = (&group.args, &group.keys);
        let arg = |i: usize| args.get(i).unwrap_or_default();
        let key = |i: usize| keys[arg(i).parse::<usize>().expect("a key number") - 1].clone();
        for (op, at) in script_ops(args) {
            let pairs = match op {
                "h" => vec![(arg(at + 2), arg(at + 3))],
                "H" => (0..arg(at + 2).parse::<usize>().expect("a count")).map(|f| (arg(at + 3 + 2 * f), arg(at + 4 + 2 * f))).collect(),
                _ => continue,
            };
            for (field, n) in pairs {
                *sums.entry((key(at + 1), field.to_owned())).or_insert(0) += n.parse::<i64>().expect("a number");
            }
        }
    }
    sums
}

#[test]
fn the_site_s_day_counts_the_sum_of_its_contents_days_but_no_cities_or_campaigns() {
    let mut other = click(1);
    let mut link = (*other.link).clone();
    link.content_id = crate::domain::ContentId::parse("00000000000000ff").expect("id");
    link.campaign = Some("spring".into());
    other.link = std::sync::Arc::new(link);
    let mut bot = click(2);
    bot.kind = ClickKind::Bot;
    let [first, second] = [click(0), other];
    let sums = increments(&encode(&[first.clone(), second.clone(), bot]));
    let (keys, day) = (Keys::new("st:"), crate::domain::click::day_of(first.at_ms));
    let day = day.as_str();
    let content_day = |c: &Click| keys.content_day(c.content(), day);
    let at = |key: &str, field: &str| sums.get(&(key.to_owned(), field.to_owned())).copied();
    assert_eq!(at(&keys.site_day(day), "clicks:whatsapp"), Some(2), "{sums:?}");
    assert_eq!(at(&keys.site_day(day), "cc:GB"), Some(2));
    assert_eq!(at(&keys.site_day(day), "bots:whatsapp"), Some(1));
    assert_eq!(at(&content_day(&first), "clicks:whatsapp"), Some(1));
    assert_eq!(at(&content_day(&first), "bots:whatsapp"), Some(1));
    assert_eq!(at(&content_day(&second), "clicks:whatsapp"), Some(1));
    assert_eq!(at(&content_day(&second), "camp:spring"), Some(1));
    assert_eq!(at(&content_day(&first), "city:GB:London"), Some(1));
    assert_eq!((at(&keys.site_day(day), "city:GB:London"), at(&keys.site_day(day), "camp:spring")), (None, None));
}

/// Counter sums held across batches: a minute, so that only `release_all` makes them due.
fn holding() -> HeldCounters {
    HeldCounters::new(Duration::from_secs(60))
}

#[test]
fn held_counters_leave_the_batch_and_come_back_summed_when_released() {
    let (keys, policy, channels) = setup();
    let (mut sent, mut held) = (SentRecently::default(), holding());
    let first = encode_batch_after(&keys, &policy, &channels, "b1", &[click(0), click(1)], &mut sent, &mut held);
    assert!(increments(&first).is_empty(), "{:?}", increments(&first));
    assert_eq!((first.commands()["xadd"], first.commands()["pfadd"]), (1, 2), "raw clicks and visitors still go");
    assert_eq!(first.commands()["expireat"], 4, "the HLLs, top and stream, not the day hashes yet");
    let second = encode_batch_after(&keys, &policy, &channels, "b2", &[click(2)], &mut sent, &mut held);
    assert!(increments(&second).is_empty());
    held.release_all();
    let third = encode_batch_after(&keys, &policy, &channels, "b3", &[click(3)], &mut sent, &mut held);
    let day = crate::domain::click::day_of(click(0).at_ms);
    let sums = increments(&third);
    assert_eq!(sums.get(&(keys.site_day(&day), "clicks:whatsapp".to_owned())), Some(&4), "{sums:?}");
    assert_eq!(sums, increments(&encode(&(0..4).map(click).collect::<Vec<_>>())), "the same sums as one batch of all four");
    assert_eq!(third.commands()["expireat"], 2, "the day hashes, now written");
    assert!(held.is_empty());
    let empty = encode_batch_after(&keys, &policy, &channels, "b4", &[], &mut sent, &mut held);
    assert!(empty.groups.is_empty(), "nothing held, nothing due");
}

#[test]
fn held_sums_wait_in_the_pending_hash_with_their_batch_until_the_batch_that_writes_them_clears_it() {
    let (keys, policy, channels) = setup();
    let (mut sent, mut held) = (SentRecently::default(), holding().pending_in(keys.held_sums("x")));
    // The pending hash's values: each batch's own sums, as the script stores them.
    let pending = |batch: &ClickBatch| -> Vec<(String, String)> {
        let group = &batch.groups[0];
        let arg = |i: usize| group.args.get(i).unwrap_or_default().to_owned();
        script_ops(&group.args).filter(|&(op, _)| op == "P").map(|(_, at)| (group.keys[arg(at + 1).parse::<usize>().expect("key") - 1].clone(), arg(at + 4))).collect()
    };
    let clears = |batch: &ClickBatch| batch.groups[0].args.iter().any(|op| op == "X");
    let written = |values: &[String]| {
        let mut held = PendingSums::decode(values.iter().map(String::as_str)).into_held("unused".into(), std::time::Instant::now());
        encode_batch_after(&keys, &policy, &channels, "r", &[], &mut SentRecently::default(), &mut held)
    };
    let first = encode_batch_after(&keys, &policy, &channels, "b1", &[click(0), click(1)], &mut sent, &mut held);
    let second = encode_batch_after(&keys, &policy, &channels, "b2", &[click(2)], &mut sent, &mut held);
    let (one, two) = (pending(&first), pending(&second));
    assert_eq!((one.len(), two.len(), clears(&first), clears(&second)), (1, 1, false, false));
    assert_eq!(one[0].0, keys.held_sums("x"));
    assert_eq!(increments(&written(&[one[0].1.clone()])), increments(&encode(&[click(0), click(1)])), "the first batch's sums");
    assert_eq!(increments(&written(&[one[0].1.clone(), two[0].1.clone()])), increments(&encode(&(0..3).map(click).collect::<Vec<_>>())));
    held.release_all();
    let third = encode_batch_after(&keys, &policy, &channels, "b3", &[click(3)], &mut sent, &mut held);
    assert!(pending(&third).is_empty() && clears(&third), "the batch that writes every held sum clears the hash");
    assert_eq!(increments(&third), increments(&encode(&(0..4).map(click).collect::<Vec<_>>())));
    assert_eq!(third.commands()["del"], 1);
    // A flush with nothing held: the batch writes its own sums and keeps none pending.
    held.release_all();
    let fourth = encode_batch_after(&keys, &policy, &channels, "b4", &[click(4)], &mut sent, &mut held);
    assert!(pending(&fourth).is_empty() && clears(&fourth), "written sums are never pending too");
    assert_eq!(increments(&fourth), increments(&encode(&[click(4)])));
}

#[test]
fn an_expiry_that_only_a_share_window_may_need_is_sent_each_time_until_the_counters_go() {
    let (keys, policy, channels) = setup();
    let (mut sent, mut held) = (SentRecently::default(), holding());
    let preview = |platform: &str| {
        let mut preview = click(0);
        preview.kind = ClickKind::Preview(platform.into());
        preview
    };
    let day_expiries = |batch: &ClickBatch| {
        let day = crate::domain::click::day_of(click(0).at_ms);
        let days = [keys.site_day(&day), keys.content_day(click(0).content(), &day)];
        let group = &batch.groups[0];
        script_ops(&group.args).filter(|&(op, at)| op == "t" && days.contains(&group.keys[group.args.get(at + 1).and_then(|k| k.parse::<usize>().ok()).expect("key") - 1])).count()
    };
    // A window that does not open writes no day hash, so an EXPIREAT of it may do nothing.
    let first = encode_batch_after(&keys, &policy, &channels, "b1", &[preview("slack")], &mut sent, &mut held);
    let second = encode_batch_after(&keys, &policy, &channels, "b2", &[preview("signal")], &mut sent, &mut held);
    assert_eq!((day_expiries(&first), day_expiries(&second)), (2, 2), "sent again: not remembered");
    held.release_all();
    let third = encode_batch_after(&keys, &policy, &channels, "b3", &[click(1)], &mut sent, &mut held);
    assert_eq!(day_expiries(&third), 2, "the held counters write the day hashes");
    held.release_all();
    let fourth = encode_batch_after(&keys, &policy, &channels, "b4", &[click(2)], &mut sent, &mut held);
    assert_eq!(day_expiries(&fourth), 0, "remembered once written");
}
