//! The admin UI in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by scripts/test) driven over WebDriver with fantoccini.
//! One chromedriver serves the whole test binary; each test opens its own browser with a
//! fresh profile, and screenshots go to test-artifacts/ (git-ignored) for a human to look at.

use crate::admin_client::api_status;
use crate::helpers::{ADMIN_PASSWORD, TestApp, die_with_parent, free_port, spawn_app};
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use serde_json::json;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The test binary's chromedriver, started on first use, on a free port.
fn chromedriver_port() -> u16 {
    static PORT: OnceLock<u16> = OnceLock::new();
    *PORT.get_or_init(|| {
        // Spawned from a thread that lives as long as the process, so PDEATHSIG kills
        // chromedriver with the test binary however it ends (see helpers::start_redis…).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (child, port) = spawn_chromedriver();
            tx.send(port).expect("test thread waits for the port");
            let _keep: Child = child;
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("chromedriver started")
    })
}

fn spawn_chromedriver() -> (Child, u16) {
    for _ in 0..5 {
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command.arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null());
        die_with_parent(&mut command);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} must be installed (apt-get install chromium chromium-driver; scripts/test does): {e}"));
        if wait_for_port(port, &mut child) {
            return (child, port);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("could not start chromedriver on a free port");
}

fn wait_for_port(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A headless Chromium with a profile of its own.
pub struct Browser {
    pub client: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn open() -> Browser {
        Browser::open_with(&[]).await
    }

    /// A browser with more command-line switches (a user agent, host resolver rules).
    pub async fn open_with(extra_args: &[&str]) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic", "--window-size=1280,900",
        ]
        .map(str::to_owned)
        .to_vec();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra_args.iter().map(|a| a.to_string()));
        let capabilities = json!({
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args }
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!("an object literal") };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", chromedriver_port()))
            .await
            .expect("a WebDriver session with headless Chromium");
        Browser { client, _profile: profile }
    }

    /// Runs a test body, then closes the browser whether the body passed or panicked, so
    /// no Chromium outlives its test.
    pub async fn run(&self, body: impl Future<Output = ()>) {
        let outcome = AssertUnwindSafe(body).catch_unwind().await;
        let _ = self.client.clone().close().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Goes to `path` of the app.
pub async fn goto(client: &Client, app: &TestApp, path: &str) {
    client.goto(&format!("{}{path}", app.address)).await.expect("navigate");
}

/// The current page's path and query.
pub async fn current_path(client: &Client) -> String {
    let url = client.current_url().await.expect("url");
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Waits until the page's path is `path` (a form submission may still be under way).
pub async fn wait_for_path(client: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let current = current_path(client).await;
        if current == path {
            return;
        }
        assert!(Instant::now() < deadline, "expected to reach {path}, still on {current}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn text_of(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.expect("text")
}

/// Fills in and submits the login form (the browser must be on it).
pub async fn submit_login(client: &Client, password: &str) {
    client.find(Locator::Id("username")).await.expect("user field").send_keys("admin").await.expect("type");
    client.find(Locator::Id("password")).await.expect("password field").send_keys(password).await.expect("type");
    client.find(Locator::Css("main button[type=submit]")).await.expect("login button").click().await.expect("click");
}

/// Logs in as admin and waits for the dashboard.
pub async fn login(client: &Client, app: &TestApp) {
    goto(client, app, "/admin/login").await;
    submit_login(client, ADMIN_PASSWORD).await;
    wait_for_path(client, "/admin").await;
}

/// Saves a PNG of the page as test-artifacts/<name>.png.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("test-artifacts dir");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, client.screenshot().await.expect("screenshot")).expect("write screenshot");
    path
}

/// Whether the page fits the window's width (nothing to scroll sideways).
pub async fn fits_width(client: &Client) -> bool {
    let fits = client.execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![]).await.expect("script");
    fits.as_bool().unwrap_or(false)
}

/// Creates a token on the tokens page and returns its text, read from the page.
async fn create_token(client: &Client, app: &TestApp, label: &str) -> String {
    goto(client, app, "/admin/tokens").await;
    client.find(Locator::Id("label")).await.expect("label field").send_keys(label).await.expect("type");
    client.find(Locator::Css("form[action='/admin/tokens'] button")).await.expect("create button").click().await.expect("click");
    let field = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Id("new-token")).await.expect("the new token is shown");
    field.prop("value").await.expect("value").expect("a value")
}

#[tokio::test]
async fn browser_a_wrong_password_is_refused_with_a_message() {
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            goto(client, &app, "/admin/login").await;
            assert_eq!(client.title().await.expect("title"), "Log in · sharetrail admin");
            screenshot(client, "login").await;
            submit_login(client, "not the password").await;
            let alert = client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("[role=alert]")).await.expect("an error");
            assert_eq!(alert.text().await.expect("text"), "Wrong user name or password.");
            assert_eq!(current_path(client).await, "/admin/login");
            screenshot(client, "login-refused").await;
        })
        .await;
}

#[tokio::test]
async fn browser_a_correct_login_lands_on_the_dashboard() {
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            login(client, &app).await;
            assert_eq!(text_of(client, "h1").await, "Dashboard");
            assert_eq!(client.title().await.expect("title"), "Dashboard · sharetrail admin");
            assert_eq!(text_of(client, "nav a[aria-current=page]").await, "Dashboard");
            screenshot(client, "dashboard").await;
        })
        .await;
}

#[tokio::test]
async fn browser_an_admin_page_without_a_session_redirects_to_login_and_back() {
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            goto(client, &app, "/admin/tokens").await;
            assert_eq!(current_path(client).await, "/admin/login?next=%2Fadmin%2Ftokens");
            submit_login(client, ADMIN_PASSWORD).await;
            wait_for_path(client, "/admin/tokens").await;
            assert_eq!(text_of(client, "h1").await, "API tokens");
        })
        .await;
}

#[tokio::test]
async fn browser_logout_invalidates_the_session() {
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            login(client, &app).await;
            let cookie = client.get_named_cookie("st_admin").await.expect("session cookie");
            let old = cookie.value().to_owned();
            client.find(Locator::Css("form.logout button")).await.expect("logout button").click().await.expect("click");
            wait_for_path(client, "/admin/login?logged_out=1").await;
            assert_eq!(text_of(client, "[role=status]").await, "You are logged out.");
            goto(client, &app, "/admin").await;
            assert!(current_path(client).await.starts_with("/admin/login"), "no session in the browser");
            let mut replay = crate::admin_client::AdminClient::new(&app);
            replay.cookies.insert("st_admin".into(), old);
            assert_eq!(replay.get("/admin").await.status(), 303, "the old cookie no longer works");
        })
        .await;
}

#[tokio::test]
async fn browser_a_token_is_created_shown_once_used_and_revoked() {
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            login(client, &app).await;
            goto(client, &app, "/admin/tokens").await;
            assert!(text_of(client, "main").await.contains("No tokens yet"));
            screenshot(client, "tokens-empty").await;

            let token = create_token(client, &app, "Blog CMS (production)").await;
            assert!(token.starts_with("st_") && token.len() == 35, "{token}");
            let copy = client.find(Locator::Css("button[data-copy]")).await.expect("copy button");
            assert!(copy.is_displayed().await.expect("displayed"), "admin.js runs under the CSP and shows the button");
            copy.click().await.expect("click");
            // The status is written when the clipboard answers, which takes a moment.
            let status = client.find(Locator::Css("[data-copy-status]")).await.expect("status");
            let deadline = Instant::now() + Duration::from_secs(10);
            while status.text().await.expect("text").is_empty() {
                assert!(Instant::now() < deadline, "copying says what happened");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            screenshot(client, "tokens-created").await;
            client.set_window_size(375, 900).await.expect("resize");
            assert!(fits_width(client).await, "nothing scrolls sideways at 375 px");
            screenshot(client, "tokens-created-375").await;
            client.set_window_size(1280, 900).await.expect("resize");
            assert_eq!(api_status(&app, &token).await, 404, "the token is accepted (404, not 401)");

            goto(client, &app, "/admin/tokens").await;
            assert!(!client.source().await.expect("source").contains(&token), "shown once only");
            assert_eq!(text_of(client, "tbody th").await, "Blog CMS (production)");
            screenshot(client, "tokens-list").await;
            client.set_window_size(375, 900).await.expect("resize");
            assert!(fits_width(client).await, "the table fits at 375 px");
            screenshot(client, "tokens-list-375").await;

            client.find(Locator::Css("tbody button.button-danger")).await.expect("revoke").click().await.expect("click");
            client.accept_alert().await.expect("confirm the revocation");
            wait_for_path(client, "/admin/tokens?revoked=1").await;
            assert!(text_of(client, "[role=status]").await.contains("revoked"));
            assert_eq!(api_status(&app, &token).await, 401, "refused once revoked");
        })
        .await;
}

#[tokio::test]
async fn browser_a_script_in_a_label_is_shown_as_text() {
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            login(client, &app).await;
            let label = "<script>alert(1)</script>";
            create_token(client, &app, label).await;
            assert!(client.get_alert_text().await.is_err(), "no alert dialog");
            goto(client, &app, "/admin/tokens").await;
            assert!(client.get_alert_text().await.is_err(), "no alert dialog");
            assert_eq!(text_of(client, "tbody th").await, label);
            assert!(text_of(client, "body").await.contains(label));
        })
        .await;
}

#[tokio::test]
async fn browser_the_login_page_reads_well_on_a_phone() {
    let app = spawn_app().await;
    let browser = Browser::open().await;
    let client = &browser.client;
    browser
        .run(async {
            client.set_window_size(375, 800).await.expect("resize");
            goto(client, &app, "/admin/login").await;
            assert!(fits_width(client).await);
            screenshot(client, "login-375").await;
            login(client, &app).await;
            assert!(fits_width(client).await, "the header and navigation wrap at 375 px");
            screenshot(client, "dashboard-375").await;
        })
        .await;
}
