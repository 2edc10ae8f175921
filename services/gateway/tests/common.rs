//! The whole system with the demo data, and a small HTTP client for API tests.
#![allow(dead_code)]

use mittler_gateway::seed::DEMO_PASSWORD;
use mittler_testkit::{TestApp, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const REQUESTER_ABH: &str = "abh@erzgebirgskreis.example";
pub const REQUESTER_ABH_2: &str = "abh2@erzgebirgskreis.example";
pub const REQUESTER_JOBCENTER: &str = "team@jobcenter-chemnitz.example";
pub const COORDINATOR: &str = "koordination@sprachmittlerpool-sachsen.example";
pub const ADMIN: &str = "admin@sprachmittlerpool-sachsen.example";
pub const MEDIATOR: &str = "olena.kovalenko@mittler-demo.example";

#[derive(Debug)]
pub struct Api {
    pub env: TestEnv,
    pub app: TestApp,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn start() -> Self {
        let env = TestEnv::start().await;
        mittler::seed_demo_data(&env.db.pool)
            .await
            .expect("demo data");
        let app = TestApp::spawn(env.config(), mittler::run_on).await;
        let api = Self {
            env,
            app,
            http: reqwest::Client::new(),
        };
        // The booking service may still be subscribing: wait until it answers.
        let token = api.login(REQUESTER_ABH).await;
        mittler_testkit::eventually(
            std::time::Duration::from_secs(10),
            "booking service answers",
            || async {
                let (status, _) = api
                    .call(Method::GET, "/api/v1/bookings", Some(&token), None)
                    .await;
                (status == StatusCode::OK).then_some(())
            },
        )
        .await;
        api
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    /// Sign in and return the bearer token.
    pub async fn login(&self, email: &str) -> String {
        let response = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": DEMO_PASSWORD}))
            .send()
            .await
            .expect("login request");
        assert_eq!(response.status(), 200, "login of {email}");
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
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

    pub async fn book(&self, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, "/api/v1/bookings", Some(token), Some(body))
            .await
    }
}

/// A valid video booking body, `days` ahead at 09:30 Berlin time.
pub fn booking_body(days: i64) -> Value {
    let date = mittler_testkit::calendar::today() + chrono::Duration::days(days);
    json!({
        "language": "uk",
        "modality": "video",
        "local_start": format!("{date}T09:30"),
        "duration_minutes": 60,
        "subject_area": "social_benefits",
        "min_qualification": "trained",
        "client": {"reference": "BG-4711", "language": "uk"}
    })
}

pub fn field_errors(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[allow(unused_imports)] // each test binary uses some of them
pub use mittler_testkit::calendar::{midnight, month_of, query_instant, working_day};

pub fn email_of(mediator_id: &str) -> String {
    mittler_gateway::seed::demo_mediators()
        .find(|(id, _, _)| id.to_string() == mediator_id)
        .map(|(_, _, email)| email)
        .expect("a demo mediator")
}
