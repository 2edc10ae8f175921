//! Booking pages: the organisation's bookings with live state, the booking form and
//! a booking's detail (mediator, video links, cancel, move; for coordinators also the
//! dispatch explanation and manual assignment).

use super::{
    OrPage, Page, QUALIFICATIONS, UiError, code, iso, layout, mediator_names, options, place,
    state_badge, when,
};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use maud::{Markup, html};
use mittler_contracts::booking::BookingView;
use mittler_contracts::text;
use mittler_types::{BookingState, Role, SubjectArea, TimeZone};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bookings", get(list_page))
        .route("/bookings/new", get(new_page))
        .route("/bookings/{id}", get(super::booking_page::detail_page))
}

pub const SUBJECT_AREAS: [SubjectArea; 10] = [
    SubjectArea::Health,
    SubjectArea::Psychosocial,
    SubjectArea::ResidenceAsylum,
    SubjectArea::YouthWelfare,
    SubjectArea::School,
    SubjectArea::Employment,
    SubjectArea::SocialBenefits,
    SubjectArea::Housing,
    SubjectArea::Justice,
    SubjectArea::Other,
];

/// The languages a client's invitation can be written in.
pub const INVITATION_LANGUAGES: [&str; 8] = ["de", "en", "ar", "uk", "ru", "tr", "fa", "prs"];

const STATES: [BookingState; 7] = [
    BookingState::Requested,
    BookingState::Offering,
    BookingState::Assigned,
    BookingState::InSession,
    BookingState::Completed,
    BookingState::Cancelled,
    BookingState::Unfilled,
];

#[derive(Debug, Deserialize)]
pub struct ListFilter {
    pub state: Option<String>,
    /// A case number, or part of one.
    pub q: Option<String>,
    /// The first and last day of the period (`YYYY-MM-DD`, local), both optional.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Midnight at the start of `day` in `zone` (the next valid instant on a spring gap).
fn day_start(zone: TimeZone, day: chrono::NaiveDate) -> chrono::DateTime<Utc> {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    zone.resolve(midnight)
        .or_else(|_| zone.resolve(midnight + Duration::hours(1)))
        .unwrap_or_else(|_| midnight.and_utc())
}

pub(super) fn is_open(state: BookingState) -> bool {
    matches!(
        state,
        BookingState::Requested | BookingState::Offering | BookingState::Assigned
    )
}

/// A table of bookings; the first column links to the detail.
pub fn bookings_table(
    l: super::i18n::Lang,
    bookings: &[BookingView],
    names: &std::collections::HashMap<mittler_types::MediatorId, String>,
    booked_by: &std::collections::HashMap<mittler_types::UserId, String>,
    organisations: Option<&std::collections::HashMap<mittler_types::OrganisationId, String>>,
) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                thead {
                    tr {
                        th scope="col" { (l.t("booking.when")) }
                        th scope="col" { (l.t("booking.language")) }
                        th scope="col" { (l.t("booking.place")) }
                        th scope="col" { (l.t("booking.client_reference")) }
                        @if organisations.is_some() { th scope="col" { (l.t("booking.organisation")) } }
                        th scope="col" { (l.t("job.booked_by")) }
                        th scope="col" { (l.t("booking.state")) }
                        th scope="col" { (l.t("booking.mediator")) }
                    }
                }
                tbody {
                    @for booking in bookings {
                        tr {
                            td {
                                a href=(format!("/bookings/{}", booking.id)) {
                                    time datetime=(iso(booking.details.start)) {
                                        (when(l, booking.details.start, booking.details.time_zone))
                                    }
                                }
                            }
                            td { (l.language(booking.details.language.as_str())) }
                            td { (place(l, booking)) }
                            td { (booking.details.client.as_ref().map(|c| c.reference.as_str()).unwrap_or("–")) }
                            @if let Some(orgs) = organisations {
                                td { (orgs.get(&booking.organisation_id).cloned().unwrap_or_default()) }
                            }
                            td { (booked_by.get(&booking.requested_by).cloned().unwrap_or_default()) }
                            td { (state_badge(l, booking)) }
                            td {
                                @if let Some(assignment) = &booking.assignment {
                                    (names.get(&assignment.mediator_id).cloned().unwrap_or_else(|| l.t("booking.unknown_mediator")))
                                } @else { "–" }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn list_page(
    State(state): State<AppState>,
    page: Page,
    Query(filter): Query<ListFilter>,
) -> Result<Response, UiError> {
    let l = page.l;
    if page.user.role() == Role::Mediator {
        return Ok(Redirect::to("/jobs").into_response());
    }
    let chosen = filter.state.filter(|s| !s.is_empty());
    let zone = crate::directory::organisation(state.pool(), page.user.user.organisation_id)
        .await
        .ok()
        .flatten()
        .map(|o| o.time_zone)
        .unwrap_or(TimeZone::BERLIN);
    let day = |text: &Option<String>| {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .and_then(|t| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
    };
    let (from_day, to_day) = (day(&filter.from), day(&filter.to));
    let query = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let params = crate::bookings::ListParams {
        state: chosen.clone(),
        // By default the last seven days and everything ahead.
        from: Some(iso(from_day.map_or_else(
            || Utc::now() - Duration::days(7),
            |d| day_start(zone, d),
        ))),
        to: to_day.map(|d| iso(day_start(zone, d + Duration::days(1)))),
        language: None,
        reference: query.map(str::to_owned),
        cursor: None,
        limit: Some("200".into()),
    };
    let bookings = crate::bookings::bookings(&state, &page.user, params)
        .await
        .or_page(l)?
        .items;
    let booked_by = crate::directory::user_names(
        state.pool(),
        &bookings.iter().map(|b| b.requested_by).collect::<Vec<_>>(),
    )
    .await
    .unwrap_or_default();
    let names = mediator_names(
        &state,
        bookings
            .iter()
            .filter_map(|b| b.assignment.as_ref().map(|a| a.mediator_id)),
    )
    .await;
    let organisations = if page.user.role() == Role::Requester {
        None
    } else {
        Some(super::coordinator::organisation_names(&state, &page).await?)
    };
    // What waits for the requester: claimed times to confirm or dispute.
    let to_confirm = if page.user.role() == Role::Requester {
        crate::bookings::ending::waiting(&state, &page.user, None)
            .await
            .or_page(l)?
    } else {
        Vec::new()
    };
    let content = html! {
        @if !to_confirm.is_empty() {
            section class="to-confirm" aria-labelledby="to-confirm-title" {
                h2 id="to-confirm-title" { (l.tn("record.to_confirm", to_confirm.len(), &[])) }
                ul {
                    @for item in &to_confirm {
                        @let b = &item.booking;
                        li {
                            a href=(format!("/bookings/{}#time-record", b.id)) {
                                (when(l, b.details.start, b.details.time_zone)) " · "
                                (l.language(b.details.language.as_str()))
                            }
                            " · " (l.tf("booking.minutes", &[("n", &item.record.worked_minutes.to_string())]))
                        }
                    }
                }
            }
        }
        div class="actions" {
            @if page.user.role() == Role::Requester {
                a class="button primary" href="/bookings/new" { (l.t("nav.new_booking")) }
            }
            form method="get" action="/bookings" class="inline filters" role="search" {
                span {
                    label for="q-filter" { (l.t("bookings.search")) }
                    input id="q-filter" name="q" type="search" maxlength="100" value=[query];
                }
                span {
                    label for="state-filter" { (l.t("bookings.filter")) }
                    select id="state-filter" name="state" {
                        option value="" { (l.t("bookings.all_states")) }
                        @for s in STATES {
                            @let c = code(&s);
                            option value=(c) selected[chosen.as_deref() == Some(c.as_str())] { (l.t(&format!("state.{c}"))) }
                        }
                    }
                }
                span {
                    label for="from-filter" { (l.t("bookings.from")) }
                    input id="from-filter" name="from" type="date" value=[from_day.map(|d| d.to_string())];
                }
                span {
                    label for="to-filter" { (l.t("bookings.to")) }
                    input id="to-filter" name="to" type="date" value=[to_day.map(|d| d.to_string())];
                }
                button type="submit" { (l.t("bookings.apply")) }
            }
        }
        section data-live="bookings" aria-label=(l.t("nav.bookings")) {
            @if bookings.is_empty() {
                p class="empty" { (l.t("bookings.empty")) }
            } @else {
                (bookings_table(l, &bookings, &names, &booked_by, organisations.as_ref()))
            }
        }
    };
    Ok(layout(&page, &l.t("bookings.title"), content).into_response())
}

/// The language picker: a search box that filters a list of every language and
/// dialect (by name, code and other names); the list alone works without script.
pub fn language_picker(l: super::i18n::Lang, id: &str, name: &str, label: &str) -> Markup {
    let search = format!("{id}-search");
    html! {
        div class="language-picker" {
            label for=(search) { (label) }
            input id=(search) type="search" data-filter=(id) autocomplete="off"
                placeholder=(l.t("booking.language_search")) aria-describedby=(format!("{id}-hint"));
            p id=(format!("{id}-hint")) class="hint" { (l.t("booking.language_hint")) }
            select id=(id) name=(name) size="6" required aria-label=(label) {
                @for (tag, language) in l.language_codes() {
                    option value=(tag) data-search=(format!("{language} {tag} {}", l.opt(&format!("aliases.{tag}")).unwrap_or_default())) {
                        (language) " (" (tag) ")"
                    }
                }
            }
        }
    }
}

async fn new_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    page.user
        .require(&[Role::Requester], text!("role.requesters_book"))
        .or_page(l)?;
    let organisation = crate::directory::organisation(state.pool(), page.user.user.organisation_id)
        .await
        .map_err(crate::problem::ApiError::Internal)
        .or_page(l)?;
    let zone = organisation
        .as_ref()
        .map(|o| o.time_zone)
        .unwrap_or(TimeZone::BERLIN);
    let site = crate::directory::organisation_place(state.pool(), page.user.user.organisation_id)
        .await
        .map_err(crate::problem::ApiError::Internal)
        .or_page(l)?;
    let tomorrow = zone.local(Utc::now() + Duration::days(1)).date();
    let default_start = format!("{tomorrow}T09:00");
    let content = html! {
        form data-api="/api/v1/bookings" data-idempotent data-then="go:/bookings/{id}" data-review="review" novalidate class="stack" {
            div class="form-errors" role="alert" {}
            input type="hidden" name="time_zone" value=(zone.name());
            fieldset {
                legend { (l.t("booking.what")) }
                (language_picker(l, "language", "language", &l.t("booking.language")))
                p {
                    label for="subject_area" { (l.t("booking.subject_area")) }
                    select id="subject_area" name="subject_area" {
                        (options(l, "subject", &SUBJECT_AREAS, "other"))
                    }
                }
                p {
                    label for="min_qualification" { (l.t("booking.qualification")) }
                    select id="min_qualification" name="min_qualification" {
                        (options(l, "qualification", &QUALIFICATIONS, "lay"))
                    }
                }
                p {
                    label for="mediator_gender" { (l.t("booking.gender")) }
                    select id="mediator_gender" name="mediator_gender" {
                        (options(l, "gender_preference", &[mittler_types::GenderPreference::Any, mittler_types::GenderPreference::Female, mittler_types::GenderPreference::Male], "any"))
                    }
                }
            }
            fieldset {
                legend { (l.t("booking.how")) }
                div class="choices" role="radiogroup" aria-label=(l.t("booking.modality")) {
                    @for (value, checked) in [("video", true), ("phone", false), ("on_site", false)] {
                        label class="choice" {
                            input type="radio" name="modality" value=(value) checked[checked] data-toggles="location";
                            (l.t(&format!("modality.{value}")))
                        }
                    }
                }
                fieldset id="location" class="sub" hidden disabled {
                    legend { (l.t("booking.location")) }
                    (super::place::PlaceFields {
                        id: "booking",
                        prefix: "location.",
                        position: ("latitude", "longitude"),
                        address: Some(site.as_ref().map(|s| s.address.as_str())),
                        postal_code: site.as_ref().map(|s| s.postal_code.as_str()),
                        required: false,
                    }.render(l))
                }
            }
            fieldset {
                legend { (l.t("booking.when")) }
                div class="choices" role="radiogroup" aria-label=(l.t("booking.kind")) {
                    label class="choice" {
                        input type="radio" name="kind" value="scheduled" checked data-toggles="when-fields";
                        (l.t("kind.scheduled"))
                    }
                    label class="choice" {
                        input type="radio" name="kind" value="on_demand" data-toggles="when-fields";
                        (l.t("kind.on_demand"))
                    }
                }
                div id="when-fields" {
                    p {
                        label for="local_start" { (l.tf("booking.start_local", &[("zone", zone.name())])) }
                        input id="local_start" name="local_start" type="datetime-local" value=(default_start) step="300";
                    }
                }
                p {
                    label for="duration" { (l.t("booking.duration")) }
                    select id="duration" name="duration_minutes" data-type="number" {
                        @for minutes in [30, 45, 60, 90, 120, 180, 240] {
                            option value=(minutes) selected[minutes == 60] { (l.tf("booking.minutes", &[("n", &minutes.to_string())])) }
                        }
                    }
                }
            }
            fieldset {
                legend { (l.t("booking.client")) }
                p {
                    label for="client_reference" { (l.t("booking.client_reference")) }
                    input id="client_reference" name="client.reference" maxlength="100" aria-describedby="client-reference-hint";
                    span id="client-reference-hint" class="hint" { (l.t("booking.client_reference_hint")) }
                }
                p {
                    label for="client_email" { (l.t("booking.client_email")) }
                    input id="client_email" name="client.email" type="email" autocomplete="off";
                }
                p {
                    label for="client_language" { (l.t("booking.client_language")) }
                    select id="client_language" name="client.language" {
                        option value="" { (l.t("booking.client_language_none")) }
                        @for tag in INVITATION_LANGUAGES {
                            option value=(tag) { (l.language(tag)) }
                        }
                    }
                }
            }
            p {
                label for="notes" { (l.t("booking.notes")) }
                textarea id="notes" name="notes" rows="3" maxlength="2000" {}
            }
            button type="submit" class="primary" { (l.t("booking.review")) }
            section id="review" class="review" hidden aria-labelledby="review-title" {
                h2 id="review-title" tabindex="-1" { (l.t("booking.review_title")) }
                p class="hint" { (l.t("booking.review_hint")) }
                dl class="facts" {
                    @for (label, field, empty) in [
                        ("language", "language", None),
                        ("modality", "modality", None),
                        ("kind", "kind", None),
                        ("when", "local_start", None),
                        ("duration", "duration_minutes", None),
                        ("address", "location.address", None),
                        ("postal_code", "location.postal_code", None),
                        ("place", "booking-place", None),
                        ("subject_area", "subject_area", None),
                        ("qualification", "min_qualification", None),
                        ("client_reference", "client.reference", Some("review_none")),
                        ("notes", "notes", Some("review_none")),
                    ] {
                        div data-review-row {
                            dt { (l.t(&format!("booking.{label}"))) }
                            dd data-review-of=(field) data-empty=[empty.map(|k| l.t(&format!("booking.{k}")))] {}
                        }
                    }
                }
                p id="review-check" class="alert" role="status" hidden data-check="/api/v1/bookings/check"
                    data-none=(l.t("booking.check_none")) data-nobody-speaks=(l.t("booking.check_no_speaker"))
                    data-reasons=(check_reasons(l)) {}
                div class="buttons" {
                    button type="button" class="primary big" data-review-confirm { (l.t("booking.submit")) }
                    button type="button" data-review-back { (l.t("booking.review_back")) }
                }
            }
        }
    };
    Ok(layout(&page, &l.t("nav.new_booking"), content))
}

/// What the review says when nobody could take a booking, by availability's reason
/// (JSON for the page's script).
fn check_reasons(l: super::i18n::Lang) -> String {
    let map: serde_json::Map<String, serde_json::Value> = [
        "availability",
        "absence",
        "notice",
        "distance",
        "overlap",
        "travel",
        "modality",
        "qualification",
        "gender",
        "weekly_minutes",
        "offline",
    ]
    .into_iter()
    .map(|r| (r.to_owned(), l.t(&format!("check_why.{r}")).into()))
    .collect();
    serde_json::Value::Object(map).to_string()
}
