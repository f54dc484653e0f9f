//! The admin session as handlers see it: the `AdminSession` extractor (no session → 303
//! to the login page), the session cookie, and the CSRF check of state-changing forms.

use super::error::{AdminError, AdminResult};
use super::page::{Frame, Nav};
use crate::domain::secret::secrets_match;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::sessions::{Session, SessionId};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use secrecy::ExposeSecret;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The session cookie's name.
pub const COOKIE: &str = "st_admin";
/// How long a session lives without being used; each request renews it.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// A request from a logged-in admin. Pages take it as an argument, so none can forget
/// to check.
pub struct AdminSession {
    session: Session,
}

impl AdminSession {
    /// The frame of a page of this session, with `current` highlighted in the navigation.
    pub fn frame(&self, current: Nav) -> Frame {
        Frame { csrf: Some(self.session.csrf.expose_secret().to_owned()), current, ..Frame::public() }
    }

    /// Refuses a form whose CSRF token is missing or not this session's (403).
    pub fn check_csrf(&self, presented: Option<&str>) -> AdminResult<()> {
        match presented {
            Some(token) if secrets_match(token, self.session.csrf.expose_secret()) => Ok(()),
            _ => Err(AdminError::Page(AppError::Forbidden)),
        }
    }

    pub fn id(&self) -> &SessionId {
        &self.session.id
    }
}

impl FromRequest for AdminSession {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = AdminResult<AdminSession>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let id = session_cookie(req);
        // Only a page that was read comes back after login; a form post would be lost anyway.
        let next = (req.method() == Method::GET).then(|| path_and_query(req));
        Box::pin(async move {
            let state = state.ok_or_else(|| AdminError::Page(AppError::Internal("no app state".into())))?;
            let Some(id) = id else {
                return Err(AdminError::LoginRequired { next });
            };
            match state.store.touch_session(id, SESSION_TTL).await? {
                Some(session) => Ok(AdminSession { session }),
                None => Err(AdminError::LoginRequired { next }),
            }
        })
    }
}

/// The session id the request's cookie names, if it is well-formed.
pub fn session_cookie(req: &HttpRequest) -> Option<SessionId> {
    req.cookie(COOKIE).and_then(|c| SessionId::parse(c.value()))
}

fn path_and_query(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    }
}

/// A cookie of the admin UI: never readable by script, never sent from another site,
/// only to /admin, and only over TLS when the service is public over https.
pub fn admin_cookie<'c>(state: &AppState, name: &'c str, value: String) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.public_base.starts_with("https://"))
        .finish()
}

/// A cookie that tells the browser to forget `name`.
pub fn expired_cookie<'c>(state: &AppState, name: &'c str) -> Cookie<'c> {
    let mut cookie = admin_cookie(state, name, String::new());
    cookie.make_removal();
    cookie
}

/// Where to go after login: only a path of the admin UI, so the login page cannot be
/// used to send an admin to another site (`//evil.example`, `/\evil.example`).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    let admin_path = next == "/admin" || next.starts_with("/admin/") || next.starts_with("/admin?");
    let plain = !next.contains(['\\', '\r', '\n', '\t']) && !next.contains("//") && !next.starts_with("/admin/login");
    (admin_path && plain).then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin/tokens")).as_deref(), Some("/admin/tokens"));
        assert_eq!(safe_next(Some("/admin?range=7d")).as_deref(), Some("/admin?range=7d"));
        for bad in ["https://evil.example/admin", "//evil.example", "/\\evil.example", "/admin//evil", "/adminx", "/admin/login", "/x"] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }
}
