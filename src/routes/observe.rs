//! The request middleware: one log line per request and the request metrics. The line has
//! the method, the path without its query string, the status and the latency; never an
//! address, a header or a query (they can carry personal data, tokens or tracking ids).

use super::SHORT_LINK;
use super::redirect::AnsweredRoute;
use crate::state::AppState;
use crate::telemetry::metrics::RequestLabels;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use std::time::Instant;

/// Longest path logged: a path is client input, and a log line must stay a line.
const MAX_LOGGED_PATH: usize = 200;

/// Observes one request: a log line at info, a latency sample, and for short links a count.
pub async fn observe(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    // The path is copied for the log line only when there is one (not at `warn`).
    let path = tracing::enabled!(target: "sharetrail::request", tracing::Level::INFO).then(|| loggable_path(req.path()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let result = next.call(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let (status, route) = match &result {
        Ok(response) => {
            let answered = response.request().extensions().get::<AnsweredRoute>().map(|route| route.0.to_owned());
            (response.status(), answered.or_else(|| response.request().match_pattern()))
        }
        Err(e) => (e.as_response_error().status_code(), None),
    };
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    tracing::info!(
        target: "sharetrail::request",
        method = %method,
        path = path.as_deref().unwrap_or_default(),
        route,
        status = status.as_u16(),
        latency_ms = (seconds * 1e6).round() / 1e3,
        "request"
    );
    if let Some(state) = state {
        if route == SHORT_LINK {
            state.metrics.count_redirect(status.as_u16());
        }
        state.metrics.observe_request(RequestLabels { route, method: method.to_string(), status: status.as_u16() }, seconds);
    }
    result
}

fn loggable_path(path: &str) -> String {
    match path.char_indices().nth(MAX_LOGGED_PATH) {
        Some((cut, _)) => format!("{}…", &path[..cut]),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_are_cut_on_a_character_boundary() {
        assert_eq!(loggable_path("/abc"), "/abc");
        let long = "é".repeat(300);
        let logged = loggable_path(&long);
        assert_eq!(logged.chars().count(), MAX_LOGGED_PATH + 1);
        assert!(logged.ends_with('…'));
    }
}
