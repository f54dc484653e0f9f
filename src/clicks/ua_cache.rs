//! Classifications of recently seen user agents. Readers arrive with a few hundred distinct
//! `User-Agent` strings, and classifying one (an Aho-Corasick scan plus woothee's regexes)
//! was the largest cost of a redirect in the profile (docs/performance.md); a hit costs a
//! hash and a lock instead.
//!
//! The map is split into shards behind their own locks, and a request never waits for one:
//! when its shard is busy (another worker holds it, or was descheduled while holding it on a
//! loaded machine) it classifies the user agent itself. A full shard is emptied and starts
//! over: simpler than an LRU, and hot user agents are back after one miss each. Long user
//! agents are never cached, which bounds the memory to about `capacity × MAX_CACHED_UA_BYTES`.

use super::classify::{Classifier, UaDetails};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

/// Real browsers' user agents are 100–300 bytes; longer ones are rare, and not worth a slot.
const MAX_CACHED_UA_BYTES: usize = 512;
const SHARDS: usize = 16;

/// A [`Classifier`] that remembers its answers for recently seen user agents.
pub struct CachedClassifier {
    classifier: Classifier,
    shards: Vec<Mutex<HashMap<Box<str>, Arc<UaDetails>>>>,
    per_shard: usize,
    hasher: RandomState,
}

impl CachedClassifier {
    /// Remembers up to about `capacity` user agents; 0 turns the cache off.
    pub fn new(classifier: Classifier, capacity: usize) -> CachedClassifier {
        CachedClassifier {
            classifier,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::new(),
        }
    }

    /// The classification of a `User-Agent` header value, as [`Classifier::classify`] gives it.
    pub fn classify(&self, user_agent: &str) -> Arc<UaDetails> {
        if self.per_shard == 0 || user_agent.len() > MAX_CACHED_UA_BYTES {
            return Arc::new(self.classifier.classify(user_agent));
        }
        let shard = &self.shards[self.hasher.hash_one(user_agent) as usize % SHARDS];
        if let Some(details) = try_lock(shard).and_then(|entries| entries.get(user_agent).cloned()) {
            return details;
        }
        // Classified outside the lock: a miss must not hold up the shard's hits.
        let details = Arc::new(self.classifier.classify(user_agent));
        if let Some(mut entries) = try_lock(shard) {
            if entries.len() >= self.per_shard {
                entries.clear();
            }
            entries.insert(user_agent.into(), details.clone());
        }
        details
    }
}

/// The shard, unless another thread holds it. A poisoned shard only means a panic elsewhere
/// while it was held; its entries are whole.
fn try_lock<T>(shard: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match shard.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clicks::classify::{ClassifierConfig, Visitor};

    fn classifier() -> Classifier {
        let config: ClassifierConfig = toml::from_str(include_str!("../../config/classify.toml")).expect("default rules");
        Classifier::new(&config).expect("rules compile")
    }

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

    #[test]
    fn a_cached_answer_is_the_classifiers_answer() {
        let cached = CachedClassifier::new(classifier(), 100);
        for ua in [IPHONE, "WhatsApp/2.23.20.0 A", "curl/8.5.0", "", IPHONE, "WhatsApp/2.23.20.0 A"] {
            assert_eq!(*cached.classify(ua), classifier().classify(ua), "{ua:?}");
        }
        assert!(matches!(cached.classify("Twitterbot/1.0").visitor, Visitor::Preview { .. }));
    }

    #[test]
    fn a_full_cache_starts_over_and_long_user_agents_are_not_kept() {
        let cached = CachedClassifier::new(classifier(), SHARDS);
        for n in 0..1000 {
            cached.classify(&format!("agent/{n}"));
        }
        let kept: usize = cached.shards.iter().map(|s| s.lock().expect("shard").len()).sum();
        assert!(kept <= SHARDS, "{kept} entries kept");
        let long = format!("Mozilla/5.0 {}", "x".repeat(MAX_CACHED_UA_BYTES));
        assert_eq!(*cached.classify(&long), classifier().classify(&long));
        assert!(cached.shards.iter().all(|s| s.lock().expect("shard").keys().all(|k| k.len() <= MAX_CACHED_UA_BYTES)));
    }

    #[test]
    fn capacity_zero_turns_the_cache_off() {
        let cached = CachedClassifier::new(classifier(), 0);
        assert_eq!(*cached.classify(IPHONE), classifier().classify(IPHONE));
        assert!(cached.shards.iter().all(|s| s.lock().expect("shard").is_empty()));
    }
}
