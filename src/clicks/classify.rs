//! Tells people, link-preview bots (unfurlers) and other bots apart by their `User-Agent`,
//! and reads the device, OS, browser and in-app browser of people.
//!
//! Rules come from configuration (`config/classify.toml` is the default) and are checked
//! previews first, then bots, then people; within a list the first matching rule wins.
//! All needles are matched ASCII-case-insensitively in a single pass of one Aho-Corasick
//! automaton built at start-up, so a redirect pays one scan of the UA plus woothee's parse
//! and never allocates a lowercase copy. (`aho-corasick` already comes in through woothee's
//! `regex`, so depending on it directly adds nothing to the build.)
//!
//! Why case-insensitive: vendors' tokens are fixed strings, but one name turns up in several
//! cases (Telegram's UA says `TwitterBot`, X's own says `Twitterbot`), and a missed preview is
//! counted as a person, the costlier mistake. The price is that a token can match a word in
//! another case, which the default rules avoid with long tokens (and `" Line/"`'s space).

use aho_corasick::AhoCorasick;
use serde::Deserialize;
use woothee::parser::Parser;
use std::sync::Arc;

/// Longer than any browser sends (real ones stay well under 1 KB). A longer UA is a bot; not
/// parsing it also caps the work one hostile header can cause.
const MAX_UA_BYTES: usize = 2048;
const UNKNOWN: &str = "unknown";
const CRAWLER: &str = "crawler";
/// woothee's name for HTTP client libraries (curl, Wget, Java, PHP, Perl…).
const WOOTHEE_HTTP_LIBRARY: &str = "HTTP Library";

/// What kind of client fetched a short link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visitor {
    Person,
    /// A messaging app's link-preview fetch: evidence that the link was shared there.
    Preview {
        /// Shared with the rule, so a preview's click carries it without an allocation.
        platform: Arc<str>,
    },
    Bot,
}

/// Everything the click record needs from the user agent.
///
/// `os` and `browser` are woothee's reading of the string ("unknown" when it has none).
/// `device` is woothee's category for a person and always "crawler" for a preview or a bot:
/// preview UAs are disguises (iMessage sends a Mac Safari UA from iPhones, Teams an Edge UA),
/// so woothee's "pc" would be wrong, and this way `device == "crawler"` exactly when the
/// visitor is not a person. `in_app` is only set for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaDetails {
    pub visitor: Visitor,
    /// woothee category: pc, smartphone, mobilephone, appliance, misc, crawler, unknown.
    pub device: &'static str,
    /// Shared (`Arc`) because every click of this user agent carries them.
    pub os: Arc<str>,
    pub browser: Arc<str>,
    pub in_app: Option<Arc<str>>,
}

/// One preview rule from configuration: a platform and how to recognise its UA.
/// With both `equals` and `contains_all`, both must hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRule {
    pub platform: String,
    /// The whole UA (trimmed), ignoring ASCII case.
    #[serde(default)]
    pub equals: Option<String>,
    /// Substrings that must all occur, ignoring ASCII case.
    #[serde(default)]
    pub contains_all: Vec<String>,
}

/// An in-app browser: its name when the UA contains `contains` (ignoring ASCII case).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InAppRule {
    pub name: String,
    pub contains: String,
}

/// The classification rules, in priority order within each list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierConfig {
    pub previews: Vec<PreviewRule>,
    /// UA substrings that mark a bot (ignoring ASCII case).
    pub bots: Vec<String>,
    pub in_app: Vec<InAppRule>,
}

/// Classifies user agents with rules compiled once from a [`ClassifierConfig`].
#[derive(Debug, Clone)]
pub struct Classifier {
    /// Every distinct needle of every rule; a match's pattern id indexes [`Hits`].
    matcher: AhoCorasick,
    needle_count: usize,
    previews: Vec<CompiledPreview>,
    bots: Vec<usize>,
    in_app: Vec<(Arc<str>, usize)>,
}

#[derive(Debug, Clone)]
struct CompiledPreview {
    platform: Arc<str>,
    equals: Option<String>,
    needles: Vec<usize>,
}

impl Classifier {
    /// Compiles `config`.
    ///
    /// # Errors
    /// A message naming the rule when one could never match or would match everything (no
    /// `equals` nor `contains_all`, a blank needle) or has a platform or app name that is not
    /// lowercase `a-z0-9_-`.
    pub fn new(config: &ClassifierConfig) -> Result<Classifier, String> {
        let mut needles = Needles::default();
        let previews = (config.previews.iter().enumerate())
            .map(|(i, rule)| compile_preview(i, rule, &mut needles))
            .collect::<Result<Vec<_>, _>>()?;
        let bots = (config.bots.iter().enumerate())
            .map(|(i, bot)| {
                needles
                    .add(bot)
                    .ok_or_else(|| format!("bots[{i}] is blank"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let in_app = (config.in_app.iter().enumerate())
            .map(|(i, rule)| compile_in_app(i, rule, &mut needles))
            .collect::<Result<Vec<_>, _>>()?;
        let matcher = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&needles.list)
            .map_err(|e| format!("cannot build the user-agent matcher: {e}"))?;
        let needle_count = needles.list.len();
        Ok(Classifier {
            matcher,
            needle_count,
            previews,
            bots,
            in_app,
        })
    }

    /// Classifies one `User-Agent` header value (pass "" when there is none). Never panics.
    #[must_use]
    pub fn classify(&self, user_agent: &str) -> UaDetails {
        let ua = user_agent.trim();
        if ua.is_empty() || ua == "-" || ua.len() > MAX_UA_BYTES {
            return UaDetails::unparsed_bot();
        }
        let hits = self.scan(ua);
        let reading = Reading::of(ua);
        if let Some(platform) = self.preview_platform(ua, &hits) {
            return reading.into_details(Visitor::Preview {
                platform: Arc::clone(platform),
            });
        }
        if reading.looks_automated() || self.bots.iter().any(|&id| hits.has(id)) {
            return reading.into_details(Visitor::Bot);
        }
        let in_app = self.in_app.iter().find(|(_, id)| hits.has(*id));
        let mut details = reading.into_details(Visitor::Person);
        details.in_app = in_app.map(|(name, _)| name.clone());
        details
    }

    fn scan(&self, ua: &str) -> Hits {
        let mut hits = Hits::new(self.needle_count);
        for found in self.matcher.find_overlapping_iter(ua) {
            hits.set(found.pattern().as_usize());
        }
        hits
    }

    fn preview_platform(&self, ua: &str, hits: &Hits) -> Option<&Arc<str>> {
        let matches = |rule: &&CompiledPreview| {
            rule.equals
                .as_ref()
                .is_none_or(|whole| ua.eq_ignore_ascii_case(whole))
                && rule.needles.iter().all(|&id| hits.has(id))
        };
        self.previews
            .iter()
            .find(matches)
            .map(|rule| &rule.platform)
    }
}

impl UaDetails {
    fn unparsed_bot() -> UaDetails {
        Reading {
            device: UNKNOWN,
            os: UNKNOWN.into(),
            browser: UNKNOWN.into(),
        }
        .into_details(Visitor::Bot)
    }
}

/// What woothee reads from a UA, normalised to owned strings and a static category.
struct Reading {
    device: &'static str,
    os: String,
    browser: String,
}

impl Reading {
    fn of(ua: &str) -> Reading {
        let Some(parsed) = Parser::new().parse(ua) else {
            return Reading {
                device: UNKNOWN,
                os: UNKNOWN.into(),
                browser: UNKNOWN.into(),
            };
        };
        Reading {
            device: device_class(parsed.category),
            os: known_or_unknown(parsed.os),
            browser: known_or_unknown(parsed.name),
        }
    }

    fn looks_automated(&self) -> bool {
        self.device == CRAWLER || self.browser == WOOTHEE_HTTP_LIBRARY
    }

    fn into_details(self, visitor: Visitor) -> UaDetails {
        let device = if visitor == Visitor::Person {
            self.device
        } else {
            CRAWLER
        };
        UaDetails {
            visitor,
            device,
            os: self.os.into(),
            browser: self.browser.into(),
            in_app: None,
        }
    }
}

/// Maps woothee's category (borrowed from its result) onto our fixed set of names.
fn device_class(category: &str) -> &'static str {
    match category {
        "pc" => "pc",
        "smartphone" => "smartphone",
        "mobilephone" => "mobilephone",
        "appliance" => "appliance",
        "misc" => "misc",
        "crawler" => CRAWLER,
        _ => UNKNOWN,
    }
}

fn known_or_unknown(value: &str) -> String {
    if value.is_empty() || value == woothee::woothee::VALUE_UNKNOWN {
        UNKNOWN.to_owned()
    } else {
        value.to_owned()
    }
}

/// The distinct needles of all rules, deduplicated the way they are matched (ASCII case).
#[derive(Default)]
struct Needles {
    list: Vec<String>,
}

impl Needles {
    /// The pattern id for `needle`, or `None` when it is blank (it would match every UA).
    /// Surrounding spaces are kept: they are how a rule asks for a word boundary.
    fn add(&mut self, needle: &str) -> Option<usize> {
        if needle.trim().is_empty() {
            return None;
        }
        let existing = self
            .list
            .iter()
            .position(|known| known.eq_ignore_ascii_case(needle));
        Some(existing.unwrap_or_else(|| {
            self.list.push(needle.to_owned());
            self.list.len() - 1
        }))
    }
}

fn compile_preview(
    index: usize,
    rule: &PreviewRule,
    needles: &mut Needles,
) -> Result<CompiledPreview, String> {
    let name = format!("previews[{index}] (platform {:?})", rule.platform);
    check_name(&name, "platform", &rule.platform)?;
    let equals = match rule.equals.as_deref().map(str::trim) {
        Some("") => return Err(format!("{name}: `equals` is blank")),
        other => other.map(str::to_owned),
    };
    if equals.is_none() && rule.contains_all.is_empty() {
        return Err(format!(
            "{name}: needs `equals` or a non-empty `contains_all`"
        ));
    }
    let ids = (rule.contains_all.iter().enumerate())
        .map(|(i, needle)| {
            needles
                .add(needle)
                .ok_or_else(|| format!("{name}: contains_all[{i}] is blank"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CompiledPreview {
        platform: rule.platform.as_str().into(),
        equals,
        needles: ids,
    })
}

fn compile_in_app(
    index: usize,
    rule: &InAppRule,
    needles: &mut Needles,
) -> Result<(Arc<str>, usize), String> {
    let name = format!("in_app[{index}] (name {:?})", rule.name);
    check_name(&name, "name", &rule.name)?;
    let id = needles
        .add(&rule.contains)
        .ok_or_else(|| format!("{name}: `contains` is blank"))?;
    Ok((rule.name.as_str().into(), id))
}

/// Platform and app names are stored in click records and used in keys: keep them tame.
fn check_name(rule: &str, field: &str, value: &str) -> Result<(), String> {
    let tame = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if value.is_empty() || !value.chars().all(tame) {
        return Err(format!(
            "{rule}: `{field}` must be non-empty lowercase a-z, 0-9, '-' or '_'"
        ));
    }
    Ok(())
}

/// Which needles occur in one UA: one bit per pattern id, on the stack for up to 256 needles.
struct Hits {
    inline: [u64; 4],
    spilled: Vec<u64>,
}

impl Hits {
    fn new(needles: usize) -> Hits {
        let words = needles.div_ceil(64);
        let spilled = if words > 4 {
            vec![0; words]
        } else {
            Vec::new()
        };
        Hits {
            inline: [0; 4],
            spilled,
        }
    }

    fn set(&mut self, id: usize) {
        let words = if self.spilled.is_empty() {
            &mut self.inline[..]
        } else {
            &mut self.spilled
        };
        words[id / 64] |= 1 << (id % 64);
    }

    fn has(&self, id: usize) -> bool {
        let words = if self.spilled.is_empty() {
            &self.inline[..]
        } else {
            &self.spilled
        };
        words[id / 64] & (1 << (id % 64)) != 0
    }
}

#[cfg(test)]
mod tests;
