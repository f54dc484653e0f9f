//! `GET /widget.js` and `GET /widget.css`: the share-button widget, for pages on other
//! sites. With `?v=<version>` (the URL the README and the admin UI hand out, and the one
//! the script uses for its stylesheet) they are cached for a year; the bare URLs for five
//! minutes, so an embed without a version still picks up a new release soon.

use crate::widget::assets::{SCRIPT, STYLESHEET, VERSION};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

pub async fn script(req: HttpRequest) -> HttpResponse {
    asset(&req, SCRIPT.as_str(), "text/javascript; charset=utf-8")
}

pub async fn stylesheet(req: HttpRequest) -> HttpResponse {
    asset(&req, STYLESHEET, "text/css; charset=utf-8")
}

fn asset(req: &HttpRequest, body: &'static str, content_type: &'static str) -> HttpResponse {
    let versioned = req.query_string().split('&').any(|pair| pair.strip_prefix("v=") == Some(VERSION.as_str()));
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let etag = format!("\"{}\"", *VERSION);
    let fresh = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        // Loaded by pages of any site: readable by them, never sniffed as another type.
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return response.finish();
    }
    response.content_type(content_type).body(body)
}
