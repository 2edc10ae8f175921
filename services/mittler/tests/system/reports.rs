//! The report for funders in the browser, through the whole system: a year of the
//! demo pool's bookings, the statistics page's charts with their text alternatives
//! and tables, the breakdown by region chosen on the page, and the CSV and PDF it
//! links to.

use crate::common::*;
use chrono::{Datelike, Months, NaiveDate, Utc};
use mittler_gateway::seed::DEMO_PASSWORD;
use mittler_testkit::history;
use mittler_types::OrganisationId;
use serde_json::json;

#[tokio::test]
async fn a_year_of_bookings_reads_as_charts_tables_and_files() {
    let (env, app, _api) = demo_system().await;
    let ids: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, kind FROM directory.organisations ORDER BY name")
            .fetch_all(&env.db.pool)
            .await
            .expect("organisations");
    let pool = ids
        .iter()
        .find(|(_, kind)| kind == "pool")
        .map(|(id, _)| OrganisationId(*id))
        .expect("the pool");
    let served: Vec<OrganisationId> = ids
        .iter()
        .filter(|(_, kind)| kind != "pool")
        .map(|(id, _)| OrganisationId(*id))
        .collect();
    // The twelve months up to last month, in Berlin.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let last =
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first") - Months::new(1);
    let first = last - Months::new(11);
    let written = history::a_year(&env.db.pool, pool, &served, last)
        .await
        .expect("a year");
    assert!(written > 400, "{written}");

    let input = json!({
        "base": app.url(""),
        "password": DEMO_PASSWORD,
        "coordinator": COORDINATOR,
        "from": first.format("%Y-%m").to_string(),
        "to": last.format("%Y-%m").to_string(),
        "screenshots": screenshot_dir(),
    });
    let result = browser_script("reports.mjs", &input).await;
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["errors"], json!([]), "script errors: {result:#}");
    assert_accessible(&result);
    let charts = result["charts"].as_array().expect("charts");
    assert_eq!(charts.len(), 3, "{result:#}");
    for chart in charts {
        assert_eq!(chart["labelled"], true, "{chart}");
        assert!(
            !chart["desc"].as_str().unwrap_or_default().is_empty(),
            "{chart}"
        );
    }
    // Fill rate and time to assign: a table row per month, and a bar where the fill
    // rate can be shown — in the generated year, every other pair of months has fewer
    // than five unfilled, which the rate would give away.
    assert_eq!(
        (&charts[0]["bars"], &charts[0]["rows"]),
        (&json!(6), &json!(12))
    );
    assert_eq!(charts[2]["bars"], 12);
    assert_eq!(charts[0]["title"], "Besetzungsquote je Monat");
    assert_eq!(charts[2]["rows"], 12);
    // Requests by language: five languages, Ukrainian the most.
    assert_eq!(
        (&charts[1]["bars"], &charts[1]["rows"]),
        (&json!(5), &json!(5))
    );
    assert!(
        charts[1]["desc"]
            .as_str()
            .is_some_and(|d| d.starts_with("Balken je Eintrag, der größte zuerst: Ukrainisch")),
        "{result:#}"
    );
    assert!(
        result["figures"]
            .as_str()
            .is_some_and(|f| f.starts_with("Anfragen555Besetzungsquote72 %")),
        "{result:#}"
    );
    assert_eq!(
        result["by_region_url"],
        format!(
            "?from={}&to={}&by=region",
            input["from"].as_str().unwrap_or_default(),
            input["to"].as_str().unwrap_or_default()
        )
    );
    let regions = result["regions"].as_array().expect("regions");
    for district in [
        "Erzgebirgskreis",
        "Chemnitz, Stadt",
        "Kreisfreie Stadt Leipzig",
    ] {
        assert!(regions.contains(&json!(district)), "{district}: {result:#}");
    }
    // The CSV starts with a BOM, the PDFs (the period's, last year's) are PDFs.
    let files = result["files"].as_array().expect("files");
    assert_eq!(files.len(), 3, "{result:#}");
    assert_eq!(files[2]["head"], json!([0x25, 0x50, 0x44, 0x46]), "%PDF");
    assert_eq!(files[0]["type"], "text/csv; charset=utf-8");
    assert_eq!(
        files[0]["head"].as_array().map(|h| h[..3].to_vec()),
        Some(vec![json!(0xEF), json!(0xBB), json!(0xBF)])
    );
    assert_eq!(files[1]["type"], "application/pdf");
    assert_eq!(files[1]["head"], json!([0x25, 0x50, 0x44, 0x46]), "%PDF");
}
