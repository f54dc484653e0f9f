//! What every admin page shares: the frame its layout needs (navigation, the logout
//! form's CSRF token, a notice) and rendering a template with a status.

use super::assets;
use super::error::{AdminError, AdminResult};
use crate::error::AppError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;

/// The entries of the admin navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Dashboard,
    Links,
    Tokens,
    /// A page outside the navigation (login, errors).
    None,
}

/// A one-line message at the top of a page.
#[derive(Debug, Clone)]
pub struct Notice {
    /// `success` or `error`: the CSS class and the ARIA role follow from it.
    pub kind: &'static str,
    pub text: String,
}

impl Notice {
    pub fn success(text: impl Into<String>) -> Notice {
        Notice { kind: "success", text: text.into() }
    }

    pub fn error(text: impl Into<String>) -> Notice {
        Notice { kind: "error", text: text.into() }
    }
}

/// What `templates/admin/layout.html` needs from every page.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The session's CSRF token: with one, the layout shows the navigation and the
    /// logout form; without (login and error pages), only the product name.
    pub csrf: Option<String>,
    pub current: Nav,
    pub notice: Option<Notice>,
    /// Appended to asset URLs (`?v=…`), see [`assets::VERSION`].
    pub asset_version: &'static str,
}

impl Frame {
    /// The frame of a page seen without a session.
    pub fn public() -> Frame {
        Frame { csrf: None, current: Nav::None, notice: None, asset_version: assets::VERSION.as_str() }
    }

    pub fn with_notice(mut self, notice: Option<Notice>) -> Frame {
        self.notice = notice;
        self
    }

    /// The CSRF token for a form of this page (empty on pages without a session, which
    /// have no forms that change state).
    pub fn csrf_token(&self) -> &str {
        self.csrf.as_deref().unwrap_or_default()
    }

    /// Whether `item` is the current page, for `aria-current`.
    pub fn is_current(&self, item: &str) -> bool {
        matches!(
            (self.current, item),
            (Nav::Dashboard, "dashboard") | (Nav::Links, "links") | (Nav::Tokens, "tokens")
        )
    }
}

/// Renders a page as HTML with `status`. A template that fails to render is a bug; it is
/// logged and answered 500, never with a half page.
pub fn render(status: StatusCode, page: &impl askama::Template) -> AdminResult<HttpResponse> {
    let body = page.render().map_err(|e| AdminError::Page(AppError::Internal(format!("template: {e}"))))?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}
