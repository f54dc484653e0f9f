//! `POST /api/v1/shares`: a CMS mints share links for a page.

use super::ApiCaller;
use crate::error::Result;
use crate::shares::{Minted, ShareRequest, mint};
use crate::state::AppState;
use actix_web::web;
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
pub async fn create(_: ApiCaller, body: web::Json<ShareBody>, state: web::Data<AppState>) -> Result<web::Json<Minted>> {
    let request = ShareRequest::parse(
        &state,
        &body.url,
        body.title.as_deref(),
        body.channels.as_deref(),
        body.campaign.as_deref(),
    )?;
    Ok(web::Json(mint(&state, &request).await?))
}
