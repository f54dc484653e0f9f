//! Every route, registered by one function that `startup` (and so every test) calls.

pub mod admin;
pub mod api;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod qr;
pub mod redirect;
pub mod share;
pub mod test_hooks;
pub mod widget;

use crate::error::{AppError, HtmlError};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, HttpResponse, web};

/// The route of short links.
pub const SHORT_LINK: &str = "/{code}";

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Registers every route and the extractor configs that turn malformed input into the
/// crate's error shape. `test_hooks` mounts the hooks for test suites and benchmarks.
pub fn register(cfg: &mut web::ServiceConfig, test_hooks: bool) {
    if test_hooks {
        cfg.route("/__test/flush", web::post().to(test_hooks::flush));
    }
    cfg.app_data(json_config())
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        .service(api::scope())
        .service(admin::scope())
        // Before `/{code}`, which would take `widget.js` for a code.
        .service(web::resource("/widget.js").route(web::get().to(widget::script)).route(web::head().to(widget::script)))
        .service(web::resource("/widget.css").route(web::get().to(widget::stylesheet)).route(web::head().to(widget::stylesheet)))
        // Routes are tried in order, and each pattern with a parameter is a regex: the
        // redirect, which nearly every request is, comes before those of two segments
        // (a path of one segment cannot match them anyway).
        .service(
            web::resource(SHORT_LINK)
                .route(web::get().to(redirect::follow))
                .route(web::head().to(redirect::follow)),
        )
        .service(
            web::resource("/share/{code}")
                .route(web::get().to(share::open))
                .route(web::head().to(share::open))
                .route(web::post().to(share::beacon)),
        )
        .service(web::resource("/{code}/qr.svg").route(web::get().to(qr::svg)))
        .default_service(web::to(not_found));
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_BODY_BYTES).error_handler(|err, _| {
        match err {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                AppError::PayloadTooLarge(MAX_BODY_BYTES)
            }
            JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
            JsonPayloadError::Deserialize(e) => AppError::invalid("invalid_json", e.to_string()),
            other => AppError::invalid("invalid_json", other.to_string()),
        }
        .into()
    })
}

fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    AppError::invalid("invalid_query", err.to_string()).into()
}

fn path_error(err: PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::invalid("invalid_path", err.to_string()).into()
}

/// Unknown paths: JSON under /api, a page elsewhere.
async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    let error = AppError::NotFound("page");
    if req.path().starts_with("/api/") {
        error.error_response()
    } else {
        HtmlError(error).error_response()
    }
}
