//! Single sign-on against a real OpenID Connect provider started by the test: the
//! authorization code flow with PKCE, matching by subject and then by a verified
//! e-mail address, the role claim, and every way it can go wrong.

use crate::common::*;
use mittler_testkit::oidc::TestOidc;
use mittler_testkit::{TestApp, TestEnv};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

struct Sso {
    _env: TestEnv,
    app: TestApp,
    provider: TestOidc,
    http: reqwest::Client,
}

impl Sso {
    async fn start() -> Self {
        let provider = TestOidc::start().await.expect("OpenID provider");
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
                config.set_value("oidc.role_claim", "mittler_role");
            },
            mittler::run_on,
        )
        .await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            _env: env,
            app,
            provider,
            http,
        }
    }

    /// Sign in as `subject` at the provider; where Mittler sends the browser in the
    /// end, and the session cookie if it set one.
    async fn sign_in(&self, subject: &str) -> (String, Option<String>) {
        let start = self
            .http
            .get(self.app.url("/auth/oidc/login?next=/feed"))
            .send()
            .await
            .expect("start");
        assert_eq!(start.status(), StatusCode::SEE_OTHER);
        let authorize = location(&start);
        assert!(
            authorize.starts_with(&self.provider.issuer()),
            "{authorize}"
        );
        assert!(
            authorize.contains("code_challenge_method=S256"),
            "PKCE: {authorize}"
        );
        assert!(authorize.contains("nonce="));
        let form = self
            .http
            .post(&authorize)
            .form(&[("sub", subject)])
            .send()
            .await
            .expect("authorize");
        assert_eq!(
            form.status(),
            StatusCode::FOUND,
            "{}",
            form.text().await.unwrap_or_default()
        );
        let callback = location(&form);
        assert!(
            callback.starts_with(&self.app.url("/auth/oidc/callback")),
            "{callback}"
        );
        self.back(&callback).await
    }

    async fn back(&self, callback: &str) -> (String, Option<String>) {
        let back = self.http.get(callback).send().await.expect("callback");
        assert_eq!(back.status(), StatusCode::SEE_OTHER);
        let cookie = back
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        (location(&back), cookie)
    }

    async fn me(&self, cookie: &str) -> Value {
        self.http
            .get(self.app.url("/api/v1/me"))
            .header(COOKIE, cookie)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json")
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

#[tokio::test]
async fn people_sign_in_through_the_issuer_by_subject_then_verified_address() {
    let sso = Sso::start().await;
    // The login page offers it.
    let page = sso
        .http
        .get(sso.app.url("/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    assert!(page.contains("/auth/oidc/login"), "{page}");

    // First time: the verified address finds the account, which keeps the subject.
    sso.provider
        .set_user(
            "kc-4711",
            json!({"email": REQUESTER_ABH, "email_verified": true, "name": "Sabine Neumann"}),
        )
        .await
        .expect("claims");
    let (next, cookie) = sso.sign_in("kc-4711").await;
    assert_eq!(next, "/feed");
    let me = sso.me(&cookie.expect("a session")).await;
    assert_eq!(me["email"], REQUESTER_ABH);
    assert_eq!(me["role"], "requester");

    // Later the subject alone finds it, whatever address the issuer has now.
    sso.provider
        .set_user(
            "kc-4711",
            json!({"email": "neu@anderswo.example", "email_verified": true}),
        )
        .await
        .expect("claims");
    let (_, cookie) = sso.sign_in("kc-4711").await;
    assert_eq!(
        sso.me(&cookie.expect("a session")).await["email"],
        REQUESTER_ABH
    );

    // An unverified address, or one without an account: nobody is signed in.
    sso.provider
        .set_user(
            "kc-unverified",
            json!({"email": REQUESTER_JOBCENTER, "email_verified": false}),
        )
        .await
        .expect("claims");
    sso.provider
        .set_user(
            "kc-stranger",
            json!({"email": "fremd@example.org", "email_verified": true}),
        )
        .await
        .expect("claims");
    for subject in ["kc-unverified", "kc-stranger"] {
        let (next, cookie) = sso.sign_in(subject).await;
        assert_eq!(next, "/login?sso=no_account", "{subject}");
        assert!(cookie.is_none());
    }
    // A second subject cannot take over an account that has one.
    sso.provider
        .set_user(
            "kc-other",
            json!({"email": REQUESTER_ABH, "email_verified": true}),
        )
        .await
        .expect("claims");
    assert_eq!(sso.sign_in("kc-other").await.0, "/login?sso=no_account");

    // The issuer's answer is taken once: a replayed or forged callback signs nobody in.
    let start = sso
        .http
        .get(sso.app.url("/auth/oidc/login"))
        .send()
        .await
        .expect("start");
    let authorize = location(&start);
    let form = sso
        .http
        .post(&authorize)
        .form(&[("sub", "kc-4711")])
        .send()
        .await
        .expect("authorize");
    let callback = location(&form);
    assert!(sso.back(&callback).await.1.is_some());
    let (next, cookie) = sso.back(&callback).await;
    assert_eq!(next, "/login?sso=expired");
    assert!(cookie.is_none());
    let forged = sso
        .back(&sso.app.url("/auth/oidc/callback?code=abc&state=made-up"))
        .await;
    assert_eq!(forged.0, "/login?sso=expired");
    let denied = sso
        .back(&sso.app.url("/auth/oidc/callback?error=access_denied"))
        .await;
    assert_eq!(denied.0, "/login?sso=refused");
}

#[tokio::test]
async fn the_role_claim_sets_a_role_the_organisation_allows() {
    let sso = Sso::start().await;
    // A coordinator of the pool whom the issuer names admin becomes one.
    sso.provider
        .set_user(
            "kc-koordination",
            json!({"email": COORDINATOR, "email_verified": true, "mittler_role": "admin"}),
        )
        .await
        .expect("claims");
    let (_, cookie) = sso.sign_in("kc-koordination").await;
    assert_eq!(sso.me(&cookie.expect("a session")).await["role"], "admin");
    // A requester of an authority cannot be made a coordinator by a claim.
    sso.provider
        .set_user(
            "kc-abh",
            json!({"email": REQUESTER_ABH, "email_verified": true, "mittler_role": "coordinator"}),
        )
        .await
        .expect("claims");
    let (_, cookie) = sso.sign_in("kc-abh").await;
    assert_eq!(
        sso.me(&cookie.expect("a session")).await["role"],
        "requester"
    );
}
