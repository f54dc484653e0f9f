//! `GET /{code}`: the redirect every reader waits for, and the click it records.

use super::SHORT_LINK;
use crate::clicks::RequestFacts;
use crate::domain::ShortCode;
use crate::enrich::client_ip::client_ip;
use crate::error::{AppError, HtmlError};
use crate::state::AppState;
use crate::store::CachedLink;
use crate::store::link_cache::ResolvedLink;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpRequest, HttpResponse, web};
use std::sync::Arc;
use std::sync::atomic::Ordering;

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
    resolved.routed.store(true, Ordering::Relaxed);
    if !resolved.link.enabled {
        return Err(AppError::Gone.into());
    }
    Ok(redirect(&req, &resolved, &state))
}

/// Answers a short link that the router has sent to [`follow`] before, ahead of the router.
/// The router finds `/{code}` with a regex after trying every static route, which was about
/// 7 % of a redirect's instructions (docs/performance.md), and nearly every request is a
/// redirect of a cached link. That the router chose [`follow`] for this path once means no
/// other route matches it (`/readyz` and `/metrics`, say, are valid codes too), so the
/// answer is the router's. Anything else goes on to the router: another method, a code not
/// cached or not yet routed, a disabled link.
pub async fn answer_routed(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some((resolved, state)) = routed_link(&req) {
        let (req, _) = req.into_parts();
        // Observed as the route it stands in for.
        req.extensions_mut().insert(AnsweredRoute(SHORT_LINK));
        let response = redirect(&req, &resolved, &state).map_into_right_body();
        return Ok(ServiceResponse::new(req, response));
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// The route a request was answered for without the router (see [`answer_routed`]).
#[derive(Debug, Clone, Copy)]
pub struct AnsweredRoute(pub &'static str);

/// The enabled, cached, already routed link of a GET or HEAD of `/{code}`.
fn routed_link(req: &ServiceRequest) -> Option<(Arc<ResolvedLink>, web::Data<AppState>)> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let code = ShortCode::parse(req.path().strip_prefix('/')?)?;
    let state = req.app_data::<web::Data<AppState>>()?;
    match state.links.cached(&code)? {
        CachedLink::Found(resolved) if resolved.link.enabled && resolved.routed.load(Ordering::Relaxed) => Some((resolved, state.clone())),
        _ => None,
    }
}

/// The 302 of an enabled link, and its click for a GET.
fn redirect(req: &HttpRequest, resolved: &ResolvedLink, state: &AppState) -> HttpResponse {
    if req.method() == Method::GET {
        state.tracker.track(&resolved.link, &request_facts(req), source(req.query_string()));
    }
    // Static values are not parsed and copied again for each redirect.
    const NO_STORE: HeaderValue = HeaderValue::from_static("private, no-store");
    // Keep the original page as the referrer of the target, so its analytics still see
    // where the reader came from (the default policy would strip it to the origin).
    const KEEP_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer-when-downgrade");
    HttpResponse::Found()
        .insert_header((header::LOCATION, resolved.location.as_str()))
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .insert_header((header::REFERRER_POLICY, KEEP_REFERRER))
        .finish()
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
