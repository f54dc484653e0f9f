//! QR codes: `GET /{code}/qr.svg`, decoded back with a real QR decoder (rqrr), and scans
//! counted as clicks with source `qr`.

use crate::helpers::*;
use serde_json::json;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

/// Draws the SVG the way a screen would, then reads it like a phone camera: the dark
/// rectangles of its path (`M x y h w v h H x V y`, the only shapes qrcode draws) go
/// onto a white greyscale image, which rqrr searches for a QR code and decodes.
fn decode(svg: &str) -> String {
    let attribute = |name: &str| -> usize {
        let start = svg.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("{name} in {svg}")) + name.len() + 3;
        svg[start..].split('"').next().and_then(|n| n.parse().ok()).expect("a number")
    };
    let (width, height) = (attribute("width"), attribute("height"));
    let mut pixels = vec![255u8; width * height];
    let path = svg.split(" d=\"").nth(1).and_then(|d| d.split('"').next()).expect("the path of dark modules");
    for rect in path.split('M').filter(|r| !r.is_empty()) {
        let numbers: Vec<usize> = rect.split(|c: char| c.is_ascii_alphabetic() || c == ' ').filter(|n| !n.is_empty()).map(|n| n.parse().expect("integer")).collect();
        let [left, top, w, h, ..] = numbers[..] else { panic!("unexpected shape {rect}") };
        for y in top..top + h {
            pixels[y * width + left..y * width + left + w].fill(0);
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| pixels[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("the code decodes").1
}

#[tokio::test]
async fn the_qr_code_decodes_to_the_short_link_marked_as_a_scan() {
    let app = spawn_app().await;
    let minted = app.mint_ok(json!({"url": "https://example.com/menu", "channels": ["wechat"]})).await;
    let link = &minted["links"][0];
    let short_url = link["short_url"].as_str().expect("short url");
    assert_eq!(link["qr_url"], format!("{short_url}/qr.svg"));

    let response = app.get(&format!("/{}/qr.svg", link["code"].as_str().expect("code"))).await;

    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"].to_str().expect("ascii").starts_with("default-src 'none'"));
    assert!(headers["cache-control"].to_str().expect("ascii").starts_with("public"));
    let svg = response.text().await.expect("svg");
    assert_eq!(decode(&svg), format!("{short_url}?s=qr"));
}

#[tokio::test]
async fn a_scan_counts_as_a_click_from_a_qr_code_and_a_tap_as_one_from_the_link() {
    let app = spawn_app().await;
    let minted = app.mint_ok(json!({"url": "https://example.com/menu", "channels": ["wechat"]})).await;
    let content = minted["content"]["id"].as_str().expect("id");
    let code = minted["links"][0]["code"].as_str().expect("code");
    let svg = app.get(&format!("/{code}/qr.svg")).await.text().await.expect("svg");
    let scanned = decode(&svg);

    let scan = app.client.get(&scanned).header("user-agent", IPHONE).send().await.expect("scan");
    let tap = app.tap(code, IPHONE, &[]).await;

    assert_eq!(scan.status(), 302);
    assert_eq!(scan.headers()["location"], tap.headers()["location"], "a scan lands where a tap does");
    assert!(!scan.headers()["location"].to_str().expect("ascii").contains("s=qr"), "the marker stays with sharetrail");
    app.flush().await;
    let sources: Vec<String> = app.recent_clicks(content).await.into_iter().map(|c| c["source"].clone()).collect();
    assert_eq!(sources, ["qr", "link"]);
    assert_eq!(app.content_today(content).await.get("clicks:wechat"), Some(&2), "a scan is a click of the link");
}

#[tokio::test]
async fn unknown_and_disabled_links_have_no_qr_code() {
    let app = spawn_app().await;
    let code = app.mint_code("https://example.com/menu", "wechat").await;
    assert_eq!(app.get("/zzzzzzzz/qr.svg").await.status(), 404);
    assert_eq!(app.patch_link(&code, json!({"enabled": false})).await.status(), 200);
    assert_eq!(app.get(&format!("/{code}/qr.svg")).await.status(), 410);
}
