//! `POST /api/v1/shares`: a CMS mints share links for a page.

use super::ApiCaller;
use crate::error::Result;
use crate::shares::{Minted, ShareRequest, mint};
use crate::state::AppState;
use actix_web::web;
use serde::Deserialize;

/// The body of a mint request, to the token API and to the widget's public endpoint alike.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    url: String,
    title: Option<String>,
    channels: Option<Vec<String>>,
    campaign: Option<String>,
}

impl ShareBody {
    pub fn parse(&self, state: &AppState) -> Result<ShareRequest> {
        ShareRequest::parse(state, &self.url, self.title.as_deref(), self.channels.as_deref(), self.campaign.as_deref())
    }
}

/// Mints one link per channel (or returns the ones minted before).
pub async fn create(_: ApiCaller, body: web::Json<ShareBody>, state: web::Data<AppState>) -> Result<web::Json<Minted>> {
    Ok(web::Json(mint(&state, &body.parse(&state)?).await?))
}
