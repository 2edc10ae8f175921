//! Accounts without typed-in passwords, end to end through the real SMTP sink:
//! invitations, resets (also for unknown addresses), changes, expired and reused
//! links, and the sessions each of them ends.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

async fn set(api: &Api, token: &str, password: &str) -> (StatusCode, serde_json::Value) {
    api.call(
        Method::POST,
        &format!("/api/v1/auth/password-reset/{token}"),
        None,
        Some(json!({"password": password})),
    )
    .await
}

async fn signs_in(api: &Api, email: &str, password: &str) -> StatusCode {
    api.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
    .0
}

async fn me(api: &Api, token: &str) -> StatusCode {
    api.call(Method::GET, "/api/v1/me", Some(token), None)
        .await
        .0
}

#[tokio::test]
async fn an_invitation_sets_the_first_password_once_and_expires() {
    let api = Api::start_with_mail().await;
    let coordinator = api.login(COORDINATOR).await;
    let org = api
        .get::<Vec<serde_json::Value>>("/api/v1/organisations", &coordinator)
        .await
        .into_iter()
        .find(|o| o["kind"] == "authority")
        .expect("an authority");
    let users = format!(
        "/api/v1/organisations/{}/users",
        org["id"].as_str().expect("id")
    );
    for (email, name) in [
        ("neu@erzgebirgskreis.example", "Nora Neumann"),
        ("spaet@erzgebirgskreis.example", "Sven Spät"),
    ] {
        let (status, account) = api
            .call(
                Method::POST,
                &users,
                Some(&coordinator),
                Some(json!({"email": email, "name": name, "role": "requester"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{account}");
    }

    // The invitation comes in German, with the person's name and a link.
    let smtp = api.smtp.as_ref().expect("mail");
    let mail = smtp
        .wait_for("neu@erzgebirgskreis.example", "Ihr Zugang zu Mittler")
        .await;
    assert!(
        mail.text.contains("Guten Tag Nora Neumann"),
        "{}",
        mail.text
    );
    let token = link_in(&mail.text);
    // The page behind the link greets the person and asks for the password.
    let page = api
        .http
        .get(api.url(&format!("/password/{token}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("Nora Neumann"), "{page}");
    assert!(page.contains("autocomplete=\"new-password\""));

    // A common password is refused and does not use the link up.
    let (status, problem) = set(&api, &token, "password1234").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["key"], "auth.password_weak");
    let (status, _) = set(&api, &token, "Nebel-über-dem-Fichtelberg").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        signs_in(
            &api,
            "neu@erzgebirgskreis.example",
            "Nebel-über-dem-Fichtelberg"
        )
        .await,
        StatusCode::OK
    );

    // The link works once.
    let (status, problem) = set(&api, &token, "Noch-ein-ganz-anderes-Passwort").await;
    assert_eq!(status, StatusCode::GONE, "{problem}");
    assert_eq!(problem["key"], "auth.link_invalid");
    let page = api
        .http
        .get(api.url(&format!("/password/{token}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("/password-reset"), "offers a new link");
    // So does an unknown one.
    let (status, _) = set(&api, "nichts-dergleichen", "Nebel-über-dem-Fichtelberg").await;
    assert_eq!(status, StatusCode::GONE);

    // An invitation not taken up in time stops working.
    let late = api
        .mailed_link("spaet@erzgebirgskreis.example", "Ihr Zugang zu Mittler")
        .await;
    sqlx::query(
        "UPDATE directory.account_links SET expires_at = now() - interval '1 minute' \
         WHERE user_id = (SELECT id FROM directory.users WHERE email = 'spaet@erzgebirgskreis.example')",
    )
    .execute(&api.env.db.pool)
    .await
    .expect("expired");
    let (status, _) = set(&api, &late, "Nebel-über-dem-Fichtelberg").await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(
        signs_in(
            &api,
            "spaet@erzgebirgskreis.example",
            "Nebel-über-dem-Fichtelberg"
        )
        .await,
        StatusCode::UNAUTHORIZED
    );

    // Once delivered, the stored mail keeps no link.
    mittler_testkit::eventually(Duration::from_secs(10), "bodies cleared", || async {
        let kept: Vec<String> = sqlx::query_scalar(
            "SELECT text_body FROM notifications.messages WHERE kind = 'account_invitation' AND state = 'sent'",
        )
        .fetch_all(&api.env.db.pool)
        .await
        .ok()?;
        (kept.len() == 2 && kept.iter().all(String::is_empty)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_reset_mails_only_known_addresses_and_ends_every_session() {
    let api = Api::start_with_mail().await;
    let smtp = api.smtp.as_ref().expect("mail");
    let first = api.login(REQUESTER_ABH).await;
    let second = api.login(REQUESTER_ABH).await;

    // An unknown address: the same answer, and no mail.
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(json!({"email": "niemand@nirgendwo.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(json!({"email": REQUESTER_ABH.to_uppercase()})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let token = api
        .mailed_link(REQUESTER_ABH, "Neues Passwort für Mittler")
        .await;
    let mails = smtp.mails().await.expect("mails");
    assert!(mails.iter().all(|m| !m.to.contains("niemand@")));

    let (status, _) = set(&api, &token, "Tee-im-Erzgebirge-um-vier").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for token in [&first, &second] {
        assert_eq!(me(&api, token).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        signs_in(&api, REQUESTER_ABH, mittler_testkit::http::DEMO_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        signs_in(&api, REQUESTER_ABH, "Tee-im-Erzgebirge-um-vier").await,
        StatusCode::OK
    );

    // Floods: one address gets a few links an hour, then quietly none; one client
    // address is told to wait.
    for _ in 0..4 {
        let (status, _) = api
            .call(
                Method::POST,
                "/api/v1/auth/password-reset",
                None,
                Some(json!({"email": REQUESTER_JOBCENTER})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    mittler_testkit::eventually(Duration::from_secs(20), "three links", || async {
        let n = smtp
            .mails()
            .await
            .ok()?
            .iter()
            .filter(|m| m.to.contains(REQUESTER_JOBCENTER))
            .count();
        (n == 3).then_some(())
    })
    .await;
    let mut refused = None;
    for n in 0..30 {
        let (status, _) = api
            .call(
                Method::POST,
                "/api/v1/auth/password-reset",
                None,
                Some(json!({"email": format!("flut{n}@example.org")})),
            )
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(n);
            break;
        }
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    assert!(refused.is_some(), "a flood from one address is refused");
    // Watched for a while: no fourth link follows.
    for _ in 0..10 {
        let n = smtp
            .mails()
            .await
            .expect("mails")
            .iter()
            .filter(|m| m.to.contains(REQUESTER_JOBCENTER))
            .count();
        assert_eq!(n, 3, "no fourth link");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let api = Api::start().await;
    let here = api.login(REQUESTER_ABH).await;
    let elsewhere = api.login(REQUESTER_ABH).await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (status, problem) = api
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&here),
            Some(change("falsch-geraten-123", "Kaffee-und-Kuchen-am-Markt")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["current_password"]);
    let (status, problem) = api
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&here),
            Some(change(
                mittler_testkit::http::DEMO_PASSWORD,
                "abh@erzgebirgskreis",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["new_password"]);
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/password",
            Some(&here),
            Some(change(
                mittler_testkit::http::DEMO_PASSWORD,
                "Kaffee-und-Kuchen-am-Markt",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(&api, &here).await, StatusCode::OK);
    assert_eq!(me(&api, &elsewhere).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signs_in(&api, REQUESTER_ABH, "Kaffee-und-Kuchen-am-Markt").await,
        StatusCode::OK
    );
    // Not signed in: no change.
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/password",
            None,
            Some(change(
                "Kaffee-und-Kuchen-am-Markt",
                "Ganz-anderes-Passwort-42",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn coordinators_find_and_switch_off_the_people_of_their_pool() {
    let api = Api::start().await;
    let coordinator = api.login(COORDINATOR).await;
    let found: serde_json::Value = api
        .get("/api/v1/users?q=ERZGEBIRGSKREIS&limit=1", &coordinator)
        .await;
    assert_eq!(found["total"], 2, "{found}");
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1));
    let second: serde_json::Value = api
        .get(
            "/api/v1/users?q=erzgebirgskreis&limit=1&offset=1",
            &coordinator,
        )
        .await;
    assert_ne!(second["items"][0]["id"], found["items"][0]["id"]);
    let everyone: serde_json::Value = api.get("/api/v1/users?limit=200", &coordinator).await;
    let person = |email: &str| {
        everyone["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["email"] == email)
            .unwrap_or_else(|| panic!("{email} listed"))
            .clone()
    };
    let requester = person(REQUESTER_ABH_2);
    assert_eq!(requester["active"], true);
    assert_eq!(requester["invited"], false);

    // Switched off: their token stops at once, and so do sign-in and resets.
    let token = api.login(REQUESTER_ABH_2).await;
    let path = |action: &str, id: &serde_json::Value| {
        format!("/api/v1/users/{}/{action}", id.as_str().expect("id"))
    };
    let (status, _) = api
        .call(
            Method::POST,
            &path("deactivate", &requester["id"]),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(&api, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signs_in(&api, REQUESTER_ABH_2, mittler_testkit::http::DEMO_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    let listed: serde_json::Value = api
        .get(&format!("/api/v1/users?q={REQUESTER_ABH_2}"), &coordinator)
        .await;
    assert_eq!(listed["items"][0]["active"], false);
    let (status, _) = api
        .call(
            Method::POST,
            &path("activate", &requester["id"]),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        signs_in(&api, REQUESTER_ABH_2, mittler_testkit::http::DEMO_PASSWORD).await,
        StatusCode::OK
    );

    // A coordinator corrects a name and a language.
    let (status, _) = api
        .call(
            Method::PUT,
            &format!("/api/v1/users/{}", requester["id"].as_str().expect("id")),
            Some(&coordinator),
            Some(serde_json::json!({"name": "Frank Schubert-Lange", "locale": "en"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let listed: serde_json::Value = api
        .get(&format!("/api/v1/users?q={REQUESTER_ABH_2}"), &coordinator)
        .await;
    assert_eq!(listed["items"][0]["name"], "Frank Schubert-Lange");
    assert_eq!(listed["items"][0]["locale"], "en");
    let (status, _) = api
        .call(
            Method::PUT,
            &format!("/api/v1/users/{}", requester["id"].as_str().expect("id")),
            Some(&coordinator),
            Some(serde_json::json!({"name": "", "locale": "fr"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Not oneself, not an admin, not an unknown id; not for requesters.
    let own = person(COORDINATOR);
    let (status, _) = api
        .call(
            Method::POST,
            &path("deactivate", &own["id"]),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let admin = person(ADMIN);
    let (status, _) = api
        .call(
            Method::POST,
            &path("deactivate", &admin["id"]),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .call(
            Method::POST,
            &path("deactivate", &serde_json::json!(uuid::Uuid::new_v4())),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let requester_token = api.login(REQUESTER_ABH).await;
    let (status, _) = api
        .call(Method::GET, "/api/v1/users", Some(&requester_token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A mediator's account is switched through their profile: no more work either.
    let mediator = person(MEDIATOR);
    let mediator_token = api.login(MEDIATOR).await;
    let (status, _) = api
        .call(
            Method::POST,
            &path("deactivate", &mediator["id"]),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(me(&api, &mediator_token).await, StatusCode::UNAUTHORIZED);
    let profile: serde_json::Value = api
        .get(
            &format!(
                "/api/v1/mediators/{}",
                mediator["mediator_id"].as_str().expect("profile")
            ),
            &coordinator,
        )
        .await;
    assert_eq!(profile["active"], false);
}

#[tokio::test]
async fn people_change_their_name_and_language_and_mediators_their_profile() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    let (status, me) = api
        .call(
            Method::PUT,
            "/api/v1/me",
            Some(&requester),
            Some(json!({"name": "Sabine Neumann-Ritter", "locale": "en"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let me: serde_json::Value = api.get("/api/v1/me", &requester).await;
    assert_eq!(me["name"], "Sabine Neumann-Ritter");
    assert_eq!(me["locale"], "en");
    let (status, problem) = api
        .call(
            Method::PUT,
            "/api/v1/me",
            Some(&requester),
            Some(json!({"name": "", "locale": "fr", "mediator": {"languages": [], "max_travel_km": 5, "notify_by_email": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["name", "locale", "mediator"]);

    // A mediator: phone, travel radius, mail choice, and languages — a new one as lay,
    // the pool's qualification of the others kept.
    let mediator = api.login(MEDIATOR).await;
    let before: serde_json::Value = api.get("/api/v1/me", &mediator).await;
    let kept = before["languages"][0].clone();
    let (status, me) = api
        .call(
            Method::PUT,
            "/api/v1/me",
            Some(&mediator),
            Some(
                json!({"name": "Olena Kovalenko", "locale": "de", "mediator": {
                "phone": "0341 555 1234", "languages": [kept["code"], "fa"],
                "max_travel_km": 25, "notify_by_email": false}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["languages"][0], kept);
    assert_eq!(me["languages"][1]["qualification"], "lay");
    let coordinator = api.login(COORDINATOR).await;
    let profile: serde_json::Value = api
        .get(
            &format!(
                "/api/v1/mediators/{}",
                me["mediator_id"].as_str().expect("id")
            ),
            &coordinator,
        )
        .await;
    assert_eq!(profile["phone"], "0341 555 1234");
    assert_eq!(profile["max_travel_km"], 25.0);
    assert_eq!(profile["notify_by_email"], false);
    let (status, problem) = api
        .call(
            Method::PUT,
            "/api/v1/me",
            Some(&mediator),
            Some(
                json!({"name": "Olena Kovalenko", "locale": "de", "mediator": {
                "languages": ["fa"], "max_travel_km": 5000, "notify_by_email": true}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["mediator.max_travel_km"]);
}
