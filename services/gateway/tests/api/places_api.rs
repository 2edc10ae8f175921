//! Places without coordinates: a postal code (and a place the address names) gives
//! the position of a booking, an organisation's site and a mediator's home; an
//! unchanged place keeps the position it had, a changed one is located anew, and an
//! unknown postal code is refused with the field named.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn position(place: &Value) -> (f64, f64) {
    (
        place["latitude"].as_f64().expect("latitude"),
        place["longitude"].as_f64().expect("longitude"),
    )
}

fn near(at: (f64, f64), expected: (f64, f64)) -> bool {
    (at.0 - expected.0).abs() < 1e-4 && (at.1 - expected.1).abs() < 1e-4
}

fn on_site(days: i64, place: Value) -> Value {
    let mut body = booking_body(days);
    body["modality"] = json!("on_site");
    body["local_start"] = json!(format!("{}T10:00", working_day(days)));
    body["location"] = place;
    body
}

#[tokio::test]
async fn a_postal_code_names_its_place_district_and_position() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;
    let (status, place) = api
        .call(
            Method::GET,
            "/api/v1/places/09456?address=Hauptstra%C3%9Fe%203%2C%20Mildenau",
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{place}");
    assert_eq!(place["place"], "Mildenau");
    assert_eq!(place["named"], true);
    assert_eq!(place["district"], "Erzgebirgskreis");
    assert_eq!(place["district_key"], "14521");
    assert_eq!(place["state"], "SN");
    assert_eq!(place["places"], json!(["Annaberg-Buchholz", "Mildenau"]));
    assert!(near(position(&place), (50.5869, 13.0726)), "{place}");
    assert!(
        place["source"]
            .as_str()
            .is_some_and(|s| s.contains("GeoNames"))
    );

    let (status, problem) = api
        .call(Method::GET, "/api/v1/places/00000", Some(&requester), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let (status, _) = api
        .call(Method::GET, "/api/v1/places/09456", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_booking_is_placed_by_its_postal_code_and_moved_with_its_address() {
    let api = Api::start().await;
    let requester = api.login(REQUESTER_ABH).await;

    // The organisation's own site, as the form fills it in: the site's position.
    let (status, at_site) = api
        .book(
            &requester,
            on_site(
                2,
                json!({"address": "Paulus-Jenisius-Straße 24, Annaberg-Buchholz", "postal_code": "09456"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{at_site}");
    assert!(
        near(position(&at_site["location"]), (50.5797, 13.0033)),
        "{at_site}"
    );

    // Another address: the place it names, not the site.
    let (status, village) = api
        .book(
            &requester,
            on_site(
                3,
                json!({"address": " Hauptstraße 3, Mildenau ", "postal_code": "09456"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{village}");
    assert_eq!(village["location"]["address"], "Hauptstraße 3, Mildenau");
    assert!(
        near(position(&village["location"]), (50.5869, 13.0726)),
        "{village}"
    );

    // An unknown code without a position, or half a position: refused, named.
    let (status, problem) = api
        .book(
            &requester,
            on_site(3, json!({"address": "Markt 1", "postal_code": "99999"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["location.postal_code"]);
    let (status, problem) = api
        .book(
            &requester,
            on_site(
                3,
                json!({"address": "Markt 1", "postal_code": "09456", "latitude": 50.6}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["location.longitude"]);

    // Changing only the notes keeps the place where it was.
    let id = village["id"].as_str().expect("id");
    let details = format!("/api/v1/bookings/{id}/details");
    let (status, same) = api
        .call(
            Method::PUT,
            &details,
            Some(&requester),
            Some(json!({"notes": "Eingang Hof",
                "location": {"address": "Hauptstraße 3, Mildenau", "postal_code": "09456"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert!(
        near(position(&same["location"]), (50.5869, 13.0726)),
        "{same}"
    );
    // A new address is located anew.
    let (status, moved) = api
        .call(
            Method::PUT,
            &details,
            Some(&requester),
            Some(json!({"notes": "Eingang Hof",
                "location": {"address": "Buchholzer Straße 2, Annaberg-Buchholz", "postal_code": "09456"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert!(
        near(position(&moved["location"]), (50.5795, 13.0063)),
        "{moved}"
    );
}

#[tokio::test]
async fn a_site_and_a_home_are_placed_by_their_postal_codes() {
    let api = Api::start_with_mail().await;
    let coordinator = api.login(COORDINATOR).await;
    let requester = api.login(REQUESTER_ABH).await;
    let (_, organisations) = api
        .call(
            Method::GET,
            "/api/v1/organisations",
            Some(&coordinator),
            None,
        )
        .await;
    let abh = organisations
        .as_array()
        .expect("list")
        .iter()
        .find(|o| {
            o["name"]
                .as_str()
                .is_some_and(|n| n.contains("Ausländerbehörde"))
        })
        .expect("the Ausländerbehörde")
        .clone();
    let path = format!("/api/v1/organisations/{}", abh["id"].as_str().expect("id"));
    let site =
        |place: Value| json!({"name": abh["name"], "time_zone": "Europe/Berlin", "place": place});
    let (status, problem) = api
        .call(
            Method::PUT,
            &path,
            Some(&coordinator),
            Some(site(
                json!({"address": "Markt 1, Annaberg-Buchholz", "postal_code": "00001"}),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["place.postal_code"]);
    // A position given once stays while the address stays.
    for place in [
        json!({"address": "Markt 1, Annaberg-Buchholz", "postal_code": "09456", "latitude": 50.58, "longitude": 13.0}),
        json!({"address": "Markt 1, Annaberg-Buchholz", "postal_code": "09456"}),
    ] {
        let (status, changed) = api
            .call(Method::PUT, &path, Some(&coordinator), Some(site(place)))
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
    }
    let (status, booked) = api
        .book(
            &requester,
            on_site(
                2,
                json!({"address": "Markt 1, Annaberg-Buchholz", "postal_code": "09456"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert!(
        near(position(&booked["location"]), (50.58, 13.0)),
        "{booked}"
    );

    // A mediator's home from the postal code; the same code keeps the home, a new
    // one moves it.
    let profile = json!({
        "display_name": "Hana Mirza", "email": "hana.mirza@example.org", "gender": "female",
        "languages": [{"code": "ckb", "qualification": "trained"}],
        "modalities": ["on_site"], "postal_code": "01067",
        "max_travel_km": 40, "max_minutes_per_week": 900
    });
    let mut unknown = profile.clone();
    unknown["postal_code"] = json!("00002");
    let (status, problem) = api
        .call(
            Method::POST,
            "/api/v1/mediators",
            Some(&coordinator),
            Some(json!({"profile": unknown, "locale": "de"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["postal_code"]);
    let (status, created) = api
        .call(
            Method::POST,
            "/api/v1/mediators",
            Some(&coordinator),
            Some(json!({"profile": profile.clone(), "locale": "de"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let dresden = home(&created);
    assert!(
        (dresden.0 - 51.05).abs() < 0.02 && (dresden.1 - 13.73).abs() < 0.03,
        "{created}"
    );
    let mediator = format!("/api/v1/mediators/{}", created["id"].as_str().expect("id"));
    let mut exact = profile.clone();
    exact["home"] = json!({"lat": 51.0612, "lon": 13.7415});
    let (status, edited) = api
        .call(Method::PUT, &mediator, Some(&coordinator), Some(exact))
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let (status, kept) = api
        .call(
            Method::PUT,
            &mediator,
            Some(&coordinator),
            Some(profile.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(
        home(&kept),
        (51.0612, 13.7415),
        "the same postal code keeps the home"
    );
    let mut moved = profile;
    moved["postal_code"] = json!("04317");
    let (status, moved) = api
        .call(Method::PUT, &mediator, Some(&coordinator), Some(moved))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert!(near(home(&moved), (51.3329, 12.4047)), "{moved}");
}

fn home(profile: &Value) -> (f64, f64) {
    (
        profile["home"]["lat"].as_f64().expect("lat"),
        profile["home"]["lon"].as_f64().expect("lon"),
    )
}
