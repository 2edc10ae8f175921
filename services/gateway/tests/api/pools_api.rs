//! Two pools in one installation: each coordinator sees and changes only their own
//! pool's mediators, organisations and bookings; a booking is offered only to its
//! pool's mediators, and a mediator in both pools gets offers from both.

use crate::common::*;
use mittler_contracts::availability::{MediatorProfile, PoolMembership};
use mittler_contracts::booking::BookingView;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const PASSWORD: &str = "ein-langes-passwort";

async fn created(api: &Api, token: &str, path: &str, body: Value) -> Value {
    let (status, answer) = api.call(Method::POST, path, Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {answer}");
    answer
}

/// A Kurdish (Sorani) video booking on a working day inside the demo hours.
fn sorani(days: i64) -> Value {
    let mut body = booking_body(3);
    body["language"] = json!("ckb");
    body["client"]["language"] = json!("ckb");
    body["local_start"] = json!(format!("{}T10:00", working_day(days)));
    body["min_qualification"] = json!("lay");
    body
}

/// The booking once its first wave of offers is out.
async fn offered(api: &Api, token: &str, id: &str) -> BookingView {
    mittler_testkit::eventually(Duration::from_secs(20), "offers made", || async {
        let booking = api.booking(token, id).await;
        (!booking.offers.is_empty()).then_some(booking)
    })
    .await
}

#[tokio::test]
async fn two_pools_keep_their_mediators_organisations_and_bookings_apart() {
    let api = Api::start_with_mail().await;
    let admin = api.login(ADMIN).await;
    let coordinator_a = api.login(COORDINATOR).await;
    let requester_a = api.login(REQUESTER_ABH).await;

    // An admin creates a second pool; only admins may.
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&coordinator_a),
            Some(json!({"name": "Sprachmittlerpool Vogtland", "kind": "pool"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let pool_b = created(
        &api,
        &admin,
        "/api/v1/organisations",
        json!({"name": "Sprachmittlerpool Vogtland", "kind": "pool"}),
    )
    .await;
    assert_eq!(pool_b["kind"], "pool");
    assert_eq!(pool_b["pool_id"], Value::Null);
    let pool_b = pool_b["id"].as_str().expect("id").to_owned();
    created(
        &api,
        &admin,
        &format!("/api/v1/organisations/{pool_b}/users"),
        json!({"email": "koordination@pool-vogtland.example", "name": "Koordination Vogtland",
               "role": "coordinator"}),
    )
    .await;
    api.accept_invitation("koordination@pool-vogtland.example", PASSWORD)
        .await;
    let coordinator_b = api
        .login_with("koordination@pool-vogtland.example", PASSWORD)
        .await;

    // Pool B's coordinator adds an authority, its requester, and a mediator.
    let authority_b = created(
        &api,
        &coordinator_b,
        "/api/v1/organisations",
        json!({"name": "Landratsamt Vogtlandkreis", "kind": "authority"}),
    )
    .await;
    assert_eq!(authority_b["pool_id"], pool_b.as_str());
    let authority_b = authority_b["id"].as_str().expect("id").to_owned();
    created(
        &api,
        &coordinator_b,
        &format!("/api/v1/organisations/{authority_b}/users"),
        json!({"email": "team@vogtlandkreis.example", "name": "Team Vogtland",
               "role": "requester"}),
    )
    .await;
    api.accept_invitation("team@vogtlandkreis.example", PASSWORD)
        .await;
    let requester_b = api.login_with("team@vogtlandkreis.example", PASSWORD).await;
    let only_b: MediatorProfile = serde_json::from_value(
        created(
            &api,
            &coordinator_b,
            "/api/v1/mediators",
            json!({
                "profile": {
                    "display_name": "Dilan Rashid", "email": "dilan.rashid@example.org",
                    "gender": "female",
                    "languages": [{"code": "ckb", "qualification": "certified"}],
                    "modalities": ["video", "phone"], "home": {"lat": 50.5, "lon": 12.13},
                    "postal_code": "08523", "max_travel_km": 40, "max_minutes_per_week": 900
                }
            }),
        )
        .await,
    )
    .expect("profile");
    assert_eq!(
        only_b.pools,
        [PoolMembership {
            pool_id: pool_b.parse().expect("id"),
            active: true
        }]
    );
    let rules = json!({"time_zone": "Europe/Berlin", "absences": [], "weekly_rules":
        (1..=5).map(|d| json!({"weekday": d, "start": "08:00", "end": "18:00"})).collect::<Vec<_>>()});
    let (status, _) = api
        .call(
            Method::PUT,
            &format!("/api/v1/mediators/{}/availability", only_b.id),
            Some(&coordinator_b),
            Some(rules),
        )
        .await;
    assert_eq!(status, 200);

    // The one demo mediator who speaks Sorani serves pool B as well, by an admin.
    let everyone: Vec<MediatorProfile> = api.get("/api/v1/mediators", &admin).await;
    let both = everyone
        .iter()
        .find(|p| p.languages.iter().any(|l| l.code.as_str() == "ckb") && p.id != only_b.id)
        .expect("a demo Sorani speaker")
        .clone();
    let mut input = both.input();
    let mut pools = both.pools.clone();
    pools.push(PoolMembership {
        pool_id: pool_b.parse().expect("id"),
        active: true,
    });
    input.pools = Some(pools);
    let path = format!("/api/v1/mediators/{}", both.id);
    let edited: MediatorProfile = api
        .expect(Method::PUT, &path, Some(&admin), Some(&input))
        .await;
    assert_eq!(edited.pools.len(), 2);

    // Each coordinator sees their own pool's mediators only; another pool's is 404.
    let seen_a: Vec<MediatorProfile> = api.get("/api/v1/mediators", &coordinator_a).await;
    assert_eq!(seen_a.len(), 30);
    assert!(seen_a.iter().all(|p| p.id != only_b.id));
    let seen_b: Vec<MediatorProfile> = api.get("/api/v1/mediators", &coordinator_b).await;
    let mut ids: Vec<_> = seen_b.iter().map(|p| p.id).collect();
    ids.sort();
    let mut expected = vec![only_b.id, both.id];
    expected.sort();
    assert_eq!(ids, expected);
    let shared = seen_b.iter().find(|p| p.id == both.id).expect("shared");
    assert_eq!(
        shared.pools.len(),
        1,
        "pool B does not see pool A's membership"
    );
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::GET, "/availability"),
        (Method::PUT, "/availability"),
    ] {
        let body = (method == Method::PUT)
            .then(|| json!({"time_zone": "Europe/Berlin", "weekly_rules": [], "absences": []}));
        let (status, _) = api
            .call(
                method.clone(),
                &format!("/api/v1/mediators/{}{suffix}", only_b.id),
                Some(&coordinator_a),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {suffix}");
    }
    let mut steal = only_b.input();
    steal.active = false;
    let (status, _) = api
        .call(
            Method::PUT,
            &format!("/api/v1/mediators/{}", only_b.id),
            Some(&coordinator_a),
            Some(serde_json::to_value(&steal).expect("json")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // And their own pool's organisations only.
    let orgs_a: Vec<Value> = api.get("/api/v1/organisations", &coordinator_a).await;
    assert!(orgs_a.iter().all(|o| o["id"] != authority_b.as_str()));
    let orgs_b: Vec<Value> = api.get("/api/v1/organisations", &coordinator_b).await;
    let names: Vec<&str> = orgs_b.iter().filter_map(|o| o["name"].as_str()).collect();
    assert_eq!(
        names,
        ["Landratsamt Vogtlandkreis", "Sprachmittlerpool Vogtland"]
    );

    // And their own pool's people only; another pool's account is 404.
    let people_b: Value = api.get("/api/v1/users", &coordinator_b).await;
    let emails: Vec<&str> = people_b["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        [
            "dilan.rashid@example.org",
            "koordination@pool-vogtland.example",
            "team@vogtlandkreis.example"
        ]
    );
    let people_a: Value = api.get("/api/v1/users?limit=200", &coordinator_a).await;
    let abh = people_a["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["email"] == REQUESTER_ABH)
        .expect("listed in pool A")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/users/{abh}/deactivate"),
            Some(&coordinator_b),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nor another pool's organisations.
    let abh_org = orgs_a
        .iter()
        .find(|o| o["kind"] == "authority")
        .expect("an authority of pool A")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for (method, tail, body) in [
        (
            Method::PUT,
            "",
            Some(json!({"name": "Übernommen", "time_zone": "Europe/Berlin"})),
        ),
        (Method::POST, "/deactivate", None),
    ] {
        let (status, _) = api
            .call(
                method,
                &format!("/api/v1/organisations/{abh_org}{tail}"),
                Some(&coordinator_b),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{tail}");
    }

    // A booking of pool A is offered to pool A's Sorani speaker only.
    let (status, booking_a) = api.book(&requester_a, sorani(2)).await;
    assert_eq!(status, StatusCode::CREATED, "{booking_a}");
    let id_a = booking_a["id"].as_str().expect("id").to_owned();
    let booking_a = offered(&api, &requester_a, &id_a).await;
    assert!(booking_a.offers.iter().all(|o| o.mediator_id == both.id));
    // A booking of pool B reaches both of its Sorani speakers.
    let (status, booking_b) = api.book(&requester_b, sorani(2)).await;
    assert_eq!(status, StatusCode::CREATED, "{booking_b}");
    let id_b = booking_b["id"].as_str().expect("id").to_owned();
    let booking_b =
        mittler_testkit::eventually(Duration::from_secs(20), "offers to both", || async {
            let booking = api.booking(&requester_b, &id_b).await;
            (booking.offers.len() == 2).then_some(booking)
        })
        .await;
    let mut offered_to: Vec<_> = booking_b.offers.iter().map(|o| o.mediator_id).collect();
    offered_to.sort();
    assert_eq!(offered_to, expected);
    let token = api.login(&email_of(&both.id.to_string())).await;
    assert_eq!(api.offers(&token).await.len(), 2, "offers from both pools");

    // Bookings stay within their pool: another pool's booking is 404.
    for (token, foreign) in [(&coordinator_a, &id_b), (&coordinator_b, &id_a)] {
        let (status, _) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{foreign}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Each pool's statistics count its own booking only.
    let (from, to) = month_of(working_day(2));
    let period = format!(
        "/api/v1/statistics?from={}&to={}",
        query_instant(from),
        query_instant(to)
    );
    for token in [&coordinator_a, &coordinator_b] {
        let stats: Value = api.get(&period, token).await;
        assert_eq!(stats["total"]["bookings"], 1, "{stats}");
    }
    let all: Value = api.get(&period, &admin).await;
    assert_eq!(all["total"]["bookings"], 2, "an admin sees both pools");

    // Nor can a coordinator assign another pool's mediator.
    let (status, problem) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id_a}/assign"),
            Some(&coordinator_a),
            Some(json!({"mediator_id": only_b.id})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["mediator_id"]);
    // An admin, who sees every mediator, still cannot put one into another pool's work.
    let (status, problem) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id_a}/assign"),
            Some(&admin),
            Some(json!({"mediator_id": only_b.id})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["key"], "reservations.not_in_pool");

    // Pool B pauses the shared mediator: pool B's offer is withdrawn, pool A's stays,
    // and the mediator still signs in.
    let mut paused = shared.input();
    paused.active = false;
    let seen: MediatorProfile = api
        .expect(Method::PUT, &path, Some(&coordinator_b), Some(&paused))
        .await;
    assert!(!seen.active, "paused in pool B");
    let for_a: MediatorProfile = api.get(&path, &coordinator_a).await;
    assert!(for_a.active, "still active in pool A");
    mittler_testkit::eventually(
        Duration::from_secs(20),
        "pool B's offer withdrawn",
        || async {
            let booking = api.booking(&requester_b, &id_b).await;
            booking
                .offers
                .iter()
                .any(|o| o.mediator_id == both.id && o.state == "withdrawn")
                .then_some(())
        },
    )
    .await;
    let token = api.login(&email_of(&both.id.to_string())).await;
    let open = api.offers(&token).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].booking_id.to_string(), id_a);
}
