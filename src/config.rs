//! Settings, layered: the built-in defaults (config/default.toml, compiled in) → an optional
//! file (`--config FILE` or SHARETRAIL_CONFIG) → SHARETRAIL_* environment variables.
//! A missing or malformed setting stops startup with a message that names it.

use crate::clicks::classify::ClassifierConfig;
use crate::domain::{AdminPassword, AllowedHosts, Channel, ChannelRegistry, ShareTemplate, UtmPolicy, WidgetOrigins};
use crate::enrich::client_ip::TrustedProxies;
use crate::error::{AppError, Result};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

const DEFAULTS: &str = include_str!("../config/default.toml");
const CLASSIFY_DEFAULTS: &str = include_str!("../config/classify.toml");

/// How an environment variable's text becomes a TOML value.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    List,
    Int,
    Bool,
}

/// An environment variable and the setting it overrides.
pub struct EnvVar {
    pub name: &'static str,
    pub path: &'static str,
    kind: Kind,
}

const fn var(name: &'static str, path: &'static str, kind: Kind) -> EnvVar {
    EnvVar { name, path, kind }
}

/// Every variable sharetrail reads; `--help` prints this list, and variables with the
/// SHARETRAIL_ prefix that are not in it get a warning (a typo should not pass silently).
pub const ENV_VARS: &[EnvVar] = &[
    var("SHARETRAIL_LISTEN", "listen", Kind::Text),
    var("SHARETRAIL_PUBLIC_URL", "public_url", Kind::Text),
    var("SHARETRAIL_API_TOKEN", "api_token", Kind::Text),
    var("SHARETRAIL_ADMIN_PASSWORD", "admin_password", Kind::Text),
    var("SHARETRAIL_ADMIN_PASSWORD_HASH", "admin_password_hash", Kind::Text),
    var("SHARETRAIL_ALLOWED_HOSTS", "allowed_hosts", Kind::List),
    var("SHARETRAIL_DEFAULT_CHANNELS", "default_channels", Kind::List),
    var("SHARETRAIL_WIDGET_ORIGINS", "widget_origins", Kind::List),
    var("SHARETRAIL_WIDGET_RATE_LIMIT", "widget_rate_limit", Kind::Int),
    var("SHARETRAIL_CODE_LENGTH", "code_length", Kind::Int),
    var("SHARETRAIL_DATA_DIR", "data_dir", Kind::Text),
    var("SHARETRAIL_LOG_FORMAT", "log_format", Kind::Text),
    var("SHARETRAIL_WORKERS", "workers", Kind::Int),
    var("SHARETRAIL_TRUSTED_PROXIES", "trusted_proxies", Kind::List),
    var("SHARETRAIL_TEST_HOOKS", "test_hooks", Kind::Bool),
    var("SHARETRAIL_METRICS_TOKEN", "metrics_token", Kind::Text),
    var("SHARETRAIL_SHUTDOWN_SECONDS", "shutdown_seconds", Kind::Int),
    var("SHARETRAIL_MINT_RATE_PER_MINUTE", "limits.mint_per_minute", Kind::Int),
    var("SHARETRAIL_LOOKUP_RATE_PER_MINUTE", "limits.lookups_per_minute", Kind::Int),
    var("SHARETRAIL_GEOIP_DB", "geo.db", Kind::Text),
    var("SHARETRAIL_GEOIP_RELOAD_SECONDS", "geo.reload_seconds", Kind::Int),
    var("SHARETRAIL_MAXMIND_LICENSE_KEY", "geo.maxmind_license_key", Kind::Text),
    var("SHARETRAIL_GEOIP_DOWNLOAD_URL", "geo.download_url", Kind::Text),
    var("SHARETRAIL_CLICK_QUEUE_CAPACITY", "clicks.queue_capacity", Kind::Int),
    var("SHARETRAIL_CLICK_BATCH_SIZE", "clicks.batch_size", Kind::Int),
    var("SHARETRAIL_CLICK_LINGER_MS", "clicks.linger_ms", Kind::Int),
    var("SHARETRAIL_CLICK_COUNTERS_EVERY_MS", "clicks.counters_every_ms", Kind::Int),
    var("SHARETRAIL_RETENTION_DAYS", "clicks.retention_days", Kind::Int),
    var("SHARETRAIL_RECENT_CLICKS", "clicks.recent_clicks", Kind::Int),
    var("SHARETRAIL_PREVIEW_WINDOW_SECONDS", "clicks.preview_window_seconds", Kind::Int),
    var("SHARETRAIL_HONOR_DNT", "clicks.honor_dnt", Kind::Bool),
    var("SHARETRAIL_SPOOL_DIR", "clicks.spool_dir", Kind::Text),
    var("SHARETRAIL_REDIS_URL", "redis.url", Kind::Text),
    var("SHARETRAIL_REDIS_PREFIX", "redis.prefix", Kind::Text),
    var("SHARETRAIL_REDIS_CLUSTER", "redis.cluster", Kind::Bool),
    var("SHARETRAIL_UTM_ENABLED", "utm.enabled", Kind::Bool),
    var("SHARETRAIL_UTM_MEDIUM_PRIVATE", "utm.medium_private", Kind::Text),
    var("SHARETRAIL_UTM_MEDIUM_PUBLIC", "utm.medium_public", Kind::Text),
    var("SHARETRAIL_CACHE_CAPACITY", "cache.capacity", Kind::Int),
    var("SHARETRAIL_CACHE_TTL_SECONDS", "cache.ttl_seconds", Kind::Int),
    var("SHARETRAIL_CACHE_NEGATIVE_TTL_SECONDS", "cache.negative_ttl_seconds", Kind::Int),
];

/// Variables read elsewhere (by the CLI or the logger), so not "unknown".
const OTHER_VARS: &[&str] = &["SHARETRAIL_CONFIG", "SHARETRAIL_LOG"];

/// The service's settings, parsed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// None: short links use `http://` + the bound address.
    pub public_url: Option<Url>,
    pub api_token: Option<SecretString>,
    /// None: the admin UI is disabled.
    pub admin_password: Option<AdminPassword>,
    pub allowed_hosts: AllowedHosts,
    pub default_channels: Vec<Arc<Channel>>,
    /// Pages that may mint links through the widget, without a token.
    pub widget_origins: WidgetOrigins,
    /// Widget mint requests a client may make per minute (also the burst).
    pub widget_rate_limit: u32,
    pub code_length: usize,
    pub data_dir: PathBuf,
    pub log_json: bool,
    pub workers: usize,
    pub redis: RedisSettings,
    pub utm: UtmPolicy,
    pub cache: CacheSettings,
    pub channels: ChannelRegistry,
    pub trusted_proxies: TrustedProxies,
    pub test_hooks: bool,
    /// Bearer token of `GET /metrics`; None: the endpoint is off.
    pub metrics_token: Option<SecretString>,
    /// How long a stop may take: requests under way, then the click drain.
    pub shutdown: Duration,
    pub limits: LimitSettings,
    pub geo: GeoSettings,
    pub clicks: ClickSettings,
    pub classify: ClassifierConfig,
}

#[derive(Debug, Clone)]
pub struct GeoSettings {
    pub db: Option<PathBuf>,
    pub reload: Duration,
    pub maxmind_license_key: Option<SecretString>,
    pub download_url: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct ClickSettings {
    pub queue_capacity: usize,
    pub batch_size: usize,
    pub linger: Duration,
    pub counters_every: Duration,
    pub retention_days: u32,
    pub recent_clicks: usize,
    pub preview_window: Duration,
    pub honor_dnt: bool,
    pub spool_dir: PathBuf,
}

/// Per-client rate limits, per minute; 0 turns one off.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    pub mint_per_minute: u32,
    pub lookups_per_minute: u32,
}

#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// One URL, or comma-separated seed nodes of a cluster.
    pub url: SecretString,
    pub prefix: String,
    pub cluster: bool,
}

#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub capacity: u64,
    pub ttl: Duration,
    pub negative_ttl: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: String,
    public_url: String,
    api_token: String,
    admin_password: String,
    admin_password_hash: String,
    allowed_hosts: Vec<String>,
    default_channels: Vec<String>,
    widget_origins: Vec<String>,
    widget_rate_limit: u64,
    code_length: u64,
    data_dir: PathBuf,
    log_format: String,
    workers: u64,
    redis: RawRedis,
    utm: RawUtm,
    cache: RawCache,
    channels: toml::Table,
    trusted_proxies: Vec<String>,
    test_hooks: bool,
    metrics_token: String,
    shutdown_seconds: u64,
    limits: RawLimits,
    geo: RawGeo,
    clicks: RawClicks,
    classify: ClassifierConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeo {
    db: String,
    reload_seconds: u64,
    maxmind_license_key: String,
    download_url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    mint_per_minute: u64,
    lookups_per_minute: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClicks {
    queue_capacity: u64,
    batch_size: u64,
    linger_ms: u64,
    counters_every_ms: u64,
    retention_days: u64,
    recent_clicks: u64,
    preview_window_seconds: u64,
    honor_dnt: bool,
    spool_dir: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRedis {
    url: String,
    prefix: String,
    cluster: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUtm {
    enabled: bool,
    medium_private: String,
    medium_public: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    capacity: u64,
    ttl_seconds: u64,
    negative_ttl_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    label: String,
    private: bool,
    share_url: Option<String>,
    #[serde(default)]
    previews: Vec<String>,
    #[serde(default)]
    qr: bool,
}

impl Settings {
    /// Loads the layers. `env` is passed in (not read here) so tests need not touch the
    /// process environment. Returns warnings about unknown SHARETRAIL_* variables.
    pub fn load(file: Option<&Path>, env: &BTreeMap<String, String>) -> Result<(Settings, Vec<String>)> {
        let mut table: toml::Table = DEFAULTS.parse().map_err(|e| AppError::config("config/default.toml", format!("{e}")))?;
        let classify: toml::Table =
            CLASSIFY_DEFAULTS.parse().map_err(|e| AppError::config("config/classify.toml", format!("{e}")))?;
        table.insert("classify".into(), toml::Value::Table(classify));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| AppError::config("--config", format!("cannot read {}: {e}", path.display())))?;
            let overlay: toml::Table =
                text.parse().map_err(|e| AppError::config("--config", format!("{}: {e}", path.display())))?;
            merge(&mut table, overlay);
        }
        let warnings = apply_env(&mut table, env)?;
        let raw: Raw = toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| {
            AppError::config("configuration", e.message().to_owned())
        })?;
        Ok((Settings::from_raw(raw)?, warnings))
    }

    fn from_raw(raw: Raw) -> Result<Settings> {
        let channels = parse_channels(raw.channels)?;
        let default_channels = raw
            .default_channels
            .iter()
            .map(|name| channels.get(name).cloned().ok_or_else(|| AppError::config("default_channels", format!("unknown channel `{name}`"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Settings {
            listen: raw.listen.parse().map_err(|e| AppError::config("listen", format!("`{}` is not an address:port: {e}", raw.listen)))?,
            public_url: parse_public_url(&raw.public_url)?,
            api_token: secret(raw.api_token),
            admin_password: AdminPassword::parse(secret(raw.admin_password), secret(raw.admin_password_hash))?,
            allowed_hosts: AllowedHosts::parse(&raw.allowed_hosts)?,
            default_channels,
            widget_origins: WidgetOrigins::parse(&raw.widget_origins)?,
            widget_rate_limit: in_range("widget_rate_limit", raw.widget_rate_limit, 1..=100_000)? as u32,
            code_length: in_range("code_length", raw.code_length, 6..=32)?,
            data_dir: raw.data_dir.clone(),
            log_json: match raw.log_format.as_str() {
                "text" => false,
                "json" => true,
                other => return Err(AppError::config("log_format", format!("`{other}` is neither text nor json"))),
            },
            workers: in_range("workers", raw.workers, 0..=1024)?,
            redis: RedisSettings { url: parse_redis_url(raw.redis.url, raw.redis.cluster)?, prefix: raw.redis.prefix, cluster: raw.redis.cluster },
            utm: UtmPolicy { enabled: raw.utm.enabled, medium_private: raw.utm.medium_private, medium_public: raw.utm.medium_public },
            cache: CacheSettings {
                capacity: raw.cache.capacity,
                ttl: Duration::from_secs(raw.cache.ttl_seconds),
                negative_ttl: Duration::from_secs(raw.cache.negative_ttl_seconds),
            },
            channels,
            trusted_proxies: TrustedProxies::parse(&raw.trusted_proxies)?,
            test_hooks: raw.test_hooks,
            metrics_token: secret(raw.metrics_token),
            shutdown: Duration::from_secs(in_range("shutdown_seconds", raw.shutdown_seconds, 1..=3600)? as u64),
            limits: LimitSettings {
                mint_per_minute: in_range("limits.mint_per_minute", raw.limits.mint_per_minute, 0..=1_000_000)? as u32,
                lookups_per_minute: in_range("limits.lookups_per_minute", raw.limits.lookups_per_minute, 0..=1_000_000)? as u32,
            },
            geo: GeoSettings {
                db: Some(raw.geo.db).filter(|d| !d.is_empty()).map(PathBuf::from),
                reload: Duration::from_secs(raw.geo.reload_seconds),
                maxmind_license_key: secret(raw.geo.maxmind_license_key),
                download_url: parse_optional_url("geo.download_url", &raw.geo.download_url)?,
            },
            clicks: ClickSettings {
                queue_capacity: in_range("clicks.queue_capacity", raw.clicks.queue_capacity, 1..=10_000_000)?,
                batch_size: in_range("clicks.batch_size", raw.clicks.batch_size, 1..=10_000)?,
                linger: Duration::from_millis(in_range("clicks.linger_ms", raw.clicks.linger_ms, 0..=1000)? as u64),
                counters_every: Duration::from_millis(in_range("clicks.counters_every_ms", raw.clicks.counters_every_ms, 0..=60_000)? as u64),
                retention_days: in_range("clicks.retention_days", raw.clicks.retention_days, 1..=3650)? as u32,
                recent_clicks: in_range("clicks.recent_clicks", raw.clicks.recent_clicks, 1..=1_000_000)?,
                preview_window: Duration::from_secs(in_range("clicks.preview_window_seconds", raw.clicks.preview_window_seconds, 1..=86_400)? as u64),
                honor_dnt: raw.clicks.honor_dnt,
                spool_dir: match raw.clicks.spool_dir.as_str() {
                    "" => raw.data_dir.join("spool"),
                    dir => PathBuf::from(dir),
                },
            },
            classify: raw.classify,
        })
    }
}

fn parse_optional_url(setting: &str, raw: &str) -> Result<Option<Url>> {
    if raw.is_empty() {
        return Ok(None);
    }
    Url::parse(raw).map(Some).map_err(|e| AppError::config(setting, format!("`{raw}`: {e}")))
}

fn secret(value: String) -> Option<SecretString> {
    (!value.is_empty()).then(|| SecretString::from(value))
}

fn in_range(setting: &str, value: u64, range: std::ops::RangeInclusive<u64>) -> Result<usize> {
    if range.contains(&value) {
        Ok(value as usize)
    } else {
        Err(AppError::config(setting, format!("{value} is outside {}..={}", range.start(), range.end())))
    }
}

fn parse_public_url(raw: &str) -> Result<Option<Url>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let url = Url::parse(raw.trim_end_matches('/')).map_err(|e| AppError::config("public_url", format!("`{raw}`: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.fragment().is_some() {
        return Err(AppError::config("public_url", format!("`{raw}` must be an http(s) base URL without query or fragment")));
    }
    Ok(Some(url))
}

/// Checks the Redis URL's form without ever echoing it (it may hold a password).
/// A cluster takes comma-separated seed nodes.
fn parse_redis_url(raw: String, cluster: bool) -> Result<SecretString> {
    let valid_url = |url: &str| Url::parse(url.trim()).is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss" | "redis+unix" | "unix"));
    let valid = if cluster { raw.split(',').filter(|s| !s.trim().is_empty()).all(valid_url) && !raw.trim().is_empty() } else { valid_url(&raw) };
    if valid {
        Ok(SecretString::from(raw))
    } else if cluster {
        Err(AppError::config("redis.url", "not a comma-separated list of redis:// or rediss:// seed URLs"))
    } else {
        Err(AppError::config("redis.url", "not a redis://, rediss:// or unix:// URL"))
    }
}

fn parse_channels(table: toml::Table) -> Result<ChannelRegistry> {
    let mut channels = Vec::new();
    for (name, value) in table {
        let setting = format!("channels.{name}");
        let raw: RawChannel = value.try_into().map_err(|e: toml::de::Error| AppError::config(&setting, e.message().to_owned()))?;
        let share_url = raw
            .share_url
            .map(|t| ShareTemplate::parse(&t).map_err(|e| AppError::config(format!("{setting}.share_url"), e)))
            .transpose()?;
        channels.push(Channel { name, label: raw.label, private: raw.private, share_url, previews: raw.previews, qr: raw.qr });
    }
    ChannelRegistry::new(channels)
}

/// Deep-merges `overlay` into `base`: tables merge key by key, anything else replaces.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(over)) => merge(inner, over),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn apply_env(table: &mut toml::Table, env: &BTreeMap<String, String>) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for (name, text) in env.iter().filter(|(name, _)| name.starts_with("SHARETRAIL_")) {
        let Some(var) = ENV_VARS.iter().find(|v| v.name == name) else {
            if !OTHER_VARS.contains(&name.as_str()) {
                warnings.push(format!("unknown environment variable {name} is ignored"));
            }
            continue;
        };
        let value = env_value(var, text)?;
        let (parents, leaf) = var.path.rsplit_once('.').map_or((None, var.path), |(p, l)| (Some(p), l));
        let mut target = &mut *table;
        for part in parents.into_iter().flat_map(|p| p.split('.')) {
            target = target
                .entry(part)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .ok_or_else(|| AppError::config(var.name, "shadows a non-table setting"))?;
        }
        target.insert(leaf.to_owned(), value);
    }
    Ok(warnings)
}

fn env_value(var: &EnvVar, text: &str) -> Result<toml::Value> {
    let bad = |what: &str| AppError::config(var.name, format!("`{text}` is not {what}"));
    Ok(match var.kind {
        Kind::Text => toml::Value::String(text.to_owned()),
        Kind::List => toml::Value::Array(
            text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| toml::Value::String(s.to_owned())).collect(),
        ),
        Kind::Int => toml::Value::Integer(text.trim().parse().map_err(|_| bad("a whole number"))?),
        Kind::Bool => toml::Value::Boolean(match text.trim() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => return Err(bad("true or false")),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_load_and_match_the_documented_values() {
        let (s, warnings) = Settings::load(None, &env(&[])).expect("defaults load");
        assert!(warnings.is_empty());
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.redis.url.expose_secret(), "redis://127.0.0.1:6379");
        assert_eq!(s.redis.prefix, "st:");
        assert!(s.allowed_hosts.is_empty());
        assert!(s.api_token.is_none());
        for name in ["whatsapp", "email", "slack", "sms", "telegram", "messenger", "teams", "signal", "viber", "line", "wechat", "discord", "copy", "native"] {
            assert!(s.channels.get(name).is_some_and(|c| c.private), "{name} is a private channel");
        }
        for name in ["linkedin", "x", "facebook", "reddit"] {
            assert!(s.channels.get(name).is_some_and(|c| !c.private), "{name} is a public channel");
        }
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("sharetrail-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("c.toml");
        std::fs::write(&file, "code_length = 10\n[redis]\nprefix = \"file:\"\n[channels.mastodon]\nlabel = \"Mastodon\"\nprivate = false\n").expect("write");
        let (s, _) = Settings::load(Some(&file), &env(&[("SHARETRAIL_REDIS_PREFIX", "env:"), ("SHARETRAIL_ALLOWED_HOSTS", "a.com, b.org")])).expect("loads");
        assert_eq!(s.code_length, 10);
        assert_eq!(s.redis.prefix, "env:");
        assert!(s.channels.get("mastodon").is_some() && s.channels.get("whatsapp").is_some());
        assert_eq!(s.allowed_hosts, AllowedHosts::Only(vec!["a.com".into(), "b.org".into()]));
    }

    #[test]
    fn malformed_settings_name_the_setting() {
        for (var, value, named) in [
            ("SHARETRAIL_LISTEN", "not-an-address", "listen"),
            ("SHARETRAIL_CODE_LENGTH", "eight", "SHARETRAIL_CODE_LENGTH"),
            ("SHARETRAIL_CODE_LENGTH", "3", "code_length"),
            ("SHARETRAIL_PUBLIC_URL", "ftp://x", "public_url"),
            ("SHARETRAIL_REDIS_URL", "http://x", "redis.url"),
            ("SHARETRAIL_UTM_ENABLED", "maybe", "SHARETRAIL_UTM_ENABLED"),
            ("SHARETRAIL_DEFAULT_CHANNELS", "myspace", "default_channels"),
            ("SHARETRAIL_WIDGET_ORIGINS", "blog.example.com", "widget_origins"),
            ("SHARETRAIL_WIDGET_RATE_LIMIT", "0", "widget_rate_limit"),
        ] {
            let err = Settings::load(None, &env(&[(var, value)])).expect_err(var);
            assert!(err.to_string().contains(named), "{var}={value}: {err}");
        }
    }

    #[test]
    fn unknown_keys_in_a_file_and_unknown_variables_are_reported() {
        let dir = std::env::temp_dir().join(format!("sharetrail-config-typo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("c.toml");
        std::fs::write(&file, "lisen = \"1.2.3.4:5\"\n").expect("write");
        let err = Settings::load(Some(&file), &env(&[])).expect_err("typo refused");
        assert!(err.to_string().contains("lisen"), "{err}");
        let (_, warnings) = Settings::load(None, &env(&[("SHARETRAIL_LISTN", "x")])).expect("loads");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("SHARETRAIL_LISTN"));
    }

    #[test]
    fn the_redis_password_never_shows_in_an_error_or_debug_output() {
        let err = Settings::load(None, &env(&[("SHARETRAIL_REDIS_URL", "http://:hunter2@x")])).expect_err("refused");
        assert!(!err.to_string().contains("hunter2"));
        let (s, _) = Settings::load(None, &env(&[("SHARETRAIL_REDIS_URL", "redis://:hunter2@x"), ("SHARETRAIL_API_TOKEN", "tok-secret")])).expect("loads");
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("tok-secret"), "{debug}");
    }
}
