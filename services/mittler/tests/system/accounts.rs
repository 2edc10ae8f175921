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
    let screenshots = screenshot_dir();
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
    assert_accessible(&result);
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

/// Run `mittler create-admin` against `database`, the password on standard input.
async fn create_admin(database: &str, args: &[&str], password: &str) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mittler"))
        .arg("create-admin")
        .args(args)
        .env("MITTLER__DATABASE__URL", database)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("mittler");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{password}\n").as_bytes())
        .await
        .expect("password");
    drop(stdin);
    child.wait_with_output().await.expect("output")
}

#[tokio::test]
async fn the_first_admin_of_an_empty_installation_is_made_from_the_command_line() {
    let env = TestEnv::start().await;
    let database = env.db.url.clone();
    let args = [
        "--email",
        "it@landesamt.example",
        "--name",
        "Anna Admin",
        "--pool",
        "Landespool Sachsen",
    ];
    // A password that is easy to guess is refused, and nothing is made.
    let refused = create_admin(&database, &args, "passwort1234").await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not acceptable"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let made = create_admin(&database, &args, "Schneeflocken-über-Oberwiesenthal").await;
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // The same address again is refused.
    let again = create_admin(&database, &args, "Schneeflocken-über-Oberwiesenthal").await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // The admin signs in, and creates the pool's first organisation.
    let app = TestApp::spawn(env.config(), mittler::run_on).await;
    let client = mittler_testkit::http::ApiClient::new(app.url(""));
    let token = client
        .login_with("it@landesamt.example", "Schneeflocken-über-Oberwiesenthal")
        .await;
    let me: Value = client.get("/api/v1/me", &token).await;
    assert_eq!(me["role"], "admin");
    let pools: Vec<Value> = client.get("/api/v1/organisations", &token).await;
    assert_eq!(pools.len(), 1, "only the admin's pool; no demo data");
    assert_eq!(pools[0]["name"], "Landespool Sachsen");
    assert_eq!(pools[0]["kind"], "pool");
}

#[tokio::test]
async fn a_coordinator_signs_in_through_the_issuer_in_the_browser() {
    let provider = mittler_testkit::oidc::TestOidc::start()
        .await
        .expect("OpenID provider");
    provider
        .set_user(
            "kc-katrin",
            json!({"email": "koordination@sprachmittlerpool-sachsen.example", "email_verified": true}),
        )
        .await
        .expect("claims");
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let issuer = provider.issuer();
    let app = TestApp::spawn_knowing_url(
        env.config(),
        |config, url| {
            config.set_value("oidc.issuer_url", issuer.as_str());
            config.set_value("oidc.client_id", "mittler");
            config.set_value("oidc.client_secret", "geheim");
            config.set_value("oidc.public_url", url);
            config.set_value("oidc.label", "Mit dem Landeskonto anmelden");
        },
        mittler::run_on,
    )
    .await;
    let screenshots = screenshot_dir();
    let input = json!({"base": app.url(""), "subject": "kc-katrin", "screenshots": screenshots});
    let result = browser_script("sso.mjs", &input).await;
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["errors"], json!([]), "{result:#}");
    assert_accessible(&result);
    assert_eq!(result["button"], "Mit dem Landeskonto anmelden");
    assert_eq!(result["at_issuer"], "/oauth2/authorize");
    assert_eq!(result["landed"], "/feed");
    assert!(
        result["who"]
            .as_str()
            .is_some_and(|w| w.starts_with("Katrin Lehmann")),
        "{result:#}"
    );
}
