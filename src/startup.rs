//! Builds the application: binds the listener (port 0 in tests), wires the state and
//! registers the routes; `run_until_signalled` serves until SIGTERM/SIGINT, then stops
//! within the configured drain time.

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
use crate::rate_limit::ClientRateLimiter;
use crate::routes;
use crate::state::AppState;
use crate::store::clicks::WritePolicy;
use crate::store::{LinkCache, Store};
use crate::telemetry::metrics::Metrics;
use crate::throttle::Throttles;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long a batch marker guards against applying a batch twice: longer than any retry.
const BATCH_MARKER_TTL_SECS: u64 = 3600;
/// User agents whose classification is remembered: a site's readers use a few hundred.
const UA_CACHE_CAPACITY: usize = 10_000;

/// The runtime `main` serves on. Its threads run the background work (the click writer, the
/// Redis connections, reloads, the spool), so they are marked as such; the request workers
/// are actix's own threads (`crate::scheduling`).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().on_thread_start(crate::scheduling::background).build()
}

/// A bound, ready-to-run service.
pub struct Application {
    port: u16,
    state: AppState,
    server: Server,
    /// Stops the background tasks (geo reloader, visitor-secret refresher, throttle janitor).
    background: CancellationToken,
    /// When the stop began; the click drain ends `shutdown` after it.
    stopping: Arc<std::sync::OnceLock<Instant>>,
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
        let server = HttpServer::new(move || {
            // actix builds the app on each worker's own thread, once.
            crate::scheduling::request_worker();
            App::new()
                .app_data(data.clone())
                // The last wrap runs first: every answer, a refused header included, is observed.
                .wrap(from_fn(routes::redirect::answer_routed))
                .wrap(from_fn(routes::limits::refuse_oversized_headers))
                .wrap(from_fn(routes::observe::observe))
                .configure(|cfg| routes::register(cfg, test_hooks))
        })
        .workers(workers)
        // Signals are handled in `run_until_signalled`: actix would stop at once on SIGINT.
        .disable_signals()
        .shutdown_timeout(state.settings.shutdown.as_secs())
        .client_request_timeout(routes::limits::CLIENT_REQUEST_TIMEOUT)
        .listen(listener)
        .map_err(|e| AppError::Internal(format!("cannot listen: {e}")))?
        .run();
        let stopping = Arc::new(std::sync::OnceLock::new());
        Ok(Application { port: local.port(), state, server, background, stopping })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops serving gracefully, as SIGTERM does (for tests and embedders).
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle { server: self.server.handle(), stopping: self.stopping.clone() }
    }

    /// Serves until SIGTERM or SIGINT (or a [`StopHandle`]), then stops gracefully.
    /// Test apps use [`Application::run_until_stopped`], so a test run keeps Ctrl-C.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let stop = self.stop_handle();
        let listener = tokio::spawn(async move {
            match wait_for_stop_signal().await {
                Ok(signal) => tracing::info!(signal, "stopping: no new connections; requests under way may finish"),
                Err(e) => tracing::error!(error = %e, "cannot listen for signals; stopping"),
            }
            stop.stop().await;
        });
        let served = self.run_until_stopped().await;
        listener.abort();
        served
    }

    /// Serves until the server is stopped: it stops accepting, lets the requests under way
    /// finish within `shutdown`, then writes every accepted click (spooling what is left
    /// when the same deadline passes).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let budget = self.state.settings.shutdown;
        let deadline = *self.stopping.get_or_init(Instant::now) + budget;
        self.state.tracker.recorder.shutdown(deadline).await;
        self.background.cancel();
        served
    }
}

/// Stops an [`Application`] the way SIGTERM does.
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    stopping: Arc<std::sync::OnceLock<Instant>>,
}

impl StopHandle {
    pub async fn stop(&self) {
        self.stopping.get_or_init(Instant::now);
        self.server.stop(true).await;
    }
}

/// Waits for SIGTERM (an orchestrator stopping us) or SIGINT (Ctrl-C); both stop gracefully.
async fn wait_for_stop_signal() -> std::io::Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

async fn build_state(settings: Settings, public_base: String, background: &CancellationToken) -> Result<AppState> {
    let store = if settings.redis.cluster {
        Store::connect_cluster(&settings.redis.url, &settings.redis.prefix).await?
    } else {
        Store::connect(&settings.redis.url, &settings.redis.prefix)?
    };
    if let Err(e) = store.ping().await {
        tracing::warn!(error = %e, "Redis does not answer: serving anyway; links and stats answer 503 until it does, clicks wait in the spool");
    }
    let tracker = Arc::new(build_tracker(&settings, &store, background).await?);
    let metrics = Arc::new(Metrics::new(store.metrics(), tracker.recorder.counters().clone()));
    let throttles = Arc::new(Throttles::new(settings.limits.mint_per_minute, settings.limits.lookups_per_minute));
    throttles.clone().spawn_janitor(background.clone());
    let channels = Arc::new(settings.channels.clone());
    let links = LinkCache::new(
        store.clone(),
        channels.clone(),
        settings.utm.clone(),
        settings.cache.capacity,
        settings.cache.ttl,
        settings.cache.negative_ttl.max(Duration::from_millis(1)),
    );
    links.spawn_invalidations(background.clone());
    let widget_limiter = ClientRateLimiter::per_minute(settings.widget_rate_limit);
    Ok(AppState { settings: Arc::new(settings), store, links, channels, tracker, public_base: public_base.into(), widget_limiter, metrics, throttles })
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
            linger: settings.clicks.linger,
            counters_every: settings.clicks.counters_every,
            policy: WritePolicy {
                retention_days: settings.clicks.retention_days,
                recent_clicks: settings.clicks.recent_clicks,
                preview_window_secs: settings.clicks.preview_window.as_secs(),
                marker_ttl_secs: BATCH_MARKER_TTL_SECS,
                // On a cluster every hash tag is a script of its own (a script's keys
                // must share a slot); on one Redis the whole batch is one script.
                group_by_slot: store.is_cluster(),
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
    if settings.widget_origins.is_empty() {
        tracing::info!("SHARETRAIL_WIDGET_ORIGINS is empty: the share-button widget cannot mint links (the token API and the HTML fragment still can)");
    }
    if settings.api_token.is_none() {
        tracing::warn!("SHARETRAIL_API_TOKEN is not set: the API accepts only tokens created in the admin UI");
    }
    if settings.admin_password.is_none() {
        tracing::warn!("SHARETRAIL_ADMIN_PASSWORD (or _HASH) is not set: the admin UI at /admin is disabled");
    }
}
