//! Middleware of the admin scope: security headers on every response, and the gate that
//! answers every page with "disabled" while no admin password is set.

use super::error::AdminError;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

/// No inline script or style anywhere in the admin UI, so the policy can forbid them: an
/// injected `<script>` would not run even if escaping failed somewhere.
const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every admin response, error pages included. Pages are
/// `no-store` (they show tokens and must not linger in a shared cache or the back
/// button after logout); a response that set its own caching (static assets) keeps it.
pub async fn security_headers(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// Without an admin password every admin page says so (and how to set one); the static
/// files stay reachable so that page is styled.
pub async fn gate(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let enabled = req.app_data::<web::Data<AppState>>().is_some_and(|state| state.settings.admin_password.is_some());
    if enabled || req.path().starts_with("/admin/static/") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    Ok(req.error_response(AdminError::Disabled).map_into_right_body())
}
