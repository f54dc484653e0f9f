//! `/share/{code}`: where a share button points. `GET` counts the tap (a share intent)
//! and redirects to the channel's share URL (`https://wa.me/?text=…`, `mailto:…`), or,
//! for an app without one (Slack, Signal, WeChat), shows the link to copy. `POST` is the
//! widget's beacon after it copied the link or opened the share sheet: it only counts.

use super::redirect::request_facts;
use crate::domain::Link;
use crate::error::{AppError, HtmlError, Result};
use crate::state::AppState;
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

/// Shown instead of a redirect when the channel has no share URL.
#[derive(Template)]
#[template(path = "share_copy.html")]
struct CopyPage {
    channel: String,
    title: String,
    short_url: String,
    qr_url: Option<String>,
}

/// `GET` (and `HEAD`, which counts nothing) `/share/{code}`.
pub async fn open(req: HttpRequest, code: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, HtmlError> {
    let resolved = state.enabled_link(&code).await?;
    let link = &resolved.link;
    if req.method() == Method::GET {
        state.tracker.track_intent(link, &request_facts(&req), "button");
    }
    let title = content_title(&state, link).await;
    let short_url = state.short_url(&link.code);
    let channel = state.channels.get(&link.channel);
    let response = match channel.and_then(|c| c.share_url.as_ref()) {
        Some(template) => HttpResponse::Found()
            .insert_header((header::LOCATION, template.render(&short_url, title.as_deref())))
            // The page the button was on is none of the messaging app's business.
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .finish(),
        None => {
            let page = CopyPage {
                channel: channel.map_or_else(|| link.channel.clone(), |c| c.label.clone()),
                title: title.unwrap_or_default(),
                qr_url: channel.is_some_and(|c| c.qr).then(|| state.qr_url(&link.code)),
                short_url,
            };
            let body = page.render().map_err(|e| AppError::Internal(format!("copy page: {e}")))?;
            HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
        }
    };
    Ok(no_store(response))
}

/// `POST /share/{code}`: the beacon of a copy or share-sheet button. 204, no body.
pub async fn beacon(req: HttpRequest, code: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse> {
    let resolved = state.enabled_link(&code).await?;
    state.tracker.track_intent(&resolved.link, &request_facts(&req), "beacon");
    Ok(no_store(HttpResponse::NoContent().finish()))
}

/// Every tap must reach us: a cached redirect would not be counted.
fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    response
}

/// The page title for the share text. A share still works without it, so a store that
/// does not answer costs the title, not the share.
async fn content_title(state: &AppState, link: &Link) -> Option<String> {
    match state.store.get_content(&link.content_id).await {
        Ok(content) => content.and_then(|c| c.title),
        Err(e) => {
            tracing::warn!(error = %e, code = %link.code, "no title for a share: the store did not answer");
            None
        }
    }
}
