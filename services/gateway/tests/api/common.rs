//! The whole system with the demo data, the demo accounts, and request bodies.
#![allow(dead_code)]

use mittler_testkit::http::ApiClient;
use mittler_testkit::{TestApp, TestEnv, TestSmtp};
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
    /// The mail sink, for tests that read mails ([`Api::start_with_mail`]).
    pub smtp: Option<TestSmtp>,
}

impl std::ops::Deref for Api {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.client
    }
}

impl Api {
    pub async fn start() -> Self {
        Self::launch(None).await
    }

    /// With a real SMTP sink that every mail goes to.
    pub async fn start_with_mail() -> Self {
        Self::launch(Some(TestSmtp::start().await.expect("mail sink"))).await
    }

    /// With the configuration changed first (e.g. `[auth]`).
    pub async fn start_configured(change: impl FnOnce(&mut mittler_platform::Config)) -> Self {
        Self::launch_with(None, change).await
    }

    async fn launch(smtp: Option<TestSmtp>) -> Self {
        Self::launch_with(smtp, |_| {}).await
    }

    async fn launch_with(
        smtp: Option<TestSmtp>,
        change: impl FnOnce(&mut mittler_platform::Config),
    ) -> Self {
        let env = TestEnv::start().await;
        mittler::seed_demo_data(&env.db.pool)
            .await
            .expect("demo data");
        let mut config = env.config();
        if let Some(smtp) = &smtp {
            smtp.configure(&mut config);
        }
        change(&mut config);
        let app = TestApp::spawn(config, mittler::run_on).await;
        let client = ApiClient::new(app.url(""));
        let api = Self {
            env,
            app,
            client,
            smtp,
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

    /// The secret of the newest set-password link mailed to `email` whose subject
    /// contains `subject`.
    pub async fn mailed_link(&self, email: &str, subject: &str) -> String {
        let smtp = self.smtp.as_ref().expect("started with mail");
        let mail = smtp.wait_for(email, subject).await;
        link_in(&mail.text)
    }

    /// Accept the invitation mailed to `email`: set `password` through its link.
    pub async fn accept_invitation(&self, email: &str, password: &str) {
        let smtp = self.smtp.as_ref().expect("started with mail");
        let mail = mittler_testkit::eventually(
            std::time::Duration::from_secs(20),
            "the invitation",
            || async {
                smtp.mails()
                    .await
                    .ok()?
                    .into_iter()
                    .find(|m| m.to.contains(email) && m.text.contains("/password/"))
            },
        )
        .await;
        let token = link_in(&mail.text);
        let (status, problem) = self
            .call(
                Method::POST,
                &format!("/api/v1/auth/password-reset/{token}"),
                None,
                Some(json!({"password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{problem}");
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

/// The secret of the set-password link in a mail's text (the last one if several).
pub fn link_in(text: &str) -> String {
    let start = text.rfind("/password/").expect("a set-password link") + "/password/".len();
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .expect("token")
        .to_owned()
}
