//! The OpenAPI 3.1 document of the API, collected from the handlers' `#[utoipa::path]`
//! descriptions by the same `register` that mounts them, and served at
//! `/api/v1/openapi.json` so integrators can generate clients.

use crate::error::AppError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, get};
use serde::Serialize;
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa::{PartialSchema, ToSchema};
use utoipa_actix_web::OpenApiFactory;

/// Every API error: `{"error": {"code": "…", "message": "…"}}`.
#[derive(Serialize, ToSchema)]
pub struct ApiError {
    error: ApiErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ApiErrorDetail {
    /// Stable, machine-readable: `invalid_json`, `invalid_url`, `unauthorized`, `not_found`, …
    code: String,
    /// For people; may change between versions.
    message: String,
}

/// The document, built once: it depends on the code alone.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| serde_json::to_string_pretty(&build()).unwrap_or_else(|e| {
    tracing::error!(error = %e, "the OpenAPI document cannot be serialised");
    "{}".to_owned()
}));

/// The document, collected from the API's routes.
pub fn build() -> OpenApi {
    let scope = super::scope();
    let mut schemas = vec![(ApiError::name().into_owned(), ApiError::schema()), (ApiErrorDetail::name().into_owned(), ApiErrorDetail::schema())];
    scope.schemas(&mut schemas);
    let bearer = SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API token: SHARETRAIL_API_TOKEN or one created in the admin UI")).build());
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("sharetrail")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Share links per private channel, and the clicks and link previews they bring."))
                .build(),
        )
        .paths(scope.paths())
        .components(Some(ComponentsBuilder::new().schemas_from_iter(schemas).security_scheme("bearer", bearer).build()))
        .build()
}

/// Each documented path template with its methods, upper case.
static METHODS: LazyLock<Vec<(String, Vec<String>)>> = LazyLock::new(|| {
    build()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods = serde_json::to_value(item).ok().and_then(|v| v.as_object().map(|o| o.keys().map(|m| m.to_uppercase()).collect()));
            (path.clone(), methods.unwrap_or_default())
        })
        .collect()
});

/// A request no API handler took: 405 with `Allow` when the path exists with other
/// methods, otherwise 404.
pub async fn unrouted(req: HttpRequest) -> HttpResponse {
    let allowed: Vec<&str> = METHODS
        .iter()
        .filter(|(template, _)| path_matches(template, req.path()))
        .flat_map(|(_, methods)| methods.iter().map(String::as_str))
        .filter(|m| ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(m))
        .collect();
    if allowed.is_empty() {
        return AppError::NotFound("page").error_response();
    }
    let mut response = AppError::MethodNotAllowed.error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allowed.join(", ")) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Whether a path fits a template such as `/api/v1/links/{code}`.
fn path_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if t.starts_with('{') && !p.is_empty() => continue,
            (Some(t), Some(p)) if t == p => continue,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_their_paths_only() {
        assert!(path_matches("/api/v1/links/{code}", "/api/v1/links/abc"));
        assert!(!path_matches("/api/v1/links/{code}", "/api/v1/links/"));
        assert!(!path_matches("/api/v1/links/{code}", "/api/v1/links/abc/x"));
        assert!(path_matches("/api/v1/stats", "/api/v1/stats"));
        assert!(!path_matches("/api/v1/stats", "/api/v1/statsx"));
    }

    #[test]
    fn the_document_names_the_methods_of_each_path() {
        let links = METHODS.iter().find(|(p, _)| p == "/api/v1/links/{code}").expect("links path");
        assert_eq!(links.1, ["GET", "PATCH"]);
    }
}

/// This document.
#[utoipa::path(tag = "meta", responses((status = 200, description = "The OpenAPI document of this API", content_type = "application/json", body = Object)))]
#[get("/openapi.json")]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(DOCUMENT.as_str())
}
