//! A requester books; the best-ranked demo mediators get offers; one accepts in the
//! same request (200), the others get 409; coordinators read why.

use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A weekday at least two days ahead, 10:00 Berlin time: inside the demo hours.
fn next_working_day() -> String {
    format!("{}T10:00", working_day(2))
}

#[tokio::test]
async fn offers_go_out_one_accept_wins_and_the_dispatch_is_explained() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_JOBCENTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let mut body = booking_body(3);
    body["local_start"] = json!(next_working_day());
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let id = booking["id"].as_str().expect("id").to_owned();

    let offered: Vec<Value> = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "offers made",
        || async {
            let (_, booking) = api
                .call(
                    Method::GET,
                    &format!("/api/v1/bookings/{id}"),
                    Some(&requester),
                    None,
                )
                .await;
            let offers = booking["offers"].as_array().cloned().unwrap_or_default();
            (booking["state"] == "offering" && !offers.is_empty()).then_some(offers)
        },
    )
    .await;
    assert_eq!(
        offered.len(),
        3,
        "the cascade asks the best three Ukrainian speakers first"
    );

    let mut tokens = Vec::new();
    for offer in &offered {
        let token = api
            .login(&email_of(offer["mediator_id"].as_str().expect("mediator")))
            .await;
        let (status, mine) = api
            .call(Method::GET, "/api/v1/offers", Some(&token), None)
            .await;
        assert_eq!(status, 200);
        let mine = mine.as_array().expect("offers").clone();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["booking_id"], json!(id));
        assert_eq!(mine[0]["booking"]["language"], "uk");
        tokens.push((token, mine[0]["id"].as_str().expect("offer id").to_owned()));
    }

    let (first, first_offer) = &tokens[0];
    let (status, assigned) = api
        .call(
            Method::POST,
            &format!("/api/v1/offers/{first_offer}/accept"),
            Some(first),
            None,
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["state"], "assigned");
    assert_eq!(
        assigned["assignment"]["mediator_id"],
        offered[0]["mediator_id"]
    );
    let (second, second_offer) = &tokens[1];
    let (status, problem) = api
        .call(
            Method::POST,
            &format!("/api/v1/offers/{second_offer}/accept"),
            Some(second),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (third, third_offer) = &tokens[2];
    assert_eq!(
        api.call(
            Method::POST,
            &format!("/api/v1/offers/{third_offer}/decline"),
            Some(third),
            None
        )
        .await
        .0,
        409
    );
    // Nobody else's offer: 404; not a mediator: 403.
    assert_eq!(
        api.call(
            Method::POST,
            &format!("/api/v1/offers/{first_offer}/accept"),
            Some(second),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        api.call(Method::GET, "/api/v1/offers", Some(&requester), None)
            .await
            .0,
        403
    );

    let (_, seen) = api
        .call(
            Method::GET,
            &format!("/api/v1/bookings/{id}"),
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(seen["state"], "assigned");
    let states: Vec<&str> = seen["offers"]
        .as_array()
        .expect("offers")
        .iter()
        .filter_map(|o| o["state"].as_str())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "accepted").count(), 1);
    assert_eq!(states.iter().filter(|s| **s == "withdrawn").count(), 2);

    let (status, explanation) = api
        .call(
            Method::GET,
            &format!("/api/v1/bookings/{id}/dispatch"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let round = &explanation["rounds"][0];
    assert_eq!(
        round["ranked"]
            .as_array()
            .expect("ranked")
            .iter()
            .filter(|r| r["offered"] == true)
            .count(),
        3
    );
    // The demo pool's other speakers are counted, not listed one by one.
    assert!(
        round["other_languages"].as_u64().expect("count") > 0,
        "{round}"
    );
    assert!(
        round["excluded"]
            .as_array()
            .expect("excluded")
            .iter()
            .all(|e| e["reasons"] != json!(["language"]))
    );
    assert_eq!(
        api.call(
            Method::GET,
            &format!("/api/v1/bookings/{id}/dispatch"),
            Some(&requester),
            None
        )
        .await
        .0,
        403
    );

    // A coordinator takes the job off its mediator: only a coordinator, only with a
    // reason, only while someone holds it; dispatch goes on without them.
    let holder = seen["assignment"]["mediator_id"].clone();
    let unassign = format!("/api/v1/bookings/{id}/unassign");
    let reason = json!({"reason": "Die Klientin wünscht eine andere Person."});
    let (status, problem) = api
        .call(
            Method::POST,
            &unassign,
            Some(&requester),
            Some(reason.clone()),
        )
        .await;
    assert_eq!(status, 403, "{problem}");
    let (status, _) = api
        .call(
            Method::POST,
            &unassign,
            Some(&coordinator),
            Some(json!({"reason": " "})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, unassigned) = api
        .call(
            Method::POST,
            &unassign,
            Some(&coordinator),
            Some(reason.clone()),
        )
        .await;
    assert_eq!(status, 200, "{unassigned}");
    assert!(unassigned["assignment"].is_null(), "{unassigned}");
    let (status, problem) = api
        .call(Method::POST, &unassign, Some(&coordinator), Some(reason))
        .await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(problem["detail"], "no mediator holds this booking");
    let again: Vec<Value> = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "offers made again",
        || async {
            let (_, booking) = api
                .call(
                    Method::GET,
                    &format!("/api/v1/bookings/{id}"),
                    Some(&requester),
                    None,
                )
                .await;
            let open: Vec<Value> = booking["offers"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|o| o["state"] == "open")
                .collect();
            (!open.is_empty()).then_some(open)
        },
    )
    .await;
    assert!(
        again.iter().all(|o| o["mediator_id"] != holder),
        "the mediator taken off is not asked again: {again:?}"
    );
}

/// A pool sets how its organisations' bookings are offered; an organisation may set
/// its own on top. Bookings made afterwards follow it.
#[tokio::test]
async fn an_organisations_dispatch_policy_decides_the_cascade_and_its_deadline() {
    let api = Api::start().await;
    let coordinator = api.login(COORDINATOR).await;
    let requester = api.login(REQUESTER_JOBCENTER).await;
    let (_, organisations) = api
        .call(
            Method::GET,
            "/api/v1/organisations",
            Some(&coordinator),
            None,
        )
        .await;
    let find = |kind: &str, name: &str| {
        organisations
            .as_array()
            .expect("organisations")
            .iter()
            .find(|o| o["kind"] == kind && o["name"].as_str().is_some_and(|n| n.contains(name)))
            .and_then(|o| o["id"].as_str())
            .expect("organisation")
            .to_owned()
    };
    let pool = find("pool", "");
    let jobcenter = find("authority", "Jobcenter");
    let policy = |id: &str| format!("/api/v1/organisations/{id}/dispatch-policy");

    let (status, view) = api
        .call(
            Method::PUT,
            &policy(&pool),
            Some(&coordinator),
            Some(json!({ "cascade_size": 2, "cascade_secs": 600 })),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    let (status, view) = api
        .call(
            Method::PUT,
            &policy(&jobcenter),
            Some(&coordinator),
            Some(json!({ "cascade_size": 1 })),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["own"], json!({ "cascade_size": 1 }));
    assert_eq!(view["inherited"]["cascade_secs"], 600);
    assert_eq!(view["effective"]["cascade_size"], 1);
    assert_eq!(view["effective"]["cascade_secs"], 600);
    assert!(view["effective"]["broadcast_secs"].is_i64());
    let (status, again) = api
        .call(Method::GET, &policy(&jobcenter), Some(&coordinator), None)
        .await;
    assert_eq!((status, &again), (StatusCode::OK, &view));

    // Out of range, unknown, not a coordinator, not in the pool.
    let (status, problem) = api
        .call(
            Method::PUT,
            &policy(&jobcenter),
            Some(&coordinator),
            Some(json!({ "cascade_size": 0, "ring_secs": 5 })),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(field_errors(&problem), ["cascade_size", "ring_secs"]);
    let (status, _) = api
        .call(
            Method::PUT,
            &policy(&jobcenter),
            Some(&coordinator),
            Some(json!({ "waves": 3 })),
        )
        .await;
    assert!(status == 400 || status == 422, "{status}");
    let (status, _) = api
        .call(Method::GET, &policy(&jobcenter), Some(&requester), None)
        .await;
    assert_eq!(status, 403);
    let (status, _) = api
        .call(
            Method::GET,
            &policy(&uuid::Uuid::new_v4().to_string()),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, 404);

    let mut body = booking_body(3);
    body["local_start"] = json!(next_working_day());
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let offers: Vec<Value> = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "offers made",
        || async {
            let (_, booking) = api
                .call(
                    Method::GET,
                    &format!("/api/v1/bookings/{id}"),
                    Some(&requester),
                    None,
                )
                .await;
            let offers = booking["offers"].as_array().cloned().unwrap_or_default();
            (!offers.is_empty()).then_some(offers)
        },
    )
    .await;
    assert_eq!(offers.len(), 1, "the Jobcenter's own cascade of one");
    let expires: chrono::DateTime<Utc> = offers[0]["expires_at"]
        .as_str()
        .expect("expires_at")
        .parse()
        .expect("time");
    let wait = expires - Utc::now();
    assert!(
        wait <= Duration::seconds(600) && wait > Duration::seconds(500),
        "the pool's ten minutes: {wait}"
    );
}
