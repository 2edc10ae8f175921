//! A forgotten password on a phone, in Debian's chromium: the reset link from the
//! real mail sink, a refused common password, the new one, the sign-in with it and
//! a change on the profile page; axe-core finds no serious or critical violation.
//! `MITTLER_SCREENSHOTS=docs/screenshots` keeps a picture of each page.

use crate::common::*;
use mittler_testkit::{TestApp, TestEnv, TestSmtp};
use serde_json::{Value, json};

#[tokio::test]
async fn a_mediator_resets_and_changes_their_password_on_a_phone() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let smtp = TestSmtp::start().await.expect("mail sink");
    let mut config = env.config();
    smtp.configure(&mut config);
    let app = TestApp::spawn(config, mittler::run_on).await;
    let screenshots = std::env::var("MITTLER_SCREENSHOTS").ok().map(|dir| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(dir);
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        dir.display().to_string()
    });
    let email = "olena.kovalenko@mittler-demo.example";
    let input = json!({
        "base": app.url(""),
        "mails": format!("http://127.0.0.1:{}", smtp.http_port),
        "email": email,
        "screenshots": screenshots,
    });
    let result = browser_script("account.mjs", &input).await;
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["errors"], json!([]), "script errors: {result:#}");
    for (page, violations) in result["axe"].as_object().expect("axe results") {
        let bad: Vec<&Value> = violations
            .as_array()
            .expect("violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(bad.is_empty(), "{page}: {bad:#?}");
    }
    assert_eq!(result["axe"].as_object().map(|a| a.len()), Some(3));
    assert!(
        result["reset_toast"]
            .as_str()
            .is_some_and(|t| t.contains("Wenn es zu der Adresse einen Zugang gibt")),
        "{result:#}"
    );
    assert_eq!(result["set_heading"], "Passwort festlegen");
    assert!(
        result["set_lead"]
            .as_str()
            .is_some_and(|t| t.contains("Olena Kovalenko"))
    );
    assert!(
        result["weak_refused"]
            .as_str()
            .is_some_and(|t| t.contains("Zu leicht zu erraten")),
        "{result:#}"
    );
    assert_eq!(result["signed_in_at"], "/offers");
    assert_eq!(result["after_change"], "Ihr Passwort ist geändert.");

    // The last password is the one that signs in.
    let client = mittler_testkit::http::ApiClient::new(app.url(""));
    client.login_with(email, "Morgennebel-im-Zwönitztal").await;
}
