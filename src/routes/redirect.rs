//! `GET /{code}`: the redirect every reader waits for, and the click it records.

use crate::clicks::RequestFacts;
use crate::domain::ShortCode;
use crate::enrich::client_ip::client_ip;
use crate::error::{AppError, HtmlError};
use crate::store::CachedLink;
use crate::state::AppState;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};

/// The query a QR code adds to the short link (`?s=qr`), so a scan counts as a click
/// from a QR code. Any other query is a plain tap.
pub const QR_QUERY: &str = "s=qr";

/// Answers 302 to the link's target and queues the click (HEAD records nothing). A 302
/// (not 301) with `no-store`, because a cached redirect would send the next tap straight
/// to the target and the click would be lost.
pub async fn follow(req: HttpRequest, code: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, HtmlError> {
    // Anything that is not of the code alphabet is answered without a store lookup.
    let code = ShortCode::parse(&code).ok_or(AppError::NotFound("link"))?;
    let known = match state.links.cached(&code) {
        Some(known) => known,
        // Only a lookup in Redis is throttled: guessing codes must not cost Redis a read
        // per guess, while cached links keep working for everyone behind the same address.
        None if !state.throttles.lookups.allows(client(&req, &state)) => return Err(AppError::TooManyRequests.into()),
        None => state.links.get(&code).await?,
    };
    let resolved = match known {
        CachedLink::Missing => return Err(AppError::NotFound("link").into()),
        CachedLink::Found(resolved) => resolved,
    };
    if !resolved.link.enabled {
        return Err(AppError::Gone.into());
    }
    if req.method() == Method::GET {
        state.tracker.track(&resolved.link, &request_facts(&req), source(req.query_string()));
    }
    // Static values are not parsed and copied again for each redirect.
    const NO_STORE: HeaderValue = HeaderValue::from_static("private, no-store");
    // Keep the original page as the referrer of the target, so its analytics still see
    // where the reader came from (the default policy would strip it to the origin).
    const KEEP_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer-when-downgrade");
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, resolved.location.as_str()))
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .insert_header((header::REFERRER_POLICY, KEEP_REFERRER))
        .finish())
}

/// How the link was reached: "qr" when the query carries `s=qr`, else "link".
fn source(query: &str) -> &'static str {
    if query.split('&').any(|pair| pair == QR_QUERY) { "qr" } else { "link" }
}

/// The client's address, as far as the trusted proxies let us know it.
pub fn client(req: &HttpRequest, state: &AppState) -> Option<std::net::IpAddr> {
    let facts = request_facts(req);
    facts.peer.and_then(|peer| client_ip(peer, facts.forwarded, facts.x_forwarded_for, &state.tracker.proxies))
}

/// What the click pipeline needs from a request.
pub fn request_facts(req: &HttpRequest) -> RequestFacts<'_> {
    // By `HeaderName`: a lookup by `&str` parses the name first, six times a redirect.
    const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
    const SEC_GPC: HeaderName = HeaderName::from_static("sec-gpc");
    let header = |name: &HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    RequestFacts {
        peer: req.peer_addr().map(|a| a.ip()),
        forwarded: header(&header::FORWARDED),
        x_forwarded_for: header(&X_FORWARDED_FOR),
        user_agent: header(&header::USER_AGENT).unwrap_or_default(),
        referer: header(&header::REFERER),
        opted_out: header(&header::DNT) == Some("1") || header(&SEC_GPC) == Some("1"),
    }
}
