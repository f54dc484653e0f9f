//! `GET /api/v1/shares/buttons?url=&title=&channels=`: the share buttons as an HTML
//! fragment, for CMSs that render on the server (a WordPress or Ghost theme, a static-site
//! build). The same minting as `POST /api/v1/shares`, the same markup as the widget.

use super::ApiCaller;
use super::openapi::ApiError;
use crate::error::{AppError, Result};
use crate::shares::{ShareRequest, mint};
use crate::state::AppState;
use crate::widget::buttons::ShareButtons;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ButtonsQuery {
    /// The page, as for `POST /api/v1/shares`.
    #[param(example = "https://blog.example.com/post")]
    url: String,
    /// The page's title, at most 300 characters.
    title: Option<String>,
    /// Comma-separated channel names; empty or absent means the default channels.
    #[param(example = "whatsapp,email,sms")]
    channels: Option<String>,
    /// A campaign name, sent as `utm_campaign`.
    campaign: Option<String>,
}

/// The share buttons of a page as an HTML fragment (the widget's markup, links minted or
/// found as by `POST /api/v1/shares`), to embed in a page rendered on the server.
#[utoipa::path(
    tag = "shares",
    params(ButtonsQuery),
    responses(
        (status = 200, description = "The buttons: a `<div class=\"sharetrail\">` fragment", content_type = "text/html", body = String),
        (status = 400, description = "A missing or invalid URL, an unknown channel, an unknown parameter or an overlong field", body = ApiError),
        (status = 401, description = "No or wrong API token", body = ApiError),
        (status = 422, description = "Host not in SHARETRAIL_ALLOWED_HOSTS", body = ApiError),
        (status = 503, description = "Redis is unavailable", body = ApiError),
    ),
    security(("bearer" = [])),
)]
#[get("/shares/buttons")]
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
