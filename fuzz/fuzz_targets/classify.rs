//! The user-agent classifier with the built-in rules on any header value: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sharetrail::clicks::classify::Classifier;
use sharetrail::config::Settings;
use std::sync::LazyLock;

static CLASSIFIER: LazyLock<Classifier> = LazyLock::new(|| {
    let (settings, _) = Settings::load(None, &Default::default()).expect("built-in settings");
    Classifier::new(&settings.classify).expect("built-in rules compile")
});

fuzz_target!(|user_agent: &str| {
    let _ = CLASSIFIER.classify(user_agent);
});
