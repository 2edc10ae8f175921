//! A small HTTP client over the public API and the demo data's people, for the
//! whole-system tests.
#![allow(dead_code)]

use mittler_gateway::seed::{DEMO_PASSWORD, demo_mediators};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const REQUESTER: &str = "team@jobcenter-chemnitz.example";
pub const COORDINATOR: &str = "koordination@sprachmittlerpool-sachsen.example";

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub fn new(base: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            base,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn login(&self, email: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": DEMO_PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().expect("token").to_owned()
    }
}

/// The first weekday at least two days ahead in Berlin (inside the demo mediators'
/// hours, whatever day the test runs on).
pub fn working_day() -> chrono::NaiveDate {
    mittler_testkit::calendar::working_day(2)
}

/// The sign-in of a demo mediator.
pub fn email_of(mediator_id: &str) -> String {
    demo_mediators()
        .find(|(id, _, _)| id.to_string() == mediator_id)
        .map(|(_, _, email)| email)
        .expect("a demo mediator")
}

/// Run a script of tests/browser (Debian's chromium through playwright-core) with
/// `input` as its argument; its JSON answer.
pub async fn browser_script(script: &str, input: &Value) -> Value {
    let path = format!(
        "{}/../../tests/browser/{script}",
        env!("CARGO_MANIFEST_DIR")
    );
    // Chromium does not run with libfaketime preloaded (make test-at): the browser
    // keeps the real clock, and tests/browser/browser.mjs moves the pages' clock.
    let out = tokio::process::Command::new("node")
        .env_remove("LD_PRELOAD")
        .arg(path)
        .arg(input.to_string())
        .output()
        .await
        .expect("node (tests/browser: npm ci)");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{script}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
