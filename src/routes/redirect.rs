//! `GET /{code}`: the redirect every reader waits for.

use crate::domain::ShortCode;
use crate::error::{AppError, HtmlError};
use crate::state::AppState;
use crate::store::CachedLink;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// Answers 302 to the link's target. A 302 (not 301) with `no-store`, because a cached
/// redirect would send the next tap straight to the target and the click would be lost.
pub async fn follow(code: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, HtmlError> {
    // Anything that is not of the code alphabet is answered without a store lookup.
    let code = ShortCode::parse(&code).ok_or(AppError::NotFound("link"))?;
    let resolved = match state.links.get(&code).await? {
        CachedLink::Missing => return Err(AppError::NotFound("link").into()),
        CachedLink::Found(resolved) => resolved,
    };
    if !resolved.link.enabled {
        return Err(AppError::Gone.into());
    }
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, resolved.location.as_str()))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        // Keep the original page as the referrer of the target, so its analytics still
        // see where the reader came from (the default policy would strip it to the origin).
        .insert_header((header::REFERRER_POLICY, "no-referrer-when-downgrade"))
        .finish())
}
