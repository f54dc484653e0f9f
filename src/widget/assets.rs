//! The widget's script and stylesheet, compiled into the binary. The script is served
//! with the icon list and the version spliced in, so `assets/widget.js` stays readable
//! and the icons live in one place ([`super::icons`]).

use super::icons::icons_json;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const SCRIPT_SOURCE: &str = include_str!("../../assets/widget.js");
/// The stylesheet of the buttons, served as `/widget.css`.
pub const STYLESHEET: &str = include_str!("../../assets/widget.css");

/// Where the icon list goes in the script source.
const ICONS_SLOT: &str = "/*ICONS*/{}";
/// Where the version goes (the script asks for the stylesheet of its own version).
const VERSION_SLOT: &str = "__SHARETRAIL_VERSION__";

/// A short digest of everything served, for the versioned URLs (`/widget.js?v=…`) that
/// may be cached for a year: a new release changes the URL, not the content behind it.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::new().chain_update(SCRIPT_SOURCE).chain_update(STYLESHEET).chain_update(icons_json()).finalize();
    hex::encode(&digest[..6])
});

/// The script as served: compacted, with the icons and the version filled in.
pub static SCRIPT: LazyLock<String> = LazyLock::new(|| compact(SCRIPT_SOURCE).replace(ICONS_SLOT, &icons_json()).replace(VERSION_SLOT, &VERSION));

/// Drops indentation, blank lines and whole-line `//` comments: a fifth of the bytes,
/// without a minifier. Safe for this script, which has no multi-line strings or
/// templates (a line inside one would lose its leading spaces).
fn compact(source: &str) -> String {
    let lines = source.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with("//"));
    lines.collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_script_has_its_icons_and_version_and_stays_under_10_kb() {
        assert!(SCRIPT_SOURCE.contains(ICONS_SLOT) && SCRIPT_SOURCE.contains(VERSION_SLOT), "the slots are in the source");
        assert!(!SCRIPT.contains(ICONS_SLOT) && !SCRIPT.contains(VERSION_SLOT));
        assert!(SCRIPT.contains(VERSION.as_str()));
        assert!(SCRIPT.len() < 10 * 1024, "widget.js is {} bytes", SCRIPT.len());
    }

    #[test]
    fn compacting_keeps_code_and_drops_indentation_and_comment_lines() {
        let source = "(function () {\n  // why\n\n  var a = \"// not a comment\"; // trailing\n})();\n";
        assert_eq!(compact(source), "(function () {\nvar a = \"// not a comment\"; // trailing\n})();");
    }

    #[test]
    fn nothing_is_loaded_from_another_host_and_no_cookie_is_touched() {
        // The SVG namespace is a name, not an address that is fetched.
        let script = SCRIPT.replace("\"http://www.w3.org/2000/svg\"", "");
        for text in [script.as_str(), STYLESHEET] {
            assert!(!text.contains("http://") && !text.contains("https://") && !text.contains("//cdn"), "an absolute URL");
            assert!(!text.contains("document.cookie") && !text.contains("Storage"), "no cookies, no local or session storage");
            assert!(!text.contains("@import") && !text.contains("url("), "nothing fetched by the stylesheet");
        }
    }
}
