//! Places by database record, kept per thread. Many addresses share a record (all of a
//! network's, and a city's networks often one), and decoding its country and city from
//! the database, into strings of their own, was most of a lookup and two allocations per
//! click (docs/performance.md). A cached place's names are shared by every click that
//! carries them. Per thread, so that request workers never wait for each other.

use super::Place;
use foldhash::HashMap;
use maxminddb::MaxMindDbError;
use std::cell::RefCell;

/// Records remembered per thread. Past it the cache starts again: a city database has
/// hundreds of thousands of records, but the readers of a site come from far fewer.
const MAX_RECORDS: usize = 4096;

/// The places of one database (by its generation), by the offset of their record.
struct Places {
    generation: u64,
    by_record: HashMap<usize, Option<Place>>,
}

thread_local! {
    static PLACES: RefCell<Places> = RefCell::new(Places { generation: u64::MAX, by_record: HashMap::default() });
}

/// The place of a record of the database `generation`, decoded by `decode` if this thread
/// has not seen the record yet. A reloaded database has a new generation, so no place of
/// the file before outlives the reload. Errors are not remembered.
pub(super) fn get_or_decode(
    generation: u64,
    record: usize,
    decode: impl FnOnce() -> Result<Option<Place>, MaxMindDbError>,
) -> Result<Option<Place>, MaxMindDbError> {
    PLACES.with_borrow_mut(|places| {
        if places.generation != generation {
            places.by_record.clear();
            places.generation = generation;
        }
        if let Some(place) = places.by_record.get(&record) {
            return Ok(place.clone());
        }
        let place = decode()?;
        if places.by_record.len() >= MAX_RECORDS {
            places.by_record.clear();
        }
        places.by_record.insert(record, place.clone());
        Ok(place)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn place(country: &str) -> Option<Place> {
        Some(Place { country: country.into(), city: None })
    }

    /// Looks `record` up and says whether it had to be decoded.
    fn decoded(generation: u64, record: usize, country: &str) -> (Option<Place>, bool) {
        let calls = Cell::new(false);
        let got = get_or_decode(generation, record, || {
            calls.set(true);
            Ok(place(country))
        });
        (got.expect("decodes"), calls.get())
    }

    #[test]
    fn a_record_is_decoded_once_per_database() {
        assert_eq!(decoded(1_000, 7, "GB"), (place("GB"), true));
        assert_eq!(decoded(1_000, 7, "XX"), (place("GB"), false), "the second lookup is cached");
        assert_eq!(decoded(1_000, 8, "DE"), (place("DE"), true), "another record");
        assert_eq!(decoded(1_001, 7, "FR"), (place("FR"), true), "a reloaded database decodes again");
        assert_eq!(decoded(1_001, 8, "JP"), (place("JP"), true), "the file before is forgotten");
    }

    #[test]
    fn errors_are_not_remembered() {
        let failed = get_or_decode(2_000, 1, || Err(MaxMindDbError::invalid_database("damaged")));
        assert!(failed.is_err());
        assert_eq!(decoded(2_000, 1, "GB"), (place("GB"), true));
    }

    #[test]
    fn the_cache_is_bounded() {
        for record in 0..=MAX_RECORDS {
            decoded(3_000, record, "GB");
        }
        let size = PLACES.with_borrow(|places| places.by_record.len());
        assert!(size <= MAX_RECORDS, "{size} records kept");
    }
}
