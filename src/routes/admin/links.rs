//! `/admin/links`: mint share links by hand (the same rules as the API), find contents
//! and their links, and switch a link off or on.

use super::error::AdminResult;
use super::page::{Frame, Nav, Notice, render};
use super::session::{AdminSession, safe_next};
use crate::domain::{ContentId, Link};
use crate::error::AppError;
use crate::shares::{ShareRequest, mint};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// Contents listed (newest first), and how many newest ones a search looks through.
const LISTED: usize = 30;
const SEARCHED: usize = 1000;

/// A link as the pages show it.
pub struct LinkRow {
    pub code: String,
    pub channel: String,
    pub campaign: String,
    pub short_url: String,
    pub share_url: String,
    pub enabled: bool,
}

/// Rows for a content's links; share URLs are filled in with the content's title.
pub fn link_rows(state: &AppState, links: Vec<Link>, title: Option<&str>) -> Vec<LinkRow> {
    links
        .into_iter()
        .map(|link| {
            let short_url = state.short_url(&link.code);
            let channel = state.channels.get(&link.channel);
            LinkRow {
                code: link.code.to_string(),
                channel: channel.map_or_else(|| link.channel.clone(), |c| c.label.clone()),
                campaign: link.campaign.unwrap_or_default(),
                share_url: channel.and_then(|c| c.share_url.as_ref()).map(|t| t.render(&short_url, title)).unwrap_or_default(),
                short_url,
                enabled: link.enabled,
            }
        })
        .collect()
}

struct ContentLinks {
    id: String,
    title: String,
    url: String,
    links: Vec<LinkRow>,
}

struct ChannelChoice {
    name: String,
    label: String,
    checked: bool,
}

#[derive(askama::Template)]
#[template(path = "admin/links.html")]
struct LinksPage {
    frame: Frame,
    search: String,
    contents: Vec<ContentLinks>,
    channels: Vec<ChannelChoice>,
    form: MintForm,
    form_error: Option<String>,
    /// The content just minted, shown first.
    minted: Option<ContentLinks>,
    embed: Embed,
}

/// What the "share buttons for your pages" snippet needs.
struct Embed {
    /// The versioned script URL, cacheable for a year.
    script: String,
    /// The default channels, comma-separated, as `data-channels` takes them.
    channels: String,
    /// The origins allowed to use the widget, as configured ("" for none, "*" for any).
    origins: String,
}

impl Embed {
    fn new(state: &AppState) -> Embed {
        Embed {
            script: format!("{}/widget.js?v={}", state.public_base, *crate::widget::assets::VERSION),
            channels: state.settings.default_channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","),
            origins: state.settings.widget_origins.to_string(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LinksQuery {
    q: Option<String>,
}

/// The mint form; `channels` comes as repeated `channels=…` fields.
#[derive(Debug, Default, Deserialize)]
pub struct MintForm {
    csrf: Option<String>,
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    channels: Vec<String>,
}

pub async fn list(session: AdminSession, query: web::Query<LinksQuery>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let search = query.q.clone().unwrap_or_default();
    let page = links_page(&session, &state, search, MintForm::default(), None, None).await?;
    render(StatusCode::OK, &page)
}

/// `POST /admin/links`: mints and shows the links, or the form again with the error.
pub async fn create(session: AdminSession, form: web::Form<Vec<(String, String)>>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let form = parse_form(form.into_inner());
    session.check_csrf(form.csrf.as_deref())?;
    let minted = async {
        let channels = (!form.channels.is_empty()).then_some(form.channels.as_slice());
        let request = ShareRequest::parse(&state, &form.url, Some(&form.title), channels, Some(&form.campaign))?;
        mint(&state, &request).await
    }
    .await;
    match minted {
        Ok(minted) => {
            let id = ContentId::parse(&minted.content.id).ok_or(AppError::Internal("minted a bad content id".into()))?;
            let links = state.store.links_of_content(&id).await?;
            let content = ContentLinks {
                links: link_rows(&state, links, minted.content.title.as_deref()),
                title: minted.content.title.clone().unwrap_or_else(|| minted.content.url.clone()),
                url: minted.content.url,
                id: minted.content.id,
            };
            let page = links_page(&session, &state, String::new(), MintForm::default(), None, Some(content)).await?;
            render(StatusCode::OK, &page)
        }
        Err(e @ (AppError::Invalid { .. } | AppError::HostNotAllowed(_))) => {
            let status = actix_web::ResponseError::status_code(&e);
            let page = links_page(&session, &state, String::new(), form, Some(e.public_message()), None).await?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The form arrives as pairs because `channels` repeats.
fn parse_form(pairs: Vec<(String, String)>) -> MintForm {
    let mut form = MintForm::default();
    for (name, value) in pairs {
        match name.as_str() {
            "csrf" => form.csrf = Some(value),
            "url" => form.url = value,
            "title" => form.title = value,
            "campaign" => form.campaign = value,
            "channels" => form.channels.push(value),
            _ => {}
        }
    }
    form
}

async fn links_page(
    session: &AdminSession,
    state: &AppState,
    search: String,
    form: MintForm,
    form_error: Option<String>,
    minted: Option<ContentLinks>,
) -> AdminResult<LinksPage> {
    let needle = search.trim().to_lowercase();
    let ids = state.store.recent_contents(if needle.is_empty() { LISTED } else { SEARCHED }).await?;
    let metas = state.store.get_contents(&ids).await?;
    let mut contents = Vec::new();
    for meta in metas.into_iter().flatten() {
        let matches = needle.is_empty() || meta.url.to_lowercase().contains(&needle) || meta.title.as_deref().is_some_and(|t| t.to_lowercase().contains(&needle));
        if !matches || contents.len() == LISTED {
            continue;
        }
        let links = state.store.links_of_content(&meta.id).await?;
        contents.push(ContentLinks {
            links: link_rows(state, links, meta.title.as_deref()),
            id: meta.id.to_string(),
            title: meta.title.unwrap_or_else(|| meta.url.clone()),
            url: meta.url,
        });
    }
    let defaults: Vec<&str> = state.settings.default_channels.iter().map(|c| c.name.as_str()).collect();
    let chosen = |name: &str| if form.channels.is_empty() { defaults.contains(&name) } else { form.channels.iter().any(|c| c == name) };
    let channels = state.channels.iter().map(|c| ChannelChoice { name: c.name.clone(), label: c.label.clone(), checked: chosen(&c.name) }).collect();
    let notice = minted.as_ref().map(|m| Notice::success(format!("Share links ready for “{}”.", m.title)));
    let embed = Embed::new(state);
    Ok(LinksPage { frame: session.frame(Nav::Links).with_notice(notice), search, contents, channels, form, form_error, minted, embed })
}

#[derive(Debug, Deserialize)]
pub struct ToggleForm {
    csrf: Option<String>,
    enabled: String,
    back: Option<String>,
}

/// `POST /admin/links/{code}/enabled`: switches a link off (its redirect answers 410 at
/// once) or on, then returns to the page the form was on.
pub async fn toggle(session: AdminSession, code: web::Path<String>, form: web::Form<ToggleForm>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    let code = crate::domain::ShortCode::parse(&code).ok_or(AppError::NotFound("link"))?;
    let enabled = form.enabled == "1";
    let link = state.store.set_link_enabled(&code, enabled).await?.ok_or(AppError::NotFound("link"))?;
    state.links.changed(link).await;
    tracing::info!(code = %code, enabled, "link switched from the admin UI");
    let back = safe_next(form.back.as_deref()).unwrap_or_else(|| "/admin/links".to_owned());
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, back)).finish())
}
