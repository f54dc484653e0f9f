//! Limits on what one request may cost: the size of its headers and how long its client
//! may take to send them. Bodies are limited where they are read (`MAX_BODY_BYTES`).

use crate::error::AppError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use std::time::Duration;

/// Largest request head (names and values of all headers) answered. actix reads up to
/// 128 KiB; a browser with a full cookie jar sends well under 16 KiB, and a proxy in front
/// (nginx: 4 × 8 KiB) refuses more anyway.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// How long a client may take to send its request head; a slow client (slowloris) gets
/// 408 and its connection closed instead of holding it.
pub const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Answers 431 to a request whose headers are larger than [`MAX_HEADER_BYTES`].
pub async fn refuse_oversized_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let size: usize = req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if size > MAX_HEADER_BYTES {
        let (req, _) = req.into_parts();
        let response = AppError::HeadersTooLarge(MAX_HEADER_BYTES).error_response().map_into_right_body();
        return Ok(ServiceResponse::new(req, response));
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}
