//! Minting share links: one link per channel for one page, the use case behind the API,
//! the widget's public endpoint, the HTML fragment and the admin UI.

use crate::domain::{Campaign, Channel, ContentId, Link, TargetUrl, Title};
use crate::error::Result;
use crate::domain::click::now_ms;
use crate::state::AppState;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// A parsed request to mint links.
pub struct ShareRequest {
    pub url: TargetUrl,
    pub title: Option<Title>,
    pub channels: Vec<Arc<Channel>>,
    pub campaign: Option<Campaign>,
}

impl ShareRequest {
    /// Parses client input; `channels: None` means the configured default set.
    /// A channel named twice is minted once, at its first position.
    pub fn parse(state: &AppState, url: &str, title: Option<&str>, channels: Option<&[String]>, campaign: Option<&str>) -> Result<ShareRequest> {
        let url = TargetUrl::parse(url)?;
        state.settings.allowed_hosts.check(&url)?;
        let channels = match channels {
            None => state.settings.default_channels.clone(),
            Some(names) => {
                let mut parsed: Vec<Arc<Channel>> = Vec::with_capacity(names.len());
                for name in names {
                    let channel = state.channels.parse(name)?;
                    if !parsed.iter().any(|c| c.name == channel.name) {
                        parsed.push(channel);
                    }
                }
                parsed
            }
        };
        if channels.is_empty() {
            return Err(crate::error::AppError::invalid("invalid_field", "channels must name at least one channel"));
        }
        Ok(ShareRequest {
            url,
            title: title.map(Title::parse).transpose()?.flatten(),
            channels,
            campaign: campaign.map(Campaign::parse).transpose()?.flatten(),
        })
    }
}

/// The answer: the content and one link per channel, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Minted {
    pub content: MintedContent,
    pub links: Vec<MintedLink>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MintedContent {
    pub id: String,
    pub url: String,
    pub title: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MintedLink {
    pub channel: String,
    pub label: String,
    pub private: bool,
    pub code: String,
    pub short_url: String,
    /// Null for apps without a share link: the button copies `short_url`.
    pub share_url: Option<String>,
    /// Where the share button should point: `GET` counts the tap (an intent) and
    /// redirects to `share_url` (or shows the link to copy); `POST` only counts it.
    pub intent_url: String,
    /// The short link as an SVG QR code; a scan counts as a click from a QR code.
    pub qr_url: String,
    /// Links are shared by scanning in this app (WeChat): its button shows `qr_url`.
    pub show_qr: bool,
}

/// Mints (or finds) the links of a request.
pub async fn mint(state: &AppState, request: &ShareRequest) -> Result<Minted> {
    let id = ContentId::for_url(&request.url);
    let now = now_ms();
    state.store.save_content(&id, &request.url, request.title.as_ref(), now).await?;
    // Without a title in the request, the stored one (from an earlier call) still goes into
    // the share texts, so a CMS that sends it once gets the same share URLs every time.
    let stored_title = match &request.title {
        Some(_) => None,
        None => state.store.get_content(&id).await?.and_then(|c| c.title),
    };
    let title = request.title.as_ref().map(Title::as_str).or(stored_title.as_deref());
    let mut links = Vec::with_capacity(request.channels.len());
    for channel in &request.channels {
        let link = state
            .store
            .mint_link(&id, &request.url, channel, request.campaign.as_ref(), state.settings.code_length, now)
            .await?;
        links.push(minted_link(state, channel, &link, title));
    }
    Ok(Minted {
        content: MintedContent { id: id.to_string(), url: request.url.to_string(), title: title.map(str::to_owned) },
        links,
    })
}

fn minted_link(state: &AppState, channel: &Channel, link: &Link, title: Option<&str>) -> MintedLink {
    let short_url = state.short_url(&link.code);
    MintedLink {
        channel: channel.name.clone(),
        label: channel.label.clone(),
        private: channel.private,
        code: link.code.to_string(),
        share_url: channel.share_url.as_ref().map(|t| t.render(&short_url, title)),
        short_url,
        intent_url: state.intent_url(&link.code),
        qr_url: state.qr_url(&link.code),
        show_qr: channel.qr,
    }
}
