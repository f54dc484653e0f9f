//! Builds the application: binds the listener (port 0 in tests), wires the state and
//! registers the routes; `run_until_stopped` serves until SIGTERM/SIGINT.

use crate::config::Settings;
use crate::error::{AppError, Result};
use crate::routes;
use crate::state::AppState;
use crate::store::{LinkCache, Store};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// A bound, ready-to-run service.
pub struct Application {
    port: u16,
    state: AppState,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Application> {
        let listener = TcpListener::bind(settings.listen)
            .map_err(|e| AppError::config("listen", format!("cannot bind {}: {e}", settings.listen)))?;
        let local = listener.local_addr().map_err(|e| AppError::Internal(e.to_string()))?;
        let public_base = match &settings.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{local}"),
        };
        let state = build_state(settings, public_base)?;
        let workers = match state.settings.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes::register))
            .workers(workers)
            .shutdown_timeout(10)
            .listen(listener)
            .map_err(|e| AppError::Internal(format!("cannot listen: {e}")))?
            .run();
        Ok(Application { port: local.port(), state, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the server is stopped (actix handles SIGTERM and SIGINT).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn build_state(settings: Settings, public_base: String) -> Result<AppState> {
    let store = Store::connect(&settings.redis.url, &settings.redis.prefix)?;
    let channels = Arc::new(settings.channels.clone());
    let links = LinkCache::new(
        store.clone(),
        channels.clone(),
        settings.utm.clone(),
        settings.cache.capacity,
        settings.cache.ttl,
        settings.cache.negative_ttl.max(Duration::from_millis(1)),
    );
    Ok(AppState { settings: Arc::new(settings), store, links, channels, public_base: public_base.into() })
}

/// Logs what the service will do, and warns about settings that make it do little;
/// never a secret.
pub fn describe(settings: &Settings) {
    tracing::info!(
        listen = %settings.listen,
        public_url = settings.public_url.as_ref().map_or("(from listen address)", |u| u.as_str()),
        redis_prefix = %settings.redis.prefix,
        channels = settings.channels.names().len(),
        "settings loaded"
    );
    if settings.allowed_hosts.is_empty() {
        tracing::warn!("SHARETRAIL_ALLOWED_HOSTS is empty: no link can be minted until you list the hosts links may point to (or `*`)");
    }
    if settings.api_token.is_none() {
        tracing::warn!("SHARETRAIL_API_TOKEN is not set: the API refuses every request");
    }
}
