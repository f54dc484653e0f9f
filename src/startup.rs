//! Builds the application: binds the listener (port 0 in tests), wires the state and
//! registers the routes; `run_until_stopped` serves until SIGTERM/SIGINT.

use crate::clicks::Tracker;
use crate::clicks::classify::Classifier;
use crate::clicks::recorder::{Recorder, RecorderSettings};
use crate::clicks::spool::Spool;
use crate::clicks::ua_cache::CachedClassifier;
use crate::clicks::visitors::VisitorHasher;
use crate::config::Settings;
use crate::domain::click::now_ms;
use crate::enrich::geo::{self, GeoDb};
use crate::error::{AppError, Result};
use crate::routes;
use crate::state::AppState;
use crate::store::clicks::WritePolicy;
use crate::store::{LinkCache, Store};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a batch marker guards against applying a batch twice: longer than any retry.
const BATCH_MARKER_TTL_SECS: u64 = 3600;
/// User agents whose classification is remembered: a site's readers use a few hundred.
const UA_CACHE_CAPACITY: usize = 10_000;

/// A bound, ready-to-run service.
pub struct Application {
    port: u16,
    state: AppState,
    server: Server,
    /// Stops the background tasks (geo reloader, visitor-secret refresher).
    background: CancellationToken,
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
        let background = CancellationToken::new();
        let state = build_state(settings, public_base, &background).await?;
        let workers = match state.settings.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let data = web::Data::new(state.clone());
        let test_hooks = state.settings.test_hooks;
        let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(|cfg| routes::register(cfg, test_hooks)))
            .workers(workers)
            .shutdown_timeout(10)
            .listen(listener)
            .map_err(|e| AppError::Internal(format!("cannot listen: {e}")))?
            .run();
        Ok(Application { port: local.port(), state, server, background })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the server is stopped (actix handles SIGTERM and SIGINT: it stops
    /// accepting and finishes the requests under way), then writes every accepted click.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.state.tracker.recorder.shutdown().await;
        self.background.cancel();
        served
    }
}

async fn build_state(settings: Settings, public_base: String, background: &CancellationToken) -> Result<AppState> {
    let store = Store::connect(&settings.redis.url, &settings.redis.prefix)?;
    let tracker = Arc::new(build_tracker(&settings, &store, background).await?);
    let channels = Arc::new(settings.channels.clone());
    let links = LinkCache::new(
        store.clone(),
        channels.clone(),
        settings.utm.clone(),
        settings.cache.capacity,
        settings.cache.ttl,
        settings.cache.negative_ttl.max(Duration::from_millis(1)),
    );
    Ok(AppState { settings: Arc::new(settings), store, links, channels, tracker, public_base: public_base.into() })
}

async fn build_tracker(settings: &Settings, store: &Store, background: &CancellationToken) -> Result<Tracker> {
    let classifier = Classifier::new(&settings.classify).map_err(|e| AppError::config("classify", e))?;
    let classifier = CachedClassifier::new(classifier, UA_CACHE_CAPACITY);
    let geo = Arc::new(match &settings.geo.db {
        Some(path) => GeoDb::open(path).map_err(|e| AppError::config("geo.db", e.to_string()))?,
        None => GeoDb::disabled(),
    });
    geo::spawn_reloader(geo.clone(), settings.geo.reload, background.clone());
    let visitors = Arc::new(VisitorHasher::new(store.clone(), now_ms()));
    visitors.refresh(now_ms()).await;
    visitors.clone().spawn_refresher(background.clone());
    let spool = Spool::open(&settings.clicks.spool_dir)
        .map_err(|e| AppError::config("clicks.spool_dir", format!("{}: {e}", settings.clicks.spool_dir.display())))?;
    let recorder = Recorder::start(
        store.clone(),
        Arc::new(settings.channels.clone()),
        spool,
        RecorderSettings {
            queue_capacity: settings.clicks.queue_capacity,
            batch_size: settings.clicks.batch_size,
            policy: WritePolicy {
                retention_days: settings.clicks.retention_days,
                recent_clicks: settings.clicks.recent_clicks,
                preview_window_secs: settings.clicks.preview_window.as_secs(),
                marker_ttl_secs: BATCH_MARKER_TTL_SECS,
                group_by_slot: false,
            },
        },
    );
    Ok(Tracker {
        classifier,
        geo,
        proxies: settings.trusted_proxies.clone(),
        visitors,
        recorder,
        honor_opt_out: settings.clicks.honor_dnt,
    })
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
    match &settings.geo.db {
        Some(path) => tracing::info!(db = %path.display(), "geo lookups on"),
        None => tracing::warn!("SHARETRAIL_GEOIP_DB is not set: geo is off, every country is \"unknown\" (see `sharetrail geoip update`)"),
    }
    if settings.api_token.is_none() {
        tracing::warn!("SHARETRAIL_API_TOKEN is not set: the API accepts only tokens created in the admin UI");
    }
    if settings.admin_password.is_none() {
        tracing::warn!("SHARETRAIL_ADMIN_PASSWORD (or _HASH) is not set: the admin UI at /admin is disabled");
    }
}
