//! The JSON API under /api/v1, behind a Bearer token — but for `/public/…`, the widget's
//! endpoint, which is guarded by origin and rate instead.

pub mod buttons;
pub mod links;
pub mod openapi;
pub mod public;
pub mod shares;
pub mod stats;

use crate::domain::secret::secrets_match;
use crate::error::AppError;
use crate::state::AppState;
use actix_web::dev::{Payload, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, HttpRequest, web};
use utoipa_actix_web::scope::Scope;
use utoipa_actix_web::service_config::ServiceConfig;
use secrecy::ExposeSecret;
use std::future::Future;
use std::pin::Pin;

/// Where the API is mounted.
pub const PREFIX: &str = "/api/v1";

/// Every API route. Each handler carries its OpenAPI description, and the document at
/// `/api/v1/openapi.json` is collected from this same function, so the two cannot drift
/// (only `service(...)` is collected: register handlers with it, never with `route`).
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(shares::create)
        .service(stats::site)
        .service(stats::export)
        .service(stats::content)
        .service(stats::clicks)
        .service(links::show)
        .service(links::update)
        .service(buttons::show)
        .service(utoipa_actix_web::scope("/public").wrap(from_fn(public::guard)).service(public::create))
        .service(openapi::document);
}

/// The API scope, its routes registered.
pub fn scope() -> Scope<impl ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse, Error = actix_web::Error, InitError = ()>> {
    // Handlers registered one per method fall through to this when no method matches.
    utoipa_actix_web::scope(PREFIX).configure(register).default_service(web::to(openapi::unrouted))
}

/// A request that carried a valid API token: the bootstrap token of the settings, or
/// one created in the admin UI and not revoked. Handlers take it as an argument, so a
/// route cannot forget to check.
pub struct ApiCaller;

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<ApiCaller, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(presented), Some(state)) = (presented, state) else {
                return Err(AppError::Unauthorized);
            };
            let bootstrap = state.settings.api_token.as_ref().is_some_and(|t| secrets_match(&presented, t.expose_secret()));
            // Read from Redis on every request (no cache), so a revoked token is refused
            // at once by every instance.
            if bootstrap || state.store.token_is_valid(&presented).await? {
                Ok(ApiCaller)
            } else {
                Err(AppError::Unauthorized)
            }
        })
    }
}
