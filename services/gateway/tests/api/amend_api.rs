//! A booking's notes, client and place change after it was made: checked like a new
//! booking's, a new place before anyone accepted is offered anew, a held booking
//! stays with its mediator, a cancelled one changes no more, mediators change none.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn open_offers(api: &Api, token: &str, id: &str) -> Vec<Value> {
    mittler_testkit::eventually(std::time::Duration::from_secs(20), "offers", || async {
        let (_, booking) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id}"),
                Some(token),
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
    })
    .await
}

#[tokio::test]
async fn notes_client_and_place_change_after_booking() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    let mut body = booking_body(2);
    body["local_start"] = json!(format!("{}T10:00", working_day(2)));
    body["modality"] = json!("on_site");
    body["location"] = json!({"address": "Theaterplatz 2, Dresden",
        "postal_code": "01067", "latitude": 51.0543, "longitude": 13.7351});
    let (_, check) = api
        .call(
            Method::POST,
            "/api/v1/bookings/check",
            Some(&requester),
            Some(body.clone()),
        )
        .await;
    // Before booking, the check says who could take it (counts, no names).
    assert!(check["eligible"].as_u64().is_some_and(|n| n > 0), "{check}");
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let details = format!("/api/v1/bookings/{id}/details");
    let first = open_offers(&api, &requester, &id).await;

    // Checked as a new booking's values are, each named; nothing changes.
    let (status, problem) = api
        .call(
            Method::PUT,
            &details,
            Some(&requester),
            Some(json!({"notes": "x".repeat(2001), "client": {"reference": "", "email": "keine"},
                        "location": {"address": "Markt 1", "postal_code": "94", "latitude": 50.6, "longitude": 13.0}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        field_errors(&problem),
        [
            "notes",
            "client.reference",
            "client.email",
            "location.postal_code"
        ]
    );

    // Notes and client only: dispatch goes on as it was.
    let (status, changed) = api
        .call(
            Method::PUT,
            &details,
            Some(&requester),
            Some(json!({"notes": "Bitte am Empfang melden.",
                        "client": {"reference": "BG-4712", "email": "klient@example.org", "language": "uk"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["notes"], "Bitte am Empfang melden.");
    assert_eq!(changed["client"]["reference"], "BG-4712");
    assert_eq!(
        changed["location"]["postal_code"], "01067",
        "a place left out stays"
    );
    assert_eq!(changed["state"], "offering");

    // A new place before anyone accepted: the offers from the old one are withdrawn
    // and dispatch asks again.
    let (status, moved) = api
        .call(
            Method::PUT,
            &details,
            Some(&requester),
            Some(json!({"notes": "Bitte am Empfang melden.",
                        "client": {"reference": "BG-4712"},
                        "location": {"address": "Altmarkt 1, Dresden", "postal_code": "01067",
                                     "latitude": 51.0503, "longitude": 13.7383}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["location"]["address"], "Altmarkt 1, Dresden");
    let again = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "offered anew",
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
            let old_withdrawn = first.iter().all(|o| {
                offers
                    .iter()
                    .any(|n| n["id"] == o["id"] && n["state"] == "withdrawn")
            });
            let open: Vec<Value> = offers
                .into_iter()
                .filter(|o| o["state"] == "open")
                .collect();
            (old_withdrawn && !open.is_empty()).then_some(open)
        },
    )
    .await;

    // A mediator changes nothing; the one who accepts keeps the job through a change.
    let winner = api
        .login(&email_of(
            again[0]["mediator_id"].as_str().expect("mediator"),
        ))
        .await;
    let (status, _) = api
        .call(
            Method::PUT,
            &details,
            Some(&winner),
            Some(json!({"notes": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, assigned) = api
        .call(
            Method::POST,
            &format!(
                "/api/v1/offers/{}/accept",
                again[0]["id"].as_str().expect("offer")
            ),
            Some(&winner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    let (status, kept) = api
        .call(
            Method::PUT,
            &details,
            Some(&requester),
            Some(
                json!({"notes": "Neuer Eingang: Hof, Tür B.", "client": {"reference": "BG-4712"}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["state"], "assigned");
    assert_eq!(kept["assignment"]["mediator_id"], again[0]["mediator_id"]);
    let (status, job) = api
        .call(
            Method::GET,
            &format!("/api/v1/mediators/me/jobs/{id}"),
            Some(&winner),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["notes"], "Neuer Eingang: Hof, Tür B.");

    // Cancelled: no more changes.
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/cancel"),
            Some(&requester),
            Some(json!({"reason": "Termin entfällt"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = api
        .call(
            Method::PUT,
            &details,
            Some(&requester),
            Some(json!({"notes": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}
