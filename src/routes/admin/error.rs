//! How the admin UI answers what went wrong: a page in the admin layout with the right
//! status (a 404 page sent as 200 would be a lie), or a redirect to the login page.

use super::page::Frame;
use crate::error::{AppError, log_cause_chain};
use actix_web::error::{QueryPayloadError, UrlencodedError};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

/// The error of every admin handler and extractor.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No live session: 303 to the login page, which sends the admin back to `next`.
    #[error("login required")]
    LoginRequired { next: Option<String> },
    /// No admin password is configured.
    #[error("the admin UI is disabled")]
    Disabled,
    #[error(transparent)]
    Page(#[from] AppError),
}

/// Result of admin handlers.
pub type AdminResult<T> = std::result::Result<T, AdminError>;

impl From<redis::RedisError> for AdminError {
    fn from(e: redis::RedisError) -> Self {
        AdminError::Page(AppError::Store(e))
    }
}

#[derive(askama::Template)]
#[template(path = "admin/error.html")]
struct ErrorPage {
    frame: Frame,
    status: u16,
    heading: &'static str,
    message: String,
}

#[derive(askama::Template)]
#[template(path = "admin/disabled.html")]
struct DisabledPage {
    frame: Frame,
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AdminError::Disabled => StatusCode::FORBIDDEN,
            AdminError::Page(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let rendered = match self {
            AdminError::LoginRequired { next } => return login_redirect(next.as_deref()),
            AdminError::Disabled => askama::Template::render(&DisabledPage { frame: Frame::public() }),
            AdminError::Page(error) => {
                if status.is_server_error() {
                    log_cause_chain(error);
                }
                let page = ErrorPage { frame: Frame::public(), status: status.as_u16(), heading: heading(error, status), message: error.public_message() };
                askama::Template::render(&page)
            }
        };
        match rendered {
            Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
            Err(e) => {
                tracing::error!(error = %e, "admin error page failed to render");
                HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(status.to_string())
            }
        }
    }
}

fn heading(error: &AppError, status: StatusCode) -> &'static str {
    match error {
        AppError::NotFound(_) => "Not found",
        AppError::Forbidden => "This form has expired",
        AppError::TooManyRequests => "Too many attempts",
        AppError::Store(_) => "Temporarily unavailable",
        _ if status.is_client_error() => "Bad request",
        _ => "Something went wrong",
    }
}

/// 303 to the login page; `next` was checked to be an admin path.
fn login_redirect(next: Option<&str>) -> HttpResponse {
    let location = match next {
        Some(next) => format!("/admin/login?next={}", percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)),
        None => "/admin/login".to_owned(),
    };
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Unknown paths under /admin.
pub async fn not_found() -> AdminResult<HttpResponse> {
    Err(AdminError::Page(AppError::NotFound("page")))
}

/// A form body that cannot be read (wrong type, too large) is a 400 page.
pub fn form_error(err: UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    let error = match err {
        UrlencodedError::Overflow { limit, .. } => AppError::PayloadTooLarge(limit),
        other => AppError::invalid("invalid_form", other.to_string()),
    };
    AdminError::Page(error).into()
}

/// A query string that cannot be read is a 400 page, not the API's JSON.
pub fn query_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    AdminError::Page(AppError::invalid("invalid_query", err.to_string())).into()
}
