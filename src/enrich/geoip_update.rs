//! `sharetrail geoip update`: download a fresh City database and swap it in
//! under the running service, the way Shlink does it.
//!
//! With a `MaxMind` licence key the GeoLite2-City edition comes from `MaxMind`
//! (a `.tar.gz` holding `GeoLite2-City_YYYYMMDD/GeoLite2-City.mmdb`);
//! without one, DB-IP's free "IP to City Lite" database (a gzipped `.mmdb`
//! published monthly, so this month's file may not exist yet early in the
//! month and last month's is used instead).
//!
//! # How the file is replaced
//!
//! The running service memory-maps the database (see [`crate::enrich::geo`]),
//! so the target is never written in place. The download is streamed —
//! never held in memory — through the decompressor into a temporary file in
//! the target's directory, which is then checked (it must open with
//! [`GeoDb::open`] and be a City database), `fsync`ed and `rename`d over the
//! target in one atomic step; the service notices the new inode and reloads.
//! Anything that fails before the rename (HTTP error, truncated or corrupt
//! download, wrong kind of database, a body over [`MAX_DOWNLOAD_BYTES`])
//! leaves the old database untouched and removes the temporary file.
//!
//! # Secrets
//!
//! The licence key travels in the query string, as `MaxMind`'s download API
//! expects, so it is kept out of every error message: URLs are shown with
//! the key replaced by `REDACTED`, and `reqwest` errors are stripped of
//! their URL.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::read::GzDecoder;
use maxminddb::{Metadata, Reader};
use secrecy::{ExposeSecret as _, SecretString};
use time::{Date, Month, OffsetDateTime};
use tokio::sync::mpsc;
use url::Url;

use crate::enrich::geo::{GeoDb, GeoError};

/// Where `MaxMind` serves database downloads; the default
/// [`UpdateSettings::download_base`] when a licence key is set.
pub const MAXMIND_DOWNLOAD_BASE: &str = "https://download.maxmind.com";

/// Where DB-IP serves its free databases; the default
/// [`UpdateSettings::download_base`] without a licence key.
pub const DBIP_DOWNLOAD_BASE: &str = "https://download.db-ip.com";

/// Largest download, and largest decompressed database, accepted: a guard
/// against a hostile or broken server filling the disk. The real files are
/// around 30–130 MB compressed and under 200 MB decompressed.
pub const MAX_DOWNLOAD_BYTES: u64 = 512 * 1024 * 1024;

/// The `MaxMind` edition downloaded, and the member of its tarball kept.
const MAXMIND_EDITION: &str = "GeoLite2-City";
const MAXMIND_MEMBER: &str = "GeoLite2-City.mmdb";

/// Chunks buffered between the download and the decompressor.
const CHANNEL_CHUNKS: usize = 16;

/// What to download and where to put it.
#[derive(Debug, Clone)]
pub struct UpdateSettings {
    /// Where the `.mmdb` must end up (`SHARETRAIL_GEOIP_DB`). Its directory
    /// is created if missing; the temporary file is made there, so the final
    /// rename stays on one filesystem.
    pub target: PathBuf,
    /// `SHARETRAIL_MAXMIND_LICENSE_KEY`: with it, GeoLite2-City from
    /// `MaxMind`; without, DB-IP City Lite.
    pub license_key: Option<SecretString>,
    /// Scheme, host and optional path prefix of the download server:
    /// normally [`UpdateSettings::default_base`], a setting so tests (or a
    /// mirror) can point elsewhere.
    pub download_base: Url,
}

impl UpdateSettings {
    /// Settings with the real download server for the chosen source.
    #[must_use]
    pub fn new(target: PathBuf, license_key: Option<SecretString>) -> UpdateSettings {
        let download_base = UpdateSettings::default_base(license_key.is_some());
        UpdateSettings {
            target,
            license_key,
            download_base,
        }
    }

    /// [`MAXMIND_DOWNLOAD_BASE`] when a licence key is set, otherwise
    /// [`DBIP_DOWNLOAD_BASE`].
    ///
    /// # Panics
    ///
    /// Never: both constants are valid URLs.
    #[must_use]
    pub fn default_base(has_license_key: bool) -> Url {
        let base = if has_license_key {
            MAXMIND_DOWNLOAD_BASE
        } else {
            DBIP_DOWNLOAD_BASE
        };
        Url::parse(base).expect("download base constants are valid URLs")
    }
}

/// What [`update`] installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateReport {
    /// `"maxmind"` or `"dbip"`.
    pub source: &'static str,
    /// Size of the installed `.mmdb`.
    pub bytes: u64,
    /// `database_type` from the new file's metadata, e.g. `"GeoLite2-City"`.
    pub database_type: String,
    /// `build_epoch` from the new file's metadata (seconds since 1970).
    pub build_epoch: u64,
}

/// Why [`update`] did not install a database. In every case the old
/// database, if any, is left as it was. No message contains the licence key.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// `download_base` is not an `http` or `https` URL that can take a path.
    #[error("GeoIP download base {base:?} is not an http(s) URL")]
    InvalidBase {
        /// The configured base, without any password.
        base: String,
    },
    /// The target path names no file (e.g. it ends in `..`).
    #[error("GeoIP database path {} does not name a file", path.display())]
    InvalidTarget {
        /// The configured target.
        path: PathBuf,
    },
    /// The HTTP client could not be set up (e.g. no TLS roots).
    #[error("cannot set up the HTTP client: {message}")]
    Client {
        /// What went wrong, with its causes.
        message: String,
    },
    /// The request failed or the body broke off: DNS, connection, TLS,
    /// timeout, reset.
    #[error("{} download from {url} failed: {message}", label(provider))]
    Request {
        /// `"maxmind"` or `"dbip"`.
        provider: &'static str,
        /// The URL, licence key redacted.
        url: String,
        /// What went wrong, with its causes.
        message: String,
    },
    /// `MaxMind` refused the licence key (HTTP 401, or 403).
    #[error(
        "MaxMind rejected the licence key (HTTP {status}); check SHARETRAIL_MAXMIND_LICENSE_KEY \
         and that the account has GeoLite2 access"
    )]
    Unauthorized {
        /// The HTTP status code.
        status: u16,
    },
    /// DB-IP has published neither this month's nor last month's file.
    #[error("DB-IP has no City Lite database for {current} or {previous} (HTTP 404 for both)")]
    DbipNotPublished {
        /// This month, `YYYY-MM`.
        current: String,
        /// Last month, `YYYY-MM`.
        previous: String,
    },
    /// Any other HTTP error status (404 from `MaxMind`, 5xx, ...).
    #[error(
        "{} download from {url} failed: HTTP {status}{reason}",
        label(provider)
    )]
    Http {
        /// `"maxmind"` or `"dbip"`.
        provider: &'static str,
        /// The URL, licence key redacted.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// `" Not Found"` and the like, or empty.
        reason: String,
    },
    /// The download, or the database inside it, exceeds the size cap.
    #[error(
        "{} download exceeds the size limit of {limit} bytes; refusing it",
        label(provider)
    )]
    TooLarge {
        /// `"maxmind"` or `"dbip"`.
        provider: &'static str,
        /// The cap, in bytes.
        limit: u64,
    },
    /// The download is not valid gzip / tar, or ended early.
    #[error("{} download is not a valid {format} file: {message}", label(provider))]
    Corrupt {
        /// `"maxmind"` or `"dbip"`.
        provider: &'static str,
        /// `".tar.gz"` or `".mmdb.gz"`.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The `MaxMind` tarball has no `GeoLite2-City.mmdb`.
    #[error("MaxMind archive has no {member} file")]
    MissingMember {
        /// The file looked for.
        member: &'static str,
    },
    /// The decompressed file is not a database the service can open.
    #[error("downloaded {} database is unusable: {source}", label(provider))]
    Invalid {
        /// `"maxmind"` or `"dbip"`.
        provider: &'static str,
        /// Why [`GeoDb::open`] refused it.
        #[source]
        source: GeoError,
    },
    /// The file is a valid database but not a City one.
    #[error(
        "downloaded {} database has type {database_type:?}; expected a City database",
        label(provider)
    )]
    NotCity {
        /// `"maxmind"` or `"dbip"`.
        provider: &'static str,
        /// The `database_type` from its metadata.
        database_type: String,
    },
    /// Local filesystem trouble: creating the directory or temporary file,
    /// writing, syncing or renaming.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `"write"`.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// `"maxmind"` / `"dbip"` as written in messages.
fn label(provider: &str) -> &str {
    match provider {
        "maxmind" => "MaxMind",
        "dbip" => "DB-IP",
        other => other,
    }
}

/// Downloads the database chosen by `settings`, checks it and atomically
/// replaces `settings.target` with it.
///
/// # Errors
///
/// See [`UpdateError`]; on any error the old target is untouched and no
/// temporary file is left behind.
pub async fn update(settings: &UpdateSettings) -> Result<UpdateReport, UpdateError> {
    let today = OffsetDateTime::now_utc().date();
    update_with(settings, today, MAX_DOWNLOAD_BYTES).await
}

/// [`update`] with the date (for DB-IP's monthly file name) and the size cap
/// as parameters, for tests.
async fn update_with(
    settings: &UpdateSettings,
    today: Date,
    max_bytes: u64,
) -> Result<UpdateReport, UpdateError> {
    let target = settings.target.clone();
    let file_name = target
        .file_name()
        .ok_or_else(|| UpdateError::InvalidTarget {
            path: target.clone(),
        })?
        .to_owned();
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    // Validate the base before touching the disk or the network.
    let plan = Plan::new(settings, today)?;
    let client = reqwest::Client::builder()
        .user_agent(concat!(
            "sharetrail/",
            env!("CARGO_PKG_VERSION"),
            " (geoip update)"
        ))
        .connect_timeout(Duration::from_secs(30))
        // Per read, not for the whole body: a slow link may take minutes.
        .read_timeout(Duration::from_mins(2))
        .build()
        .map_err(|error| UpdateError::Client {
            message: describe(&error.without_url()),
        })?;

    let provider = plan.provider;
    let (response, shown) = plan.fetch(&client).await?;
    if let Some(length) = response.content_length()
        && length > max_bytes
    {
        return Err(UpdateError::TooLarge {
            provider,
            limit: max_bytes,
        });
    }

    let make_dir = dir.clone();
    let temp = blocking(move || {
        fs::create_dir_all(&make_dir).map_err(|source| UpdateError::Io {
            action: "create directory",
            path: make_dir.clone(),
            source,
        })?;
        TempFile::create(&make_dir, &file_name)
    })
    .await?;
    let out = temp.file().try_clone().map_err(|source| UpdateError::Io {
        action: "open",
        path: temp.path.clone(),
        source,
    })?;
    let temp_path = temp.path.clone();

    // The body flows chunk by chunk through a bounded channel to a blocking
    // thread that decompresses it straight into the temporary file.
    let (chunks, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let format = plan.format;
    let extracting = tokio::task::spawn_blocking(move || {
        extract(
            format,
            ChannelReader::new(receiver),
            out,
            &temp_path,
            max_bytes,
        )
    });
    // Streams the body into `chunks` until it ends, exceeds `max_bytes`, or
    // the extractor stops listening (it has what it needs, or has failed and
    // will say why).
    let downloaded = async {
        let mut response = response;
        let mut total: u64 = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| request_error(provider, &shown, error))?
        {
            total = total.saturating_add(chunk.len() as u64);
            if total > max_bytes {
                return Err(UpdateError::TooLarge {
                    provider,
                    limit: max_bytes,
                });
            }
            if chunks.send(chunk).await.is_err() {
                break;
            }
        }
        Ok(())
    }
    .await;
    // Closes the channel, so the extractor sees the end of the input.
    drop(chunks);
    let extracted = join(extracting).await;
    // A failed download usually also breaks the extraction (as a truncated
    // file); the download error is the one that explains it.
    downloaded?;
    extracted?;

    blocking(move || install(temp, &target, &dir, provider)).await
}

/// Which file to fetch, from where.
struct Plan {
    provider: &'static str,
    format: Format,
    /// URLs to try in order; the next is tried only on HTTP 404.
    attempts: Vec<Attempt>,
    /// `YYYY-MM` of the DB-IP months tried, for the error message.
    months: Option<(String, String)>,
}

struct Attempt {
    url: Url,
    /// `url` as shown in messages: licence key and password redacted.
    shown: String,
}

impl Attempt {
    fn new(url: Url) -> Attempt {
        let mut shown = url.clone();
        let _ = shown.set_password(None);
        if shown.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(name, value)| {
                    let value = if name == "license_key" {
                        "REDACTED".to_owned()
                    } else {
                        value.into_owned()
                    };
                    (name.into_owned(), value)
                })
                .collect();
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        Attempt {
            url,
            shown: shown.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    /// `MaxMind`: a gzipped tarball with the database as one member.
    TarGz,
    /// DB-IP: the gzipped database.
    Gz,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::TarGz => ".tar.gz",
            Format::Gz => ".mmdb.gz",
        }
    }

    fn provider(self) -> &'static str {
        match self {
            Format::TarGz => "maxmind",
            Format::Gz => "dbip",
        }
    }
}

impl Plan {
    fn new(settings: &UpdateSettings, today: Date) -> Result<Plan, UpdateError> {
        let base = &settings.download_base;
        if let Some(key) = &settings.license_key {
            let url = maxmind_url(base, key.expose_secret())?;
            return Ok(Plan {
                provider: Format::TarGz.provider(),
                format: Format::TarGz,
                attempts: vec![Attempt::new(url)],
                months: None,
            });
        }
        let current = year_month(today.year(), today.month());
        let (year, month) = previous_month(today.year(), today.month());
        let previous = year_month(year, month);
        let attempts = [&current, &previous]
            .into_iter()
            .map(|month| {
                let file = format!("dbip-city-lite-{month}.mmdb.gz");
                Ok(Attempt::new(endpoint(base, &["free", &file])?))
            })
            .collect::<Result<Vec<_>, UpdateError>>()?;
        Ok(Plan {
            provider: Format::Gz.provider(),
            format: Format::Gz,
            attempts,
            months: Some((current, previous)),
        })
    }

    /// Sends the requests until one succeeds; returns the response and its
    /// redacted URL.
    async fn fetch(
        &self,
        client: &reqwest::Client,
    ) -> Result<(reqwest::Response, String), UpdateError> {
        let provider = self.provider;
        for (index, attempt) in self.attempts.iter().enumerate() {
            let response = client
                .get(attempt.url.clone())
                .send()
                .await
                .map_err(|error| request_error(provider, &attempt.shown, error))?;
            let status = response.status();
            if status.is_success() {
                return Ok((response, attempt.shown.clone()));
            }
            let last = index + 1 == self.attempts.len();
            match (self.format, status.as_u16()) {
                (Format::TarGz, code @ (401 | 403)) => {
                    return Err(UpdateError::Unauthorized { status: code });
                }
                (Format::Gz, 404) if !last => {
                    tracing::info!(url = %attempt.shown, "DB-IP file not published yet; trying the previous month");
                }
                (Format::Gz, 404) => {
                    let (current, previous) = self.months.clone().unwrap_or_default();
                    return Err(UpdateError::DbipNotPublished { current, previous });
                }
                (_, code) => {
                    return Err(UpdateError::Http {
                        provider,
                        url: attempt.shown.clone(),
                        status: code,
                        reason: status
                            .canonical_reason()
                            .map(|reason| format!(" {reason}"))
                            .unwrap_or_default(),
                    });
                }
            }
        }
        // `attempts` is never empty, and the last one always returns.
        unreachable!("Plan::fetch ran out of attempts")
    }
}

fn maxmind_url(base: &Url, key: &str) -> Result<Url, UpdateError> {
    let mut url = endpoint(base, &["app", "geoip_download"])?;
    url.query_pairs_mut()
        .append_pair("edition_id", MAXMIND_EDITION)
        .append_pair("license_key", key)
        .append_pair("suffix", "tar.gz");
    Ok(url)
}

/// `base` with `segments` appended to its path (so a base with a path prefix
/// works as a mirror) and no query, fragment or password.
fn endpoint(base: &Url, segments: &[&str]) -> Result<Url, UpdateError> {
    let invalid = || {
        let mut shown = base.clone();
        let _ = shown.set_password(None);
        UpdateError::InvalidBase {
            base: shown.to_string(),
        }
    };
    if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
        return Err(invalid());
    }
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| invalid())?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

fn year_month(year: i32, month: Month) -> String {
    format!("{year:04}-{:02}", u8::from(month))
}

fn previous_month(year: i32, month: Month) -> (i32, Month) {
    match month {
        Month::January => (year - 1, Month::December),
        other => (year, other.previous()),
    }
}

/// A `reqwest` error as a message without its URL (which may hold the key),
/// with its causes, which are what say "connection refused" and the like.
fn request_error(provider: &'static str, shown: &str, error: reqwest::Error) -> UpdateError {
    UpdateError::Request {
        provider,
        url: shown.to_owned(),
        message: describe(&error.without_url()),
    }
}

/// `error` and its chain of causes, joined with `": "`.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        // hyper and reqwest often repeat the inner message in the outer one.
        if !message.contains(&text) {
            let _ = write!(message, ": {text}");
        }
        cause = inner.source();
    }
    message
}

/// Decompresses `input` into `out` (the temporary file at `path`), writing at
/// most `max_bytes`.
fn extract(
    format: Format,
    input: impl Read,
    out: File,
    path: &Path,
    max_bytes: u64,
) -> Result<(), UpdateError> {
    let provider = format.provider();
    let corrupt = |error: io::Error| UpdateError::Corrupt {
        provider,
        format: format.name(),
        message: error.to_string(),
    };
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    match format {
        Format::Gz => {
            let mut gz = GzDecoder::new(input);
            copy_capped(&mut gz, &mut out, path, max_bytes, provider, corrupt)?;
        }
        Format::TarGz => {
            let mut archive = tar::Archive::new(GzDecoder::new(input));
            let mut found = false;
            for entry in archive.entries().map_err(corrupt)? {
                let mut entry = entry.map_err(corrupt)?;
                let is_member = entry.header().entry_type().is_file()
                    && entry
                        .path()
                        .map_err(corrupt)?
                        .file_name()
                        .is_some_and(|name| name == OsStr::new(MAXMIND_MEMBER));
                if !is_member {
                    // Entries skip their data when the next one is read.
                    continue;
                }
                if entry.size() > max_bytes {
                    return Err(UpdateError::TooLarge {
                        provider,
                        limit: max_bytes,
                    });
                }
                copy_capped(&mut entry, &mut out, path, max_bytes, provider, corrupt)?;
                found = true;
                break;
            }
            if !found {
                return Err(UpdateError::MissingMember {
                    member: MAXMIND_MEMBER,
                });
            }
            // Read the rest of the gzip stream (the licence and readme files)
            // so its CRC is checked: a corrupted download fails here rather
            // than, perhaps, not at all.
            let mut gz = archive.into_inner();
            io::copy(&mut (&mut gz).take(max_bytes), &mut io::sink()).map_err(corrupt)?;
        }
    }
    out.flush().map_err(|source| UpdateError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    })?;
    Ok(())
}

/// Copies `input` to `out`, refusing more than `max_bytes`. Read errors are
/// the download's fault (`corrupt`), write errors the disk's.
fn copy_capped(
    input: &mut impl Read,
    out: &mut impl Write,
    path: &Path,
    max_bytes: u64,
    provider: &'static str,
    corrupt: impl Fn(io::Error) -> UpdateError,
) -> Result<u64, UpdateError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let read = match input.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(corrupt(error)),
        };
        total += read as u64;
        if total > max_bytes {
            return Err(UpdateError::TooLarge {
                provider,
                limit: max_bytes,
            });
        }
        out.write_all(&buf[..read])
            .map_err(|source| UpdateError::Io {
                action: "write",
                path: path.to_owned(),
                source,
            })?;
    }
}

/// Checks the finished temporary file, syncs it and renames it over
/// `target`.
fn install(
    temp: TempFile,
    target: &Path,
    dir: &Path,
    provider: &'static str,
) -> Result<UpdateReport, UpdateError> {
    // The same checks the service makes when it (re)loads the file.
    drop(GeoDb::open(&temp.path).map_err(|source| UpdateError::Invalid { provider, source })?);
    let metadata = read_metadata(&temp.path).map_err(|source| UpdateError::Invalid {
        provider,
        source: GeoError::Open {
            path: temp.path.clone(),
            source,
        },
    })?;
    if !metadata.database_type.contains("City") {
        return Err(UpdateError::NotCity {
            provider,
            database_type: metadata.database_type,
        });
    }
    let file = temp.file();
    file.sync_all().map_err(|source| UpdateError::Io {
        action: "sync",
        path: temp.path.clone(),
        source,
    })?;
    let bytes = file
        .metadata()
        .map_err(|source| UpdateError::Io {
            action: "stat",
            path: temp.path.clone(),
            source,
        })?
        .len();
    temp.persist(target)?;
    // Make the rename itself durable. It has happened either way, so a
    // failure here is only worth a warning.
    #[cfg(unix)]
    if let Err(error) = File::open(dir).and_then(|dir| dir.sync_all()) {
        tracing::warn!(%error, dir = %dir.display(), "cannot sync GeoIP database directory");
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(UpdateReport {
        source: provider,
        bytes,
        database_type: metadata.database_type,
        build_epoch: metadata.build_epoch,
    })
}

fn read_metadata(path: &Path) -> Result<Metadata, maxminddb::MaxMindDbError> {
    // SAFETY: mapping is undefined behaviour only if the file changes while
    // mapped. This is our own freshly written temporary file, under a
    // unique name, and nothing else writes to it; the mapping is dropped
    // before this function returns.
    let reader = unsafe { Reader::open_mmap(path) }?;
    Ok(reader.metadata().clone())
}

/// A temporary file next to the target, removed on drop unless persisted.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    fn create(dir: &Path, target_name: &OsStr) -> Result<TempFile, UpdateError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let mut last_error = None;
        for _ in 0..16 {
            let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
            // Hidden, and never ending in `.mmdb`, so nothing mistakes a
            // half-written file for a database.
            let name = format!(
                ".{}.{}-{nanos:x}-{unique}.download",
                target_name.to_string_lossy(),
                std::process::id()
            );
            let path = dir.join(name);
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file: Some(file),
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    last_error = Some((path, error));
                }
                Err(source) => {
                    return Err(UpdateError::Io {
                        action: "create temporary file",
                        path,
                        source,
                    });
                }
            }
        }
        let (path, source) = last_error.expect("the loop ran at least once");
        Err(UpdateError::Io {
            action: "create temporary file",
            path,
            source,
        })
    }

    fn file(&self) -> &File {
        self.file
            .as_ref()
            .expect("file is present until persist or drop")
    }

    /// Renames the file over `target`, atomically replacing it.
    fn persist(mut self, target: &Path) -> Result<(), UpdateError> {
        // Close our handle first (Windows cannot rename an open file).
        drop(self.file.take());
        fs::rename(&self.path, target).map_err(|source| UpdateError::Io {
            action: "rename the new database to",
            path: target.to_owned(),
            source,
        })?;
        // Renamed: nothing left to clean up.
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.path.as_os_str().is_empty()
            && let Err(error) = fs::remove_file(&self.path)
            && error.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(%error, path = %self.path.display(), "cannot remove temporary GeoIP download");
        }
    }
}

/// Feeds chunks received from the download task to blocking `Read`ers.
/// Generic so that `reqwest`'s `Bytes` need not be named.
struct ChannelReader<B> {
    chunks: mpsc::Receiver<B>,
    current: B,
    offset: usize,
}

impl<B: Default> ChannelReader<B> {
    fn new(chunks: mpsc::Receiver<B>) -> ChannelReader<B> {
        ChannelReader {
            chunks,
            current: Default::default(),
            offset: 0,
        }
    }
}

impl<B: AsRef<[u8]>> Read for ChannelReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let rest = &self.current.as_ref()[self.offset..];
            if !rest.is_empty() {
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                self.offset += n;
                return Ok(n);
            }
            if buf.is_empty() {
                return Ok(0);
            }
            // Called only on a `spawn_blocking` thread. `None`: the download
            // ended (or failed, which `update_with` reports instead).
            match self.chunks.blocking_recv() {
                Some(chunk) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                None => return Ok(0),
            }
        }
    }
}

/// Runs blocking filesystem work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, UpdateError> + Send + 'static,
) -> Result<T, UpdateError> {
    join(tokio::task::spawn_blocking(work)).await
}

async fn join<T>(task: tokio::task::JoinHandle<Result<T, UpdateError>>) -> Result<T, UpdateError> {
    match task.await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(UpdateError::Io {
            action: "finish background work for",
            path: PathBuf::from("GeoIP update"),
            source: io::Error::other(error),
        }),
    }
}

#[cfg(test)]
mod tests;
