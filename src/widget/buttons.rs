//! The buttons, as data and as HTML. One markup, written twice — here (askama,
//! templates/share_buttons.html) and in assets/widget.js (DOM calls) — and checked to
//! agree by the browser tests:
//!
//! - a channel with a share URL is an `<a href="…/share/{code}">`: following it counts
//!   the tap and redirects to the app's share URL (a new tab for web share pages);
//! - a channel without one is a `<button data-st-copy>` that copies the short link and
//!   sends a beacon (`POST …/share/{code}`); it sits in a `<form>` that `GET`s the same
//!   URL, so without script it still counts the tap and opens a page with the link;
//! - the `native` channel is a `<button data-st-native>` for the system share sheet,
//!   hidden until the script finds `navigator.share`.

use super::assets::VERSION;
use super::icons::icon_for;
use crate::domain::channel::SHARE_SHEET;
use crate::shares::{Minted, MintedLink};

/// What a button does.
pub enum Action {
    /// Follows `href` (the intent URL), in a new tab when the share URL is a web page.
    Open { new_tab: bool },
    /// Copies the short link; `qr` is the QR code to show as well (WeChat).
    Copy { qr: Option<String> },
    /// Opens the system share sheet with the short link.
    ShareSheet,
}

/// One button.
pub struct ShareButton {
    pub channel: String,
    pub label: String,
    /// Path data of its icon.
    pub icon: &'static str,
    /// The intent URL: where the button points, and where the beacon goes.
    pub href: String,
    pub short_url: String,
    pub action: Action,
}

impl ShareButton {
    fn new(link: &MintedLink) -> ShareButton {
        let action = match &link.share_url {
            _ if link.channel == SHARE_SHEET => Action::ShareSheet,
            Some(share_url) => Action::Open { new_tab: share_url.starts_with("https://") || share_url.starts_with("http://") },
            None => Action::Copy { qr: link.show_qr.then(|| link.qr_url.clone()) },
        };
        ShareButton {
            channel: link.channel.clone(),
            label: link.label.clone(),
            icon: icon_for(&link.channel),
            href: link.intent_url.clone(),
            short_url: link.short_url.clone(),
            action,
        }
    }
}

/// The HTML fragment of `GET /api/v1/shares/buttons`.
#[derive(askama::Template)]
#[template(path = "share_buttons.html")]
pub struct ShareButtons {
    pub stylesheet: String,
    /// The page title, for the share sheet.
    pub title: String,
    pub buttons: Vec<ShareButton>,
}

impl ShareButtons {
    /// The buttons of freshly minted links; `public_base` is where the stylesheet lives.
    pub fn new(minted: &Minted, public_base: &str) -> ShareButtons {
        ShareButtons {
            stylesheet: format!("{public_base}/widget.css?v={}", *VERSION),
            title: minted.content.title.clone().unwrap_or_default(),
            buttons: minted.links.iter().map(ShareButton::new).collect(),
        }
    }
}
