//! Money in the browser, through the whole system: a coordinator edits the rate
//! card, the mediator enters their billing data on a phone, the coordinator closes
//! last month, the mediator finds the statement and the requester the invoice.

use crate::common::*;
use chrono::{Datelike, Duration, Months, NaiveDate, TimeZone as _, Utc};
use mittler_gateway::seed::DEMO_PASSWORD;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_month_is_priced_closed_and_read_in_the_browser() {
    let (env, app, api) = demo_system().await;
    let requester = api.login(REQUESTER).await;
    let coordinator = api.login(COORDINATOR).await;
    // A job of last month: 47 minutes on video, trained, claimed and confirmed.
    let (status, booking) = api
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&requester),
            Some(json!({
                "language": "uk", "modality": "video",
                "local_start": format!("{}T10:00", working_day()),
                "duration_minutes": 60, "subject_area": "social_benefits",
                "min_qualification": "trained"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booking}");
    let id = booking["id"].as_str().expect("id").to_owned();
    let (mediator_id, _, mediator) = mittler_gateway::seed::demo_mediators()
        .find(|(_, m, _)| m.languages.contains(&"uk"))
        .expect("a Ukrainian speaker");
    let (status, assigned) = api
        .call(
            Method::POST,
            &format!("/api/v1/bookings/{id}/assign"),
            Some(&coordinator),
            Some(json!({"mediator_id": mediator_id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{assigned}");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let month =
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first") - Months::new(1);
    let mut day = month + Duration::days(1);
    while day.weekday().number_from_monday() > 5 || mittler_billing::is_holiday("DE-SN", day) {
        day += Duration::days(1);
    }
    let start = chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("10:00"))
        .single()
        .expect("10:00")
        .with_timezone(&Utc);
    sqlx::query(
        "UPDATE booking.bookings SET start_at = $2, end_at = $2 + interval '60 minutes' WHERE id = $1::uuid",
    )
    .bind(&id)
    .bind(start)
    .execute(&env.db.pool)
    .await
    .expect("moved into last month");
    let mediator_token = api.login(&mediator).await;
    let record = format!("/api/v1/bookings/{id}/time-record");
    let (status, claimed) = api
        .call(
            Method::PUT,
            &record,
            Some(&mediator_token),
            Some(json!({"start": start.to_rfc3339(), "end": (start + Duration::minutes(47)).to_rfc3339(), "outcome": "done"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    let (status, confirmed) = api
        .call(
            Method::POST,
            &format!("{record}/confirm"),
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    // The authority is invoiced: its billing data, with its Leitweg-ID.
    let (_, me) = api
        .call(Method::GET, "/api/v1/me", Some(&requester), None)
        .await;
    let authority = me["organisation_id"].as_str().expect("organisation");
    let (status, saved) = api
        .call(
            Method::PUT,
            &format!("/api/v1/organisations/{authority}/billing"),
            Some(&coordinator),
            Some(json!({"name": "Ausländerbehörde Erzgebirgskreis", "street": "Paulus-Jenisius-Straße 24",
                        "postal_code": "09456", "city": "Annaberg-Buchholz", "leitweg_id": "14521000-0000-17"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    let input = json!({
        "base": app.url(""),
        "password": DEMO_PASSWORD,
        "requester": REQUESTER,
        "coordinator": COORDINATOR,
        "mediator": mediator,
        "screenshots": screenshot_dir(),
    });
    let result = browser_script("billing.mjs", &input).await;
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["errors"], json!([]), "script errors: {result:#}");
    assert_accessible(&result);
    assert_eq!(
        result["without_card"],
        "Der Pool hat noch keine Honorarordnung. Honorarordnung und Abrechnungsdaten des Pools"
    );
    assert_eq!(
        (&result["trained_after"], &result["km_after"]),
        (&json!("50,00"), &json!("0,30"))
    );
    assert_eq!(result["card_error"], "Eine ganze Zahl von 1 bis 60.");
    assert!(
        result["no_statements"]
            .as_str()
            .is_some_and(|t| t.starts_with("Noch keine Gutschriften")),
        "{result:#}"
    );
    // 47 minutes at 50,00 €: 60 billed, 50,00 € net; exempt (§ 19): no VAT.
    assert!(
        result["preview"]
            .as_str()
            .is_some_and(|t| t.contains("1 Gutschrift und 1 Rechnung aus") && t.contains("50,00 €")),
        "{result:#}"
    );
    assert_eq!(result["closed"], "Abgeschlossen");
    assert_eq!(
        result["statement_number"],
        format!("G-{}-0001", month.year())
    );
    assert_eq!(result["statement_total"], "50,00 €");
    assert_eq!(result["statement_links"], 2);
    // The invoice: the pool's card (50,00 €) plus 19 % VAT.
    assert_eq!(result["invoice_total"], "59,50 €");
    assert_eq!(result["invoice_xml"], 1);
    app.stop().await.expect("clean stop");
}
