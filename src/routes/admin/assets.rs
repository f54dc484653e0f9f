//! The admin UI's stylesheet and script, compiled into the binary (one file to deploy)
//! and served with a long cache life: their URLs carry a digest of their content, so a
//! new release changes the URL instead of waiting for caches to expire.

use super::error::{AdminError, AdminResult};
use crate::error::AppError;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const CSS: &str = include_str!("../../../assets/admin.css");
const JS: &str = include_str!("../../../assets/admin.js");

/// A short digest of both files, appended to their URLs as `?v=…`.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::new().chain_update(CSS).chain_update(JS).finalize();
    hex::encode(&digest[..6])
});

/// `GET /admin/static/{file}`.
pub async fn serve(file: web::Path<String>) -> AdminResult<HttpResponse> {
    let (body, content_type) = match file.as_str() {
        "admin.css" => (CSS, "text/css; charset=utf-8"),
        "admin.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return Err(AdminError::Page(AppError::NotFound("file"))),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body))
}
