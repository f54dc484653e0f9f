//! The JSON API under /api/v1, behind a Bearer token.

pub mod links;
pub mod shares;
pub mod stats;

use crate::error::AppError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};
use subtle::ConstantTimeEq;

pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/shares").route(web::post().to(shares::create)))
        .service(web::resource("/stats").route(web::get().to(stats::site)))
        .service(web::resource("/stats/export.csv").route(web::get().to(stats::export)))
        .service(web::resource("/contents/{id}/stats").route(web::get().to(stats::content)))
        .service(web::resource("/contents/{id}/clicks").route(web::get().to(stats::clicks)))
        .service(
            web::resource("/links/{code}")
                .route(web::get().to(links::show))
                .route(web::patch().to(links::update)),
        );
}

/// A request that carried a valid API token. Handlers take it as an argument, so a
/// route cannot forget to check.
pub struct ApiCaller;

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Ready<Result<ApiCaller, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let expected = req.app_data::<web::Data<AppState>>().and_then(|s| s.settings.api_token.clone());
        let valid = match (presented, expected) {
            (Some(presented), Some(expected)) => tokens_match(presented, expected.expose_secret()),
            _ => false,
        };
        ready(if valid { Ok(ApiCaller) } else { Err(AppError::Unauthorized) })
    }
}

/// Compares digests in constant time, so neither the content nor the length of the
/// token leaks through timing.
fn tokens_match(presented: &str, expected: &str) -> bool {
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}
