//! Country and city of a click's IP address, from a MaxMind-format `.mmdb`
//! database (GeoIP2/GeoLite2 City or Country).
//!
//! The database is memory-mapped rather than read into memory: a
//! `GeoLite2-City` file is tens of megabytes, and mapping lets the page cache share it
//! and keeps a reload from briefly holding two heap copies.
//!
//! Databases are refreshed by tools such as `geoipupdate` while the server
//! runs, so [`GeoDb`] can swap in a new file without a restart:
//! [`GeoDb::reload_if_changed`] re-stats the file and atomically replaces
//! the reader, and [`spawn_reloader`] calls it on a timer. Lookups in flight
//! keep using the reader they started with.
//!
//! # Replacing the file
//!
//! Write the new database to a temporary file in the same directory and
//! `rename` it over the old one (`geoipupdate` and
//! `scripts/build-test-mmdb.pl` do this). Never truncate or overwrite the
//! file in place: the running process has it mapped, and changing mapped
//! bytes underneath it is undefined behaviour (in practice `SIGBUS` or
//! garbage answers).
//!
//! Test data: `tests/data/geo-test.mmdb` is generated from
//! `tests/data/geo-test.tsv` by `scripts/build-test-mmdb.pl`; the tests
//! below fail if the two drift apart.

use std::fmt;
use std::fs;
use std::io;
use std::net::IpAddr;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use maxminddb::{MaxMindDbError, Mmap, Reader};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Where an IP address is, as far as the database knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    /// ISO 3166-1 alpha-2 country code, e.g. `"GB"`.
    pub country: Arc<str>,
    /// English city name, e.g. `"London"`; `None` when the database only
    /// knows the country (always so for Country databases).
    pub city: Option<Arc<str>>,
}

/// Why a geolocation database could not be used. Every variant names the
/// file, since the path usually comes from configuration.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The file could not be inspected (missing, permissions, ...).
    #[error("cannot stat GeoIP database {}: {source}", path.display())]
    Io {
        /// The database file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file could not be opened, mapped or parsed as a `MaxMind` DB.
    #[error("cannot open GeoIP database {}: {source}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: MaxMindDbError,
    },
    /// The file is a valid `MaxMind` DB but holds no country data (e.g. an
    /// ASN database), which would make every lookup silently return `None`.
    #[error(
        "GeoIP database {} has type {database_type:?}; expected a City or Country database",
        path.display()
    )]
    UnsupportedType {
        /// The database file.
        path: PathBuf,
        /// The `database_type` from the file's metadata.
        database_type: String,
    },
}

/// A geolocation database that can be replaced on disk while in use.
///
/// Cheap to share: wrap it in an [`Arc`] and call [`GeoDb::lookup`] from any
/// thread. See the module docs for how the file must be replaced.
pub struct GeoDb {
    reader: ArcSwapOption<Loaded>,
    /// `None` for [`GeoDb::disabled`].
    source: Option<Source>,
}

struct Source {
    path: PathBuf,
    /// Identity of the file version last loaded or last rejected. The mutex
    /// also serialises reloads, so two concurrent callers cannot both map the
    /// same new file or store readers out of order.
    seen: Mutex<FileStamp>,
}

/// What identifies one version of the file. The inode catches a rename of a
/// same-sized file written within the filesystem's timestamp granularity;
/// size and times catch writers that reuse the inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    dev: u64,
    #[cfg(unix)]
    ino: u64,
    #[cfg(unix)]
    ctime: (i64, i64),
}

impl FileStamp {
    fn of(path: &Path) -> Result<FileStamp, GeoError> {
        let meta = fs::metadata(path).map_err(|source| GeoError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(FileStamp {
            len: meta.len(),
            // Some filesystems have no mtime; the other fields still work.
            modified: meta.modified().ok(),
            #[cfg(unix)]
            dev: meta.dev(),
            #[cfg(unix)]
            ino: meta.ino(),
            #[cfg(unix)]
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }
}

impl GeoDb {
    /// Memory-maps the database at `path` and checks that it is a City or
    /// Country database.
    ///
    /// # Errors
    ///
    /// [`GeoError::Io`] if the file cannot be stat'ed, [`GeoError::Open`] if
    /// it is not a readable `MaxMind` DB, [`GeoError::UnsupportedType`] if it
    /// has no country data.
    pub fn open(path: &Path) -> Result<GeoDb, GeoError> {
        // Stat before mapping: if the file is swapped in between, the stamp
        // is the older one and the next reload merely maps the file again,
        // whereas stat-after-map could record the new stamp against the old
        // contents and never load them.
        let stamp = FileStamp::of(path)?;
        let reader = open_reader(path)?;
        Ok(GeoDb {
            reader: ArcSwapOption::from_pointee(Loaded::new(reader)),
            source: Some(Source {
                path: path.to_owned(),
                seen: Mutex::new(stamp),
            }),
        })
    }

    /// A database that knows nothing: every lookup is `None`. For running
    /// without a configured `.mmdb`.
    #[must_use]
    pub fn disabled() -> GeoDb {
        GeoDb {
            reader: ArcSwapOption::empty(),
            source: None,
        }
    }

    /// Whether lookups can return anything, i.e. this came from
    /// [`GeoDb::open`].
    pub fn is_enabled(&self) -> bool {
        self.reader.load().is_some()
    }

    /// The file this database was opened from, `None` when disabled.
    pub fn path(&self) -> Option<&Path> {
        self.source.as_ref().map(|source| source.path.as_path())
    }

    /// Country and city of `ip`, or `None` when the database has no country
    /// for it (or is disabled). IPv4-mapped IPv6 addresses
    /// (`::ffff:192.0.2.1`) are looked up as the IPv4 address. A damaged
    /// record is treated as unknown rather than failing the click.
    #[must_use]
    pub fn lookup(&self, ip: IpAddr) -> Option<Place> {
        let guard = self.reader.load();
        let loaded = guard.as_ref()?;
        // MaxMind's own databases alias ::ffff:0:0/96 to the IPv4 tree, but
        // third-party writers need not, and dual-stack sockets report IPv4
        // peers in that form; canonicalising makes both work.
        let ip = ip.to_canonical();
        match place_of(loaded, ip) {
            Ok(place) => place,
            Err(error) => {
                // debug, not warn: a damaged database would otherwise log on
                // every click; opening and reloading already warn about it.
                tracing::debug!(%ip, %error, "GeoIP lookup failed");
                None
            }
        }
    }

    /// Re-stats the file and, if it is a different version from the one
    /// last seen (size, modification time or inode changed), maps it and
    /// swaps it in atomically. Returns whether a new database was loaded.
    ///
    /// If the new file cannot be used, the current reader stays in place and
    /// the error is returned. That file version is then remembered as seen,
    /// so later calls return `Ok(false)` until the file changes again rather
    /// than reporting the same broken file on every poll.
    ///
    /// Always `Ok(false)` for [`GeoDb::disabled`].
    ///
    /// # Errors
    ///
    /// As for [`GeoDb::open`]; a missing file is [`GeoError::Io`] (and is
    /// reported on every call until it reappears).
    pub fn reload_if_changed(&self) -> Result<bool, GeoError> {
        let Some(source) = &self.source else {
            return Ok(false);
        };
        // A poisoned lock only means another reload panicked; the stamp it
        // guards is still a valid (if possibly stale) value, and a stale one
        // just causes one extra reload.
        let mut seen = source.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let stamp = FileStamp::of(&source.path)?;
        if stamp == *seen {
            return Ok(false);
        }
        *seen = stamp;
        let reader = open_reader(&source.path)?;
        self.reader.store(Some(Arc::new(Loaded::new(reader))));
        Ok(true)
    }

    /// `build_epoch` of the loaded database, for logging which version is
    /// in use.
    fn build_epoch(&self) -> Option<u64> {
        self.reader
            .load()
            .as_ref()
            .map(|loaded| loaded.reader.metadata().build_epoch)
    }
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = self.reader.load();
        let metadata = guard.as_ref().map(|loaded| loaded.reader.metadata());
        f.debug_struct("GeoDb")
            .field("path", &self.path())
            .field("database_type", &metadata.map(|m| &m.database_type))
            .field("build_epoch", &metadata.map(|m| m.build_epoch))
            .finish_non_exhaustive()
    }
}

fn open_reader(path: &Path) -> Result<Reader<Mmap>, GeoError> {
    // SAFETY: the mapping is undefined behaviour only if the file's bytes
    // change while mapped. Database updates replace the file by rename (see
    // the module docs), which leaves the mapped inode's contents untouched
    // until the last reader using it is dropped.
    let reader = unsafe { Reader::open_mmap(path) }.map_err(|source| GeoError::Open {
        path: path.to_owned(),
        source,
    })?;
    let database_type = &reader.metadata().database_type;
    // Matches GeoIP2-City, GeoLite2-Country, DBIP-City-Lite and the like,
    // which all share the country/city record layout.
    if !(database_type.contains("City") || database_type.contains("Country")) {
        return Err(GeoError::UnsupportedType {
            path: path.to_owned(),
            database_type: database_type.clone(),
        });
    }
    Ok(reader)
}

/// An opened database and the number that tells its cached places from
/// those of the databases before it.
struct Loaded {
    reader: Reader<Mmap>,
    generation: u64,
}

impl Loaded {
    fn new(reader: Reader<Mmap>) -> Loaded {
        static OPENED: AtomicU64 = AtomicU64::new(0);
        Loaded { reader, generation: OPENED.fetch_add(1, Ordering::Relaxed) }
    }
}

fn place_of(loaded: &Loaded, ip: IpAddr) -> Result<Option<Place>, MaxMindDbError> {
    let result = loaded.reader.lookup(ip)?;
    let Some(record) = result.offset() else {
        return Ok(None);
    };
    place_cache::get_or_decode(loaded.generation, record, || {
        // decode_path reads just these fields; decoding a whole geoip2::City
        // would build every name in every language for each click.
        let country: Option<&str> = result.decode_path(&maxminddb::path!["country", "iso_code"])?;
        let Some(country) = country.filter(|code| !code.is_empty()) else {
            return Ok(None);
        };
        let city: Option<&str> = result.decode_path(&maxminddb::path!["city", "names", "en"])?;
        Ok(Some(Place {
            country: country.into(),
            city: city.filter(|name| !name.is_empty()).map(Arc::from),
        }))
    })
}

/// Spawns a task that calls [`GeoDb::reload_if_changed`] every `every` until
/// `stop` is cancelled, logging reloads at `info` and failures at `warn`.
///
/// Does nothing (the task ends at once) when `db` is disabled or `every` is
/// zero, so a zero interval in configuration turns reloading off.
///
/// # Panics
///
/// Outside a Tokio runtime, like [`tokio::spawn`].
pub fn spawn_reloader(db: Arc<GeoDb>, every: Duration, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(path) = db.path().map(Path::to_owned) else {
            tracing::debug!("GeoIP disabled; not watching for database updates");
            return;
        };
        if every.is_zero() {
            tracing::info!(path = %path.display(), "GeoIP database reloading disabled (interval 0)");
            return;
        }
        // The database was just opened, so the first check is one interval
        // away rather than immediate.
        let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
        // After a stall, one catch-up check is enough; a burst of stats
        // would find nothing more.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // A missing file fails the same way on every poll; warn once per
        // distinct problem instead of once per interval.
        let mut last_error: Option<String> = None;
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                _ = ticks.tick() => {}
            }
            let reloading = Arc::clone(&db);
            // stat, mmap and metadata parsing are blocking filesystem work.
            let outcome = tokio::task::spawn_blocking(move || reloading.reload_if_changed()).await;
            match outcome {
                Ok(Ok(true)) => {
                    last_error = None;
                    tracing::info!(
                        path = %path.display(),
                        build_epoch = db.build_epoch(),
                        "reloaded GeoIP database"
                    );
                }
                Ok(Ok(false)) => last_error = None,
                Ok(Err(error)) => {
                    let message = error.to_string();
                    if last_error.as_deref() != Some(message.as_str()) {
                        tracing::warn!(%error, "GeoIP database reload failed; keeping the current one");
                        last_error = Some(message);
                    }
                }
                Err(join_error) if join_error.is_cancelled() => break,
                Err(join_error) => {
                    tracing::warn!(error = %join_error, path = %path.display(), "GeoIP database reload panicked; keeping the current one");
                }
            }
        }
        tracing::debug!(path = %path.display(), "GeoIP database reloader stopped");
    })
}

mod place_cache;
#[cfg(test)]
mod tests;
