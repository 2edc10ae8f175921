//! Peak memory of the whole system in one process while 40 sign-ins with wrong
//! passwords arrive at once: argon2 takes 19 MiB per check, so the checks at once
//! must be bounded (`auth.max_concurrent_password_checks`), whoever sends them.
//!
//! Two floods, each measured from a reset of the process's peak resident size
//! (`/proc/self/clear_refs`): one account from one address (most tries wait before
//! any check), and 40 accounts from 40 addresses behind a trusted proxy (every try
//! is checked: the worst case for memory).

use mittler_gateway::settings::AuthConfig;
use mittler_testkit::{TestApp, TestEnv};
use std::time::Instant;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn flood(app: &TestApp, label: &str, tries: Vec<(String, String)>) {
    // Start the peak anew (Linux: 5 resets VmHWM to the current resident size).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");
    let client = reqwest::Client::new();
    let started = Instant::now();
    let answers = futures::future::join_all(tries.into_iter().map(|(from, email)| {
        client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", from)
            .json(&serde_json::json!({"email": email, "password": "falsch-falsch-falsch"}))
            .send()
    }))
    .await;
    let elapsed = started.elapsed();
    let mut counts = std::collections::BTreeMap::new();
    for answer in answers {
        let status = answer.map(|r| r.status().as_u16()).unwrap_or(0);
        *counts.entry(status).or_insert(0) += 1;
    }
    let peak = status_kib("VmHWM:");
    println!(
        "{label}: rss before {:.0} MiB, peak {:.0} MiB (+{:.0} MiB), answers {counts:?}, {:.1} s",
        mib(before),
        mib(peak),
        mib(peak.saturating_sub(before)),
        elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let mut config = env.config();
    config.update::<AuthConfig>(|auth| auth.trusted_proxies = vec!["127.0.0.1".into()]);
    let app = TestApp::spawn(config, mittler::run_on).await;
    let checks = AuthConfig::default().max_concurrent_password_checks;
    println!("max_concurrent_password_checks = {checks}");
    flood(
        &app,
        "40 wrong sign-ins, one account, one address",
        (0..40)
            .map(|_| {
                (
                    "198.51.100.1".to_owned(),
                    "koordination@sprachmittlerpool-sachsen.example".to_owned(),
                )
            })
            .collect(),
    )
    .await;
    let n: usize = std::env::var("FLOOD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    flood(
        &app,
        &format!("{n} wrong sign-ins, {n} accounts, {n} addresses"),
        (0..n)
            .map(|n| {
                (
                    format!("198.51.100.{}", 10 + n),
                    format!("nobody{n}@example.org"),
                )
            })
            .collect(),
    )
    .await;
}
