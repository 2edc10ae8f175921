//! The coordinators' queue, a mediator's jobs and the statistics, through the API.

use crate::common::*;
use chrono::Datelike;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn the_queue_jobs_and_statistics_follow_the_bookings() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_JOBCENTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let day = working_day(3);
    let mut ids = Vec::new();
    for hour in ["09:00", "13:00"] {
        let mut body = booking_body(3);
        body["local_start"] = json!(format!("{day}T{hour}"));
        let (status, booking) = api.book(&requester, body).await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
        ids.push(booking["id"].as_str().expect("id").to_owned());
    }

    // Only coordinators see the queue; both bookings wait in it, by start.
    assert_eq!(
        api.call(Method::GET, "/api/v1/queue", Some(&requester), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let queue = api.queue(&coordinator).await;
    let queued: Vec<String> = queue
        .iter()
        .map(|item| item.booking.id.to_string())
        .collect();
    assert_eq!(queued, ids);
    assert!(queue[0].escalated_at.is_none());

    // A mediator with an offer for the first takes it.
    let offers = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "offers made",
        || async {
            let offers = api.booking(&requester, &ids[0]).await.offers;
            (!offers.is_empty()).then_some(offers)
        },
    )
    .await;
    let mediator_id = offers[0].mediator_id.to_string();
    let mediator_id = mediator_id.as_str();
    let mediator = api.login(&email_of(mediator_id)).await;
    let (status, accepted) = api
        .call(
            Method::POST,
            &format!("/api/v1/offers/{}/accept", offers[0].id),
            Some(&mediator),
            None,
        )
        .await;
    assert_eq!(status, 200, "{accepted}");

    let (status, jobs) = api
        .call(
            Method::GET,
            "/api/v1/mediators/me/jobs",
            Some(&mediator),
            None,
        )
        .await;
    assert_eq!(status, 200, "{jobs}");
    assert_eq!(jobs.as_array().expect("jobs").len(), 1);
    assert_eq!(jobs[0]["id"], json!(ids[0]));
    assert_eq!(jobs[0]["assignment"]["mediator_id"], json!(mediator_id));
    assert_eq!(
        api.call(
            Method::GET,
            "/api/v1/mediators/me/jobs?since=yesterday",
            Some(&mediator),
            None
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        api.call(
            Method::GET,
            "/api/v1/mediators/me/jobs",
            Some(&requester),
            None
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    // The list shows who was assigned, too.
    let (_, page) = api
        .call(Method::GET, "/api/v1/bookings", Some(&requester), None)
        .await;
    let listed = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|b| b["id"] == json!(ids[0]))
        .expect("listed");
    assert_eq!(listed["assignment"]["mediator_id"], json!(mediator_id));

    let queue = api.queue(&coordinator).await;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].booking.id.to_string(), ids[1]);

    // The second is cancelled: one filled, one cancelled, nothing unfilled.
    let (status, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{}/cancel", ids[1]),
            Some(&requester),
            Some(json!({"reason": "Termin entfällt"})),
        )
        .await;
    assert_eq!(status, 200);
    // The period is the bookings' month, whatever day the test runs on: on the last
    // days of a month the bookings lie in the next one.
    let (from, to) = month_of(day);
    let (from, to) = (query_instant(from), query_instant(to));
    let (status, stats) = api
        .call(
            Method::GET,
            &format!("/api/v1/statistics?from={from}&to={to}"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["total"]["bookings"], 2);
    assert_eq!(stats["total"]["filled"], 1);
    assert_eq!(stats["total"]["cancelled"], 1);
    assert_eq!(stats["total"]["fill_rate"], 1.0);
    assert!(
        stats["total"]["median_minutes_to_assign"]
            .as_f64()
            .expect("median")
            >= 0.0
    );
    assert_eq!(stats["by_language"][0]["key"], "uk");
    assert_eq!(stats["by_language"][0]["bookings"], 2);
    let month = format!("{:04}-{:02}", day.year(), day.month());
    assert_eq!(stats["by_month"][0]["key"], json!(month));

    // A period that ends before it begins, or a requester asking: refused.
    assert_eq!(
        api.call(
            Method::GET,
            "/api/v1/statistics?from=2026-05-01T00:00:00Z&to=2026-04-01T00:00:00Z",
            Some(&coordinator),
            None
        )
        .await
        .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        api.call(Method::GET, "/api/v1/statistics", Some(&requester), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // A period with no bookings has no fill rate yet.
    let (_, empty) = api
        .call(
            Method::GET,
            "/api/v1/statistics?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(empty["total"]["bookings"], 0);
    assert!(empty["total"]["fill_rate"].is_null());
}

#[tokio::test]
async fn the_queue_stream_tells_coordinators_of_new_bookings() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_JOBCENTER).await;
    let coordinator = api.login(COORDINATOR).await;

    // Not signed in: 401; a requester: 403, both as problem+json.
    let anonymous = api
        .http
        .get(api.url("/api/v1/queue/events"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let refused = api
        .http
        .get(api.url("/api/v1/queue/events"))
        .bearer_auth(&requester)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );

    let mut live = api
        .http
        .get(api.url("/api/v1/queue/events"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .expect("stream");
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(live.headers()["content-type"], "text/event-stream");

    let mut body = booking_body(3);
    body["local_start"] = json!(format!("{}T10:00", working_day(3)));
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();

    let seen = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut seen = String::new();
        while let Some(chunk) = live.chunk().await.expect("stream") {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: booking.booking.requested") && seen.contains(&id) {
                break;
            }
        }
        seen
    })
    .await
    .expect("a queue event for the new booking");
    let data: Value = seen
        .lines()
        .skip_while(|line| *line != "event: booking.booking.requested")
        .find_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).expect("json"))
        .expect("data of the event");
    assert_eq!(data["type"], "booking.booking.requested");
    assert_eq!(data["booking_id"], json!(id));
    assert_eq!(data["organisation_id"], booking["organisation_id"]);
    // No names, references or notes of people in the stream.
    assert!(
        data.get("client").is_none() && data.get("notes").is_none(),
        "{data}"
    );
}
