//! Sign-in, sessions and tokens, CSRF, rate limiting.

use crate::common::*;
use mittler_gateway::seed::DEMO_PASSWORD;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn login_gives_a_cookie_session_and_a_bearer_token_and_logout_ends_them() {
    let api = Api::start().await;
    let response = api
        .http
        .post(api.url("/api/v1/auth/login"))
        .json(&json!({"email": "ABH@Erzgebirgskreis.example", "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let cookie = response.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("mittler_session="));
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let session = cookie.split(';').next().expect("pair").to_owned();
    let body: Value = response.json().await.expect("json");
    let token = body["token"].as_str().expect("token").to_owned();
    let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
    assert_eq!(body["user"]["role"], "requester");
    assert_eq!(body["user"]["email"], "abh@erzgebirgskreis.example");

    let (status, me) = api
        .call(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    for key in ["id", "email", "name", "role", "organisation_id", "locale"] {
        assert!(me.get(key).is_some(), "me lacks {key}");
    }
    let by_cookie = api
        .http
        .get(api.url("/api/v1/me"))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("me");
    assert_eq!(by_cookie.status(), 200);

    // A cookie-authenticated unsafe request needs the CSRF token.
    let forged = api
        .http
        .post(api.url("/api/v1/auth/logout"))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("logout");
    assert_eq!(forged.status(), 403);
    let wrong = api
        .http
        .post(api.url("/api/v1/auth/logout"))
        .header(COOKIE, &session)
        .header("x-csrf-token", "guess")
        .send()
        .await
        .expect("logout");
    assert_eq!(wrong.status(), 403);
    let logout = api
        .http
        .post(api.url("/api/v1/auth/logout"))
        .header(COOKIE, &session)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 204);
    assert!(
        logout.headers()[SET_COOKIE]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    let after = api
        .http
        .get(api.url("/api/v1/me"))
        .header(COOKIE, &session)
        .send()
        .await
        .expect("me");
    assert_eq!(after.status(), 401);

    // The token came with the same sign-in: the logout ended it too.
    assert_eq!(
        api.call(Method::GET, "/api/v1/me", Some(&token), None)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn mediators_see_their_profile_id() {
    let api = Api::start().await;
    let token = api.login(MEDIATOR).await;
    let (status, me) = api
        .call(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "mediator");
    assert!(me["mediator_id"].is_string());
}

#[tokio::test]
async fn bad_sign_ins_are_refused_clearly_and_then_limited() {
    let api = Api::start().await;
    let login = |body: Value| {
        let request = api.http.post(api.url("/api/v1/auth/login")).json(&body);
        async move {
            let response = request.send().await.expect("login");
            let status = response.status();
            let retry = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().expect("ascii").to_owned());
            let problem: Value = response.json().await.unwrap_or(Value::Null);
            (status, problem, retry)
        }
    };
    let (status, problem, _) = login(json!({"email": COORDINATOR, "password": "wrong"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        problem["type"]
            .as_str()
            .expect("type")
            .ends_with("/invalid-credentials")
    );
    let (status, _, _) = login(json!({"email": "nobody@nowhere.example", "password": "x"})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "unknown e-mail looks the same"
    );
    let (status, problem, _) = login(json!({"email": "", "password": ""})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["email", "password"]);
    let (status, problem, _) = login(json!({"email": COORDINATOR})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["password"]);

    let raw = api
        .http
        .post(api.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .expect("login");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let text = api
        .http
        .post(api.url("/api/v1/auth/login"))
        .body("email=a")
        .send()
        .await
        .expect("login");
    assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(text.headers()["content-type"], "application/problem+json");

    // Four more failures make five of this account from this address: then even the
    // right password waits a moment, longer after each further failure.
    for _ in 0..4 {
        assert_eq!(
            login(json!({"email": COORDINATOR, "password": "wrong"}))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, problem, retry) =
        login(json!({"email": COORDINATOR, "password": DEMO_PASSWORD})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert_eq!(
        problem["type"]
            .as_str()
            .map(|t| t.ends_with("/too-many-attempts")),
        Some(true)
    );
    let wait: u64 = retry
        .as_deref()
        .and_then(|r| r.parse().ok())
        .expect("retry-after");
    assert!((1..=2).contains(&wait), "{wait}");
    // Not a lock: after the wait, the right password works.
    tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 200)).await;
    let (status, _, _) = login(json!({"email": COORDINATOR, "password": DEMO_PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
    // Other accounts are not affected.
    api.login(ADMIN).await;
}

#[tokio::test]
async fn protected_endpoints_need_a_valid_session() {
    let api = Api::start().await;
    for (method, path) in [
        (Method::GET, "/api/v1/me"),
        (Method::GET, "/api/v1/bookings"),
        (Method::POST, "/api/v1/bookings"),
        (
            Method::GET,
            "/api/v1/bookings/0195f0c2-0000-7000-8000-000000000000",
        ),
        (
            Method::POST,
            "/api/v1/bookings/0195f0c2-0000-7000-8000-000000000000/cancel",
        ),
        (Method::POST, "/api/v1/auth/logout"),
        (Method::GET, "/api/v1/organisations"),
    ] {
        let (status, problem) = api.call(method.clone(), path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(problem["status"], 401);
        let (status, _) = api
            .call(method.clone(), path, Some("forged-token"), None)
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a forged token"
        );
    }
}

#[tokio::test]
async fn a_nul_or_another_control_character_is_a_problem_not_a_server_error() {
    let api = Api::start().await;
    let (status, problem) = api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "abh@erzgebirgskreis.example\u{0}", "password": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["email"]);
    let requester = api.login(REQUESTER_JOBCENTER).await;
    let mut body = booking_body(3);
    body["notes"] = json!("bitte klingeln\u{0}");
    let (status, problem) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["notes"]);
    // A line break in notes is fine.
    let mut body = booking_body(3);
    body["notes"] = json!("bitte klingeln,\r\nZimmer 2.14");
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
}

#[tokio::test]
async fn sign_ins_are_limited_per_account_and_address_behind_a_trusted_proxy() {
    let api = Api::start_configured(|config| {
        config.update::<mittler_gateway::settings::AuthConfig>(|auth| {
            auth.trusted_proxies = vec!["127.0.0.1".into()];
        });
    })
    .await;
    let login = |from: &'static str, password: &'static str| {
        let request = api
            .http
            .post(api.url("/api/v1/auth/login"))
            .header("x-forwarded-for", format!("192.0.2.99, {from}"))
            .json(&json!({"email": COORDINATOR, "password": password}));
        async move { request.send().await.expect("login").status() }
    };
    // Forty wrong passwords at once from one client: each is counted before any is
    // checked, so only the first five are checked at all and the rest wait.
    let answers = futures::future::join_all((0..40).map(|_| login("198.51.100.1", "wrong"))).await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let waited = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + waited, 40, "{answers:?}");
    assert!(checked <= 5, "{answers:?}");
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM directory.login_attempts WHERE client_ip = '198.51.100.1' AND NOT succeeded",
    )
    .fetch_one(&api.env.db.pool)
    .await
    .expect("count");
    assert_eq!(recorded as usize, checked, "only checked tries count");
    // The same account from another client behind the proxy is not held back, and
    // the address the client itself wrote further left is not believed.
    for _ in checked..5 {
        assert_eq!(
            login("198.51.100.1", "wrong").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login("198.51.100.1", DEMO_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login("198.51.100.2", DEMO_PASSWORD).await, StatusCode::OK);
    // An IPv6 client counts by its /64.
    for from in ["2001:db8:1:2::1", "2001:db8:1:2::ffff"] {
        assert_eq!(login(from, "wrong").await, StatusCode::UNAUTHORIZED);
    }
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT client_ip FROM directory.login_attempts WHERE client_ip LIKE '2001:%'",
    )
    .fetch_all(&api.env.db.pool)
    .await
    .expect("keys");
    assert_eq!(keys, ["2001:db8:1:2::/64"]);
}

#[tokio::test]
async fn people_list_and_end_their_sign_ins_and_open_streams_end_with_them() {
    let api = Api::start().await;
    let first = api.login(REQUESTER_JOBCENTER).await;
    let second = api.login(REQUESTER_JOBCENTER).await;
    let (status, listed) = api
        .call(Method::GET, "/api/v1/auth/sign-ins", Some(&second), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed = listed.as_array().expect("list").clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["current"], true, "newest first: {listed:?}");
    assert_eq!(listed[0]["kinds"], json!(["bearer", "cookie"]));
    assert_eq!(listed[1]["current"], false);
    // Someone else's sign-ins are neither listed nor endable.
    let other = api.login(REQUESTER_ABH).await;
    let first_id = listed[1]["id"].as_str().expect("id").to_owned();
    let (_, theirs) = api
        .call(Method::GET, "/api/v1/auth/sign-ins", Some(&other), None)
        .await;
    assert!(
        !theirs.to_string().contains(&first_id)
            && !theirs
                .to_string()
                .contains(listed[0]["id"].as_str().expect("id")),
        "{theirs}"
    );
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sign-ins/{first_id}"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An event stream opened with the first sign-in ends when it is ended elsewhere.
    let stream = api
        .http
        .get(api.url("/api/v1/notifications/events"))
        .bearer_auth(&first)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/sign-ins/end-others",
            Some(&second),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.call(Method::GET, "/api/v1/me", Some(&first), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.call(Method::GET, "/api/v1/me", Some(&second), None)
            .await
            .0,
        StatusCode::OK
    );
    let ended = tokio::time::timeout(std::time::Duration::from_secs(15), stream.bytes())
        .await
        .expect("the stream ends within a few seconds");
    assert!(ended.is_ok(), "{ended:?}");
    // Ending one's own sign-in by its id works like a logout.
    let (_, listed) = api
        .call(Method::GET, "/api/v1/auth/sign-ins", Some(&second), None)
        .await;
    let id = listed[0]["id"].as_str().expect("id").to_owned();
    let (status, _) = api
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sign-ins/{id}"),
            Some(&second),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.call(Method::GET, "/api/v1/me", Some(&second), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}
