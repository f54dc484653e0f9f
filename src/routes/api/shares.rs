//! `POST /api/v1/shares`: a CMS mints share links for a page.

use super::ApiCaller;
use crate::error::{AppError, Result};
use crate::routes::redirect::client;
use crate::shares::{Minted, ShareRequest, mint};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::{Ready, ready};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    url: String,
    title: Option<String>,
    channels: Option<Vec<String>>,
    campaign: Option<String>,
}

/// Mints one link per channel (or returns the ones minted before).
pub async fn create(_: MintAllowance, _: ApiCaller, body: web::Json<ShareBody>, state: web::Data<AppState>) -> Result<web::Json<Minted>> {
    let request = ShareRequest::parse(
        &state,
        &body.url,
        body.title.as_deref(),
        body.channels.as_deref(),
        body.campaign.as_deref(),
    )?;
    Ok(web::Json(mint(&state, &request).await?))
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
