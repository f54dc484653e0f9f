//! Logging in and out. The login form carries a pre-session token that must match a
//! cookie (double submit), so another site cannot log a browser into its own session;
//! failed logins are counted per client and refused past a limit; a successful login
//! always starts a new session (no fixation), and logout deletes it server-side.

use super::error::{AdminError, AdminResult};
use super::page::{Frame, Notice, render};
use super::session::{AdminSession, COOKIE, SESSION_TTL, admin_cookie, expired_cookie, safe_next, session_cookie};
use crate::domain::click::now_ms;
use crate::domain::secret::secrets_match;
use crate::enrich::client_ip::client_ip;
use crate::error::AppError;
use crate::routes::redirect::request_facts;
use crate::state::AppState;
use crate::store::sessions::random_hex;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::time::Duration;

/// The pre-session cookie that the login form's token must match.
const LOGIN_COOKIE: &str = "st_admin_login";
const ADMIN_USER: &str = "admin";
/// Failed logins allowed per client within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u64 = 10;
const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(askama::Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    frame: Frame,
    login_csrf: String,
    next: Option<String>,
    username: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    logged_out: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    login_csrf: String,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `GET /admin/login`: the form, with a fresh pre-session token unless the browser has one.
pub async fn form(req: HttpRequest, query: web::Query<LoginQuery>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let notice = query.logged_out.is_some().then(|| Notice::success("You are logged out."));
    login_page(&req, &state, StatusCode::OK, safe_next(query.next.as_deref()), String::new(), notice)
}

/// `POST /admin/login`.
pub async fn submit(req: HttpRequest, form: web::Form<LoginForm>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let cookie_token = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if cookie_token.is_empty() || !secrets_match(&form.login_csrf, &cookie_token) {
        return Err(AdminError::Page(AppError::Forbidden));
    }
    let next = safe_next(form.next.as_deref());
    let client = client_key(&req, &state);
    if state.store.login_failures(&client).await? >= MAX_FAILURES {
        tracing::warn!("admin login refused: too many failures from one client");
        let notice = Notice::error("Too many failed logins. Wait 15 minutes, then try again.");
        let mut response = login_page(&req, &state, StatusCode::TOO_MANY_REQUESTS, next, form.username.clone(), Some(notice))?;
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(FAILURE_WINDOW.as_secs()));
        return Ok(response);
    }
    if !credentials_valid(&state, &form.username, &form.password).await? {
        tracing::warn!("admin login failed: wrong user name or password");
        state.store.record_login_failure(&client, FAILURE_WINDOW).await?;
        let notice = Notice::error("Wrong user name or password.");
        return login_page(&req, &state, StatusCode::UNAUTHORIZED, next, form.username.clone(), Some(notice));
    }
    state.store.clear_login_failures(&client).await?;
    tracing::info!("admin logged in");
    start_session(&req, &state, next.as_deref().unwrap_or("/admin")).await
}

/// `POST /admin/logout`: ends the session on every instance.
pub async fn logout(session: AdminSession, form: web::Form<CsrfForm>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    state.store.delete_session(session.id()).await?;
    tracing::info!("admin logged out");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login?logged_out=1"))
        .cookie(expired_cookie(&state, COOKIE))
        .finish())
}

fn login_page(req: &HttpRequest, state: &AppState, status: StatusCode, next: Option<String>, username: String, notice: Option<Notice>) -> AdminResult<HttpResponse> {
    // Reuse the browser's token, so a login form open in another tab stays valid.
    let login_csrf = req
        .cookie(LOGIN_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(random_hex);
    let page = LoginPage { frame: Frame::public().with_notice(notice), login_csrf: login_csrf.clone(), next, username };
    let mut response = render(status, &page)?;
    response
        .add_cookie(&admin_cookie(state, LOGIN_COOKIE, login_csrf))
        .map_err(|e| AdminError::Page(AppError::Internal(format!("cookie: {e}"))))?;
    Ok(response)
}

/// Who is trying to log in, as a keyed hash of the client's address: enough to count
/// their failures, useless for finding out who they are.
fn client_key(req: &HttpRequest, state: &AppState) -> String {
    let facts = request_facts(req);
    let ip = facts.peer.and_then(|peer| client_ip(peer, facts.forwarded, facts.x_forwarded_for, &state.tracker.proxies));
    state.tracker.visitors.visitor_id(ip, "admin-login").as_str().to_owned()
}

async fn credentials_valid(state: &AppState, username: &str, password: &str) -> AdminResult<bool> {
    let Some(expected) = state.settings.admin_password.clone() else {
        return Err(AdminError::Disabled);
    };
    let user_ok = secrets_match(username, ADMIN_USER);
    let password = password.to_owned();
    // Argon2 takes tens of milliseconds of CPU on purpose: keep it off the async workers.
    let password_ok = web::block(move || expected.verify(&password))
        .await
        .map_err(|e| AdminError::Page(AppError::Internal(format!("password check: {e}"))))?;
    Ok(user_ok && password_ok)
}

/// A new session with a new id; the old one, if the browser had one, is deleted.
async fn start_session(req: &HttpRequest, state: &AppState, next: &str) -> AdminResult<HttpResponse> {
    if let Some(old) = session_cookie(req) {
        state.store.delete_session(&old).await?;
    }
    let session = state.store.create_session(SESSION_TTL, now_ms()).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(admin_cookie(state, COOKIE, session.id.expose().to_owned()))
        .cookie(expired_cookie(state, LOGIN_COOKIE))
        .finish())
}
