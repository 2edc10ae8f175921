//! The web UI's pages at the HTTP level: sign-in redirects, roles, the language
//! switch (and that it only follows local paths), the CSRF token in the page, and
//! API problems in German when asked.

use crate::common::*;
use mittler_gateway::seed::DEMO_PASSWORD;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Sign in as a browser does: the session cookie and the CSRF token.
pub async fn browser_login(api: &Api, email: &str) -> (String, String) {
    let response = api
        .http
        .post(api.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("login");
    let cookie = response.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    (
        cookie,
        body["csrf_token"].as_str().expect("csrf").to_owned(),
    )
}

#[tokio::test]
async fn pages_need_a_browser_session_and_respect_roles_and_language() {
    let api = Api::start().await;
    let http = no_redirects();

    // Not signed in: to the sign-in page, which comes back here afterwards.
    let response = http.get(api.url("/queue")).send().await.expect("queue");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/login?next=/queue");
    let response = http.get(api.url("/")).send().await.expect("home");
    assert_eq!(response.headers()[LOCATION], "/login");
    // A bearer token is for the API, not for pages.
    let token = api.login(REQUESTER_ABH).await;
    let response = http
        .get(api.url("/bookings"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("bookings");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // A requester: home is the bookings; the queue is refused with a page.
    let (cookie, csrf) = browser_login(&api, REQUESTER_ABH).await;
    let get = |path: &str, extra: Option<&str>| {
        let cookies = match extra {
            Some(more) => format!("{cookie}; {more}"),
            None => cookie.clone(),
        };
        http.get(api.url(path)).header(COOKIE, cookies).send()
    };
    let response = get("/", None).await.expect("home");
    assert_eq!(response.headers()[LOCATION], "/bookings");
    let response = get("/queue", None).await.expect("queue");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = response.text().await.expect("html");
    assert!(page.contains("Berechtigung"), "{page}");
    let page = get("/bookings/new", None)
        .await
        .expect("form")
        .text()
        .await
        .expect("html");
    assert!(page.contains(r#"<html lang="de">"#));
    assert!(page.contains(&format!(r#"<meta name="csrf-token" content="{csrf}">"#)));
    assert!(page.contains("Verbindlich buchen"));
    // The office's own site fills the place of an on-site booking.
    assert!(page.contains("09456"), "the organisation's postal code");

    // The switch to English sets a cookie and goes back; only local paths are followed.
    let response = get("/lang/en?next=/bookings/new", None)
        .await
        .expect("switch");
    assert_eq!(response.headers()[LOCATION], "/bookings/new");
    let set = response.headers()[SET_COOKIE].to_str().expect("ascii");
    assert!(set.starts_with("mittler_lang=en;"), "{set}");
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        // A tab or a line break, which browsers drop: `//evil.example`.
        "/%09/evil.example",
        "/%0a/evil.example",
        // A line break would not even fit into the header (it answered 500).
        "/bookings%0d%0aSet-Cookie:%20x=1",
    ] {
        let response = get(&format!("/lang/en?next={evil}"), None)
            .await
            .expect("switch");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{evil}");
        assert_eq!(response.headers()[LOCATION], "/", "{evil}");
        let response = get(&format!("/login?next={evil}"), None)
            .await
            .expect("login page");
        let page = response.text().await.expect("page");
        assert!(
            !page.contains("evil.example") && !page.contains("Set-Cookie"),
            "{evil}: {page}"
        );
    }
    let page = get("/bookings/new", Some("mittler_lang=en"))
        .await
        .expect("form")
        .text()
        .await
        .expect("html");
    assert!(page.contains(r#"<html lang="en">"#) && page.contains(">Book<"));

    // Mediators land on their offers; their pages refuse coordinators' work.
    let (mediator, _) = browser_login(&api, MEDIATOR).await;
    let response = http
        .get(api.url("/"))
        .header(COOKIE, &mediator)
        .send()
        .await
        .expect("home");
    assert_eq!(response.headers()[LOCATION], "/offers");
    let response = http
        .get(api.url("/statistics"))
        .header(COOKIE, &mediator)
        .send()
        .await
        .expect("statistics");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = http
        .get(api.url("/bookings/not-a-booking"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("detail");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn problems_come_in_german_when_asked() {
    let api = Api::start().await;
    let wrong = json!({"email": REQUESTER_ABH, "password": "not the password"});
    let response = api
        .http
        .post(api.url("/api/v1/auth/login"))
        .header(ACCEPT_LANGUAGE, "de-DE,de;q=0.9,en;q=0.5")
        .json(&wrong)
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()[CONTENT_LANGUAGE], "de");
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["title"], "Anmeldung fehlgeschlagen");
    assert_eq!(
        problem["detail"],
        "E-Mail-Adresse oder Passwort ist falsch."
    );
    assert_eq!(problem["status"], 401);

    // Field messages too, with their varying parts; English stays English.
    let token = api.login(REQUESTER_ABH).await;
    let mut body = booking_body(3);
    body["language"] = json!("xx");
    for (language, expected) in [
        ("de", "„xx“ ist kein Sprachcode nach ISO 639."),
        ("en", "'xx' is not an ISO 639 language code"),
    ] {
        let response = api
            .http
            .post(api.url("/api/v1/bookings"))
            .bearer_auth(&token)
            .header(ACCEPT_LANGUAGE, language)
            .json(&body)
            .send()
            .await
            .expect("book");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: Value = response.json().await.expect("json");
        let message = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .find(|e| e["field"] == "language")
            .map(|e| e["message"].clone())
            .expect("a language error");
        assert_eq!(message, expected, "{problem}");
    }
}

#[tokio::test]
async fn an_address_nobody_serves_is_a_page_for_browsers_and_a_problem_for_programs() {
    let api = Api::start().await;
    let http = no_redirects();
    let page = http
        .get(api.url("/nirgendwo"))
        .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let text = page.text().await.expect("body");
    assert!(text.contains("Diese Seite gibt es nicht (mehr)."), "{text}");
    assert!(text.contains(r#"href="/""#), "a way back: {text}");
    for (path, accept) in [
        ("/nirgendwo", "application/json"),
        ("/api/v1/nirgendwo", "text/html"),
    ] {
        let problem = http
            .get(api.url(path))
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .expect("problem");
        assert_eq!(problem.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            problem.headers()[reqwest::header::CONTENT_TYPE],
            "application/problem+json",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_booking_nobody_can_take_says_so_and_assigning_someone_left_out_asks_first() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    // 21:00 lies outside every demo mediator's hours.
    let mut body = booking_body(3);
    body["local_start"] = json!(format!("{}T21:00", working_day(2)));
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "handed to the coordinators",
        || async {
            let booking = api.booking(&requester, &id).await;
            booking.escalated_at.map(|_| ())
        },
    )
    .await;
    let http = no_redirects();
    let page = |cookie: String| {
        let http = http.clone();
        let url = api.url(&format!("/bookings/{id}"));
        async move {
            http.get(url)
                .header(COOKIE, cookie)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    let (cookie, _) = browser_login(&api, REQUESTER_ABH).await;
    let seen = page(cookie).await;
    assert!(
        seen.contains("Bisher hat keine Sprachmittlung zugesagt"),
        "{seen}"
    );
    let (cookie, _) = browser_login(&api, COORDINATOR).await;
    let seen = page(cookie).await;
    assert!(seen.contains("Die Vermittlung hat niemanden gefunden"));
    assert!(
        seen.contains("data-confirm=\"Die Vermittlung hat diese Person ausgeschlossen: "),
        "assigning someone left out asks first: {seen}"
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_pages_need_no_inline_code() {
    let api = Api::start().await;
    let http = no_redirects();
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    for path in [
        "/login",
        "/api/v1/me",
        "/api/openapi.json",
        "/assets/app.css",
        "/nowhere",
    ] {
        let response = http.get(api.url(path)).send().await.expect("answer");
        let policy = header(&response, "content-security-policy");
        assert!(policy.contains("script-src 'self';"), "{path}: {policy}");
        assert!(policy.contains("style-src 'self';"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header(&response, "referrer-policy"),
            "same-origin",
            "{path}"
        );
    }
    // The pages themselves hold no inline script or style the policy would refuse.
    let (cookie, _) = browser_login(&api, COORDINATOR).await;
    for path in [
        "/login",
        "/queue",
        "/statistics",
        "/people",
        "/organisations",
    ] {
        let page = http
            .get(api.url(path))
            .header(COOKIE, &cookie)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(
            !page.contains("<script>") && !page.contains("<style"),
            "{path}"
        );
        assert!(
            !page.contains(" style=") && !page.contains(" onclick="),
            "{path}"
        );
    }
    // The video room: its own policy (media, a Janus server elsewhere), no referrer.
    let response = http
        .get(api.url("/room/some-token"))
        .send()
        .await
        .expect("room");
    let policy = header(&response, "content-security-policy");
    assert!(
        policy.contains("media-src 'self' blob: mediastream:"),
        "{policy}"
    );
    assert!(
        policy.contains("script-src 'self';") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    let room = response.text().await.expect("html");
    assert!(
        !room.contains("<style") && room.contains("/assets/room.css"),
        "{room}"
    );
    let css = http
        .get(api.url("/assets/room.css"))
        .send()
        .await
        .expect("css");
    assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
}
