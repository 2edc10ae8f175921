//! The end of a booking over HTTP: a booking nobody takes ends unfilled at its start
//! and its requester gets a mail; a coordinator gives one up; the mediator claims the
//! time of a job, the requester disputes it, a coordinator settles it, and bad
//! claims come back as problems that change nothing.

use crate::common::*;
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_booking_nobody_takes_is_unfilled_at_its_start_and_its_requester_is_told() {
    let api = Api::start_with_mail().await;
    let requester = api.login(REQUESTER_ABH).await;
    // Nobody in the pool speaks Albanian; the start is a few seconds away.
    let mut body = booking_body(1);
    body["language"] = json!("sq");
    body.as_object_mut().expect("object").remove("local_start");
    body["start"] = json!((Utc::now() + Duration::seconds(4)).to_rfc3339());
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let unfilled = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "unfilled at its start",
        || async {
            let booking = api.booking(&requester, &id).await;
            (booking.state == mittler_types::BookingState::Unfilled).then_some(booking)
        },
    )
    .await;
    assert!(unfilled.unfilled.is_some_and(|u| u.unfilled_by.is_none()));
    let smtp = api.smtp.as_ref().expect("mail");
    let mail = smtp.wait_for(REQUESTER_ABH, "Nicht besetzt").await;
    assert!(
        mail.text.contains(&format!("/bookings/{id}")),
        "{}",
        mail.text
    );
    // The feed says so too.
    let (status, feed) = api
        .call(Method::GET, "/api/v1/notifications", Some(&requester), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(feed.to_string().contains("Nicht besetzt"), "{feed}");

    // The statistics count it as unfilled: a fill rate of 0, not "nothing decided".
    let coordinator = api.login(COORDINATOR).await;
    let (from, to) = (
        query_instant(Utc::now() - Duration::hours(1)),
        query_instant(Utc::now() + Duration::hours(2)),
    );
    let (status, report) = api
        .call(
            Method::GET,
            &format!("/api/v1/statistics?from={from}&to={to}"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (
            report["total"]["unfilled"].as_i64(),
            report["total"]["filled"].as_i64(),
            report["total"]["fill_rate"].as_f64()
        ),
        (Some(1), Some(0), Some(0.0)),
        "{report}"
    );
}

/// Book at 09:30 on a working day; the first Ukrainian speaker offered accepts.
pub async fn booked_and_accepted(api: &Api, requester: &str) -> (String, String, String) {
    let mut body = booking_body(3);
    body["local_start"] = json!(format!("{}T09:30", working_day(2)));
    let (status, booking) = api.book(requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let offers = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "offers made",
        || async {
            let booking = api.booking(requester, &id).await;
            (!booking.offers.is_empty()).then_some(booking.offers)
        },
    )
    .await;
    let mediator = offers[0].mediator_id.to_string();
    let token = api.login(&email_of(&mediator)).await;
    let (status, assigned) = api
        .call(
            Method::POST,
            &format!("/api/v1/offers/{}/accept", offers[0].id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    (id, mediator, token)
}

#[tokio::test]
async fn a_claim_is_disputed_and_settled_and_bad_claims_are_problems_that_change_nothing() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    let coordinator = api.login(COORDINATOR).await;
    let (id, mediator, mediator_token) = booked_and_accepted(&api, &requester).await;
    let path = format!("/api/v1/bookings/{id}/time-record");
    let (status, open) = api
        .call(Method::GET, &path, Some(&mediator_token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{open}");
    assert_eq!(
        (open["state"].as_str(), open["mediator_id"].as_str()),
        (Some("open"), Some(mediator.as_str()))
    );

    // The job took place yesterday (whatever day the test runs on).
    sqlx::query(
        "UPDATE booking.bookings SET start_at = date_trunc('minute', now()) - interval '1 day', \
         end_at = date_trunc('minute', now()) - interval '1 day' + (end_at - start_at) WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&api.env.db.pool)
    .await
    .expect("moved");
    let booking = api.booking(&requester, &id).await;
    let (start, end) = (booking.details.start, booking.details.end);
    let body = |start: chrono::DateTime<Utc>, end: chrono::DateTime<Utc>| json!({"start": start.to_rfc3339(), "end": end.to_rfc3339(), "outcome": "done"});
    let other = api.login(&another_speaker(&mediator)).await;
    let cases: Vec<(&str, Value, StatusCode, Option<&str>)> = vec![
        (
            mediator_token.as_str(),
            body(start, Utc::now() + Duration::hours(2)),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("end"),
        ),
        (
            &mediator_token,
            body(end, start),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("end"),
        ),
        (
            &mediator_token,
            body(start - Duration::days(3), end - Duration::days(3)),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("start"),
        ),
        (
            &mediator_token,
            json!({"start": "gestern", "end": end.to_rfc3339(), "outcome": "done"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("start"),
        ),
        (
            &mediator_token,
            json!({"start": start.to_rfc3339(), "end": end.to_rfc3339(), "outcome": "done", "travel_km": 12}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("travel_minutes"),
        ),
        (&other, body(start, end), StatusCode::FORBIDDEN, None),
        (&requester, body(start, end), StatusCode::FORBIDDEN, None),
    ];
    for (token, bad, expected, field) in cases {
        let (status, problem) = api
            .call(Method::PUT, &path, Some(token), Some(bad.clone()))
            .await;
        assert_eq!(status, expected, "{bad} → {problem}");
        if let Some(field) = field {
            assert_eq!(field_errors(&problem), [field], "{problem}");
        }
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let (_, unchanged) = api.call(Method::GET, &path, Some(&requester), None).await;
    assert_eq!(unchanged["state"], "open", "nothing changed");

    // Claimed: 09:30 to 10:40; the requester disputes it.
    let (status, claimed) = api
        .call(
            Method::PUT,
            &path,
            Some(&mediator_token),
            Some(body(start, end + Duration::minutes(10))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    assert_eq!(
        (
            claimed["state"].as_str(),
            claimed["worked_minutes"].as_i64()
        ),
        (Some("claimed"), Some(70))
    );
    let (status, waiting) = api
        .call(Method::GET, "/api/v1/time-records", Some(&requester), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(waiting[0]["booking"]["id"], json!(id), "{waiting}");
    let (status, problem) = api
        .call(
            Method::POST,
            &format!("{path}/dispute"),
            Some(&requester),
            Some(json!({"reason": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["reason"]);
    let (status, problem) = api
        .call(
            Method::POST,
            &format!("{path}/confirm"),
            Some(&mediator_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, disputed) = api
        .call(
            Method::POST,
            &format!("{path}/dispute"),
            Some(&requester),
            Some(json!({"reason": "Der Termin endete um 10:15"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{disputed}");
    assert_eq!(disputed["state"], "disputed");

    // The coordinators' list shows it; their word settles it.
    let (_, disputes) = api
        .call(
            Method::GET,
            "/api/v1/time-records",
            Some(&coordinator),
            None,
        )
        .await;
    assert!(
        disputes
            .as_array()
            .expect("list")
            .iter()
            .any(|item| item["booking"]["id"] == json!(id) && item["record"]["state"] == "disputed"),
        "{disputes}"
    );
    let (status, settled) = api
        .call(
            Method::PUT,
            &path,
            Some(&coordinator),
            Some(body(start, end - Duration::minutes(15))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settled}");
    assert_eq!(
        (
            settled["state"].as_str(),
            settled["confirmed_by"].as_str(),
            settled["worked_minutes"].as_i64()
        ),
        (Some("confirmed"), Some("coordinator"), Some(45))
    );
    let done = api.booking(&requester, &id).await;
    assert_eq!(done.state, mittler_types::BookingState::Completed);
    assert_eq!(done.worked_minutes, Some(45));
}

/// Another demo mediator who speaks Ukrainian.
fn another_speaker(not: &str) -> String {
    mittler_gateway::seed::demo_mediators()
        .find(|(id, profile, _)| id.to_string() != not && profile.languages.contains(&"uk"))
        .map(|(_, _, email)| email)
        .expect("another Ukrainian speaker")
}

#[tokio::test]
async fn only_coordinators_give_up_and_the_requester_reads_why() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    let coordinator = api.login(COORDINATOR).await;
    let mut body = booking_body(3);
    body["local_start"] = json!(format!("{}T09:30", working_day(3)));
    let (_, booking) = api.book(&requester, body).await;
    let id = booking["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/bookings/{id}/give-up");
    let reason = json!({"reason": "Keine Sprachmittlung für diesen Termin frei"});
    let (status, problem) = api
        .call(Method::POST, &path, Some(&requester), Some(reason.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = api
        .call(Method::POST, &path, Some(&coordinator), Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, given_up) = api
        .call(Method::POST, &path, Some(&coordinator), Some(reason))
        .await;
    assert_eq!(status, StatusCode::OK, "{given_up}");
    assert_eq!(given_up["state"], "unfilled");
    let seen = api.booking(&requester, &id).await;
    assert_eq!(
        seen.unfilled.map(|u| u.reason),
        Some("Keine Sprachmittlung für diesen Termin frei".to_owned())
    );
    let (status, _) = api
        .call(
            Method::POST,
            &path,
            Some(&coordinator),
            Some(json!({"reason": "noch einmal"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
