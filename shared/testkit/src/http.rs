//! One HTTP client for the tests of the public API: typed calls on the contract
//! types for what a test expects to succeed, and the raw answer (status and JSON)
//! for what it expects to be refused.

use mittler_contracts::booking::{BookingView, MediatorOffer, QueueItem};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The password of every demo account (the gateway's demo data).
pub const DEMO_PASSWORD: &str = "mittler-demo";

/// A client of one running instance.
#[derive(Clone, Debug)]
pub struct ApiClient {
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
}

impl ApiClient {
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.into().trim_end_matches('/').to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Any request; the status and the body (JSON, or the text as a JSON string).
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

    /// A request expected to succeed (2xx), its answer as `T`; panics with the
    /// problem otherwise.
    pub async fn expect<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&impl Serialize>,
    ) -> T {
        let body = body.map(|b| serde_json::to_value(b).expect("body serialises"));
        let (status, answer) = self.call(method.clone(), path, token, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {answer}");
        serde_json::from_value(answer.clone())
            .unwrap_or_else(|e| panic!("{method} {path}: {e} in {answer}"))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.expect(Method::GET, path, Some(token), None::<&()>)
            .await
    }

    /// Sign in with `password`; the bearer token.
    pub async fn login_with(&self, email: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(status, 200, "login of {email}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Sign in a demo account; the bearer token.
    pub async fn login(&self, email: &str) -> String {
        self.login_with(email, DEMO_PASSWORD).await
    }

    /// One booking, as its requester or a coordinator sees it.
    pub async fn booking(&self, token: &str, id: &str) -> BookingView {
        self.get(&format!("/api/v1/bookings/{id}"), token).await
    }

    /// The signed-in mediator's open offers.
    pub async fn offers(&self, token: &str) -> Vec<MediatorOffer> {
        self.get("/api/v1/offers", token).await
    }

    /// The coordinators' queue.
    pub async fn queue(&self, token: &str) -> Vec<QueueItem> {
        self.get("/api/v1/queue", token).await
    }
}
