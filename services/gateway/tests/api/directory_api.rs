//! Coordinators add organisations to their pool and accounts to them; the new
//! requester books at once.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_coordinator_adds_an_organisation_and_its_requester_who_books() {
    let api = Api::start_with_mail().await;
    let coordinator = api.login(COORDINATOR).await;
    let requester = api.login(REQUESTER_ABH).await;
    let body = json!({"name": "Jugendamt Zwickau", "kind": "authority"});
    let (status, org) = api
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&coordinator),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["time_zone"], "Europe/Berlin");
    let id = org["id"].as_str().expect("id").to_owned();
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&coordinator),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the name is taken");
    // Pools are created by admins, and are served by no other pool.
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&coordinator),
            Some(json!({"name": "Zweiter Pool", "kind": "pool"})),
        )
        .await;
    assert_eq!(status, 403);
    let admin = api.login(ADMIN).await;
    let (status, problem) = api
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&admin),
            Some(
                json!({"name": "Zweiter Pool", "kind": "pool", "time_zone": "Mars/Olympus",
                        "pool_id": org["pool_id"]}),
            ),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(field_errors(&problem), ["time_zone", "pool_id"]);
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&requester),
            Some(json!({"name": "Heimlich", "kind": "carrier"})),
        )
        .await;
    assert_eq!(status, 403);

    let users = format!("/api/v1/organisations/{id}/users");
    let (status, problem) = api
        .call(
            Method::POST,
            &users,
            Some(&coordinator),
            Some(json!({"email": "x", "name": "", "role": "coordinator", "locale": "fr"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(field_errors(&problem), ["email", "name", "role", "locale"]);
    // Nobody types a password for someone else.
    let (status, _) = api
        .call(
            Method::POST,
            &users,
            Some(&coordinator),
            Some(
                json!({"email": "a@b.example", "name": "A", "role": "requester",
                        "initial_password": "ein-langes-passwort"}),
            ),
        )
        .await;
    assert_eq!(status, 422, "an unknown field");
    let (status, account) = api
        .call(
            Method::POST,
            &users,
            Some(&coordinator),
            Some(json!({
                "email": "team@jugendamt-zwickau.example", "name": "Team Jugendamt",
                "role": "requester"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    assert_eq!(account["organisation_id"], json!(id));
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/organisations/{}/users", uuid::Uuid::new_v4()),
            Some(&coordinator),
            Some(json!({"email": "a@b.example", "name": "A", "role": "requester"})),
        )
        .await;
    assert_eq!(status, 404);
    // The same address again is a conflict, whatever its case.
    let (status, _) = api
        .call(
            Method::POST,
            &users,
            Some(&coordinator),
            Some(json!({"email": "Team@Jugendamt-Zwickau.example", "name": "B", "role": "requester"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Until the invitation is accepted, the account has no password to sign in with.
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "team@jugendamt-zwickau.example", "password": "ein-langes-passwort"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    api.accept_invitation("team@jugendamt-zwickau.example", "ein-langes-passwort")
        .await;

    // The new requester signs in and books; the pool's mediators get the offers.
    let (status, body) = api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "team@jugendamt-zwickau.example", "password": "ein-langes-passwort"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    let (status, booking) = api.book(&token, booking_body(3)).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    assert_eq!(booking["organisation_id"], json!(id));
    let (_, seen) = api
        .call(
            Method::GET,
            "/api/v1/organisations",
            Some(&coordinator),
            None,
        )
        .await;
    assert!(
        seen.as_array()
            .expect("organisations")
            .iter()
            .any(|o| o["id"] == json!(id))
    );
}

#[tokio::test]
async fn coordinators_rename_and_switch_off_their_pools_organisations() {
    let api = Api::start().await;
    let coordinator = api.login(COORDINATOR).await;
    let orgs: Vec<serde_json::Value> = api.get("/api/v1/organisations", &coordinator).await;
    let find = |name: &str| {
        orgs.iter()
            .find(|o| o["name"].as_str().is_some_and(|n| n.contains(name)))
            .unwrap_or_else(|| panic!("{name}"))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let abh = find("Ausländerbehörde");
    let pool = find("Sprach- und Integrationsmittlerpool");
    let path = |id: &str, tail: &str| format!("/api/v1/organisations/{id}{tail}");

    // Renamed, with a zone; a taken name and a wrong zone are refused.
    let (status, renamed) = api
        .call(
            Method::PUT,
            &path(&abh, ""),
            Some(&coordinator),
            Some(json!({"name": "Landratsamt Erzgebirgskreis – Ausländerbehörde Annaberg", "time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        renamed["name"],
        "Landratsamt Erzgebirgskreis – Ausländerbehörde Annaberg"
    );
    let (status, _) = api
        .call(
            Method::PUT,
            &path(&abh, ""),
            Some(&coordinator),
            Some(json!({"name": "Jobcenter Chemnitz", "time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, problem) = api
        .call(
            Method::PUT,
            &path(&abh, ""),
            Some(&coordinator),
            Some(json!({"name": "", "time_zone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["name", "time_zone"]);
    // Its own site: new on-site bookings of its requesters start there.
    let site = json!({"address": "Markt 1, Annaberg-Buchholz", "postal_code": "09456",
                      "latitude": 50.5797, "longitude": 13.0024});
    let (status, _) = api
        .call(
            Method::PUT,
            &path(&abh, ""),
            Some(&coordinator),
            Some(
                json!({"name": "Landratsamt Erzgebirgskreis – Ausländerbehörde Annaberg",
                        "time_zone": "Europe/Berlin", "place": site}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = api
        .call(
            Method::PUT,
            &path(&abh, ""),
            Some(&coordinator),
            Some(json!({"name": "Landratsamt Erzgebirgskreis – Ausländerbehörde Annaberg",
                        "time_zone": "Europe/Berlin",
                        "place": {"address": "", "postal_code": "945", "latitude": 95.0, "longitude": 13.0}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_errors(&problem),
        ["place.address", "place.postal_code", "place.latitude"]
    );
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT settings->'place'->>'address' FROM directory.organisations WHERE id = $1::uuid",
    )
    .bind(&abh)
    .fetch_one(&api.env.db.pool)
    .await
    .expect("place");
    assert_eq!(
        stored.as_deref(),
        Some("Markt 1, Annaberg-Buchholz"),
        "the refused site changed nothing"
    );
    // Its accounts, from the organisations page's link.
    let (status, people) = api
        .call(
            Method::GET,
            &format!("/api/v1/users?organisation={abh}"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = people["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|p| p["organisation_id"] == json!(abh)),
        "{people}"
    );
    // Another pool's organisation shows nobody.
    let (_, none) = api
        .call(
            Method::GET,
            &format!("/api/v1/users?organisation={}", uuid::Uuid::new_v4()),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(none["total"], 0);
    // A pool is the admins' to change.
    let (status, _) = api
        .call(
            Method::PUT,
            &path(&pool, ""),
            Some(&coordinator),
            Some(json!({"name": "Anders", "time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Switched off: its people are signed out at once and cannot sign in or book.
    let requester = api.login(REQUESTER_ABH).await;
    let (status, _) = api
        .call(
            Method::POST,
            &path(&abh, "/deactivate"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api
        .call(Method::GET, "/api/v1/me", Some(&requester), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": REQUESTER_ABH, "password": mittler_testkit::http::DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let listed: Vec<serde_json::Value> = api.get("/api/v1/organisations", &coordinator).await;
    assert!(
        listed
            .iter()
            .any(|o| o["id"] == abh.as_str() && o["active"] == false)
    );
    let (status, _) = api
        .call(
            Method::POST,
            &path(&abh, "/activate"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    api.login(REQUESTER_ABH).await;

    // Nobody switches off their own organisation.
    let admin = api.login(ADMIN).await;
    let (status, _) = api
        .call(
            Method::POST,
            &path(&pool, "/deactivate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
