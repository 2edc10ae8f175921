//! Money over HTTP: a coordinator sets the pool's rate card (a bad one is refused
//! field by field) and checks a line with the quote; billing data of the pool, an
//! authority and a mediator; last month's job closes into the mediator's statement
//! (JSON, PDF, CSV) and the authority's invoice (JSON, PDF, XRechnung validated
//! against EN 16931, totals equal to the PDF's); each sees only their own.

use crate::common::*;
use crate::ending_api::booked_and_accepted;
use chrono::{Datelike, Duration, Months, NaiveDate, TimeZone as _, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::process::Command;

fn design_card() -> Value {
    json!({
        "hourly_cents": {"certified": 8500, "trained": 4500, "lay": 2500},
        "billing_step_minutes": 15,
        "minimum_minutes": {"on_site": 60, "video": 30, "phone": 15},
        "travel_hourly_cents": 2500,
        "km_cents": 42,
        "night": {"from": "22:00", "to": "06:00"},
        "surcharge_percent": {"night": 25, "sunday": 50, "holiday": 100},
        "holiday_region": "DE-SN",
        "late_cancellation": [{"within_hours": 24, "percent": 100},
                              {"within_hours": 48, "percent": 50}],
        "client_no_show_percent": 100,
        "vat_percent": 19,
        "volunteer_allowance_cents_per_year": 84000
    })
}

fn party(name: &str) -> Value {
    json!({"name": name, "street": "Hauptstraße 1", "postal_code": "09111", "city": "Chemnitz"})
}

async fn me(api: &Api, token: &str) -> Value {
    let (status, me) = api.call(Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me
}

/// The bytes and content type of a document.
pub async fn download(api: &Api, token: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
    let response = reqwest::Client::new()
        .get(api.app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("answer");
    let status = response.status();
    let kind = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, response.bytes().await.expect("body").to_vec())
}

/// Run `program` with `args`, the file holding `input`, and `after`.
pub fn run(program: &str, args: &[&str], input: &[u8], name: &str, after: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    std::fs::write(&path, input).expect("written");
    let out = Command::new(program)
        .args(args)
        .arg(&path)
        .args(after)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

const CHECK_XRECHNUNG: &str = "import sys, facturx\n\
from lxml import etree\n\
xml = open(sys.argv[1], 'rb').read()\n\
facturx.xml_check_xsd(xml, flavor='factur-x', level='en16931')\n\
ns = {'ram': 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100'}\n\
tree = etree.fromstring(xml)\n\
print(tree.xpath('//ram:GrandTotalAmount/text()', namespaces=ns)[0])\n\
print(tree.xpath('//ram:BuyerReference/text()', namespaces=ns)[0])\n";

#[tokio::test]
async fn a_month_closes_into_statements_and_invoices_each_party_reads_as_pdf_csv_and_xrechnung() {
    let api = Api::start().await;
    let coordinator = api.login(COORDINATOR).await;
    let requester = api.login(REQUESTER_ABH).await;
    let pool = me(&api, &coordinator).await["organisation_id"]
        .as_str()
        .expect("pool")
        .to_owned();
    let authority = me(&api, &requester).await["organisation_id"]
        .as_str()
        .expect("organisation")
        .to_owned();

    // The card of DESIGN.md; a bad one is refused field by field and changes nothing.
    let card_path = format!("/api/v1/organisations/{pool}/rate-card");
    let mut bad = design_card();
    bad["billing_step_minutes"] = json!(0);
    bad["holiday_region"] = json!("DE-XX");
    let (status, problem) = api
        .call(Method::PUT, &card_path, Some(&coordinator), Some(bad))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        field_errors(&problem),
        ["billing_step_minutes", "holiday_region"]
    );
    let (status, card) = api
        .call(Method::GET, &card_path, Some(&coordinator), None)
        .await;
    assert_eq!(
        (status, &card["card"]),
        (StatusCode::OK, &Value::Null),
        "{card}"
    );
    let (status, card) = api
        .call(
            Method::PUT,
            &card_path,
            Some(&coordinator),
            Some(design_card()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["own"], true);
    let (status, _) = api
        .call(
            Method::PUT,
            &card_path,
            Some(&requester),
            Some(design_card()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The authority has no card of its own: the pool's is in force.
    let (_, inherited) = api
        .call(
            Method::GET,
            &format!("/api/v1/organisations/{authority}/rate-card"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(
        (
            inherited["own"].as_bool(),
            &inherited["card"]["vat_percent"]
        ),
        (Some(false), &json!(19))
    );

    // The quote: a 47-minute video job, certified, on a Tuesday morning.
    let (status, line) = api
        .call(
            Method::POST,
            &format!("{card_path}/quote"),
            Some(&coordinator),
            Some(json!({
                "qualification": "certified", "modality": "video",
                "booked_start": "2026-12-08T09:00:00Z", "booked_end": "2026-12-08T10:00:00Z",
                "start": "2026-12-08T09:00:00Z", "end": "2026-12-08T09:47:00Z",
                "outcome": "done"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{line}");
    assert_eq!(
        (
            line["billable_minutes"].as_i64(),
            line["rate_cents"].as_i64(),
            line["amount_cents"].as_i64()
        ),
        (Some(60), Some(8500), Some(8500))
    );

    // Billing data: the pool, the authority (with its Leitweg-ID), the mediator.
    let (status, problem) = api
        .call(
            Method::PUT,
            &format!("/api/v1/organisations/{pool}/billing"),
            Some(&coordinator),
            Some(json!({"name": "Pool", "street": "x", "postal_code": "1", "city": "y", "iban": "DE00 1234"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["iban"]);
    let mut pool_party = party("Sprachmittlerpool Sachsen e.V.");
    pool_party["vat_id"] = json!("DE123456789");
    pool_party["iban"] = json!("DE89 3704 0044 0532 0130 00");
    let mut authority_party = party("Ausländerbehörde Erzgebirgskreis");
    authority_party["leitweg_id"] = json!("14521000-0000-17");
    for (org, body) in [(&pool, pool_party), (&authority, authority_party)] {
        let (status, saved) = api
            .call(
                Method::PUT,
                &format!("/api/v1/organisations/{org}/billing"),
                Some(&coordinator),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
    }

    // Last month, a job of 47 minutes, claimed and confirmed.
    let (id, mediator, mediator_token) = booked_and_accepted(&api, &requester).await;
    let (status, saved) = api
        .call(
            Method::PUT,
            "/api/v1/mediators/me/billing",
            Some(&mediator_token),
            Some(party("Olena Kovalenko")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let this_month = {
        let today = Utc::now()
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive();
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first")
    };
    let month = this_month - Months::new(1);
    let mut day = month + Duration::days(1);
    while day.weekday().number_from_monday() > 5 || mittler_billing::is_holiday("DE-SN", day) {
        day += Duration::days(1);
    }
    let start = chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("10:00"))
        .single()
        .expect("10:00")
        .with_timezone(&Utc);
    sqlx::query("UPDATE booking.bookings SET start_at = $2, end_at = $2 + interval '60 minutes' WHERE id = $1::uuid")
        .bind(&id)
        .bind(start)
        .execute(&api.env.db.pool)
        .await
        .expect("moved");
    let record = format!("/api/v1/bookings/{id}/time-record");
    let claim = json!({"start": start.to_rfc3339(), "end": (start + Duration::minutes(47)).to_rfc3339(), "outcome": "done"});
    let (status, claimed) = api
        .call(Method::PUT, &record, Some(&mediator_token), Some(claim))
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

    // The preview, then the close.
    let label = month.format("%Y-%m").to_string();
    let month_path = format!("/api/v1/organisations/{pool}/months/{label}");
    let (status, preview) = api
        .call(Method::GET, &month_path, Some(&coordinator), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["closed_at"], Value::Null);
    let (status, closed) = api
        .call(
            Method::POST,
            &format!("{month_path}/close"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let year = month.year();
    // Trained, 47 minutes: 60 billed at 45,00 €; 19 % VAT: 8,55 €.
    let statement = closed["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["mediator_id"] == json!(mediator))
        .expect("the mediator's statement")
        .clone();
    assert_eq!(statement["number"], format!("G-{year}-0001"));
    assert_eq!(
        (
            statement["net_cents"].as_i64(),
            statement["vat_cents"].as_i64(),
            statement["total_cents"].as_i64()
        ),
        (Some(4500), Some(855), Some(5355))
    );
    let (status, again) = api
        .call(
            Method::POST,
            &format!("{month_path}/close"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        again["closed_at"], closed["closed_at"],
        "a second close changes nothing"
    );

    // A correction of the closed line: refused without an amount or from a requester;
    // else it waits for the next month's statement.
    let line_id = statement["lines"][0]["id"]
        .as_str()
        .expect("line")
        .to_owned();
    let corrections = format!("/api/v1/organisations/{pool}/corrections");
    let (status, problem) = api
        .call(
            Method::POST,
            &corrections,
            Some(&coordinator),
            Some(json!({"line_id": line_id, "amount_cents": 0, "reason": "Nichts"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_errors(&problem), ["amount_cents"]);
    let (status, _) = api
        .call(
            Method::POST,
            &corrections,
            Some(&requester),
            Some(json!({"line_id": line_id, "amount_cents": -500, "reason": "Zu lang"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, correction) = api
        .call(
            Method::POST,
            &corrections,
            Some(&coordinator),
            Some(json!({"line_id": line_id, "amount_cents": -500, "reason": "Nur 40 Minuten gearbeitet."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{correction}");
    assert_eq!(correction["number"], format!("G-{year}-0001"));
    let next = this_month.format("%Y-%m").to_string();
    let (status, preview) = api
        .call(
            Method::GET,
            &format!("/api/v1/organisations/{pool}/months/{next}"),
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let corrected = &preview["statements"][0]["lines"][0];
    assert_eq!(
        (
            corrected["amount_cents"].as_i64(),
            corrected["corrects"].as_str()
        ),
        (Some(-500), Some(line_id.as_str())),
        "{preview}"
    );

    // The mediator reads their statement on their own: JSON, PDF, CSV.
    let (status, mine) = api
        .call(
            Method::GET,
            &format!("/api/v1/pay-statements?month={label}"),
            Some(&mediator_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let statement_id = statement["id"].as_str().expect("id");
    let (status, kind, pdf) = download(
        &api,
        &mediator_token,
        &format!("/api/v1/pay-statements/{statement_id}.pdf"),
    )
    .await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
    let text = run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8"],
        &pdf,
        "statement.pdf",
        &["-"],
    );
    assert!(
        text.contains(&format!("Gutschrift G-{year}-0001")),
        "{text}"
    );
    assert!(text.contains("53,55 €"), "{text}");
    let (status, _, csv) = download(
        &api,
        &mediator_token,
        &format!("/api/v1/pay-statements/{statement_id}.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.starts_with('\u{feff}'),
        "a BOM for spreadsheet programs"
    );
    assert!(csv.contains(";45,00;"), "{csv}");
    let (status, _) = api
        .call(
            Method::GET,
            "/api/v1/pay-statements",
            Some(&requester),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The authority reads its invoice: PDF and XRechnung with the same total.
    let (status, invoices) = api
        .call(Method::GET, "/api/v1/invoices", Some(&requester), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{invoices}");
    let invoice = invoices["items"][0].clone();
    assert_eq!(invoice["number"], format!("R-{year}-0001"));
    let invoice_id = invoice["id"].as_str().expect("id");
    let (status, kind, xml) = download(
        &api,
        &requester,
        &format!("/api/v1/invoices/{invoice_id}/xrechnung.xml"),
    )
    .await;
    assert_eq!(
        (status, kind.starts_with("application/xml")),
        (StatusCode::OK, true)
    );
    let checked = run(
        "python3",
        &["-c", CHECK_XRECHNUNG],
        &xml,
        "invoice.xml",
        &[],
    );
    assert_eq!(
        checked.lines().collect::<Vec<_>>(),
        ["53.55", "14521000-0000-17"]
    );
    let (status, _, pdf) = download(
        &api,
        &requester,
        &format!("/api/v1/invoices/{invoice_id}.pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8"],
        &pdf,
        "invoice.pdf",
        &["-"],
    );
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Gesamt"))
        .expect("total");
    assert!(total.trim_end().ends_with("53,55 €"), "{total}");
    // Another authority sees none of it; a mediator sees no invoices.
    let jobcenter = api.login(REQUESTER_JOBCENTER).await;
    let (_, theirs) = api
        .call(Method::GET, "/api/v1/invoices", Some(&jobcenter), None)
        .await;
    assert_eq!(theirs["items"], json!([]));
    let (status, _, _) = download(
        &api,
        &jobcenter,
        &format!("/api/v1/invoices/{invoice_id}.pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call(Method::GET, "/api/v1/invoices", Some(&mediator_token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A page as a signed-in browser gets it: status and HTML.
async fn page(api: &Api, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .get(api.app.url(path))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .expect("page");
    (response.status(), response.text().await.expect("html"))
}

#[tokio::test]
async fn the_billing_pages_show_each_person_their_part() {
    let api = Api::start().await;
    let coordinator = api.login(COORDINATOR).await;
    let pool = me(&api, &coordinator).await["organisation_id"]
        .as_str()
        .expect("pool")
        .to_owned();
    let (coordinator_cookie, _) = crate::ui_pages::browser_login(&api, COORDINATOR).await;
    let (mediator_cookie, _) = crate::ui_pages::browser_login(&api, MEDIATOR).await;
    let (requester_cookie, _) = crate::ui_pages::browser_login(&api, REQUESTER_ABH).await;

    // No card yet: the month page says so and points to the editor, which suggests one.
    let (status, html) = page(&api, &coordinator_cookie, "/billing").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("noch keine Honorarordnung"), "{html}");
    let (status, html) = page(&api, &coordinator_cookie, "/billing/rate-card").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Noch keine Honorarordnung"), "{html}");
    assert!(
        html.contains(r#"value="85,00""#) && html.contains(r#"data-type="cents""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<option value="DE-SN" selected>Sachsen</option>"#),
        "{html}"
    );
    assert!(html.contains(&format!(
        r#"data-api="/api/v1/organisations/{pool}/rate-card""#
    )));

    // With a card, the month page previews last month and offers to close it.
    let (status, _) = api
        .call(
            Method::PUT,
            &format!("/api/v1/organisations/{pool}/rate-card"),
            Some(&coordinator),
            Some(design_card()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = page(&api, &coordinator_cookie, "/billing").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Vorschau") && html.contains(r#"id="close-month""#),
        "{html}"
    );
    let (_, html) = page(&api, &coordinator_cookie, "/billing?month=2026-13").await;
    assert!(html.contains("JJJJ-MM"), "a bad month is named: {html}");

    // Mediators see their statements and their billing data; requesters their invoices.
    let (status, html) = page(&api, &mediator_cookie, "/statements").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Noch keine Gutschriften") && html.contains(r#"id="my-billing""#),
        "{html}"
    );
    let (status, html) = page(&api, &requester_cookie, "/invoices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Noch keine Rechnungen"), "{html}");
    let (status, html) = page(&api, &requester_cookie, "/statements").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    let (status, _) = page(&api, &mediator_cookie, "/billing").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = page(&api, &requester_cookie, "/billing/rate-card").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // In English too.
    let (_, html) = page(
        &api,
        &format!("{mediator_cookie}; mittler_lang=en"),
        "/statements",
    )
    .await;
    assert!(
        html.contains("No statements yet") && html.contains("My billing data"),
        "{html}"
    );
}
