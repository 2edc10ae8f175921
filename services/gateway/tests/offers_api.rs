//! A requester books; the best-ranked demo mediators get offers; one accepts in the
//! same request (200), the others get 409; coordinators read why.

mod common;

use chrono::{Datelike, Duration, Utc, Weekday};
use common::*;
use mittler_gateway::seed::demo_mediators;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A weekday at least two days ahead, 10:00 Berlin time: inside the demo hours.
fn next_working_day() -> String {
    let mut day = (Utc::now() + Duration::days(2)).date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    format!("{day}T10:00")
}

fn email_of(mediator_id: &str) -> String {
    demo_mediators()
        .find(|(id, _, _)| id.to_string() == mediator_id)
        .map(|(_, _, email)| email)
        .expect("a demo mediator")
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
    let excluded = round["excluded"].as_array().expect("excluded");
    assert!(excluded.iter().any(|e| e["reasons"] == json!(["language"])));
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
}
