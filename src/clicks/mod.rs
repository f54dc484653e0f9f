//! The click pipeline: a redirect's request facts are classified (person, preview, bot),
//! enriched (device, place) and hashed (visitor) into a [`Click`], which goes to the
//! recorder's queue. Share intents (a tap on a share button) take the same way, so they
//! keep the same privacy rules. Nothing here waits on Redis.

pub mod classify;
pub mod recorder;
pub mod spool;
pub mod ua_cache;
pub mod visitors;

use crate::domain::click::now_ms;
use crate::domain::{Click, ClickKind, Link};
use crate::enrich::client_ip::{TrustedProxies, client_ip};
use crate::enrich::geo::GeoDb;
use classify::Visitor;
use recorder::Recorder;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};
use ua_cache::CachedClassifier;
use visitors::VisitorHasher;

/// What a request says about its reader, taken from its headers and socket.
#[derive(Debug, Default)]
pub struct RequestFacts<'a> {
    pub peer: Option<IpAddr>,
    pub forwarded: Option<&'a str>,
    pub x_forwarded_for: Option<&'a str>,
    pub user_agent: &'a str,
    pub referer: Option<&'a str>,
    /// `DNT: 1` or `Sec-GPC: 1`.
    pub opted_out: bool,
}

/// Turns requests into clicks and hands them to the recorder.
pub struct Tracker {
    pub classifier: CachedClassifier,
    pub geo: Arc<GeoDb>,
    pub proxies: TrustedProxies,
    pub visitors: Arc<VisitorHasher>,
    pub recorder: Recorder,
    /// Honour DNT / Sec-GPC: count the click, without device or place.
    pub honor_opt_out: bool,
}

impl Tracker {
    /// Records one fetch of `link`; `source` is "link" or "qr".
    pub fn track(&self, link: &Arc<Link>, facts: &RequestFacts<'_>, source: &'static str) {
        self.recorder.record(self.click(link, facts, source));
    }

    /// Records a tap on a share button of `link` as an intent, when a person made it;
    /// `source` is "button" or "beacon". Returns whether it was recorded: previews and
    /// bots that fetch a share button's URL are not people about to share.
    pub fn track_intent(&self, link: &Arc<Link>, facts: &RequestFacts<'_>, source: &'static str) -> bool {
        let mut click = self.click(link, facts, source);
        if click.kind != ClickKind::Person {
            return false;
        }
        click.kind = ClickKind::Intent;
        self.recorder.record(click);
        true
    }

    /// Builds the click. The address is used for the place and the visitor hash, then dropped.
    pub fn click(&self, link: &Arc<Link>, facts: &RequestFacts<'_>, source: &'static str) -> Click {
        let ip = facts.peer.and_then(|peer| client_ip(peer, facts.forwarded, facts.x_forwarded_for, &self.proxies));
        let ua = self.classifier.classify(facts.user_agent);
        let kind = match &ua.visitor {
            Visitor::Person => ClickKind::Person,
            Visitor::Preview { platform } => ClickKind::Preview(Arc::clone(platform)),
            Visitor::Bot => ClickKind::Bot,
        };
        let private = self.honor_opt_out && facts.opted_out;
        let place = if private { None } else { ip.and_then(|ip| self.geo.lookup(ip)) };
        let (country, city) = place.map_or_else(|| (Arc::clone(&UNKNOWN_SHARED), None), |p| (p.country, p.city));
        let unknown = || Arc::clone(&UNKNOWN_SHARED);
        Click {
            at_ms: now_ms(),
            link: Arc::clone(link),
            kind,
            device: if private { UNKNOWN } else { ua.device },
            os: if private { unknown() } else { Arc::clone(&ua.os) },
            browser: if private { unknown() } else { Arc::clone(&ua.browser) },
            in_app: if private { None } else { ua.in_app.clone() },
            country,
            city,
            referrer_host: facts.referer.and_then(referrer_host),
            visitor: self.visitors.visitor_id(ip, facts.user_agent),
            source,
        }
    }
}

/// What a click says of a device or place it may not record, or could not tell.
const UNKNOWN: &str = "unknown";
static UNKNOWN_SHARED: LazyLock<Arc<str>> = LazyLock::new(|| UNKNOWN.into());

/// The host of a Referer, lower-cased; nothing else of it is kept.
fn referrer_host(referer: &str) -> Option<String> {
    let url = url::Url::parse(referer).ok()?;
    url.host_str().filter(|h| !h.is_empty()).map(str::to_ascii_lowercase)
}
