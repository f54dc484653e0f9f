use super::*;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use flate2::Compression;
use flate2::write::GzEncoder;
use time::macros::date;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

const MMDB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/geo-test.mmdb");
const KEY: &str = "test-licence-key-0123456789";
/// Comfortably above the 2.7 KB test database.
const CAP: u64 = CAP_USIZE as u64;
const CAP_USIZE: usize = 64 * 1024;
const MAXMIND_PATH: &str = "/app/geoip_download";

fn mmdb() -> Vec<u8> {
    fs::read(MMDB).expect("read geo-test.mmdb")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A `.tar.gz` laid out like `MaxMind`'s: a dated directory holding the
/// licence files and the database.
fn maxmind_tarball(member: &str, data: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_size(0);
    dir.set_mode(0o755);
    builder
        .append_data(&mut dir, "GeoLite2-City_20260101/", io::empty())
        .expect("tar dir");
    let mut add = |path: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, path, bytes)
            .expect("tar file");
    };
    add(
        "GeoLite2-City_20260101/COPYRIGHT.txt",
        b"Database and Contents Copyright (c) MaxMind, Inc.\n",
    );
    add(
        "GeoLite2-City_20260101/LICENSE.txt",
        b"Use of this MaxMind product is governed by ...\n",
    );
    add(&format!("GeoLite2-City_20260101/{member}"), data);
    add(
        "GeoLite2-City_20260101/README.txt",
        b"Latitude and longitude are not precise ...\n",
    );
    builder
        .into_inner()
        .expect("tar finish")
        .finish()
        .expect("gzip finish")
}

/// The test database with its `database_type` ("GeoIP2-City") replaced by
/// another 11-byte string, so the file stays valid.
fn mmdb_with_type(database_type: &str) -> Vec<u8> {
    assert_eq!(database_type.len(), "GeoIP2-City".len());
    let mut data = mmdb();
    let at = data
        .windows(11)
        .rposition(|window| window == b"GeoIP2-City")
        .expect("database_type in metadata");
    data[at..at + 11].copy_from_slice(database_type.as_bytes());
    data
}

/// How the test server answers one path.
#[derive(Clone)]
enum Reply {
    /// Status and body, with a correct `Content-Length`.
    Body(u16, Vec<u8>),
    /// 200 with no `Content-Length`: the body ends when the connection closes.
    Unsized(Vec<u8>),
    /// 200 claiming a `Content-Length` of the given size, then a few bytes.
    Claims(u64),
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request by path
/// (query excluded) from `routes`, 404 otherwise, and records request
/// targets. One request per connection. Stops when dropped.
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(routes: HashMap<String, Reply>) -> Server {
        Server::start_with(move |target| {
            let path = target.split('?').next().unwrap_or_default();
            routes
                .get(path)
                .cloned()
                .unwrap_or(Reply::Body(404, b"not found".to_vec()))
        })
        .await
    }

    async fn start_with(route: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let route = Arc::new(route);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let route = Arc::clone(&route);
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
                    seen.lock().unwrap().push(target.clone());
                    let (status, length, body) = match route(&target) {
                        Reply::Body(status, body) => (status, Some(body.len() as u64), body),
                        Reply::Unsized(body) => (200, None, body),
                        Reply::Claims(length) => (200, Some(length), vec![0x1f; 100]),
                    };
                    let mut response =
                        format!("HTTP/1.1 {status} Whatever\r\nConnection: close\r\n");
                    if let Some(length) = length {
                        let _ = write!(response, "Content-Length: {length}\r\n");
                    }
                    response.push_str("\r\n");
                    // The client may hang up early (size cap, bad data);
                    // that is not the server's problem.
                    if socket.write_all(response.as_bytes()).await.is_ok() {
                        let _ = socket.write_all(&body).await;
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Server {
            addr,
            requests,
            task,
        }
    }

    fn base(&self) -> Url {
        Url::parse(&format!("http://{}/", self.addr)).expect("base URL")
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A MaxMind-like server: the tarball for the right key, 401 otherwise.
async fn maxmind_server(tarball: Vec<u8>) -> Server {
    Server::start_with(move |target| {
        let url = Url::parse(&format!("http://x{target}")).expect("request target");
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        if url.path() != MAXMIND_PATH {
            return Reply::Body(404, b"not found".to_vec());
        }
        if query.get("edition_id").map(String::as_str) != Some("GeoLite2-City")
            || query.get("suffix").map(String::as_str) != Some("tar.gz")
        {
            return Reply::Body(400, b"bad request".to_vec());
        }
        if query.get("license_key").map(String::as_str) != Some(KEY) {
            return Reply::Body(401, b"Invalid license key\n".to_vec());
        }
        Reply::Body(200, tarball.clone())
    })
    .await
}

fn dbip_path(month: &str) -> String {
    format!("/free/dbip-city-lite-{month}.mmdb.gz")
}

fn settings(dir: &Path, key: Option<&str>, base: Url) -> UpdateSettings {
    UpdateSettings {
        target: dir.join("GeoLite2-City.mmdb"),
        license_key: key.map(|key| SecretString::from(key.to_owned())),
        download_base: base,
    }
}

/// File names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn expected_metadata() -> Metadata {
    read_metadata(Path::new(MMDB)).expect("test database metadata")
}

const OLD: &[u8] = b"the old database; must survive failed updates";

/// A directory holding only a target with [`OLD`] in it.
fn dir_with_old_target() -> (tempfile::TempDir, UpdateSettings) {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(dir.path(), None, Url::parse("http://127.0.0.1:9/").unwrap());
    fs::write(&settings.target, OLD).expect("write old target");
    (dir, settings)
}

fn assert_untouched(dir: &Path, settings: &UpdateSettings) {
    assert_eq!(fs::read(&settings.target).expect("read target"), OLD);
    assert_eq!(
        listing(dir),
        ["GeoLite2-City.mmdb"],
        "stray files left behind"
    );
}

fn assert_no_key(error: &UpdateError) {
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(KEY), "licence key leaked: {text}");
    }
}

#[tokio::test]
async fn maxmind_replaces_the_target_with_the_tarball_member() {
    let server = maxmind_server(maxmind_tarball("GeoLite2-City.mmdb", &mmdb())).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(dir.path(), Some(KEY), server.base());
    fs::write(&settings.target, OLD).expect("write old target");

    let report = update(&settings).await.expect("update");

    assert_eq!(fs::read(&settings.target).unwrap(), mmdb());
    let metadata = expected_metadata();
    assert_eq!(
        report,
        UpdateReport {
            source: "maxmind",
            bytes: mmdb().len() as u64,
            database_type: metadata.database_type,
            build_epoch: metadata.build_epoch,
        }
    );
    assert_eq!(report.database_type, "GeoIP2-City");
    assert_eq!(listing(dir.path()), ["GeoLite2-City.mmdb"]);
    GeoDb::open(&settings.target).expect("the service can open the result");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        requests[0],
        format!("{MAXMIND_PATH}?edition_id=GeoLite2-City&license_key={KEY}&suffix=tar.gz")
    );
}

#[tokio::test]
async fn maxmind_under_a_base_path_prefix() {
    let server = maxmind_server(maxmind_tarball("GeoLite2-City.mmdb", &mmdb())).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let base = Url::parse(&format!("http://{}/mirror", server.addr)).unwrap();
    let settings = settings(dir.path(), Some(KEY), base);
    let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
        .await
        .expect_err("the fake server only serves at the root");
    assert!(
        matches!(error, UpdateError::Http { status: 404, .. }),
        "{error:?}"
    );
    assert_eq!(
        server.requests()[0].split('?').next().unwrap(),
        "/mirror/app/geoip_download"
    );
}

#[tokio::test]
async fn maxmind_bad_key_is_a_clear_401_without_the_key() {
    let server = maxmind_server(maxmind_tarball("GeoLite2-City.mmdb", &mmdb())).await;
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = server.base();
    let wrong = format!("{KEY}-wrong");
    settings.license_key = Some(SecretString::from(wrong.clone()));

    let error = update(&settings).await.expect_err("bad key");

    assert!(
        matches!(error, UpdateError::Unauthorized { status: 401 }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("licence key"), "{message}");
    assert!(!message.contains(&wrong) && !format!("{error:?}").contains(&wrong));
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn connection_errors_do_not_show_the_key() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    settings.license_key = Some(SecretString::from(KEY.to_owned()));

    let error = update(&settings).await.expect_err("nothing listening");

    assert!(matches!(error, UpdateError::Request { .. }), "{error:?}");
    assert_no_key(&error);
    assert!(
        error.to_string().contains("license_key=REDACTED"),
        "{error}"
    );
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn maxmind_archive_without_the_database_is_refused() {
    let server = maxmind_server(maxmind_tarball("GeoLite2-Country.mmdb", &mmdb())).await;
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = server.base();
    settings.license_key = Some(SecretString::from(KEY.to_owned()));

    let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
        .await
        .expect_err("no member");

    assert!(
        matches!(error, UpdateError::MissingMember { .. }),
        "{error:?}"
    );
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn maxmind_truncated_tarball_is_refused() {
    let mut tarball = maxmind_tarball("GeoLite2-City.mmdb", &mmdb());
    tarball.truncate(tarball.len() - 40);
    let server = maxmind_server(tarball).await;
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = server.base();
    settings.license_key = Some(SecretString::from(KEY.to_owned()));

    let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
        .await
        .expect_err("truncated");

    assert!(matches!(error, UpdateError::Corrupt { .. }), "{error:?}");
    assert_no_key(&error);
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn dbip_falls_back_to_last_month_via_the_public_entry_point() {
    let today = OffsetDateTime::now_utc().date();
    let (year, month) = previous_month(today.year(), today.month());
    let previous = year_month(year, month);
    let current = year_month(today.year(), today.month());
    let server = Server::start(HashMap::from([(
        dbip_path(&previous),
        Reply::Body(200, gzip(&mmdb())),
    )]))
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    // The target directory does not exist yet.
    let data_dir = dir.path().join("data");
    let settings = settings(&data_dir, None, server.base());

    let report = update(&settings).await.expect("update");

    assert_eq!(fs::read(&settings.target).unwrap(), mmdb());
    assert_eq!(report.source, "dbip");
    assert_eq!(report.bytes, mmdb().len() as u64);
    assert_eq!(report.database_type, "GeoIP2-City");
    assert_eq!(report.build_epoch, expected_metadata().build_epoch);
    assert_eq!(listing(&data_dir), ["GeoLite2-City.mmdb"]);
    assert_eq!(
        server.requests(),
        [dbip_path(&current), dbip_path(&previous)]
    );
}

#[tokio::test]
async fn dbip_uses_this_month_when_published() {
    let server = Server::start(HashMap::from([
        (dbip_path("2026-03"), Reply::Body(200, gzip(&mmdb()))),
        (dbip_path("2026-02"), Reply::Body(200, b"stale".to_vec())),
    ]))
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(dir.path(), None, server.base());

    let report = update_with(&settings, date!(2026 - 03 - 31), CAP)
        .await
        .expect("update");

    assert_eq!(report.source, "dbip");
    assert_eq!(fs::read(&settings.target).unwrap(), mmdb());
    assert_eq!(server.requests(), [dbip_path("2026-03")]);
}

#[tokio::test]
async fn dbip_in_january_falls_back_to_last_december() {
    let server = Server::start(HashMap::from([(
        dbip_path("2025-12"),
        Reply::Body(200, gzip(&mmdb())),
    )]))
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(dir.path(), None, server.base());

    update_with(&settings, date!(2026 - 01 - 01), CAP)
        .await
        .expect("update");

    assert_eq!(fs::read(&settings.target).unwrap(), mmdb());
    assert_eq!(
        server.requests(),
        [dbip_path("2026-01"), dbip_path("2025-12")]
    );
}

#[tokio::test]
async fn dbip_with_neither_month_published() {
    let server = Server::start(HashMap::new()).await;
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = server.base();

    let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
        .await
        .expect_err("404s");

    assert!(
        matches!(error, UpdateError::DbipNotPublished { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("2026-03") && message.contains("2026-02"),
        "{message}"
    );
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn server_errors_are_reported_with_their_status() {
    let server = Server::start(HashMap::from([(
        dbip_path("2026-03"),
        Reply::Body(503, b"busy".to_vec()),
    )]))
    .await;
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = server.base();

    let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
        .await
        .expect_err("503");

    assert!(
        matches!(error, UpdateError::Http { status: 503, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("HTTP 503 Service Unavailable"),
        "{message}"
    );
    assert!(
        message.contains("dbip-city-lite-2026-03.mmdb.gz"),
        "{message}"
    );
    // A 5xx is not a reason to try last month's file.
    assert_eq!(server.requests().len(), 1);
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn garbage_download_leaves_the_old_database() {
    let garbage: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for (body, corrupt) in [(garbage.clone(), true), (gzip(&garbage), false)] {
        let server = Server::start(HashMap::from([(
            dbip_path("2026-03"),
            Reply::Body(200, body),
        )]))
        .await;
        let (dir, mut settings) = dir_with_old_target();
        settings.download_base = server.base();

        let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
            .await
            .expect_err("garbage");

        if corrupt {
            // Not even gzip.
            assert!(matches!(error, UpdateError::Corrupt { .. }), "{error:?}");
        } else {
            // Valid gzip of something that is not a database.
            assert!(matches!(error, UpdateError::Invalid { .. }), "{error:?}");
        }
        assert_untouched(dir.path(), &settings);
    }
}

#[tokio::test]
async fn a_database_that_is_not_a_city_one_is_refused() {
    let server = Server::start(HashMap::from([
        (
            dbip_path("2026-03"),
            Reply::Body(200, gzip(&mmdb_with_type("Country-xyz"))),
        ),
        (
            dbip_path("2026-02"),
            Reply::Body(200, gzip(&mmdb_with_type("GeoIP2-ASN1"))),
        ),
    ]))
    .await;
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = server.base();

    // Opens fine in the service, but has no cities.
    let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
        .await
        .expect_err("country");
    assert!(
        matches!(&error, UpdateError::NotCity { database_type, .. } if database_type == "Country-xyz"),
        "{error:?}"
    );
    assert_untouched(dir.path(), &settings);

    // The service itself would refuse this one.
    let error = update_with(&settings, date!(2026 - 02 - 10), CAP)
        .await
        .expect_err("asn");
    assert!(
        matches!(
            error,
            UpdateError::Invalid {
                source: GeoError::UnsupportedType { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn oversized_downloads_are_refused() {
    // Incompressible, so its gzip is also over the cap.
    let mut state: u32 = 1;
    let noise: Vec<u8> = (0..4 * CAP)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect();
    let cases = [
        // Declared too large: refused before reading the body.
        ("claimed length", Reply::Claims(CAP + 1)),
        // No length, the body just keeps coming.
        ("unsized body", Reply::Unsized(gzip(&noise))),
        // Small download, huge once decompressed (a gzip bomb).
        (
            "gzip bomb",
            Reply::Body(200, gzip(&vec![0u8; 16 * CAP_USIZE])),
        ),
    ];
    for (case, reply) in cases {
        let server = Server::start(HashMap::from([(dbip_path("2026-03"), reply)])).await;
        let (dir, mut settings) = dir_with_old_target();
        settings.download_base = server.base();

        let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
            .await
            .expect_err(case);

        assert!(
            matches!(error, UpdateError::TooLarge { limit: CAP, .. }),
            "{case}: {error:?}"
        );
        assert_untouched(dir.path(), &settings);
    }
}

#[tokio::test]
async fn oversized_tarball_member_is_refused() {
    let server = maxmind_server(maxmind_tarball(
        "GeoLite2-City.mmdb",
        &vec![0u8; 2 * CAP_USIZE],
    ))
    .await;
    let (dir, mut settings) = dir_with_old_target();
    settings.download_base = server.base();
    settings.license_key = Some(SecretString::from(KEY.to_owned()));

    let error = update_with(&settings, date!(2026 - 03 - 10), CAP)
        .await
        .expect_err("too big");

    assert!(matches!(error, UpdateError::TooLarge { .. }), "{error:?}");
    assert_untouched(dir.path(), &settings);
}

#[tokio::test]
async fn invalid_base_urls_are_refused_before_any_io() {
    let dir = tempfile::tempdir().expect("tempdir");
    for base in [
        "ftp://example.com/",
        "data:text/plain,hello",
        "file:///tmp/",
    ] {
        let settings = settings(
            &dir.path().join("never-created"),
            Some(KEY),
            Url::parse(base).unwrap(),
        );
        let error = update(&settings).await.expect_err(base);
        assert!(
            matches!(error, UpdateError::InvalidBase { .. }),
            "{base}: {error:?}"
        );
        assert_no_key(&error);
    }
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn default_bases_follow_the_licence_key() {
    let with = UpdateSettings::new(
        PathBuf::from("/data/city.mmdb"),
        Some(SecretString::from(KEY.to_owned())),
    );
    assert_eq!(with.download_base.as_str(), "https://download.maxmind.com/");
    let without = UpdateSettings::new(PathBuf::from("/data/city.mmdb"), None);
    assert_eq!(
        without.download_base.as_str(),
        "https://download.db-ip.com/"
    );
    assert!(!format!("{with:?}").contains(KEY));
}

#[test]
fn real_urls_are_as_documented() {
    let base = UpdateSettings::default_base(true);
    assert_eq!(
        maxmind_url(&base, "K").unwrap().as_str(),
        "https://download.maxmind.com/app/geoip_download?edition_id=GeoLite2-City&license_key=K&suffix=tar.gz"
    );
    let settings = UpdateSettings::new(PathBuf::from("x.mmdb"), None);
    let plan = Plan::new(&settings, date!(2026 - 01 - 05)).unwrap();
    let urls: Vec<&str> = plan
        .attempts
        .iter()
        .map(|attempt| attempt.url.as_str())
        .collect();
    assert_eq!(
        urls,
        [
            "https://download.db-ip.com/free/dbip-city-lite-2026-01.mmdb.gz",
            "https://download.db-ip.com/free/dbip-city-lite-2025-12.mmdb.gz",
        ]
    );
}

#[test]
fn shown_urls_hide_the_key_and_any_password() {
    let base = Url::parse("https://mirror:hunter2@example.com/geo/").unwrap();
    let attempt = Attempt::new(maxmind_url(&base, KEY).unwrap());
    assert_eq!(
        attempt.shown,
        "https://mirror@example.com/geo/app/geoip_download\
         ?edition_id=GeoLite2-City&license_key=REDACTED&suffix=tar.gz"
    );
    assert!(attempt.url.as_str().contains(KEY));
    assert!(attempt.url.as_str().contains("hunter2"));
}
