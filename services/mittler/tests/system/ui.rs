//! The web UI through the whole system, in Debian's chromium (headless): a
//! coordinator watches the live queue, a requester books through the form, the
//! first mediator asked accepts on a phone-sized screen; the queue and the booking
//! page follow without a reload; the mediator edits the calendar; axe-core finds no
//! serious or critical violation on any page. `MITTLER_SCREENSHOTS=docs/screenshots`
//! keeps a picture of each role's main page.

use crate::common::*;

use mittler_gateway::seed::{DEMO_PASSWORD, demo_mediators};
use mittler_testkit::{TestApp, TestEnv};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn people_book_accept_and_watch_the_queue_in_the_browser() {
    let env = TestEnv::start().await;
    mittler::seed_demo_data(&env.db.pool)
        .await
        .expect("demo data");
    let app = TestApp::spawn(env.config(), mittler::run_on).await;
    let api = Client::new(app.url(""));
    // Wait until every service answers before the browsers start.
    let requester = api.login(REQUESTER).await;
    mittler_testkit::eventually(
        std::time::Duration::from_secs(10),
        "booking answers",
        || async {
            let (status, _) = api
                .call(Method::GET, "/api/v1/bookings", Some(&requester), None)
                .await;
            (status == 200).then_some(())
        },
    )
    .await;

    let mediators: serde_json::Map<String, Value> = demo_mediators()
        .map(|(id, _, email)| (id.to_string(), json!(email)))
        .collect();
    let screenshots = screenshot_dir();
    // The statistics of the bookings' month: near a month's end that is the next one.
    let month = working_day().format("%Y-%m");
    let statistics_query = format!("?from={month}&to={month}");
    let input = json!({
        "base": app.url(""),
        "password": DEMO_PASSWORD,
        "requester": REQUESTER,
        "coordinator": COORDINATOR,
        "mediators": mediators,
        "start": format!("{}T10:00", working_day()),
        "second_start": format!("{}T14:00", working_day()),
        "statistics_query": statistics_query,
        "statistics_month": working_day().format("%Y-%m").to_string(),
        "deactivate": "Sergej Wolkow",
        "screenshots": screenshots,
    });
    let result = browser_script("ui.mjs", &input).await;
    assert_eq!(result["ok"], true, "{result:#}");
    assert_eq!(result["errors"], json!([]), "script errors: {result:#}");

    // axe-core: no serious or critical violation on any page.
    let checked = result["axe"].as_object().expect("axe results");
    assert!(checked.len() >= 23, "pages checked: {:?}", checked.keys());
    assert_accessible(&result);

    // The import: a problem by line and column, then a clean check; nothing written.
    assert!(
        result["import_problem"]
            .as_str()
            .is_some_and(|t| t.starts_with("Zeile 2, languages:")),
        "{result:#}"
    );
    assert_eq!(
        result["import_checked"],
        "Jede Zeile stimmt. Personen in der Datei: 1."
    );

    // Sign-in: the English switch, and a refusal that says why.
    assert_eq!(result["login_en"], "Sign in");
    // The pages' clock is the system's, also when make test-at moved it.
    let browser_now = result["browser_now"].as_i64().expect("the browser's clock");
    assert!(
        (chrono::Utc::now().timestamp_millis() - browser_now).abs() < 180_000,
        "the browser's clock is {browser_now}, not about now"
    );
    assert!(
        !result["login_refused"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
    assert_eq!(result["coordinator_home"], "/queue");
    assert_eq!(result["requester_home"], "/bookings");
    assert_eq!(result["mediator_home"], "/offers");

    // The form: the language search finds Ukrainian; a start in the past is refused
    // on the form and books nothing.
    assert_eq!(result["language_matches"], json!(["uk"]));
    // The API's answer, in the page's language.
    assert_eq!(
        result["past_start_error"],
        "Dieser Zeitpunkt liegt in der Vergangenheit."
    );
    assert_eq!(result["still_on_form"], "/bookings/new");
    assert_eq!(result["deliveries_title"], "Zustellung der Mails");
    // Before booking: a time nobody works is named in the review; a good time is not.
    let night = result["review_check_night"].as_str().unwrap_or_default();
    assert!(
        night
            .starts_with("Nach jetzigem Stand kann niemand aus dem Pool diesen Termin übernehmen.")
            && night.contains("Zu dieser Zeit arbeitet niemand, der die Sprache spricht."),
        "{result:#}"
    );
    assert_eq!(result["review_check_day_hidden"], true, "{result:#}");
    // On site: the office's postal code names its town; another address names its
    // own place, as typed and in the review; an unknown code
    // is said to be unknown. The position used is the one shown.
    let source = "Position aus der Postleitzahl (Daten: GeoNames, CC BY 4.0)";
    assert_eq!(
        result["place_at_site"],
        format!("Chemnitz (Chemnitz, Stadt) · {source}")
    );
    assert_eq!(
        result["place_typed"],
        format!("Mildenau (Erzgebirgskreis) · {source}")
    );
    assert_eq!(result["review_place"], result["place_typed"]);
    assert_eq!(
        result["place_unknown"],
        "Diese Postleitzahl kennen wir nicht. Bitte prüfen."
    );
    // The job's month as a calendar: on a phone, the one day with the job.
    let days = result["calendar_days"].as_array().expect("days");
    assert_eq!(days.len(), 1, "{result:#}");
    assert!(
        days[0]
            .as_str()
            .is_some_and(|d| d.contains("10:00 Ukrainisch")),
        "{result:#}"
    );
    assert_eq!(result["calendar_fits"], true);
    // One organisation's accounts, all of that organisation.
    let accounts = result["org_accounts"].as_array().expect("accounts");
    assert!(
        !accounts.is_empty() && accounts.iter().all(|a| a == &accounts[0]),
        "{result:#}"
    );
    // Notes changed after the accept reach the mediator's job page.
    assert_eq!(
        result["job_notes_after"],
        "Bitte am Seiteneingang klingeln."
    );
    // Taken off one mediator and given to another by hand.
    assert!(
        matches!(
            result["unassigned_state"].as_str(),
            Some("requested" | "offering")
        ),
        "{result:#}"
    );
    let (first, second) = (
        &result["reassigned"]["first"],
        &result["reassigned"]["second"],
    );
    assert!(
        first.is_string() && second.is_string() && first != second,
        "{result:#}"
    );
    // An absence over the accepted job: asked before, named after.
    let question = result["absence_question"].as_str().unwrap_or_default();
    assert!(
        question.starts_with("Diese Abwesenheit fällt auf zugesagte Einsätze:")
            && question.contains("Ukrainisch"),
        "{result:#}"
    );
    assert!(
        result["absence_covered"]
            .as_str()
            .is_some_and(|t| t.starts_with("Abwesend während zugesagter Einsätze")
                && t.contains("Ukrainisch")),
        "{result:#}"
    );
    // Why calls would not reach the mediator, and the way to change it.
    let same_day = "Sie übernehmen keine Einsätze am selben Tag – Sofort-Anfragen sind solche.";
    assert!(
        result["presence_blocked_before"]
            .as_array()
            .is_some_and(|r| r.iter().any(|t| t == same_day)),
        "{result:#}"
    );
    assert!(
        result["presence_blocked_after"]
            .as_array()
            .is_some_and(|r| r.iter().all(|t| t != same_day)),
        "{result:#}"
    );
    // The offer the mediator accepted is closed in their feed, and no longer unread.
    assert_eq!(
        result["feed_offer_closed"],
        json!(["Angenommen – steht unter Ihren Einsätzen."]),
        "{result:#}"
    );
    assert!(
        result["jobs_since"]
            .as_str()
            .is_some_and(|t| t.starts_with("Einsätze der letzten 90 Tage")),
        "{result:#}"
    );
    assert_eq!(
        result["statistics_total_by_month"], result["statistics_total"],
        "the month chosen on the page counts what the API's period counts"
    );
    let found = result["mediators_found"].as_array().expect("found");
    assert!(
        found.len() >= 2
            && found
                .iter()
                .all(|c| c.as_str().is_some_and(|c| c.contains("Tigrinya"))),
        "{result:#}"
    );
    assert!(
        result["mediators_lead"]
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("{} von ", found.len()))),
        "{result:#}"
    );
    let rows = result["search_rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{result:#}");
    assert!(
        rows[0]
            .as_str()
            .is_some_and(|r| r.contains("BG-4711") && r.contains("Petra Schulze")),
        "{rows:?}"
    );
    assert!(
        result["reschedule_warning"]
            .as_str()
            .is_some_and(|w| w.starts_with("Der Termin ist schon vergeben.")),
        "{result:#}"
    );
    assert_eq!(result["unknown_page"], "Diese Seite gibt es nicht (mehr).");
    // The booking assigned by hand, moved by an hour to a time its mediator is free:
    // it stays theirs (one who is busy then lets go: the booking service's tests).
    assert_eq!(result["moved_state"], "vergeben", "{result:#}");
    // On a phone the header leaves the screen to the work.
    let share = result["phone_header_share"].as_f64().expect("header share");
    assert!(
        share < 0.12,
        "the header takes {share:.2} of a phone's height"
    );
    // The focus is on the marked field, and the summary names it.
    assert_eq!(result["past_start_focus"], "local_start");
    assert!(
        result["past_start_summary"]
            .as_str()
            .is_some_and(|s| s.contains("(Beginn (Ortszeit Europe/Berlin))")),
        "{result:#}"
    );
    // Enter in the language search books nothing and shows no review: it moves to
    // the list; the review names what will be booked.
    assert_eq!(result["enter_focus"], "language");
    assert_eq!(result["enter_review_shown"], false);
    assert_eq!(result["enter_path"], "/bookings/new");
    assert_eq!(result["review_language"], "Ukrainisch (uk)");
    assert_eq!(
        result["review_shows_address"], false,
        "a video booking has no place"
    );
    // The mediator reads the job: the booking's link leads there, with the notes.
    let booking_id = result["booking_id"].as_str().expect("booking id");
    assert_eq!(result["job_path"], format!("/jobs/{booking_id}"));
    assert_eq!(
        result["job_notes"],
        "Bitte 10 Minuten vorher am Empfang melden."
    );
    assert!(
        result["job_facts"]
            .as_str()
            .is_some_and(|f| f.contains("BG-4711") && f.contains("Jobcenter Chemnitz")),
        "{result:#}"
    );
    let (_, page) = api
        .call(Method::GET, "/api/v1/bookings", Some(&requester), None)
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(
        items.len(),
        2,
        "the form's booking and the one assigned by hand, nothing else: {page:#}"
    );
    let booking = items
        .iter()
        .find(|b| b["id"] == result["booking_id"])
        .expect("the form's booking");
    assert_eq!(booking["state"], "assigned");
    assert_eq!(booking["language"], "uk");
    assert_eq!(booking["modality"], "video");
    assert!(
        booking["location"].is_null(),
        "a video booking carries no place: {booking:#}"
    );
    assert_eq!(booking["client"]["reference"], "BG-4711");

    // Live: the queue showed the booking and let it go, and the requester's page
    // turned to "assigned" with the mediator's name, all without a reload.
    assert_eq!(result["queue_showed_without_reload"], true);
    assert_eq!(result["queue_cleared_without_reload"], true);
    assert_eq!(result["detail_updated_without_reload"], true);
    let mediator_id = booking["assignment"]["mediator_id"]
        .as_str()
        .expect("assigned");
    let name = demo_mediators()
        .find(|(id, _, _)| id.to_string() == mediator_id)
        .map(|(_, m, _)| m.name)
        .expect("demo mediator");
    assert!(
        result["detail_facts"]
            .as_str()
            .unwrap_or_default()
            .contains(name),
        "{result:#}"
    );
    assert_eq!(
        result["phone_fits"], true,
        "the phone page scrolls sideways"
    );

    // The calendar editor kept the old rules and added Saturday 10–12.
    assert_eq!(
        result["rules"]["after"].as_u64(),
        result["rules"]["before"].as_u64().map(|n| n + 1)
    );
    let mediator = api.login(&email_of(mediator_id)).await;
    let (_, calendar) = api
        .call(
            Method::GET,
            "/api/v1/mediators/me/availability",
            Some(&mediator),
            None,
        )
        .await;
    assert!(
        calendar["weekly_rules"]
            .as_array()
            .expect("rules")
            .iter()
            .any(|r| r["weekday"] == 6 && r["start"] == "10:00" && r["end"] == "12:00"),
        "{calendar:#}"
    );
    // Two bookings: fewer than five, so the report shows "<5".
    assert_eq!(result["statistics_total"], "<5");

    // Assigned by hand from the booking's page, with the ranking's reasons shown.
    let by_hand = items
        .iter()
        .find(|b| b["id"] == result["assigned_by_hand"])
        .expect("the second booking");
    assert_eq!(by_hand["state"], "assigned", "{by_hand:#}");
    // …and kept by the same mediator after it moved an hour later.
    let keeper = by_hand["assignment"]["mediator_id"]
        .as_str()
        .expect("assigned");
    let keeper = demo_mediators()
        .find(|(id, _, _)| id.to_string() == keeper)
        .map(|(_, m, _)| m.name)
        .expect("demo mediator");
    let moved = result["moved_facts"].as_str().unwrap_or_default();
    assert!(moved.contains("15:00") && moved.contains(keeper), "{moved}");
    // The ranking's reasons, in the page's language.
    let explained = result["explained"].as_str().unwrap_or_default();
    assert!(
        explained.contains("Qualifikation") && explained.contains("fairer Anteil"),
        "{explained}"
    );

    // The coordinator deactivated a mediator from the list.
    assert_eq!(result["deactivated_row"], "nein aktivieren");
    let coordinator = api.login(COORDINATOR).await;
    let (_, profiles) = api
        .call(Method::GET, "/api/v1/mediators", Some(&coordinator), None)
        .await;
    let sergej = profiles
        .as_array()
        .expect("profiles")
        .iter()
        .find(|p| p["display_name"] == "Sergej Wolkow")
        .expect("Sergej");
    assert_eq!(sergej["active"], false);
    assert!(
        result["requester_nav_en"]
            .as_str()
            .unwrap_or_default()
            .contains("New booking")
    );
}
