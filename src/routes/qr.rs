//! `GET /{code}/qr.svg`: the short link as a QR code, for print and for WeChat. The code
//! holds `{short link}?s=qr`, so every scan is recorded as a click with source `qr`,
//! while the same link tapped or typed stays source `link`.

use super::redirect::QR_QUERY;
use crate::error::HtmlError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// Answers the SVG (404 for an unknown code, 410 for a disabled link).
pub async fn svg(code: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, HtmlError> {
    let resolved = state.enabled_link(&code).await?;
    let code = &resolved.link.code;
    let svg = crate::qr::svg(&format!("{}?{QR_QUERY}", state.short_url(code)))?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        // The code of a link never changes.
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{code}.svg\"")))
        // Opened on its own, the SVG may run nothing; pages elsewhere (the widget's
        // WeChat button) may show it.
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"))
        .body(svg))
}
