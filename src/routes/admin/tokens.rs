//! The API tokens page: create a token with a label (its text is shown once, on the
//! answer to the form, and never again), list the tokens, revoke one.

use super::error::AdminResult;
use super::page::{Frame, Nav, Notice, render};
use super::session::AdminSession;
use crate::domain::api_token::MAX_LABEL_CHARS;
use crate::domain::click::now_ms;
use crate::domain::{TokenDigest, TokenLabel};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::tokens::StoredToken;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// A token as the page shows it.
struct TokenRow {
    id: String,
    label: String,
    created_iso: String,
    created: String,
    last4: String,
}

struct CreatedToken {
    label: String,
    token: String,
}

#[derive(askama::Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    frame: Frame,
    tokens: Vec<TokenRow>,
    /// The token just created, shown this once.
    created: Option<CreatedToken>,
    /// The label field's value and error, when the form was refused.
    label: String,
    label_error: Option<String>,
    max_label: usize,
}

#[derive(Deserialize)]
pub struct TokensQuery {
    revoked: Option<String>,
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: Option<String>,
    #[serde(default)]
    label: String,
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: Option<String>,
}

/// `GET /admin/tokens`.
pub async fn list(session: AdminSession, query: web::Query<TokensQuery>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let notice = match query.revoked.as_deref() {
        Some("1") => Some(Notice::success("The token was revoked. It no longer works.")),
        Some(_) => Some(Notice::error("That token was already revoked.")),
        None => None,
    };
    let page = TokensPage::new(&session, &state, notice).await?;
    render(StatusCode::OK, &page)
}

/// `POST /admin/tokens`: answers with the page itself, so the token is shown on this
/// answer only and is in no URL, no redirect target and no store.
pub async fn create(session: AdminSession, form: web::Form<CreateForm>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    let label = match TokenLabel::parse(&form.label) {
        Ok(label) => label,
        Err(e) => {
            let mut page = TokensPage::new(&session, &state, None).await?;
            page.label = form.label.clone();
            page.label_error = Some(e.public_message());
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    let token = state.store.create_token(&label, now_ms()).await?;
    tracing::info!(label = label.as_str(), last4 = token.last4(), "API token created");
    let mut page = TokensPage::new(&session, &state, None).await?;
    page.created = Some(CreatedToken { label: label.as_str().to_owned(), token: token.expose().to_owned() });
    render(StatusCode::OK, &page)
}

/// `POST /admin/tokens/{id}/revoke`: the token is refused from the next API request on.
pub async fn revoke(session: AdminSession, digest: web::Path<String>, form: web::Form<RevokeForm>, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    session.check_csrf(form.csrf.as_deref())?;
    let digest = TokenDigest::parse(&digest).ok_or(AppError::NotFound("token"))?;
    let revoked = state.store.revoke_token(&digest).await?;
    if revoked {
        tracing::info!(token = &digest.as_str()[..12], "API token revoked");
    }
    let location = if revoked { "/admin/tokens?revoked=1" } else { "/admin/tokens?revoked=0" };
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish())
}

impl TokensPage {
    async fn new(session: &AdminSession, state: &AppState, notice: Option<Notice>) -> AdminResult<TokensPage> {
        let tokens = state.store.list_tokens().await?.into_iter().map(TokenRow::from).collect();
        Ok(TokensPage {
            frame: session.frame(Nav::Tokens).with_notice(notice),
            tokens,
            created: None,
            label: String::new(),
            label_error: None,
            max_label: MAX_LABEL_CHARS,
        })
    }
}

impl From<StoredToken> for TokenRow {
    fn from(token: StoredToken) -> TokenRow {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(token.created_ms) * 1_000_000).ok();
        let format = |f: &[time::format_description::BorrowedFormatItem<'_>]| at.and_then(|t| t.format(f).ok()).unwrap_or_default();
        TokenRow {
            id: token.digest.as_str().to_owned(),
            label: token.label,
            created_iso: at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default(),
            created: format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")),
            last4: token.last4,
        }
    }
}
