//! Driving the admin UI over plain HTTP: a client with a small cookie jar of its own (so
//! tests can read, keep and replay cookies as an attacker would) and one method per form.

use crate::helpers::{ADMIN_PASSWORD, TestApp};
use reqwest::Response;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::collections::BTreeMap;

/// One browser's view of the admin UI.
pub struct AdminClient<'a> {
    pub app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
    /// Sent as X-Forwarded-For (the app must trust 127.0.0.1 for it to count).
    pub forwarded_for: Option<String>,
}

impl<'a> AdminClient<'a> {
    pub fn new(app: &'a TestApp) -> AdminClient<'a> {
        AdminClient { app, cookies: BTreeMap::new(), forwarded_for: None }
    }

    /// A client already logged in.
    pub async fn logged_in(app: &'a TestApp) -> AdminClient<'a> {
        let mut client = AdminClient::new(app);
        let response = client.login("admin", ADMIN_PASSWORD).await;
        assert_eq!(response.status(), 303, "login succeeds");
        assert!(client.session().is_some(), "login sets the session cookie");
        client
    }

    pub fn session(&self) -> Option<&str> {
        self.cookies.get("st_admin").map(String::as_str)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.app.client.request(method, format!("{}{path}", self.app.address));
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(COOKIE, jar.join("; "));
        }
        if let Some(xff) = &self.forwarded_for {
            request = request.header("x-forwarded-for", xff);
        }
        request
    }

    /// Keeps the cookies a response sets, and forgets those it removes.
    fn keep_cookies(&mut self, response: &Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().expect("ascii cookie");
            let (name, rest) = text.split_once('=').expect("name=value");
            let value = rest.split(';').next().unwrap_or_default();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let response = self.request(reqwest::Method::GET, path).send().await.expect("request");
        self.keep_cookies(&response);
        response
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let response = self
            .request(reqwest::Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        self.keep_cookies(&response);
        response
    }

    /// The login form's pre-session token (and its cookie, now in the jar).
    pub async fn login_token(&mut self) -> String {
        let page = self.get("/admin/login").await.text().await.expect("body");
        hidden_value(&page, "login_csrf").expect("login form has a token")
    }

    pub async fn login(&mut self, user: &str, password: &str) -> Response {
        let token = self.login_token().await;
        self.post("/admin/login", &[("username", user), ("password", password), ("login_csrf", &token)]).await
    }

    /// The session's CSRF token, read from a page's logout form.
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/admin/tokens").await.text().await.expect("body");
        hidden_value(&page, "csrf").expect("a page of the session has a CSRF token")
    }

    /// Creates an API token and returns the tokens page that shows it.
    pub async fn create_token(&mut self, label: &str) -> Response {
        let csrf = self.csrf().await;
        self.post("/admin/tokens", &[("csrf", &csrf), ("label", label)]).await
    }

    /// Creates an API token and returns its text.
    pub async fn new_token(&mut self, label: &str) -> String {
        let response = self.create_token(label).await;
        assert_eq!(response.status(), 200);
        shown_token(&response.text().await.expect("body")).expect("the new token is shown")
    }
}

/// The value of the first hidden input named `name`.
pub fn hidden_value(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    Some(page[start..].split('"').next()?.to_owned())
}

/// The API token a page shows, if any.
pub fn shown_token(page: &str) -> Option<String> {
    page.match_indices("value=\"st_").find_map(|(at, _)| {
        let token: String = page[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        (token.len() == 35).then_some(token)
    })
}

/// The `Location` of a redirect.
pub fn location(response: &Response) -> String {
    response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The `Set-Cookie` header that sets `name`.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Calls the API with a Bearer token.
pub async fn api_status(app: &TestApp, token: &str) -> u16 {
    let response = app.client.get(format!("{}/api/v1/links/zzzzzzzz", app.address)).bearer_auth(token).send().await.expect("request");
    response.status().as_u16()
}
