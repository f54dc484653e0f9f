//! The one error type of the crate. Every handler returns `Result<T>` and uses `?`; the
//! `ResponseError` impl below is the only place that turns an error into an HTTP answer.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Result with [`AppError`] as the default error.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Everything that can go wrong, grouped by what the client should be told.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client sent something we cannot accept; `code` is a stable machine-readable name.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// No or wrong API token.
    #[error("missing or invalid API token")]
    Unauthorized,
    /// A form without the right CSRF token: it expired or came from another site.
    #[error("this form has expired or did not come from this site; reload the page and try again")]
    Forbidden,
    /// A request to the widget's public endpoint from a page (an `Origin`) that is not
    /// listed in SHARETRAIL_WIDGET_ORIGINS, or from no page at all.
    #[error("{0}")]
    OriginNotAllowed(String),
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The link exists but was disabled.
    #[error("this link has been disabled")]
    Gone,
    /// The target host is not in SHARETRAIL_ALLOWED_HOSTS.
    #[error("links to {0} are not allowed on this server")]
    HostNotAllowed(String),
    #[error("request body too large (limit {0} bytes)")]
    PayloadTooLarge(usize),
    #[error("request headers too large (limit {0} bytes)")]
    HeadersTooLarge(usize),
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    /// The path exists, with other methods (an `Allow` header lists them).
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("too many requests, slow down")]
    TooManyRequests,
    /// A setting is missing or malformed; startup stops with this message.
    #[error("setting `{setting}`: {message}")]
    Config { setting: String, message: String },
    /// Redis could not be reached or failed; the client sees only "service unavailable".
    #[error("the store is unavailable")]
    Store(#[from] redis::RedisError),
    /// A bug or an environment failure; the client sees only "internal error".
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 with a stable code, for malformed client input.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid { code, message: message.into() }
    }

    /// A startup error that names the setting at fault.
    pub fn config(setting: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Config { setting: setting.into(), message: message.into() }
    }

    /// The stable code sent to API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { code, .. } => code,
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::OriginNotAllowed(_) => "origin_not_allowed",
            AppError::NotFound(_) => "not_found",
            AppError::Gone => "gone",
            AppError::HostNotAllowed(_) => "host_not_allowed",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::HeadersTooLarge(_) => "headers_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::TooManyRequests => "rate_limited",
            AppError::Store(_) => "unavailable",
            AppError::Config { .. } | AppError::Internal(_) => "internal",
        }
    }

    /// What the client may read: internal causes never leave the process.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Store(_) => "the service is temporarily unavailable".into(),
            AppError::Config { .. } | AppError::Internal(_) => "internal error".into(),
            other => other.to_string(),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Gone => StatusCode::GONE,
            AppError::HostNotAllowed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Config { .. } | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            log_cause_chain(self);
        }
        let mut response = HttpResponse::build(status);
        if matches!(self, AppError::Unauthorized) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(ErrorBody {
            error: ErrorDetail { code: self.code(), message: self.public_message() },
        })
    }
}

/// Logs an error with every `source()` below it, so a 5xx can be traced to its cause.
pub fn log_cause_chain(error: &(dyn std::error::Error + 'static)) {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "request failed");
}

/// The page shown for an error outside the API (a dead short link, an unknown page).
#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    heading: &'static str,
    message: String,
}

/// An [`AppError`] answered as an HTML page with the right status (a 404 page sent as
/// 200 would be a lie to crawlers and monitors).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct HtmlError(#[from] pub AppError);

impl ResponseError for HtmlError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        use askama::Template;
        let status = self.status_code();
        if status.is_server_error() {
            log_cause_chain(&self.0);
        }
        let heading = match &self.0 {
            AppError::NotFound(_) => "Not found",
            AppError::Gone => "This link has been disabled",
            AppError::Store(_) => "Temporarily unavailable",
            AppError::TooManyRequests => "Too many requests",
            _ if status.is_client_error() => "Bad request",
            _ => "Something went wrong",
        };
        let page = ErrorPage { status: status.as_u16(), heading, message: self.0.public_message() };
        match page.render() {
            Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(heading)
            }
        }
    }
}
