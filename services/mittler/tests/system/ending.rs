//! The end of a booking in the browser, through the whole system: a mediator records
//! the time of two past jobs on a phone, the requester confirms one and disputes the
//! other, a coordinator settles the dispute and gives up a booking nobody takes.

use crate::common::*;
use mittler_gateway::seed::DEMO_PASSWORD;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Book a Ukrainian video appointment at `time` on the working day.
async fn book(api: &Client, requester: &str, time: &str) -> String {
    book_in(api, requester, time, "uk").await
}

async fn book_in(api: &Client, requester: &str, time: &str, language: &str) -> String {
    let (status, booking) = api
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(requester),
            Some(json!({
                "language": language,
                "modality": "video",
                "local_start": format!("{}T{time}", working_day()),
                "duration_minutes": 60,
                "subject_area": "social_benefits",
                "min_qualification": "trained",
                "client": {"reference": "BG-4711", "language": "uk"}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    booking["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_mediator_records_the_time_the_requester_answers_and_a_coordinator_settles() {
    let (env, app, api) = demo_system().await;
    let requester = api.login(REQUESTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let confirm = book(&api, &requester, "10:00").await;
    let dispute = book(&api, &requester, "12:00").await;
    let give_up = book(&api, &requester, "14:00").await;
    // Nobody in the pool speaks Albanian: dispatch hands it over at once.
    let lonely = book_in(&api, &requester, "16:00", "sq").await;
    // One Ukrainian speaker takes the first two by the coordinator's hand.
    let (mediator_id, _, mediator) = mittler_gateway::seed::demo_mediators()
        .find(|(_, m, _)| m.languages.contains(&"uk"))
        .expect("a Ukrainian speaker");
    for id in [&confirm, &dispute] {
        let (status, assigned) = api
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id}/assign"),
                Some(&coordinator),
                Some(json!({"mediator_id": mediator_id})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{assigned}");
        // The day came and went.
        sqlx::query(
            "UPDATE booking.bookings SET start_at = start_at - interval '7 days', \
             end_at = end_at - interval '7 days' WHERE id = $1::uuid",
        )
        .bind(id)
        .execute(&env.db.pool)
        .await
        .expect("moved into the past");
    }

    let screenshots = screenshot_dir();
    let input = json!({
        "base": app.url(""),
        "password": DEMO_PASSWORD,
        "requester": REQUESTER,
        "coordinator": COORDINATOR,
        "mediator": mediator,
        "confirm": confirm,
        "dispute": dispute,
        "give_up": give_up,
        "lonely": lonely,
        "screenshots": screenshots,
    });
    let result = browser_script("ending.mjs", &input).await;
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["errors"], json!([]), "script errors: {result:#}");
    assert_accessible(&result);
    assert_eq!(result["claim_error"], "Das Ende liegt vor dem Beginn.");
    assert_eq!(
        result["mediator_waiting"],
        "Eingetragen: 70 Minuten – wartet auf Bestätigung."
    );
    assert_eq!(result["to_confirm"], "2 Zeiten zu bestätigen");
    assert_eq!(result["confirmed_badge"], "bestätigt");
    assert_eq!(result["completed_badge"], "erledigt");
    assert_eq!(result["disputed_badge"], "bestritten");
    assert_eq!(
        result["dispute_reason"],
        "Der Termin endete schon nach einer halben Stunde."
    );
    assert_eq!(result["disputes_after"], "Keine bestrittenen Zeiten.");
    assert_eq!(
        result["reason_kept"], "Für diesen Termin ist niemand frei.",
        "a live refresh keeps what the coordinator typed"
    );
    assert_eq!(result["in_queue_after"], 0);
    assert_eq!(result["given_up_state"], "nicht besetzt");
    assert_eq!(result["lonely_given_up"], 200);
    assert_eq!(
        result["live_after_connect"], true,
        "the page caught up without a reload"
    );
    assert!(
        result["lonely_hint"]
            .as_str()
            .is_some_and(|h| h.starts_with("Bisher hat keine Sprachmittlung zugesagt")),
        "{result:#}"
    );

    // What the pages did, as the API tells it.
    for (id, minutes, by) in [(&confirm, 70, "requester"), (&dispute, 30, "coordinator")] {
        let (_, record) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}/time-record"),
                Some(&coordinator),
                None,
            )
            .await;
        assert_eq!(
            (
                record["state"].as_str(),
                record["worked_minutes"].as_i64(),
                record["confirmed_by"].as_str()
            ),
            (Some("confirmed"), Some(minutes), Some(by)),
            "{record}"
        );
    }
    app.stop().await.expect("clean stop");
}
