//! Operator endpoints of the gateway, against real NATS and Postgres.

use mittler_testkit::{TestApp, TestEnv, eventually};
use std::time::Duration;

#[tokio::test]
async fn readyz_follows_nats_going_away_and_coming_back() {
    let mut env = TestEnv::start().await;
    let app = TestApp::spawn(env.config(), mittler_gateway::run_on).await;
    let http = reqwest::Client::new();

    let health = http.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = http.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["checks"]["nats"], "ok");
    assert_eq!(body["checks"]["postgres"], "ok");

    env.nats.kill();
    let body = eventually(Duration::from_secs(15), "readyz says 503", || async {
        let response = http.get(app.url("/readyz")).send().await.ok()?;
        (response.status() == 503).then_some(())?;
        response.json::<serde_json::Value>().await.ok()
    })
    .await;
    assert_eq!(body["checks"]["nats"], "unavailable");
    assert_eq!(body["checks"]["postgres"], "ok");
    // Liveness does not depend on NATS.
    assert_eq!(
        http.get(app.url("/healthz"))
            .send()
            .await
            .expect("healthz")
            .status(),
        200
    );

    env.nats.restart().await.expect("NATS back");
    eventually(Duration::from_secs(30), "readyz says 200 again", || async {
        let response = http.get(app.url("/readyz")).send().await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn requests_get_an_id_unknown_paths_get_problem_json_and_metrics_count_them() {
    let env = TestEnv::start().await;
    let app = TestApp::spawn(env.config(), mittler_gateway::run_on).await;
    let http = reqwest::Client::new();

    let echoed = http
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("healthz");
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
    let fresh = http.get(app.url("/healthz")).send().await.expect("healthz");
    assert!(
        !fresh.headers()["x-request-id"].is_empty(),
        "a request id is made when none is sent"
    );

    let missing = http
        .get(app.url("/no/such/page"))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = missing.json().await.expect("json");
    assert_eq!(problem["status"], 404);
    assert!(
        problem["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/not-found"))
    );
    assert!(problem["request_id"].is_string());

    let start = http.get(app.url("/")).send().await.expect("start page");
    assert_eq!(start.status(), 200);
    assert!(
        start
            .text()
            .await
            .expect("text")
            .contains("<h1>Mittler</h1>")
    );

    let metrics = http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    app.stop().await.expect("clean stop");
}
