use super::*;
use crate::domain::{Channel, ContentId, ShortCode, TargetUrl};

fn click(visitor: usize) -> Click {
    let url = TargetUrl::parse("https://example.com/post").expect("url");
    Click {
        at_ms: 1_763_856_000_000,
        code: ShortCode::parse("abc23456").expect("code"),
        content: ContentId::for_url(&url),
        channel: "whatsapp".into(),
        campaign: None,
        kind: ClickKind::Person,
        device: "smartphone".into(),
        os: "iOS".into(),
        browser: "Safari".into(),
        in_app: None,
        country: "GB".into(),
        city: Some("London".into()),
        referrer_host: None,
        visitor: format!("{visitor:032x}"),
        source: "link".into(),
    }
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
    assert_eq!(thousand["xadd"], 1000, "one raw click each");
    for command in ["hincrby", "zincrby", "expireat", "set", "evalsha", "script load"] {
        assert_eq!(one[command], thousand[command], "{command} is per key, not per click");
    }
    // Visitors are added PFADD_CHUNK at a time, to the content's and the site's HLL.
    assert_eq!((one["pfadd"], thousand["pfadd"]), (2, 2 * 1000_usize.div_ceil(PFADD_CHUNK)));
    // clicks, dev, cc for site and content, city for the content.
    assert_eq!(one["hincrby"], 7);
}

#[test]
fn a_writer_sends_each_expiry_and_trim_once() {
    let (keys, policy, channels) = setup();
    let mut sent = SentRecently::default();
    let first = encode_batch_after(&keys, &policy, &channels, "b1", &[click(0)], &mut sent).commands();
    let second = encode_batch_after(&keys, &policy, &channels, "b2", &[click(1)], &mut sent).commands();
    assert_eq!((first["expireat"], first["xtrim"]), (6, 1), "day hashes, HLLs, top, stream; one stream");
    assert!(!second.contains_key("expireat") && !second.contains_key("xtrim"), "{second:?}");
    sent.forget();
    let third = encode_batch_after(&keys, &policy, &channels, "b3", &[click(2)], &mut sent).commands();
    assert_eq!(third["expireat"], 6);
}

#[test]
fn a_batch_knows_its_bytes_on_the_wire() {
    let batch = encode(&[click(0), click(1)]);
    let args: usize = batch.groups.iter().flat_map(|g| g.keys.iter().map(String::as_str).chain(g.args.iter())).map(str::len).sum();
    assert!(batch.wire_bytes() > args + include_str!("../apply_clicks.lua").len());
}

#[test]
fn the_script_names_the_raw_click_fields_like_the_writer() {
    let script = include_str!("../apply_clicks.lua");
    let line = script.lines().find(|l| l.starts_with("local CLICK_FIELDS")).expect("the script lists the fields");
    let quoted: Vec<String> = CLICK_FIELDS.iter().map(|f| format!("'{f}'")).collect();
    assert!(line.ends_with(&format!("{{{}}}", quoted.join(", "))), "{line}");
}

#[test]
fn raw_clicks_of_one_stream_travel_as_values_in_one_op() {
    let batch = encode(&[click(0), click(1), click(2)]);
    let args = &batch.groups[0].args;
    let at = args.iter().position(|a| a == "r").expect("an r op");
    assert_eq!(args.get(at + 3), Some("3"), "three entries");
    let time = click(0).at_ms.to_string();
    let rows: Vec<&str> = args.iter().skip(at + 4).step_by(CLICK_FIELDS.len()).take(3).collect();
    assert_eq!(rows, [time.as_str(); 3], "each row starts with the click's time");
    assert_eq!(batch.commands()["xadd"], 3);
}
