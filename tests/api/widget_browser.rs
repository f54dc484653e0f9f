//! The widget in a real browser: examples/widget.html, served from a page server of its
//! own origin, loads /widget.js from the app, in headless Chromium (Debian's). Nothing
//! leaves the machine: the browser resolves no host name but loopback's, so the WhatsApp
//! button's trip ends at a wa.me that does not resolve, after it went through the app.

use crate::browser::{Browser, screenshot};
use crate::helpers::*;
use crate::page_server::PageServer;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A desktop Chrome's user agent: headless Chromium calls itself HeadlessChrome, which is
/// (rightly) a bot, and bots' taps are not counted.
const USER_AGENT: &str = "--user-agent=Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/// Every host name but loopback's fails to resolve: the test cannot reach the internet.
const LOOPBACK_ONLY: &str = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1";
/// Where examples/widget.html expects sharetrail (scripts/run's address).
const EXAMPLE_SERVER: &str = "http://127.0.0.1:8080";
const EXAMPLE_URL: &str = "https://blog.example.com/2026/dark-social";

/// The example page, pointed at `app`, served on its own origin.
fn serve_example(page: PageServer, app: &TestApp) -> String {
    let html = include_str!("../../examples/widget.html");
    assert!(html.contains(&format!("{EXAMPLE_SERVER}/widget.js")), "the example loads the widget from {EXAMPLE_SERVER}");
    let origin = page.origin.clone();
    page.serve(html.replace(EXAMPLE_SERVER, &app.address));
    format!("{origin}/widget.html")
}

async fn app_allowing(origin: &str) -> TestApp {
    let origin = origin.to_owned();
    spawn_app_with(move |env| {
        env.insert("SHARETRAIL_WIDGET_ORIGINS".into(), origin);
    })
    .await
}

async fn run(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Polls a script until it returns true, for at most 10 s.
async fn wait_until(client: &Client, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while run(client, script).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "timed out waiting for: {script}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The labels of the visible buttons of the n-th widget on the page.
async fn visible_labels(client: &Client, n: usize) -> Vec<String> {
    let script = format!(
        "return [...document.querySelectorAll('[data-sharetrail]')[{n}].querySelectorAll('.st-btn')].filter(b => b.offsetParent !== null).map(b => b.querySelector('.st-label').textContent);"
    );
    serde_json::from_value(run(client, &script).await).expect("labels")
}

/// A channel's intents today, once a beacon has arrived: the browser sends it on its own
/// time, so this waits (at most 5 s) for it to reach the app, then flushes.
async fn intents_once_counted(app: &TestApp, content: &str, channel: &str) -> Option<i64> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        app.flush().await;
        let counted = app.content_today(content).await.get(&format!("intents:{channel}")).copied();
        if counted.is_some() || Instant::now() > deadline {
            return counted;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Lets the page read the clipboard (W3C Set Permission, which chromedriver supports), so
/// the test can read back what the copy button wrote.
#[derive(Debug)]
struct GrantClipboard;

impl fantoccini::wd::WebDriverCompatibleCommand for GrantClipboard {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/permissions", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"descriptor": {"name": "clipboard-read"}, "state": "granted"}).to_string()))
    }
}

#[tokio::test]
async fn browser_the_example_page_gets_buttons_that_count_taps_share_and_copy() {
    let page = PageServer::bind();
    let app = app_allowing(&page.origin).await;
    let origin = page.origin.clone();
    let url = serve_example(page, &app);
    let browser = Browser::open_with(&[USER_AGENT, LOOPBACK_ONLY]).await;
    let client = &browser.client;
    browser
        .run(async {
            client.goto(&url).await.expect("open the example page");
            wait_until(client, "return document.querySelectorAll('.sharetrail .st-btn').length === 10;").await;

            // The buttons render, as real links and buttons with labels, in both widgets.
            let share_sheet = run(client, "return !!navigator.share;").await == Value::Bool(true);
            let mut expected = vec!["WhatsApp", "E-mail", "Slack", "SMS", "Copy link"];
            if share_sheet {
                expected.push("More…");
            }
            assert_eq!(visible_labels(client, 0).await, expected);
            assert_eq!(visible_labels(client, 1).await, ["Telegram", "WeChat", "LinkedIn", "Copy link"]);
            let kinds = run(client, "return [...document.querySelectorAll('.st-btn')].every(b => (b.localName === 'a' && b.href) || b.localName === 'button');").await;
            assert_eq!(kinds, Value::Bool(true), "real <a href> and <button> elements");
            assert_eq!(run(client, "return document.cookie;").await, "", "no cookies");
            let foreign = run(client, &format!(
                "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('{}') && !n.startsWith('{origin}'));",
                app.address
            )).await;
            assert_eq!(foreign, json!([]), "nothing loaded from another host");
            // Drawn in the page's text colour: dark on the light article, light on the dark footer.
            let colours = run(client, "return [...document.querySelectorAll('[data-sharetrail]')].map(w => [getComputedStyle(w.querySelector('.st-btn')).color, getComputedStyle(w.parentNode).color]);").await;
            for pair in colours.as_array().expect("pairs") {
                assert_eq!(pair[0], pair[1], "buttons take the text colour of their page: {colours}");
            }
            screenshot(client, "widget-example").await;

            let content = app.mint_ok(json!({"url": EXAMPLE_URL, "channels": ["whatsapp"]})).await["content"]["id"].as_str().expect("id").to_owned();
            tap_whatsapp(client, &app, &content).await;
            copy_link(client, &app, &content).await;
            wechat_shows_its_qr_code(client, &app, &content).await;
            without_clipboard_the_link_is_selected(client).await;
            more_opens_the_share_sheet(client, &app, &content).await;
            same_markup_as_the_fragment(client, &app).await;
        })
        .await;
}

/// The WhatsApp button goes through /share/{code} (counted) to a wa.me share URL.
async fn tap_whatsapp(client: &Client, app: &TestApp, content: &str) {
    let whatsapp = client.find(Locator::Css("[data-sharetrail] a[data-st-channel=whatsapp]")).await.expect("WhatsApp button");
    let href = whatsapp.attr("href").await.expect("href").expect("an href");
    assert!(href.starts_with(&format!("{}/share/", app.address)), "{href}");
    // The app's answer, read without following it (and, without a browser's user agent,
    // not counted as a tap).
    let answer = app.client.get(&href).send().await.expect("request");
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(location.starts_with("https://wa.me/?text=What%20dark%20social%20is"), "{location}");

    let main = client.window().await.expect("this window");
    whatsapp.click().await.expect("tap WhatsApp");
    let deadline = Instant::now() + Duration::from_secs(10);
    let tab = loop {
        let windows = client.windows().await.expect("windows");
        if let Some(tab) = windows.into_iter().find(|w| *w != main) {
            break tab;
        }
        assert!(Instant::now() < deadline, "the WhatsApp button opens a new tab");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    client.switch_to_window(tab).await.expect("switch to the new tab");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let current = client.current_url().await.expect("url").to_string();
        if current == location {
            break;
        }
        assert!(Instant::now() < deadline, "expected the tab at {location}, it is at {current}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.close_window().await.expect("close the tab");
    client.switch_to_window(main).await.expect("back to the page");
    app.flush().await;
    assert_eq!(app.content_today(content).await.get("intents:whatsapp"), Some(&1), "the browser's tap, and only it");
}

/// The copy button, used from the keyboard, copies the short link and counts a tap.
async fn copy_link(client: &Client, app: &TestApp, content: &str) {
    client.issue_cmd(GrantClipboard).await.expect("clipboard permission");
    let button = client.find(Locator::Css("[data-sharetrail] button[data-st-channel=copy]")).await.expect("copy button");
    let short_url = button.attr("data-st-copy").await.expect("attr").expect("the short link");
    run(client, "document.querySelector('[data-sharetrail] button[data-st-channel=copy]').focus();").await;
    button.send_keys("\u{E007}").await.expect("press Enter");
    wait_until(client, "return document.querySelector('[data-sharetrail] .st-status').textContent === 'Link copied.';").await;
    let copied = client
        .execute_async("const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, e => done('error: ' + e));", vec![])
        .await
        .expect("read the clipboard");
    assert_eq!(copied, Value::String(short_url.clone()), "the clipboard holds the short link");
    assert!(short_url.starts_with(&app.address), "{short_url}");
    assert_eq!(intents_once_counted(app, content, "copy").await, Some(1), "the beacon counted the copy");
}

/// WeChat has no share URL; links are passed on by scanning: its button shows the QR code.
async fn wechat_shows_its_qr_code(client: &Client, app: &TestApp, content: &str) {
    client.find(Locator::Css("footer button[data-st-channel=wechat]")).await.expect("WeChat button").click().await.expect("tap WeChat");
    wait_until(client, "const img = document.querySelector('footer .st-qr img'); return !!img && img.complete && img.naturalWidth >= 256;").await;
    let alt = run(client, "return document.querySelector('footer .st-qr img').alt;").await;
    assert!(alt.as_str().is_some_and(|a| a.starts_with(&format!("QR code of {}/", app.address))), "{alt}");
    assert_eq!(run(client, "return document.querySelector('footer figcaption').textContent;").await, "Scan with WeChat to share");
    screenshot(client, "widget-wechat-qr").await;
    assert_eq!(intents_once_counted(app, content, "wechat").await, Some(1), "the beacon counted the tap");
}

/// Where the Clipboard API is missing, the copy button selects the link for Ctrl+C.
async fn without_clipboard_the_link_is_selected(client: &Client) {
    run(client, "Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });").await;
    client.find(Locator::Css("footer button[data-st-channel=copy]")).await.expect("copy button").click().await.expect("tap copy");
    let selected = run(client, "
        const field = document.activeElement, button = document.querySelector('footer button[data-st-channel=copy]');
        return field.closest('footer .st-status') !== null && field.value === button.dataset.stCopy
            && field.selectionStart === 0 && field.selectionEnd === field.value.length;").await;
    assert_eq!(selected, Value::Bool(true), "the short link is selected in the status line");
}

/// Where the browser has a share sheet, "More…" shows up and opens it with the short link.
async fn more_opens_the_share_sheet(client: &Client, app: &TestApp, content: &str) {
    run(client, "navigator.share = data => { window.__shared = data; return Promise.resolve(); }; sharetrail.scan();").await;
    assert!(visible_labels(client, 0).await.contains(&"More…".to_owned()), "shown once navigator.share exists");
    client.find(Locator::Css("button[data-st-channel=native]")).await.expect("More… button").click().await.expect("tap More…");
    let shared = run(client, "return [window.__shared.url, document.querySelector('button[data-st-channel=native]').dataset.stNative, window.__shared.title];").await;
    assert_eq!(shared[0], shared[1], "the share sheet gets the native channel's short link");
    assert!(shared[0].as_str().is_some_and(|u| u.starts_with(&app.address)));
    assert_eq!(shared[2], "What dark social is, and why your analytics miss it");
    assert_eq!(intents_once_counted(app, content, "native").await, Some(1));
}

/// The widget builds what `GET /api/v1/shares/buttons` renders, attribute for attribute.
async fn same_markup_as_the_fragment(client: &Client, app: &TestApp) {
    let query = "url=https%3A%2F%2Fblog.example.com%2F2026%2Fdark-social&title=What%20dark%20social%20is%2C%20and%20why%20your%20analytics%20miss%20it&channels=whatsapp,email,slack,sms,copy,native";
    let fragment = app.client.get(format!("{}/api/v1/shares/buttons?{query}", app.address)).bearer_auth(TOKEN).send().await.expect("fragment");
    let fragment = fragment.text().await.expect("html");
    let script = "
        const describe = root => [root, ...root.querySelectorAll('*')].map(e =>
            e.localName + ' ' + [...e.attributes].filter(a => a.name !== 'hidden').map(a => a.name + '=' + a.value).sort().join(' ') +
            (e.children.length ? '' : ' \"' + e.textContent + '\"'));
        const template = document.createElement('template');
        template.innerHTML = arguments[0];
        const widget = document.querySelector('[data-sharetrail]');
        const rendered = template.content.querySelector('.sharetrail');
        return [describe(widget.querySelector('.st-list')), describe(rendered.querySelector('.st-list'))];";
    let [widget, rendered]: [Vec<String>; 2] = serde_json::from_value(client.execute(script, vec![json!(fragment)]).await.expect("script")).expect("two lists");
    assert!(widget.len() > 20, "{widget:?}");
    assert_eq!(widget, rendered);
}

#[tokio::test]
async fn browser_a_page_on_an_origin_that_is_not_allowed_gets_no_buttons_and_a_console_message() {
    let page = PageServer::bind();
    let app = app_allowing("https://blog.example.com").await;
    let origin = page.origin.clone();
    let url = serve_example(page, &app);
    let browser = Browser::open_with(&[USER_AGENT, LOOPBACK_ONLY]).await;
    let client = &browser.client;
    browser
        .run(async {
            client.goto(&url).await.expect("open the example page");
            wait_until(client, "return (window.__sharetrailErrors || []).length === 2;").await;
            let errors: Vec<String> = serde_json::from_value(run(client, "return window.__sharetrailErrors;").await).expect("messages");
            for message in &errors {
                assert!(message.starts_with("sharetrail: no share buttons for https://blog.example.com/2026/dark-social"), "{message}");
                assert!(message.contains(&origin) && message.contains("SHARETRAIL_WIDGET_ORIGINS"), "{message}");
            }
            assert_eq!(run(client, "return document.querySelectorAll('.st-btn').length;").await, 0);
            assert_eq!(run(client, "return document.querySelectorAll('[data-sharetrail]')[0].childElementCount;").await, 0);
        })
        .await;
}
