//! The whole system with the demo data, the demo accounts, and request bodies.
#![allow(dead_code)]

use mittler_testkit::http::ApiClient;
use mittler_testkit::{TestApp, TestEnv};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const REQUESTER_ABH: &str = "abh@erzgebirgskreis.example";
pub const REQUESTER_ABH_2: &str = "abh2@erzgebirgskreis.example";
pub const REQUESTER_JOBCENTER: &str = "team@jobcenter-chemnitz.example";
pub const COORDINATOR: &str = "koordination@sprachmittlerpool-sachsen.example";
pub const ADMIN: &str = "admin@sprachmittlerpool-sachsen.example";
pub const MEDIATOR: &str = "olena.kovalenko@mittler-demo.example";

/// The whole system with the demo data, and a client of its API.
#[derive(Debug)]
pub struct Api {
    pub env: TestEnv,
    pub app: TestApp,
    pub client: ApiClient,
}

impl std::ops::Deref for Api {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.client
    }
}

impl Api {
    pub async fn start() -> Self {
        let env = TestEnv::start().await;
        mittler::seed_demo_data(&env.db.pool)
            .await
            .expect("demo data");
        let app = TestApp::spawn(env.config(), mittler::run_on).await;
        let client = ApiClient::new(app.url(""));
        let api = Self { env, app, client };
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

    pub async fn book(&self, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, "/api/v1/bookings", Some(token), Some(body))
            .await
    }
}

#[test]
fn the_test_client_signs_in_with_the_demo_password() {
    assert_eq!(
        mittler_testkit::http::DEMO_PASSWORD,
        mittler_gateway::seed::DEMO_PASSWORD
    );
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
