//! `POST /api/v1/shares`: a CMS mints share links for a page.

use super::ApiCaller;
use super::openapi::ApiError;
use crate::error::{AppError, Result};
use crate::routes::redirect::client;
use crate::shares::{Minted, ShareRequest, mint};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, post, web};
use std::future::{Ready, ready};
use utoipa::ToSchema;
use serde::Deserialize;

/// The body of a mint request, to the token API and to the widget's public endpoint alike.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    /// The page: http(s), without credentials, at most 4096 bytes, on a host in
    /// `SHARETRAIL_ALLOWED_HOSTS`.
    #[schema(example = "https://blog.example.com/post")]
    url: String,
    /// The page's title, at most 300 characters; a new title replaces the stored one.
    title: Option<String>,
    /// Channels to mint links for (names from the channel registry); the configured
    /// default set when absent.
    #[schema(example = json!(["whatsapp", "email", "slack", "sms"]))]
    channels: Option<Vec<String>>,
    /// A campaign name, at most 100 characters, sent as `utm_campaign`.
    campaign: Option<String>,
}

impl ShareBody {
    pub fn parse(&self, state: &AppState) -> Result<ShareRequest> {
        ShareRequest::parse(state, &self.url, self.title.as_deref(), self.channels.as_deref(), self.campaign.as_deref())
    }
}

/// Mints one link per channel for a page, or returns the ones minted before: the same
/// page, channel and campaign always get the same code.
#[utoipa::path(
    tag = "shares",
    request_body = ShareBody,
    responses(
        (status = 200, description = "Links minted or found", body = Minted),
        (status = 400, description = "Malformed JSON, an invalid URL, an unknown channel or an overlong field", body = ApiError),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 413, description = "Body over 16 KiB", body = ApiError),
        (status = 415, description = "Not application/json", body = ApiError),
        (status = 422, description = "Host not in SHARETRAIL_ALLOWED_HOSTS", body = ApiError),
        (status = 429, description = "This client minted too often", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[post("/shares")]
pub async fn create(_: MintAllowance, _: ApiCaller, body: web::Json<ShareBody>, state: web::Data<AppState>) -> Result<web::Json<Minted>> {
    Ok(web::Json(mint(&state, &body.parse(&state)?).await?))
}

/// The client has not used up its mint allowance (`limits.mint_per_minute`). Checked
/// before the token, so guessing tokens through this route is throttled too.
pub struct MintAllowance;

impl FromRequest for MintAllowance {
    type Error = AppError;
    type Future = Ready<Result<MintAllowance, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let allowed = req
            .app_data::<web::Data<AppState>>()
            .is_none_or(|state| state.throttles.mint.allows(client(req, state)));
        ready(if allowed { Ok(MintAllowance) } else { Err(AppError::TooManyRequests) })
    }
}
