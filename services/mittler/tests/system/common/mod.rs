//! The demo data's people, the test kit's API client, and the browser scripts, for
//! the whole-system tests.
#![allow(dead_code)]

use mittler_gateway::seed::demo_mediators;
pub use mittler_testkit::http::ApiClient as Client;

use serde_json::Value;

pub const REQUESTER: &str = "team@jobcenter-chemnitz.example";
pub const COORDINATOR: &str = "koordination@sprachmittlerpool-sachsen.example";

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

/// The folder `MITTLER_SCREENSHOTS` names (relative to the repository), made if
/// missing; none when pictures are not wanted.
pub fn screenshot_dir() -> Option<String> {
    std::env::var("MITTLER_SCREENSHOTS").ok().map(|dir| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir);
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        dir.display().to_string()
    })
}

/// axe-core found no serious or critical violation on any page a script checked.
pub fn assert_accessible(result: &Value) {
    for (page, violations) in result["axe"].as_object().expect("axe results") {
        let bad: Vec<&Value> = violations
            .as_array()
            .expect("violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(bad.is_empty(), "{page}: {bad:#?}");
    }
}

/// The whole system with the demo data, once every service answers: the test
/// environment (keep it alive), the running process and a client of its API.
pub async fn demo_system() -> (mittler_testkit::TestEnv, mittler_testkit::TestApp, Client) {
    let env = mittler_testkit::TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let app = mittler_testkit::TestApp::spawn(env.config(), mittler::run_on).await;
    let api = Client::new(app.url(""));
    let requester = api.login(REQUESTER).await;
    mittler_testkit::eventually(
        std::time::Duration::from_secs(10),
        "booking answers",
        || async {
            let (status, _) = api
                .call(
                    reqwest::Method::GET,
                    "/api/v1/bookings",
                    Some(&requester),
                    None,
                )
                .await;
            (status == reqwest::StatusCode::OK).then_some(())
        },
    )
    .await;
    (env, app, api)
}
