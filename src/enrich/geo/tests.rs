use super::*;

use std::net::{Ipv4Addr, Ipv6Addr};

const TSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/geo-test.tsv");
const MMDB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/geo-test.mmdb");

struct Row {
    line: usize,
    network: IpAddr,
    prefix: u8,
    country_iso: String,
    country_name: String,
    city_name: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    geoname_id: u32,
}

fn rows() -> Vec<Row> {
    let text = fs::read_to_string(TSV).expect("read geo-test.tsv");
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().expect("header line");
    assert_eq!(
        header.trim_start_matches('\u{feff}'),
        "network\tcountry_iso\tcountry_name\tcity_name\tlatitude\tlongitude\tgeoname_id"
    );
    let mut rows = Vec::new();
    for (index, line) in lines {
        let line_no = index + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        assert_eq!(fields.len(), 7, "line {line_no}: {line:?}");
        let (addr, prefix) = fields[0].split_once('/').expect("CIDR network");
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let number = |s: &str| (!s.is_empty()).then(|| s.parse::<f64>().expect("number"));
        rows.push(Row {
            line: line_no,
            network: addr.parse().expect("network address"),
            prefix: prefix.parse().expect("prefix length"),
            country_iso: fields[1].to_owned(),
            country_name: fields[2].to_owned(),
            city_name: optional(fields[3]),
            latitude: number(fields[4]),
            longitude: number(fields[5]),
            geoname_id: fields[6].parse().expect("geoname_id"),
        });
    }
    assert!(rows.len() >= 8, "expected the full test table");
    rows
}

/// First usable, last, and a middle address of the row's network.
fn samples(row: &Row) -> Vec<IpAddr> {
    match row.network {
        IpAddr::V4(net) => {
            let base = u32::from(net);
            let host_bits = u32::MAX.checked_shr(u32::from(row.prefix)).unwrap_or(0);
            [base + 1, base | (host_bits / 2), base | host_bits]
                .into_iter()
                .map(|n| IpAddr::V4(Ipv4Addr::from(n)))
                .collect()
        }
        IpAddr::V6(net) => {
            let base = u128::from(net);
            let host_bits = u128::MAX.checked_shr(u32::from(row.prefix)).unwrap_or(0);
            [base + 1, base | (host_bits / 2), base | host_bits]
                .into_iter()
                .map(|n| IpAddr::V6(Ipv6Addr::from(n)))
                .collect()
        }
    }
}

fn expected(row: &Row) -> Option<Place> {
    Some(Place {
        country: row.country_iso.as_str().into(),
        city: row.city_name.as_deref().map(Into::into),
    })
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test IP")
}

fn test_db() -> GeoDb {
    GeoDb::open(Path::new(MMDB)).expect("open geo-test.mmdb")
}

/// The test database with London renamed: a second valid version for
/// reload tests that needs no Perl at test time. Strings are stored raw
/// and deduplicated in the data section, so an equal-length substitution
/// of the one occurrence yields a valid database.
fn variant_bytes() -> Vec<u8> {
    let mut bytes = fs::read(MMDB).expect("read geo-test.mmdb");
    let at: Vec<usize> = bytes
        .windows(6)
        .enumerate()
        .filter(|(_, w)| *w == b"London")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "expected \"London\" exactly once in the mmdb");
    bytes[at[0]..at[0] + 6].copy_from_slice(b"Oxford");
    bytes
}

/// Replaces `dest` the way deployments must: write beside it, rename over.
fn replace(dest: &Path, contents: &[u8]) {
    let tmp = dest.with_extension("mmdb.tmp");
    fs::write(&tmp, contents).expect("write replacement");
    fs::rename(&tmp, dest).expect("rename replacement");
}

fn london() -> Option<Place> {
    Some(Place {
        country: "GB".into(),
        city: Some("London".into()),
    })
}

fn oxford() -> Option<Place> {
    Some(Place {
        country: "GB".into(),
        city: Some("Oxford".into()),
    })
}

/// Addresses of one network share a record, so their place is decoded once and shared, not
/// copied into new strings per click (src/enrich/geo/place_cache.rs).
#[test]
fn addresses_of_one_record_share_one_place() {
    let db = test_db();
    let (first, second) = (db.lookup(ip("192.0.2.1")).expect("known"), db.lookup(ip("192.0.2.200")).expect("known"));
    assert_eq!(first, second);
    assert!(Arc::ptr_eq(&first.country, &second.country));
    assert!(Arc::ptr_eq(first.city.as_ref().expect("a city"), second.city.as_ref().expect("a city")));
    let elsewhere = db.lookup(ip("198.51.100.1")).expect("known");
    assert!(!Arc::ptr_eq(&first.country, &elsewhere.country), "another record, another place");
}

#[test]
fn every_tsv_row_resolves_to_its_country_and_city() {
    let db = test_db();
    for row in rows() {
        for addr in samples(&row) {
            assert_eq!(
                db.lookup(addr),
                expected(&row),
                "{addr} (TSV line {}); regenerate with `perl scripts/build-test-mmdb.pl` after editing the TSV",
                row.line
            );
        }
    }
}

/// Checks the fields `GeoDb` ignores too, so the whole TSV row is what the
/// mmdb holds, and that the mmdb holds no networks the TSV lacks.
#[test]
fn mmdb_matches_tsv_exactly() {
    use maxminddb::geoip2;

    let reader = Reader::open_readfile(MMDB).expect("read geo-test.mmdb");
    assert_eq!(reader.metadata().database_type, "GeoIP2-City");
    assert_eq!(reader.metadata().ip_version, 6);
    let rows = rows();
    for row in &rows {
        let result = reader.lookup(samples(row)[0]).expect("lookup");
        assert_eq!(
            result.network().expect("network").to_string(),
            format!("{}/{}", row.network, row.prefix),
            "TSV line {}",
            row.line
        );
        let city: geoip2::City = result.decode().expect("decode").expect("record");
        assert_eq!(city.country.iso_code, Some(row.country_iso.as_str()));
        assert_eq!(city.country.names.english, Some(row.country_name.as_str()));
        assert_eq!(city.city.names.english, row.city_name.as_deref());
        let place_id = if row.city_name.is_some() {
            city.city.geoname_id
        } else {
            city.country.geoname_id
        };
        assert_eq!(place_id, Some(row.geoname_id), "TSV line {}", row.line);
        assert_eq!(
            city.location.latitude, row.latitude,
            "TSV line {}",
            row.line
        );
        assert_eq!(
            city.location.longitude, row.longitude,
            "TSV line {}",
            row.line
        );
    }

    let mut in_mmdb: Vec<String> = reader
        .networks(maxminddb::WithinOptions::default())
        .expect("iterate networks")
        .map(|result| {
            result
                .and_then(|r| r.network())
                .expect("network")
                .to_string()
        })
        .collect();
    let mut in_tsv: Vec<String> = rows
        .iter()
        .map(|row| format!("{}/{}", row.network, row.prefix))
        .collect();
    in_mmdb.sort();
    in_tsv.sort();
    assert_eq!(in_mmdb, in_tsv);
}

#[test]
fn ipv6_lookups() {
    let db = test_db();
    let paris = Some(Place {
        country: "FR".into(),
        city: Some("Paris".into()),
    });
    let tokyo = Some(Place {
        country: "JP".into(),
        city: Some("Tokyo".into()),
    });
    assert_eq!(db.lookup(ip("2001:db8::1")), paris);
    assert_eq!(db.lookup(ip("2001:db8:0:ffff::42")), paris);
    assert_eq!(db.lookup(ip("2001:db8:1::1")), tokyo);
    assert_eq!(db.lookup(ip("2001:db8:2::1")), None);
}

#[test]
fn ipv4_mapped_ipv6_resolves_like_ipv4() {
    let db = test_db();
    assert_eq!(db.lookup(ip("::ffff:192.0.2.1")), london());
    assert_eq!(
        db.lookup(ip("::ffff:192.0.2.1")),
        db.lookup(ip("192.0.2.1"))
    );
    assert_eq!(db.lookup(ip("::ffff:8.8.8.8")), None);
    for row in rows().iter().filter(|row| row.network.is_ipv4()) {
        for addr in samples(row) {
            let IpAddr::V4(v4) = addr else { unreachable!() };
            let mapped = v4.to_ipv6_mapped();
            assert_eq!(
                db.lookup(IpAddr::V6(mapped)),
                expected(row),
                "{mapped} (TSV line {})",
                row.line
            );
        }
    }
}

/// Other consumers of the file (and `GeoDb` if it stopped canonicalising)
/// rely on the writer's `::ffff:0:0/96` alias.
#[test]
fn mmdb_itself_aliases_mapped_addresses() {
    let reader = Reader::open_readfile(MMDB).expect("read geo-test.mmdb");
    let iso: Option<String> = reader
        .lookup(ip("::ffff:192.0.2.1"))
        .expect("lookup")
        .decode_path(&maxminddb::path!["country", "iso_code"])
        .expect("decode");
    assert_eq!(iso.as_deref(), Some("GB"));
}

#[test]
fn non_ascii_city_and_country_only_rows() {
    let db = test_db();
    assert_eq!(
        db.lookup(ip("100.64.1.2")),
        Some(Place {
            country: "BR".into(),
            city: Some("São Paulo".into()),
        })
    );
    assert_eq!(
        db.lookup(ip("10.1.2.3")),
        Some(Place {
            country: "CH".into(),
            city: None,
        })
    );
    assert_eq!(
        db.lookup(ip("127.0.0.1")).map(|p| p.country),
        Some("NL".into())
    );
}

#[test]
fn addresses_outside_every_network_are_none() {
    let db = test_db();
    for addr in [
        "8.8.8.8",
        "0.0.0.0",
        "255.255.255.255",
        "192.0.3.1",
        "100.65.0.1",
        "::1",
        "::",
        "2001:db8:2::1",
        "ffff::1",
    ] {
        assert_eq!(db.lookup(ip(addr)), None, "{addr}");
    }
}

#[test]
fn disabled_knows_nothing() {
    let db = GeoDb::disabled();
    assert!(!db.is_enabled());
    assert_eq!(db.path(), None);
    assert_eq!(db.lookup(ip("192.0.2.1")), None);
    assert_eq!(db.lookup(ip("2001:db8::1")), None);
    assert!(matches!(db.reload_if_changed(), Ok(false)));
    assert!(test_db().is_enabled());
}

#[test]
fn open_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");

    let missing = dir.path().join("missing.mmdb");
    let error = GeoDb::open(&missing).expect_err("missing file");
    assert!(matches!(error, GeoError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("missing.mmdb"), "{error}");

    let garbage = dir.path().join("garbage.mmdb");
    fs::write(&garbage, b"this is not a MaxMind database").expect("write");
    let error = GeoDb::open(&garbage).expect_err("garbage file");
    assert!(matches!(error, GeoError::Open { .. }), "{error:?}");
    assert!(error.to_string().contains("garbage.mmdb"), "{error}");

    let empty = dir.path().join("empty.mmdb");
    fs::write(&empty, b"").expect("write");
    assert!(matches!(GeoDb::open(&empty), Err(GeoError::Open { .. })));

    // Same length as "GeoIP2-City", so the metadata stays well-formed.
    let mut asn = fs::read(MMDB).expect("read");
    let at = asn
        .windows(11)
        .position(|w| w == b"GeoIP2-City")
        .expect("database_type in metadata");
    asn[at..at + 11].copy_from_slice(b"GeoLite2-AS");
    let asn_path = dir.path().join("asn.mmdb");
    fs::write(&asn_path, asn).expect("write");
    let error = GeoDb::open(&asn_path).expect_err("ASN database");
    assert!(
        matches!(&error, GeoError::UnsupportedType { database_type, .. } if database_type == "GeoLite2-AS"),
        "{error:?}"
    );
    assert!(error.to_string().contains("asn.mmdb"), "{error}");
}

#[test]
fn reload_swaps_in_a_replaced_file_and_keeps_the_old_one_if_broken() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("geo.mmdb");
    fs::copy(MMDB, &path).expect("copy mmdb");
    let db = GeoDb::open(&path).expect("open copy");
    assert_eq!(db.lookup(ip("192.0.2.1")), london());
    assert!(!db.reload_if_changed().expect("unchanged"));

    replace(&path, &variant_bytes());
    assert!(db.reload_if_changed().expect("reload variant"));
    assert_eq!(db.lookup(ip("192.0.2.1")), oxford());
    assert_eq!(db.lookup(ip("::ffff:192.0.2.1")), oxford());
    assert!(!db.reload_if_changed().expect("unchanged after reload"));

    // A reader taken before a swap stays valid after it, which is what
    // makes the swap safe for lookups in flight.
    let before = db.reader.load_full().expect("reader");
    replace(&path, b"corrupt: not a MaxMind DB at all");
    let error = db.reload_if_changed().expect_err("corrupt replacement");
    assert!(matches!(error, GeoError::Open { .. }), "{error:?}");
    assert!(error.to_string().contains("geo.mmdb"), "{error}");
    assert_eq!(db.lookup(ip("192.0.2.1")), oxford());
    assert!(Arc::ptr_eq(
        &before,
        &db.reader.load_full().expect("reader")
    ));
    // Reported once; the same broken file is not retried on every poll.
    assert!(!db.reload_if_changed().expect("broken file already seen"));

    fs::remove_file(&path).expect("remove");
    assert!(matches!(db.reload_if_changed(), Err(GeoError::Io { .. })));
    assert_eq!(db.lookup(ip("192.0.2.1")), oxford());

    replace(&path, &fs::read(MMDB).expect("read"));
    assert!(db.reload_if_changed().expect("reload original"));
    assert_eq!(db.lookup(ip("192.0.2.1")), london());
    assert_eq!(before.reader.metadata().database_type, "GeoIP2-City");
}

#[tokio::test]
async fn reloader_picks_up_changes_and_stops_on_cancel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("geo.mmdb");
    fs::copy(MMDB, &path).expect("copy mmdb");
    let db = Arc::new(GeoDb::open(&path).expect("open copy"));
    let stop = CancellationToken::new();
    let task = spawn_reloader(Arc::clone(&db), Duration::from_millis(10), stop.clone());

    replace(&path, &variant_bytes());
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.lookup(ip("192.0.2.1")) != oxford() {
        assert!(
            Instant::now() < deadline,
            "reloader never picked up the new file"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("reloader stops when cancelled")
        .expect("reloader did not panic");
}

#[tokio::test]
async fn reloader_ends_at_once_when_there_is_nothing_to_do() {
    let stop = CancellationToken::new();
    let disabled = spawn_reloader(
        Arc::new(GeoDb::disabled()),
        Duration::from_millis(10),
        stop.clone(),
    );
    let zero = spawn_reloader(Arc::new(test_db()), Duration::ZERO, stop.clone());
    for task in [disabled, zero] {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("task ends without cancellation")
            .expect("no panic");
    }
}
