//! `GET /api/v1/shares/buttons?url=&title=&channels=`: the share buttons as an HTML
//! fragment, for CMSs that render on the server (a WordPress or Ghost theme, a static-site
//! build). The same minting as `POST /api/v1/shares`, the same markup as the widget.

use super::ApiCaller;
use crate::error::{AppError, Result};
use crate::shares::{ShareRequest, mint};
use crate::state::AppState;
use crate::widget::buttons::ShareButtons;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonsQuery {
    url: String,
    title: Option<String>,
    /// Comma-separated; empty or absent means the default channels.
    channels: Option<String>,
    campaign: Option<String>,
}

pub async fn show(_: ApiCaller, query: web::Query<ButtonsQuery>, state: web::Data<AppState>) -> Result<HttpResponse> {
    let channels: Option<Vec<String>> = query
        .channels
        .as_deref()
        .map(|list| list.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .filter(|list| !list.is_empty());
    let request = ShareRequest::parse(&state, &query.url, query.title.as_deref(), channels.as_deref(), query.campaign.as_deref())?;
    let minted = mint(&state, &request).await?;
    let html = ShareButtons::new(&minted, &state.public_base).render().map_err(|e| AppError::Internal(format!("share buttons: {e}")))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}
