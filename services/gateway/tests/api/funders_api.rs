//! The report for funders through the API, on a generated March 2026 of the demo
//! pool with known figures: JSON with small counts hidden, by language and by region
//! (the district of each organisation's site), CSV read by Python's `csv` module, the
//! PDF read back, who may see which pool, and bad queries answered field by field.

use crate::billing_api::{download, run};
use crate::common::*;
use chrono::{DateTime, Duration, Utc};
use mittler_testkit::history::{PastBooking, insert};
use mittler_types::OrganisationId;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn organisation(api: &Api, name: &str) -> OrganisationId {
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM directory.organisations WHERE name LIKE $1")
            .bind(format!("%{name}%"))
            .fetch_one(&api.env.db.pool)
            .await
            .expect("organisation");
    OrganisationId(id)
}

/// March 2026: Ukrainian at the foreigners' office (12 filled after 10 … 120
/// minutes, 3 unfilled, one late and one timely cancellation), five Farsi calls there
/// (rung after 10 … 50 s, connected after 60 … 180 s); at the job centre 2 Arabic
/// filled and 1 unfilled, and 6 Turkish filled.
async fn generate(api: &Api) -> (OrganisationId, OrganisationId, OrganisationId) {
    let pool = organisation(api, "Integrationsmittlerpool").await;
    let abh = organisation(api, "Ausländerbehörde").await;
    let jobcenter = organisation(api, "Jobcenter").await;
    let march: DateTime<Utc> = "2026-03-09T09:00:00Z".parse().expect("instant");
    let new =
        |org, language, days| PastBooking::new(org, pool, language, march + Duration::days(days));
    let mut all = Vec::new();
    for n in 1..=12 {
        all.push(new(abh, "uk", n).filled(10 * n));
    }
    for n in 0..3 {
        all.push(new(abh, "uk", n).unfilled());
    }
    all.push(new(abh, "uk", 1).cancelled(600));
    all.push(new(abh, "uk", 2).cancelled(4000));
    for n in 0..5 {
        all.push(new(abh, "fa", n).call(10 * (n + 1), Some(60 + 30 * n)));
    }
    all.push(new(jobcenter, "ar", 1).filled(30));
    all.push(new(jobcenter, "ar", 2).filled(30));
    all.push(new(jobcenter, "ar", 3).unfilled());
    for n in 0..6 {
        all.push(new(jobcenter, "tr", n).filled(20));
    }
    for booking in &all {
        insert(&api.env.db.pool, booking).await.expect("booking");
    }
    (pool, abh, jobcenter)
}

fn row<'a>(rows: &'a Value, key: &str) -> &'a Value {
    rows.as_array()
        .and_then(|rows| rows.iter().find(|r| r["key"] == key))
        .unwrap_or_else(|| panic!("no {key} in {rows}"))
}

/// No count from 1 to 4 shows anywhere in the report.
fn no_small_count(report: &Value) {
    let counts = [
        "bookings",
        "filled",
        "unfilled",
        "cancelled_late",
        "cancelled_timely",
        "open",
        "calls",
        "connected",
    ];
    let lines = ["rows", "by_key", "by_month"]
        .iter()
        .flat_map(|part| report[part].as_array().cloned().unwrap_or_default())
        .chain(std::iter::once(report["total"].clone()));
    for line in lines {
        for count in counts {
            let value = &line[count];
            assert!(
                value == "<5" || value.as_i64().is_some_and(|n| n == 0 || n >= 5),
                "{count} = {value} in {line}"
            );
        }
    }
}

#[tokio::test]
async fn the_report_for_funders_hides_small_counts_and_reads_as_csv_and_pdf() {
    let api = Api::start().await;
    let (pool, _abh, jobcenter) = generate(&api).await;
    let coordinator = api.login(COORDINATOR).await;
    let march = "/api/v1/reports?from=2026-03&to=2026-03";

    let (status, report) = api.call(Method::GET, march, Some(&coordinator), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (&report["from"], &report["to"], &report["by"]),
        (&json!("2026-03"), &json!("2026-03"), &json!("language"))
    );
    no_small_count(&report);
    let total = &report["total"];
    assert_eq!(total["bookings"], 31);
    assert_eq!(total["filled"], 25);
    assert_eq!(total["unfilled"], "<5");
    assert_eq!(total["calls"], 5);
    assert_eq!(total["connected"], 5);
    assert_eq!(total["median_seconds_to_ring"], 30.0);
    assert_eq!(total["median_seconds_to_connect"], 120.0);
    // 12 + 2 + 6 jobs and 5 calls of an hour each.
    assert_eq!(total["worked_hours"], 25.0);
    let uk = row(&report["by_key"], "uk");
    assert_eq!(uk["bookings"], 17);
    assert_eq!(uk["filled"], 12);
    assert_eq!(
        (
            &uk["unfilled"],
            &uk["cancelled_late"],
            &uk["cancelled_timely"]
        ),
        (&json!("<5"), &json!("<5"), &json!("<5"))
    );
    assert_eq!(
        uk["fill_rate"],
        Value::Null,
        "it would give the unfilled away"
    );
    // 10 … 120 minutes: median 65.
    assert_eq!(uk["median_minutes_to_assign"], 65.0);
    let tr = row(&report["by_key"], "tr");
    assert_eq!(
        (&tr["bookings"], &tr["filled"], &tr["fill_rate"]),
        (&json!(6), &json!(6), &json!(1.0))
    );
    let ar = row(&report["by_key"], "ar");
    assert_eq!(
        (&ar["bookings"], &ar["median_minutes_to_assign"]),
        (&json!("<5"), &Value::Null)
    );
    // March alone: the month's line is the total.
    assert_eq!(report["by_month"][0]["bookings"], 31);

    // By region: the districts of the organisations' sites.
    let (status, regions) = api
        .call(
            Method::GET,
            &format!("{march}&by=region"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{regions}");
    assert_eq!(row(&regions["by_key"], "Erzgebirgskreis")["bookings"], 22);
    assert_eq!(row(&regions["by_key"], "Chemnitz, Stadt")["bookings"], 9);
    no_small_count(&regions);

    // The CSV, as a spreadsheet program or Python reads it.
    let (status, kind, csv) = download(&api, &coordinator, &format!("{march}&format=csv")).await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(
        csv.starts_with("\u{feff}".as_bytes()),
        "a BOM for spreadsheet programs"
    );
    let read = run(
        "python3",
        &[
            "-c",
            "import csv, json, sys\n\
                 rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8-sig'), delimiter=';'))\n\
                 print(json.dumps(rows))",
        ],
        &csv,
        "report.csv",
        &[],
    );
    let rows: Vec<Value> = serde_json::from_str(&read).expect("rows");
    // 4 languages in March, 4 over the period, the month and the total.
    assert_eq!(rows.len(), 10, "{rows:?}");
    let uk_line = rows
        .iter()
        .find(|r| r["Schlüssel"] == "uk" && r["Monat"] == "gesamt")
        .expect("uk over the period");
    assert_eq!(uk_line["Bezeichnung"], "Ukrainisch");
    assert_eq!(uk_line["Anfragen"], "17");
    assert_eq!(uk_line["nicht besetzt"], "<5");
    assert_eq!(uk_line["Minuten bis zur Vergabe (Median)"], "65,0");
    let total_line = rows.last().expect("total");
    assert_eq!(
        (&total_line["Monat"], &total_line["Schlüssel"]),
        (&json!("gesamt"), &json!("alle"))
    );
    assert_eq!(total_line["geleistete Stunden"], "25,00");
    // Accept: text/csv asks the same.
    let response = reqwest::Client::new()
        .get(api.app.url(march))
        .bearer_auth(&coordinator)
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("answer");
    assert_eq!(response.bytes().await.expect("body").to_vec(), csv);

    // The PDF, read back.
    let (status, kind, pdf) = download(&api, &coordinator, &format!("{march}&format=pdf")).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
    let text = run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8"],
        &pdf,
        "report.pdf",
        &["-"],
    );
    assert!(
        text.contains("Sprachmittlung: Bericht für die Förderung"),
        "{text}"
    );
    assert!(text.contains("März 2026 bis März 2026"), "{text}");
    assert!(text.contains("Besetzungsquote je Monat"), "{text}");
    assert!(text.contains("Ukrainisch"), "{text}");
    assert!(text.contains("<5"), "{text}");

    // A calendar year is the annual report.
    let (status, _, annual) = download(
        &api,
        &coordinator,
        "/api/v1/reports?from=2026-01&to=2026-12&format=pdf",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8"],
        &annual,
        "annual.pdf",
        &["-"],
    );
    assert!(
        text.contains("Sprachmittlung: Jahresbericht 2026"),
        "{text}"
    );
    assert!(text.contains("Januar 2026 bis Dezember 2026"), "{text}");

    // Who sees what: a requester nothing; a coordinator their own pool only; an admin
    // every pool or one.
    let requester = api.login(REQUESTER_JOBCENTER).await;
    assert_eq!(
        api.call(Method::GET, march, Some(&requester), None).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = api
        .call(
            Method::GET,
            &format!("{march}&pool={}", jobcenter.as_uuid()),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a pool");
    let admin = api.login(ADMIN).await;
    let (status, theirs) = api
        .call(
            Method::GET,
            &format!("{march}&pool={}", pool.as_uuid()),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(theirs["total"]["bookings"], 31);

    // Bad queries, each named.
    for (query, field) in [
        ("from=2026-13", "from"),
        ("from=2026-05&to=2026-03", "to"),
        ("from=2023-01&to=2026-03", "to"),
        ("by=postcode", "by"),
        ("format=xls", "format"),
        ("pool=nope", "pool"),
    ] {
        let (status, problem) = api
            .call(
                Method::GET,
                &format!("/api/v1/reports?{query}"),
                Some(&coordinator),
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
