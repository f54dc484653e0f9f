use super::*;
use std::sync::LazyLock;

const DEFAULT_RULES: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config/classify.toml"));
const SHARED_UAS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/user-agents.tsv"
));
const IMESSAGE: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 \
    (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";

/// Shared rows we deliberately classify differently (UA prefix, our answer); none today.
const DISAGREEMENTS: &[(&str, Visitor)] = &[];

/// In-app browsers of the shared `person` rows (a UA fragment, the app); others have none.
const SHARED_IN_APP: &[(&str, &str)] = &[
    ("Instagram 334.", "instagram"),
    ("FB_IAB/FB4A", "facebook"),
    ("FBAN/FBIOS", "facebook"),
    ("[LinkedInApp]", "linkedin"),
    ("Slack_SSB/", "slack"),
    ("Teams/24004", "teams"),
    ("GSA/15", "google"),
];

static DEFAULT: LazyLock<Classifier> =
    LazyLock::new(|| Classifier::new(&default_config()).expect("the default rules compile"));

fn default_config() -> ClassifierConfig {
    toml::from_str(DEFAULT_RULES).expect("config/classify.toml matches ClassifierConfig")
}

/// A classifier from TOML fragments: the inside of each of the three arrays.
fn rules(previews: &str, bots: &str, in_app: &str) -> Result<Classifier, String> {
    let text = format!("previews = [{previews}]\nbots = [{bots}]\nin_app = [{in_app}]\n");
    let config: ClassifierConfig = toml::from_str(&text).map_err(|e| e.to_string())?;
    Classifier::new(&config)
}

fn visitor(ua: &str) -> Visitor {
    DEFAULT.classify(ua).visitor
}

fn preview(platform: &str) -> Visitor {
    Visitor::Preview {
        platform: platform.into(),
    }
}

/// A preview's platform is its rule's string, shared: a copy per preview was an allocation
/// on a request worker, freed on the click writer (docs/performance.md).
#[test]
fn previews_share_their_rules_platform() {
    let platform = |ua| match DEFAULT.classify(ua).visitor {
        Visitor::Preview { platform } => platform,
        other => panic!("not a preview: {other:?}"),
    };
    assert!(Arc::ptr_eq(&platform(IMESSAGE), &platform(IMESSAGE)));
}

/// (kind, platform, device, user agent) of every row of the shared file.
fn shared_rows() -> Vec<[&'static str; 4]> {
    let rows = SHARED_UAS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty());
    let fields = |line: &'static str| line.splitn(4, '\t').collect::<Vec<_>>().try_into().ok();
    rows.map(|line| fields(line).unwrap_or_else(|| panic!("malformed row: {line:?}")))
        .collect()
}

fn expected_visitor([kind, platform, _, ua]: [&str; 4]) -> Visitor {
    if let Some((_, ours)) = DISAGREEMENTS
        .iter()
        .find(|(prefix, _)| ua.starts_with(prefix))
    {
        return ours.clone();
    }
    match kind {
        "person" => Visitor::Person,
        "preview" => preview(platform),
        "bot" => Visitor::Bot,
        other => panic!("unknown kind {other:?} for {ua:?}"),
    }
}

#[test]
fn every_shared_user_agent_gets_the_expected_kind_platform_and_device() {
    let rows = shared_rows();
    assert!(
        rows.len() >= 35,
        "only {} rows read from the shared file",
        rows.len()
    );
    let mut failures = Vec::new();
    for row @ [_, _, device, ua] in rows {
        // The file gives devices for people only; ours are "crawler" for everyone else.
        let want = (
            expected_visitor(row),
            if device == "-" { CRAWLER } else { device },
        );
        let got = DEFAULT.classify(ua);
        if (got.visitor.clone(), got.device) != want {
            failures.push(format!("{ua:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "misclassified:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_shared_person_gets_the_expected_in_app_browser() {
    let people: Vec<_> = shared_rows()
        .into_iter()
        .filter(|r| r[0] == "person")
        .collect();
    for [_, _, _, ua] in &people {
        let want = SHARED_IN_APP
            .iter()
            .find(|(fragment, _)| ua.contains(fragment));
        let got = DEFAULT.classify(ua).in_app;
        assert_eq!(
            got.as_deref(),
            want.map(|(_, app)| *app),
            "in-app of {ua:?}"
        );
    }
    for (fragment, _) in SHARED_IN_APP {
        assert!(
            people.iter().any(|r| r[3].contains(fragment)),
            "no row has {fragment}"
        );
    }
}

#[test]
fn other_in_app_browsers_are_recognised_and_messenger_wins_over_facebook() {
    let cases = [
        (
            "[FBAN/MessengerForiOS;FBAV/450.0.0.36.107;FBDV/iPhone14,5]",
            "messenger",
        ),
        (
            "MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
            "wechat",
        ),
        ("Safari Line/14.3.0", "line"),
        (
            "Snapchat/12.80.0.42 (like Safari/8617.2.4.10.8, panda)",
            "snapchat",
        ),
        (
            "musical_ly_33.1.0 JsSdk/2.0 NetType/WIFI BytedanceWebview/d8a21c6",
            "tiktok",
        ),
        ("Twitter for iPhone/10.34", "x"),
    ];
    for (suffix, app) in cases {
        let got = DEFAULT.classify(&format!("{IPHONE} {suffix}"));
        let want = (Visitor::Person, "smartphone", Some(app));
        assert_eq!(
            (got.visitor, got.device, got.in_app.as_deref()),
            want,
            "{suffix}"
        );
    }
}

#[test]
fn default_rules_put_specific_previews_above_the_general_ones_that_also_match() {
    let config = default_config();
    let first = |platform: &str| config.previews.iter().position(|r| r.platform == platform);
    let pairs = [
        ("imessage", "facebook"),
        ("imessage", "x"),
        ("line", "facebook"),
    ];
    let more = [
        ("kakaotalk", "facebook"),
        ("signal", "whatsapp"),
        ("telegram", "x"),
    ];
    for (specific, general) in pairs.into_iter().chain(more) {
        assert!(
            first(specific) < first(general),
            "{specific} must precede {general}"
        );
    }
}

#[test]
fn imessage_line_and_telegram_are_lost_when_their_rules_come_last() {
    let line = "facebookexternalhit/1.1;line-poker/1.0";
    let telegram = "TelegramBot (like TwitterBot)";
    let cases = [
        (IMESSAGE, "imessage", "facebook"),
        (line, "line", "facebook"),
    ];
    for (ua, own, thief) in cases.into_iter().chain([(telegram, "telegram", "x")]) {
        assert_eq!(visitor(ua), preview(own), "{ua}");
        let mut config = default_config();
        let at = config
            .previews
            .iter()
            .position(|r| r.platform == own)
            .unwrap();
        let rule = config.previews.remove(at);
        config.previews.push(rule);
        let reordered = Classifier::new(&config).unwrap();
        assert_eq!(reordered.classify(ua).visitor, preview(thief), "{ua}");
    }
}

#[test]
fn signal_needs_to_precede_a_whatsapp_rule_that_would_also_match_it() {
    let signal = r#"{ platform = "signal", equals = "WhatsApp/2" }"#;
    let whatsapp = r#"{ platform = "whatsapp", contains_all = ["WhatsApp/"] }"#;
    let signal_first = rules(&format!("{signal}, {whatsapp}"), "", "").unwrap();
    let whatsapp_first = rules(&format!("{whatsapp}, {signal}"), "", "").unwrap();
    assert_eq!(
        signal_first.classify("WhatsApp/2").visitor,
        preview("signal")
    );
    assert_eq!(
        whatsapp_first.classify("WhatsApp/2").visitor,
        preview("whatsapp")
    );
    let real_whatsapp = signal_first.classify("WhatsApp/2.23.20.0 A");
    assert_eq!(real_whatsapp.visitor, preview("whatsapp"));
}

#[test]
fn matching_ignores_ascii_case_but_equals_still_means_the_whole_agent() {
    assert_eq!(visitor("whatsapp/2.23.20.0 a"), preview("whatsapp"));
    assert_eq!(visitor("WHATSAPP/2"), preview("signal"));
    assert_eq!(visitor("  WhatsApp/2 "), preview("signal"));
    assert_eq!(
        visitor("telegrambot (LIKE TWITTERBOT)"),
        preview("telegram")
    );
    assert_eq!(visitor("SLACKBOT-LINKEXPANDING 1.0"), preview("slack"));
    assert_eq!(
        visitor("Mozilla/5.0 (compatible; GOOGLEBOT/2.1)"),
        Visitor::Bot
    );
    // An imitator that starts with Signal's string is not Signal (and not a person).
    let anytype = "WhatsApp/2 (compatible; AnytypeBot/1.0; +https://anytype.io/bot)";
    assert_eq!(visitor(anytype), Visitor::Bot);
    let instagram = DEFAULT.classify(&format!("{IPHONE} instagram 334.0.0"));
    assert_eq!(instagram.in_app.as_deref(), Some("instagram"));
}

#[test]
fn empty_blank_and_placeholder_agents_are_bots() {
    for ua in ["", "   ", "\t", "-"] {
        let got = DEFAULT.classify(ua);
        assert_eq!(
            (got.visitor, got.device, &*got.os),
            (Visitor::Bot, CRAWLER, UNKNOWN)
        );
    }
}

#[test]
fn previews_and_bots_are_crawlers_whatever_their_disguise() {
    let teams = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
        Gecko) Chrome/134.0.0.0 Safari/537.36 Edg/134.0.0.0 MicrosoftPreview/2.0 +https://aka.ms";
    let got = DEFAULT.classify(teams);
    let want = (preview("teams"), CRAWLER, "Windows 10", "Edge", None);
    assert_eq!(
        (got.visitor, got.device, &*got.os, &*got.browser, got.in_app),
        want
    );
    let google = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let got = DEFAULT.classify(google);
    assert_eq!(
        (got.visitor, got.device, &*got.browser),
        (Visitor::Bot, CRAWLER, "Googlebot")
    );
}

#[test]
fn people_get_woothee_device_os_and_browser() {
    let safari = format!("{IPHONE} Version/18.5 Mobile/15E148 Safari/604.1");
    let want = UaDetails {
        visitor: Visitor::Person,
        device: "smartphone",
        os: "iPhone".into(),
        browser: "Safari".into(),
        in_app: None,
    };
    assert_eq!(DEFAULT.classify(&safari), want);
    let unparsed = DEFAULT.classify("Acme Reader 3");
    let want = (Visitor::Person, UNKNOWN, UNKNOWN, UNKNOWN);
    assert_eq!(
        (
            unparsed.visitor,
            unparsed.device,
            &*unparsed.os,
            &*unparsed.browser
        ),
        want
    );
}

#[test]
fn woothee_flags_crawlers_and_http_libraries_without_any_bot_rule() {
    let classifier = rules("", "", "").unwrap();
    let bing = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
    for ua in [bing, "Wget/1.21.4", "curl/8.5.0"] {
        assert_eq!(classifier.classify(ua).visitor, Visitor::Bot, "{ua}");
    }
}

#[test]
fn huge_and_garbage_agents_never_panic() {
    let huge = "Mozilla/5.0 (iPhone) ü日\u{0}".repeat(5_000);
    assert!(huge.len() > 100_000);
    assert_eq!(visitor(&huge), Visitor::Bot);
    let pieces: Vec<&str> = "Mozilla/5.0 |(|)|;| |iPhone|Android 14|Windows NT 10.0|Chrome/|\
        Version/|Safari/|1|.|/|bot|FBAN/|WhatsApp/2|GSA/|é|日本|\u{0}|\u{feff}|Line/|\
        Twitterbot|facebookexternalhit|MSIE |Trident/|Slack_SSB|+http"
        .split('|')
        .collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as usize
    };
    for _ in 0..2_000 {
        let (mut ua, len) = (String::new(), next() % (MAX_UA_BYTES + 50));
        while ua.len() < len {
            ua.push_str(pieces[next() % pieces.len()]);
        }
        let got = DEFAULT.classify(&ua);
        assert_eq!(
            got.device == CRAWLER,
            got.visitor != Visitor::Person,
            "{ua:?}"
        );
    }
}

#[test]
fn more_needles_than_fit_on_the_stack_still_match() {
    let bots: Vec<String> = (0..300).map(|i| format!("\"tok{i}/\"")).collect();
    let classifier = rules("", &bots.join(", "), "").unwrap();
    let visitor = |ua: &str| classifier.classify(ua).visitor;
    assert_eq!(visitor("Mozilla/5.0 tok299/1"), Visitor::Bot);
    assert_eq!(visitor("Mozilla/5.0 tok0/1"), Visitor::Bot);
    assert_eq!(visitor("Mozilla/5.0 tok300/1"), Visitor::Person);
}

#[test]
fn a_rule_with_equals_and_contains_all_needs_both() {
    let rule =
        r#"{ platform = "acme", equals = "Acme/1 (fetcher)", contains_all = ["fetch"] }"#;
    let classifier = rules(rule, "", "").unwrap();
    assert_eq!(
        classifier.classify("acme/1 (FETCHER)").visitor,
        preview("acme")
    );
    assert_eq!(
        classifier.classify("Acme/1 (fetcher) 2").visitor,
        Visitor::Person
    );
}

#[test]
fn bad_rules_are_rejected_with_the_rule_named() {
    let cases = [
        (
            r#"{ platform = "acme" }"#,
            r#"previews[0] (platform "acme"): needs `equals`"#,
        ),
        (
            r#"{ platform = "", equals = "A" }"#,
            r#"previews[0] (platform ""): `platform`"#,
        ),
        (
            r#"{ platform = "Acme Chat", equals = "A" }"#,
            "`platform` must be",
        ),
        (
            r#"{ platform = "acme", equals = " " }"#,
            "`equals` is blank",
        ),
        (
            r#"{ platform = "acme", contains_all = ["A", ""] }"#,
            "contains_all[1] is blank",
        ),
        (
            r#"{ platform = "acme", contain_all = ["A"] }"#,
            "unknown field `contain_all`",
        ),
    ];
    for (rule, message) in cases {
        let err = rules(rule, "", "").unwrap_err();
        assert!(err.contains(message), "{err:?} lacks {message:?}");
    }
    assert_eq!(
        rules("", r#""curl/", " ""#, "").unwrap_err(),
        "bots[1] is blank"
    );
    let in_app = r#"{ name = "acme", contains = "" }"#;
    let err = rules("", "", in_app).unwrap_err();
    assert_eq!(err, r#"in_app[0] (name "acme"): `contains` is blank"#);
}

#[test]
fn a_classifier_can_be_shared_between_workers() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Classifier>();
}
