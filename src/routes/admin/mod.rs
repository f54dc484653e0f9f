//! The admin UI under /admin: server-rendered pages (askama, templates/admin/) behind a
//! password login and a server-side session. Every response here carries the security
//! headers of [`headers`]; every page but the login page takes an [`AdminSession`], so
//! it cannot be reached without one; every form that changes state checks its CSRF token.
//!
//! A page handler takes an `AdminSession`, renders a template whose struct has a
//! `frame: Frame` (from `session.frame(Nav::…)`) and returns `AdminResult<HttpResponse>`.

pub mod assets;
pub mod content;
pub mod dashboard;
pub mod error;
pub mod headers;
pub mod links;
pub mod login;
pub mod page;
pub mod range;
pub mod session;
pub mod tokens;
pub mod views;

pub use error::{AdminError, AdminResult};
pub use page::{Frame, Nav, render};
pub use session::AdminSession;

use actix_web::middleware::from_fn;
use actix_web::web;

/// Mounts the admin UI; call it inside `web::scope("/admin")`.
pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(16 * 1024).error_handler(error::form_error))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .service(web::resource(["", "/"]).route(web::get().to(dashboard::show)))
        .service(web::resource("/login").route(web::get().to(login::form)).route(web::post().to(login::submit)))
        .service(web::resource("/logout").route(web::post().to(login::logout)))
        .service(web::resource("/tokens").route(web::get().to(tokens::list)).route(web::post().to(tokens::create)))
        .service(web::resource("/tokens/{digest}/revoke").route(web::post().to(tokens::revoke)))
        .service(web::resource("/contents/{id}").route(web::get().to(content::show)))
        .service(web::resource("/links").route(web::get().to(links::list)).route(web::post().to(links::create)))
        .service(web::resource("/links/{code}/enabled").route(web::post().to(links::toggle)))
        .service(web::resource("/static/{file}").route(web::get().to(assets::serve)));
}

/// The admin scope with its middleware, ready for `App::service`.
pub fn scope() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/admin")
        .configure(register)
        .default_service(web::to(error::not_found))
        .wrap(from_fn(headers::gate))
        .wrap(from_fn(headers::security_headers))
}
