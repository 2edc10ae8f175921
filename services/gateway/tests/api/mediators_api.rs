//! Mediators' own calendars and presence; coordinators' views and profile management.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_mediator_reads_and_writes_their_calendar_and_a_put_of_the_get_is_accepted() {
    let api = Api::start().await;
    let token = api.login(MEDIATOR).await;
    let (status, me) = api
        .call(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    let languages: Vec<&str> = me["languages"]
        .as_array()
        .expect("languages")
        .iter()
        .filter_map(|l| l["code"].as_str())
        .collect();
    assert_eq!(languages, ["uk", "ru"]);

    let (status, calendar) = api
        .call(
            Method::GET,
            "/api/v1/mediators/me/availability",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(calendar["time_zone"], "Europe/Berlin");
    assert_eq!(
        calendar["weekly_rules"].as_array().expect("rules").len(),
        5,
        "Monday to Friday"
    );
    assert_eq!(
        calendar["weekly_rules"][0],
        json!({"weekday": 1, "start": "08:00", "end": "18:00"})
    );

    let (status, again) = api
        .call(
            Method::PUT,
            "/api/v1/mediators/me/availability",
            Some(&token),
            Some(calendar.clone()),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, calendar);

    let mut changed = calendar.clone();
    changed["weekly_rules"] = json!([{"weekday": 6, "start": "10:00", "end": "14:00"}]);
    let (status, stored) = api
        .call(
            Method::PUT,
            "/api/v1/mediators/me/availability",
            Some(&token),
            Some(changed),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        stored["weekly_rules"],
        json!([{"weekday": 6, "start": "10:00", "end": "14:00"}])
    );

    let (status, with_absence) = api
        .call(
            Method::POST,
            "/api/v1/mediators/me/absences",
            Some(&token),
            Some(json!({"start": "2026-12-24T00:00:00Z", "end": "2027-01-01T00:00:00Z", "reason": "holiday"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        with_absence["absences"].as_array().expect("absences").len(),
        1
    );

    for (body, field) in [
        (
            json!({"time_zone": "Europe/Berlin", "weekly_rules": [{"weekday": 0, "start": "08:00", "end": "12:00"}], "absences": []}),
            "weekly_rules[0].weekday",
        ),
        (
            json!({"time_zone": "Europe/Berlin", "weekly_rules": [{"weekday": 1, "start": "12:00", "end": "08:00"}], "absences": []}),
            "weekly_rules[0].end",
        ),
        (
            json!({"time_zone": "Europe/Berlin", "weekly_rules": [{"weekday": 1, "start": "8 Uhr", "end": "12:00"}], "absences": []}),
            "weekly_rules[0].start",
        ),
        (
            json!({"time_zone": "Nowhere/Land", "weekly_rules": [], "absences": []}),
            "time_zone",
        ),
    ] {
        let (status, problem) = api
            .call(
                Method::PUT,
                "/api/v1/mediators/me/availability",
                Some(&token),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(field_errors(&problem), [field], "{problem}");
    }
    let (status, problem) = api
        .call(Method::POST, "/api/v1/mediators/me/absences", Some(&token), Some(json!({"start": "2027-01-02T00:00:00Z", "end": "2027-01-01T00:00:00Z", "reason": "holiday"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["end"]);

    // Requesters have no calendar.
    let requester = api.login(REQUESTER_ABH).await;
    assert_eq!(
        api.call(
            Method::GET,
            "/api/v1/mediators/me/availability",
            Some(&requester),
            None
        )
        .await
        .0,
        403
    );
}

#[tokio::test]
async fn presence_is_a_heartbeat_with_an_expiry() {
    let api = Api::start().await;
    let token = api.login(MEDIATOR).await;
    let (status, presence) = api
        .call(
            Method::PUT,
            "/api/v1/mediators/me/presence",
            Some(&token),
            Some(json!({"online": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(presence["online"], true);
    let expires: chrono::DateTime<chrono::Utc> = presence["expires_at"]
        .as_str()
        .expect("expiry")
        .parse()
        .expect("instant");
    assert!(expires > chrono::Utc::now());
    let (_, offline) = api
        .call(
            Method::PUT,
            "/api/v1/mediators/me/presence",
            Some(&token),
            Some(json!({"online": false})),
        )
        .await;
    assert_eq!(offline, json!({"online": false, "expires_at": null}));
    let (status, problem) = api
        .call(
            Method::PUT,
            "/api/v1/mediators/me/presence",
            Some(&token),
            Some(json!({"online": "yes"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["online"]);
}

fn new_mediator(email: &str) -> Value {
    json!({
        "profile": {
            "display_name": "Hana Mirza",
            "email": email,
            "gender": "female",
            "languages": [{"code": "ckb", "qualification": "trained"}, {"code": "ar", "qualification": "lay"}],
            "modalities": ["video", "phone"],
            "home": {"lat": 51.05, "lon": 13.74},
            "postal_code": "01067",
            "max_travel_km": 40,
            "max_minutes_per_week": 900
        },
        "locale": "en"
    })
}

#[tokio::test]
async fn coordinators_create_edit_and_view_mediators() {
    let api = Api::start_with_mail().await;
    let coordinator = api.login(COORDINATOR).await;
    let (status, list) = api
        .call(Method::GET, "/api/v1/mediators", Some(&coordinator), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().expect("list").len(), 30);

    let (status, created) = api
        .call(
            Method::POST,
            "/api/v1/mediators",
            Some(&coordinator),
            Some(new_mediator("hana.mirza@example.org")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["time_zone"], "Europe/Berlin");
    assert_eq!(created["active"], true);
    // The new mediator is invited (in the language chosen) and signs in with the
    // password they set.
    let smtp = api.smtp.as_ref().expect("mail");
    let invitation = smtp
        .wait_for("hana.mirza@example.org", "Your account at Mittler")
        .await;
    assert!(invitation.text.contains("Hello Hana Mirza"));
    api.accept_invitation("hana.mirza@example.org", "ein-langes-passwort")
        .await;
    let response = api
        .http
        .post(api.url("/api/v1/auth/login"))
        .json(&json!({"email": "hana.mirza@example.org", "password": "ein-langes-passwort"}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["user"]["mediator_id"], created["id"]);

    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/mediators",
            Some(&coordinator),
            Some(new_mediator("hana.mirza@example.org")),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one account per e-mail address"
    );
    let mut bad = new_mediator("other@example.org");
    bad["profile"]["languages"] = json!([{"code": "elvish", "qualification": "trained"}]);
    let (status, problem) = api
        .call(
            Method::POST,
            "/api/v1/mediators",
            Some(&coordinator),
            Some(bad),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["profile.languages[0].code"]);
    let mut bad = new_mediator("other@example.org");
    bad["profile"]["max_travel_km"] = json!(-5);
    let (status, problem) = api
        .call(
            Method::POST,
            "/api/v1/mediators",
            Some(&coordinator),
            Some(bad),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["max_travel_km"]);
    let mut short = new_mediator("other@example.org");
    short["locale"] = json!("fr");
    assert_eq!(
        api.call(
            Method::POST,
            "/api/v1/mediators",
            Some(&coordinator),
            Some(short)
        )
        .await
        .0,
        422
    );
    let (_, list) = api
        .call(Method::GET, "/api/v1/mediators", Some(&coordinator), None)
        .await;
    assert_eq!(
        list.as_array().expect("list").len(),
        31,
        "refused requests created nothing"
    );

    let mut edit = new_mediator("hana.mirza@example.org")["profile"].clone();
    edit["max_minutes_per_week"] = json!(300);
    edit["active"] = json!(false);
    let (status, edited) = api
        .call(
            Method::PUT,
            &format!("/api/v1/mediators/{id}"),
            Some(&coordinator),
            Some(edit.clone()),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["max_minutes_per_week"], 300);
    assert_eq!(edited["active"], false);
    let (status, fetched) = api
        .call(
            Method::GET,
            &format!("/api/v1/mediators/{id}"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(fetched, edited);
    let unknown = "0195f0c2-0000-7000-8000-000000000000";
    assert_eq!(
        api.call(
            Method::PUT,
            &format!("/api/v1/mediators/{unknown}"),
            Some(&coordinator),
            Some(edit)
        )
        .await
        .0,
        404
    );
    assert_eq!(
        api.call(
            Method::GET,
            &format!("/api/v1/mediators/{unknown}"),
            Some(&coordinator),
            None
        )
        .await
        .0,
        404
    );

    // A coordinator sees and edits any calendar.
    let (status, calendar) = api
        .call(
            Method::GET,
            &format!("/api/v1/mediators/{id}/availability"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(calendar["weekly_rules"], json!([]));
    let rules = json!({"time_zone": "Europe/Berlin", "weekly_rules": [{"weekday": 2, "start": "09:00", "end": "12:00"}], "absences": []});
    let (status, stored) = api
        .call(
            Method::PUT,
            &format!("/api/v1/mediators/{id}/availability"),
            Some(&coordinator),
            Some(rules),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(stored["weekly_rules"][0]["weekday"], 2);

    // Requesters and mediators do not manage mediators.
    for email in [REQUESTER_ABH, MEDIATOR] {
        let token = api.login(email).await;
        assert_eq!(
            api.call(Method::GET, "/api/v1/mediators", Some(&token), None)
                .await
                .0,
            403
        );
        assert_eq!(
            api.call(
                Method::GET,
                &format!("/api/v1/mediators/{id}/availability"),
                Some(&token),
                None
            )
            .await
            .0,
            403
        );
    }
}

#[tokio::test]
async fn a_deactivated_mediator_is_signed_out_at_once_loses_open_offers_and_takes_no_work() {
    use mittler_contracts::availability::MediatorProfile;
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    let coordinator = api.login(COORDINATOR).await;
    // On a working day, inside the demo mediators' hours, whatever day this runs.
    let mut body = booking_body(3);
    body["local_start"] = json!(format!("{}T10:00", working_day(2)));
    let (status, booking) = api.book(&requester, body).await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let offers = mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "offers made",
        || async {
            let offers = api.booking(&requester, &id).await.offers;
            (!offers.is_empty()).then_some(offers)
        },
    )
    .await;
    let mediator_id = offers[0].mediator_id;
    let email = email_of(&mediator_id.to_string());
    let token = api.login(&email).await;
    assert!(!api.offers(&token).await.is_empty(), "the offer is theirs");

    // Deactivated by the coordinator.
    let path = format!("/api/v1/mediators/{mediator_id}");
    let profile: MediatorProfile = api.get(&path, &coordinator).await;
    let mut input = profile.input();
    input.active = false;
    let edited: MediatorProfile = api
        .expect(Method::PUT, &path, Some(&coordinator), Some(&input))
        .await;
    assert!(!edited.active);

    // The token they hold is refused at once, and so is a fresh sign-in.
    let (status, _) = api
        .call(Method::GET, "/api/v1/offers", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": email, "password": mittler_testkit::http::DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Their open offer is withdrawn.
    mittler_testkit::eventually(
        std::time::Duration::from_secs(20),
        "the offer withdrawn",
        || async {
            let booking = api.booking(&requester, &id).await;
            booking
                .offers
                .iter()
                .any(|o| o.mediator_id == mediator_id && o.state == "withdrawn")
                .then_some(())
        },
    )
    .await;

    // No coordinator can give them work.
    let (status, problem) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/assign"),
            Some(&coordinator),
            Some(json!({"mediator_id": mediator_id})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["mediator_id"]);
    assert_eq!(problem["errors"][0]["key"], "reservations.inactive");

    // Reactivated: they sign in again.
    input.active = true;
    let _: MediatorProfile = api
        .expect(Method::PUT, &path, Some(&coordinator), Some(&input))
        .await;
    api.login(&email).await;
}

/// POST a CSV file to the import.
async fn import(api: &Api, token: &str, query: &str, file: &str) -> (StatusCode, Value) {
    let response = api
        .http
        .post(api.url(&format!("/api/v1/mediators/import{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv; charset=utf-8")
        .body(file.to_owned())
        .send()
        .await
        .expect("import");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_pools_spreadsheet_is_checked_line_by_line_and_imported_only_whole() {
    let api = Api::start_with_mail().await;
    let coordinator = api.login(COORDINATOR).await;
    let count = || async {
        api.get::<Vec<Value>>("/api/v1/mediators", &coordinator)
            .await
            .len()
    };
    let good = "\u{feff}Name;E-Mail;Anrede;Sprachen;Einsatzformen;PLZ;Breitengrad;Längengrad;Fahrweg km\n\
        Dilan Rashid;dilan.rashid@example.org;w;ckb:zertifiziert, ar;Video, vor Ort;04109;51,3397;12,3731;40\n\
        Ahmad Karimi;ahmad.karimi@example.org;m;prs:geschult;Telefon;01067;51,05;13,74;\n";

    // A dry run checks and writes nothing.
    let (status, report) = import(&api, &coordinator, "?dry_run=true", good).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["mediators"].as_array().map(Vec::len), Some(2));
    assert_eq!(count().await, 30);

    // A file with problems: each by line and column, and nothing written.
    let bad = "Name;E-Mail;Anrede;Sprachen;Einsatzformen;PLZ;Breitengrad;Längengrad\n\
        Dilan Rashid;dilan.rashid@example.org;w;ckb;Video;04109;51,3;12,3\n\
        Kaputt;kaputt@example.org;w;uk\n\
        Elb Isch;elb@example.org;d;elbisch;Video;04109;51,3;12,3\n\
        Doppelt;Dilan.Rashid@example.org;w;ckb;Video;04109;51,3;12,3\n\
        Olena Kovalenko;olena.kovalenko@mittler-demo.example;w;uk;Video;04109;51,3;12,3\n";
    let (status, problem) = import(&api, &coordinator, "", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        field_errors(&problem),
        ["lines[3].line", "lines[4].languages", "lines[5].email"]
    );
    assert_eq!(count().await, 30, "nothing written");
    // An address that has an account is found once the lines themselves are right.
    let taken = "Name;E-Mail;Anrede;Sprachen;Einsatzformen;PLZ;Breitengrad;Längengrad\n\
        Olena Kovalenko;olena.kovalenko@mittler-demo.example;w;uk;Video;04109;51,3;12,3\n";
    let (status, problem) = import(&api, &coordinator, "", taken).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_errors(&problem), ["lines[2].email"]);
    assert_eq!(problem["errors"][0]["key"], "directory.email_taken");

    // Not CSV, not a coordinator.
    let response = api
        .http
        .post(api.url("/api/v1/mediators/import"))
        .bearer_auth(&coordinator)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("import");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let requester = api.login(REQUESTER_ABH).await;
    assert_eq!(
        import(&api, &requester, "", good).await.0,
        StatusCode::FORBIDDEN
    );

    // The good file is written: two mediators in the pool, each invited.
    let (status, report) = import(&api, &coordinator, "", good).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(count().await, 32);
    let id = report["mediators"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let dilan: Value = api
        .get(&format!("/api/v1/mediators/{id}"), &coordinator)
        .await;
    assert_eq!(dilan["languages"][0]["qualification"], "certified");
    assert_eq!(dilan["modalities"], json!(["video", "on_site"]));
    assert_eq!(dilan["pools"][0]["active"], true);
    api.accept_invitation("ahmad.karimi@example.org", "Kardamom-und-Safran-im-Tee")
        .await;
    api.login_with("ahmad.karimi@example.org", "Kardamom-und-Safran-im-Tee")
        .await;
}
