//! The booking API: lifecycle, validation, tenant isolation, idempotent create.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

fn id(booking: &Value) -> String {
    booking["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_booking_is_created_read_listed_rescheduled_and_cancelled() {
    let api = Api::start().await;
    let token = api.login(REQUESTER_ABH).await;

    let response = api
        .http
        .post(api.url("/api/v1/bookings"))
        .bearer_auth(&token)
        .json(&booking_body(3))
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let booking: Value = response.json().await.expect("json");
    assert_eq!(location, format!("/api/v1/bookings/{}", id(&booking)));
    assert_eq!(booking["state"], "requested");
    assert_eq!(booking["language"], "uk");
    assert_eq!(booking["time_zone"], "Europe/Berlin");
    assert_eq!(booking["offers"], json!([]));
    assert_eq!(booking["assignment"], Value::Null);
    let start: chrono::DateTime<chrono::Utc> = booking["start"]
        .as_str()
        .expect("start")
        .parse()
        .expect("rfc3339");
    let end: chrono::DateTime<chrono::Utc> = booking["end"]
        .as_str()
        .expect("end")
        .parse()
        .expect("rfc3339");
    assert_eq!(end - start, chrono::Duration::minutes(60));
    let local = start.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(
        local.format("%H:%M").to_string(),
        "09:30",
        "09:30 Berlin time whatever the season"
    );

    let (status, fetched) = api.call(Method::GET, &location, Some(&token), None).await;
    assert_eq!(status, 200);
    for key in ["id", "language", "start", "end", "client", "created_at"] {
        assert_eq!(fetched[key], booking[key], "{key}");
    }

    // Reschedule: new time, state requested again.
    let (status, moved) = api
        .call(
            Method::POST,
            &format!("{location}/reschedule"),
            Some(&token),
            Some(json!({"start": (start + chrono::Duration::days(1)).to_rfc3339(), "duration_minutes": 90})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["state"], "requested");
    assert_eq!(moved["duration_minutes"], 90);

    // Cancel, then every further change is a conflict.
    let (status, cancelled) = api
        .call(
            Method::POST,
            &format!("{location}/cancel"),
            Some(&token),
            Some(json!({"reason": "Termin entfällt"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "Termin entfällt");
    let (status, problem) = api
        .call(
            Method::POST,
            &format!("{location}/cancel"),
            Some(&token),
            Some(json!({"reason": "again"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("cancelled")
    );
    let (status, _) = api
        .call(
            Method::POST,
            &format!("{location}/reschedule"),
            Some(&token),
            Some(json!({"start": (start + chrono::Duration::days(2)).to_rfc3339()})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Every change of the requester's left its event in the outbox, in order (dispatch
    // adds its own offers and `offering` in between).
    let subjects: Vec<String> = sqlx::query_scalar(
        "SELECT subject FROM booking.outbox WHERE subject LIKE 'booking.booking.%' \
         AND subject <> 'booking.booking.offering' ORDER BY created_at, id",
    )
    .fetch_all(&api.env.db.pool)
    .await
    .expect("outbox");
    assert_eq!(
        subjects,
        [
            "booking.booking.requested",
            "booking.booking.rescheduled",
            "booking.booking.cancelled"
        ]
    );
}

#[tokio::test]
async fn lists_filter_and_page_through_bookings() {
    let api = Api::start().await;
    let token = api.login(REQUESTER_ABH).await;
    let mut ids = Vec::new();
    for day in 2..7 {
        let mut body = booking_body(day);
        if day == 4 {
            body["language"] = json!("apc");
        }
        let (status, booking) = api.book(&token, body).await;
        assert_eq!(status, 201, "{booking}");
        ids.push(id(&booking));
    }
    let (_, cancelled) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{}/cancel", ids[4]),
            Some(&token),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(cancelled["state"], "cancelled");

    // Pages of two, by start time.
    let mut seen = Vec::new();
    let mut path = "/api/v1/bookings?limit=2".to_owned();
    loop {
        let (status, page) = api.call(Method::GET, &path, Some(&token), None).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(id));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/bookings?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every booking once, in order of start");

    let (_, page) = api
        .call(
            Method::GET,
            "/api/v1/bookings?language=apc",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        [ids[2].clone()]
    );
    let (_, page) = api
        .call(
            Method::GET,
            "/api/v1/bookings?state=cancelled",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        [ids[4].clone()]
    );
    // From now to the end of the third day in Berlin: the bookings of days 2 and 3.
    let to = midnight(mittler_testkit::calendar::today() + chrono::Duration::days(4));
    let (_, page) = api
        .call(
            Method::GET,
            &format!(
                "/api/v1/bookings?from={}&to={}",
                query_instant(chrono::Utc::now()),
                query_instant(to)
            ),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        ids[..2].to_vec()
    );

    for (query, field) in [
        ("state=lost", "state"),
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("language=klingon", "language"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=garbage", "cursor"),
    ] {
        let (status, problem) = api
            .call(
                Method::GET,
                &format!("/api/v1/bookings?{query}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(field_errors(&problem), [field], "{query}");
    }
}

#[tokio::test]
async fn bad_bookings_get_clear_field_errors_and_nothing_is_created() {
    let api = Api::start().await;
    let token = api.login(REQUESTER_ABH).await;
    let cases: Vec<(Value, &[&str])> = vec![
        (json!({"language": "xx"}), &["language"]),
        (json!({"language": "arabic"}), &["language"]),
        (json!({"duration_minutes": 10}), &["duration_minutes"]),
        (json!({"duration_minutes": 601}), &["duration_minutes"]),
        (json!({"local_start": "2020-01-01T09:00"}), &["local_start"]),
        (json!({"local_start": "2027-03-28T02:30"}), &["local_start"]),
        (json!({"local_start": "2026-13-40T09:00"}), &["local_start"]),
        (json!({"time_zone": "Mars/Olympus"}), &["time_zone"]),
        (json!({"modality": "on_site"}), &["location"]),
        (json!({"modality": "carrier_pigeon"}), &["modality"]),
        (
            json!({"kind": "on_demand", "modality": "on_site", "location": {"address": "Markt 1", "postal_code": "09111", "latitude": 50.8, "longitude": 12.9}}),
            &["modality"],
        ),
        (
            json!({"modality": "on_site", "location": {"address": "", "postal_code": "ABC", "latitude": 91, "longitude": 12.9}}),
            &[
                "location.address",
                "location.postal_code",
                "location.latitude",
            ],
        ),
        (
            json!({"client": {"reference": "", "email": "no-at-sign", "language": "zz"}}),
            &["client.reference", "client.email", "client.language"],
        ),
        (json!({"subject_area": "astrology"}), &["subject_area"]),
        (json!({"min_qualification": "guru"}), &["min_qualification"]),
        (json!({"surprise": true}), &["body"]),
        (json!({"notes": "x".repeat(2001)}), &["notes"]),
    ];
    for (patch, fields) in cases {
        let mut body = booking_body(5);
        for (key, value) in patch.as_object().expect("object") {
            body[key] = value.clone();
        }
        let (status, problem) = api.book(&token, body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{patch}: {problem}"
        );
        assert_eq!(problem["status"], 422);
        let got = field_errors(&problem);
        if fields == ["body"] {
            assert_eq!(got.len(), 1, "{patch}: {problem}");
        } else {
            assert_eq!(got, fields, "{patch}: {problem}");
        }
    }
    // Both ways of giving the time at once, or neither.
    let mut body = booking_body(5);
    body["start"] = json!("2030-01-01T09:00:00+01:00");
    assert_eq!(
        field_errors(&api.book(&token, body).await.1),
        ["local_start"]
    );
    let mut body = booking_body(5);
    body.as_object_mut().expect("object").remove("local_start");
    assert_eq!(field_errors(&api.book(&token, body).await.1), ["start"]);
    let mut body = booking_body(5);
    body.as_object_mut().expect("object").remove("language");
    assert_eq!(field_errors(&api.book(&token, body).await.1), ["language"]);
    // The autumn fold: asks for an offset.
    let mut body = booking_body(5);
    body["local_start"] = json!("2027-10-31T02:30");
    let (_, problem) = api.book(&token, body).await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("offset"),
        "{problem}"
    );

    let huge = format!("{{\"notes\": \"{}\"}}", "x".repeat(70 * 1024));
    let response = api
        .http
        .post(api.url("/api/v1/bookings"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = api
        .http
        .post(api.url("/api/v1/bookings"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("[1,")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, _) = api
        .call(
            Method::GET,
            "/api/v1/bookings/not-a-uuid",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call(Method::DELETE, "/api/v1/bookings", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM booking.bookings")
        .fetch_one(&api.env.db.pool)
        .await
        .expect("count");
    assert_eq!(count, 0, "no bad request created anything");
}

#[tokio::test]
async fn organisations_and_pools_see_only_their_own_bookings() {
    let api = Api::start().await;
    let abh = api.login(REQUESTER_ABH).await;
    let abh_colleague = api.login(REQUESTER_ABH_2).await;
    let jobcenter = api.login(REQUESTER_JOBCENTER).await;
    let coordinator = api.login(COORDINATOR).await;
    let admin = api.login(ADMIN).await;
    let mediator = api.login(MEDIATOR).await;

    let (_, a) = api.book(&abh, booking_body(3)).await;
    let (_, b) = api.book(&jobcenter, booking_body(4)).await;
    let (a, b) = (id(&a), id(&b));

    // A colleague of the same organisation sees it; another organisation does not.
    assert_eq!(
        api.call(
            Method::GET,
            &format!("/api/v1/bookings/{a}"),
            Some(&abh_colleague),
            None
        )
        .await
        .0,
        200
    );
    for (token, other) in [(&abh, &b), (&jobcenter, &a)] {
        assert_eq!(
            api.call(
                Method::GET,
                &format!("/api/v1/bookings/{other}"),
                Some(token),
                None
            )
            .await
            .0,
            404
        );
        let (status, _) = api
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{other}/cancel"),
                Some(token),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(status, 404);
        let (_, page) = api
            .call(Method::GET, "/api/v1/bookings", Some(token), None)
            .await;
        let listed: HashSet<String> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id)
            .collect();
        assert!(!listed.contains(other.as_str()));
        assert_eq!(listed.len(), 1);
    }

    // The pool's coordinator and the admin see both.
    for token in [&coordinator, &admin] {
        let (_, page) = api
            .call(Method::GET, "/api/v1/bookings", Some(token), None)
            .await;
        let listed: HashSet<String> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id)
            .collect();
        assert_eq!(listed, HashSet::from([a.clone(), b.clone()]));
    }
    let (_, orgs) = api
        .call(
            Method::GET,
            "/api/v1/organisations",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(orgs.as_array().expect("orgs").len(), 4);
    let (_, orgs) = api
        .call(Method::GET, "/api/v1/organisations", Some(&jobcenter), None)
        .await;
    assert_eq!(orgs.as_array().expect("orgs").len(), 1);

    // A coordinator of another pool sees nothing of this one.
    let other_pool = add_other_pool(&api).await;
    let stranger = api.login(&other_pool).await;
    let (_, page) = api
        .call(Method::GET, "/api/v1/bookings", Some(&stranger), None)
        .await;
    assert_eq!(page["items"], json!([]));
    assert_eq!(
        api.call(
            Method::GET,
            &format!("/api/v1/bookings/{a}"),
            Some(&stranger),
            None
        )
        .await
        .0,
        404
    );

    // Roles: mediators neither list nor book; coordinators do not book for others.
    assert_eq!(
        api.call(Method::GET, "/api/v1/bookings", Some(&mediator), None)
            .await
            .0,
        403
    );
    assert_eq!(api.book(&mediator, booking_body(3)).await.0, 403);
    assert_eq!(api.book(&coordinator, booking_body(3)).await.0, 403);
    // The coordinator may cancel in its pool.
    let (status, cancelled) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{b}/cancel"),
            Some(&coordinator),
            Some(json!({"reason": "Pool: kein Bedarf"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["state"], "cancelled");
}

async fn add_other_pool(api: &Api) -> String {
    use mittler_gateway::directory::{self, Organisation, User};
    use mittler_types::{OrganisationId, OrganisationKind, Role, TimeZone, UserId};
    let pool = &api.env.db.pool;
    let org = Organisation {
        id: OrganisationId::new(),
        name: "Dolmetscherpool Thüringen".into(),
        kind: OrganisationKind::Pool,
        pool_id: None,
        time_zone: TimeZone::BERLIN,
        active: true,
    };
    directory::insert_organisation(pool, &org)
        .await
        .expect("org");
    let email = "koordination@pool-thueringen.example".to_owned();
    let user = User {
        id: UserId::new(),
        organisation_id: org.id,
        email: email.clone(),
        name: "Uwe Schmidt".into(),
        role: Role::Coordinator,
        locale: "de".into(),
        mediator_id: None,
        password_hash: Some(
            mittler_gateway::auth::hash_password(mittler_gateway::seed::DEMO_PASSWORD)
                .expect("hash"),
        ),
    };
    directory::insert_user(pool, &user).await.expect("user");
    email
}

#[tokio::test]
async fn a_retried_create_with_the_same_key_creates_one_booking() {
    let api = Api::start().await;
    let token = api.login(REQUESTER_ABH).await;
    let body = booking_body(6);
    let post = |key: &str, body: &Value| {
        api.http
            .post(api.url("/api/v1/bookings"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(body)
            .send()
    };
    let first = post("retry-1", &body).await.expect("first");
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.expect("json");
    let again = post("retry-1", &body).await.expect("again");
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.expect("json");
    assert_eq!(id(&first), id(&again));

    // The same key for a different request is refused.
    let mut other = body.clone();
    other["duration_minutes"] = json!(45);
    let refused = post("retry-1", &other).await.expect("refused");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Ten retries at once: one booking.
    let results = futures::future::join_all((0..10).map(|_| post("burst-7", &body))).await;
    let mut ids = HashSet::new();
    for result in results {
        let response = result.expect("response");
        assert_eq!(response.status(), 201);
        ids.insert(id(&response.json::<Value>().await.expect("json")));
    }
    assert_eq!(ids.len(), 1);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM booking.bookings")
        .fetch_one(&api.env.db.pool)
        .await
        .expect("count");
    assert_eq!(count, 2);
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM booking.outbox WHERE subject = 'booking.booking.requested'",
    )
    .fetch_one(&api.env.db.pool)
    .await
    .expect("events");
    assert_eq!(events, 2, "one event per booking");

    let bad_key = api
        .http
        .post(api.url("/api/v1/bookings"))
        .bearer_auth(&token)
        .header("idempotency-key", "x".repeat(300))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(bad_key.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_openapi_document_covers_every_endpoint() {
    let api = Api::start().await;
    let (status, doc) = api.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/bookings", "post"),
        ("/api/v1/bookings", "get"),
        ("/api/v1/bookings/{id}", "get"),
        ("/api/v1/bookings/{id}/cancel", "post"),
        ("/api/v1/bookings/{id}/reschedule", "post"),
        ("/api/v1/organisations", "get"),
        ("/api/v1/mediators", "get"),
        ("/api/v1/mediators", "post"),
        ("/api/v1/mediators/{id}", "get"),
        ("/api/v1/mediators/{id}", "put"),
        ("/api/v1/mediators/{id}/availability", "get"),
        ("/api/v1/mediators/{id}/availability", "put"),
        ("/api/v1/mediators/me/availability", "get"),
        ("/api/v1/mediators/me/availability", "put"),
        ("/api/v1/mediators/me/absences", "post"),
        ("/api/v1/mediators/me/presence", "put"),
        ("/api/v1/offers", "get"),
        ("/api/v1/offers/{id}/accept", "post"),
        ("/api/v1/offers/{id}/decline", "post"),
        ("/api/v1/bookings/{id}/dispatch", "get"),
        ("/api/v1/queue", "get"),
        ("/api/v1/queue/events", "get"),
        ("/api/v1/statistics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(doc["components"]["schemas"]["BookingView"].is_object());
    assert!(doc["components"]["schemas"]["QueueEvent"].is_object());
    assert!(
        doc["paths"]["/api/v1/queue/events"]["get"]["responses"]["200"]["content"]
            ["text/event-stream"]
            .is_object()
    );
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn the_list_finds_bookings_by_case_number() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    for reference in ["AZ-4711/26", "AZ-0815/26"] {
        let mut body = booking_body(3);
        body["client"]["reference"] = serde_json::json!(reference);
        let (status, booking) = api.book(&requester, body).await;
        assert_eq!(status, StatusCode::CREATED, "{booking}");
    }
    let found = |query: &'static str| {
        let api = &api;
        let requester = requester.clone();
        async move {
            let (status, page) = api
                .call(
                    Method::GET,
                    &format!("/api/v1/bookings?reference={query}"),
                    Some(&requester),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|b| {
                    b["client"]["reference"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("4711").await, ["AZ-4711/26"]);
    assert_eq!(found("az-").await.len(), 2, "case does not matter");
    // A wildcard is a character like any other.
    assert!(found("%25").await.is_empty());
    assert!(found("AZ_").await.is_empty());
}
