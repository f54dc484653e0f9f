//! `GET /admin`: the dashboard. A placeholder for now, to be replaced by the stats view.

use super::error::AdminResult;
use super::page::{Frame, Nav, render};
use super::session::AdminSession;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;

#[derive(askama::Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    frame: Frame,
}

pub async fn show(session: AdminSession) -> AdminResult<HttpResponse> {
    render(StatusCode::OK, &DashboardPage { frame: session.frame(Nav::Dashboard) })
}
