//! QR codes of short links as SVG, for print and for WeChat, where links are shared by
//! scanning. The code holds the short link plus `?s=qr`, so a scan is told from a tap.

use crate::error::{AppError, Result};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The SVG of a QR code for `text`: black on white with the standard quiet zone (a code
/// printed on a dark background still scans), at least 256 px wide.
pub fn svg(text: &str) -> Result<String> {
    // Level M survives a smudge or a fold (15 %) and keeps a short link at version 3–4,
    // large modules that a phone reads from across a table.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Internal(format!("cannot encode a QR code of {} bytes: {e}", text.len())))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_link_becomes_a_black_on_white_svg_of_at_least_256_px() {
        let svg = svg("https://s.example.com/abc23456?s=qr").expect("encodes");
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(svg.contains(r##"fill="#000000""##) && svg.contains(r##"fill="#ffffff""##));
        let width: u32 = svg.split("width=\"").nth(1).and_then(|w| w.split('"').next()).and_then(|w| w.parse().ok()).expect("a width");
        assert!(width >= 256, "{width}");
        assert!(!svg.contains("<script"), "nothing but shapes");
    }
}
