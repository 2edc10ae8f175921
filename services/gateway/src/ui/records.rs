//! Time records on the pages: the claim form (a mediator's after each job, a
//! coordinator's to settle), the record on a booking's page with the requester's
//! confirm and dispute, the coordinators' disputes page, and the give-up form.

use super::{OrPage, Page, UiError, iso, layout, place, when};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};
use mittler_contracts::booking::{BookingView, RecordItem, TimeRecordView};
use mittler_types::{BookingState, Modality, Outcome, RecordState, Role};

pub fn router() -> Router<AppState> {
    Router::new().route("/disputes", get(disputes_page))
}

/// Whether the booking has a time record to show.
pub fn has_record(booking: &BookingView) -> bool {
    booking.assignment.is_some()
        && matches!(
            booking.state,
            BookingState::Assigned | BookingState::InSession | BookingState::Completed
        )
}

/// A local date-time input in the booking's zone: the value and the offset it has
/// then, so that the browser's own zone does not matter.
fn local_input(
    id: &str,
    name: &str,
    booking: &BookingView,
    at: chrono::DateTime<chrono::Utc>,
) -> Markup {
    let local = at.with_timezone(&booking.details.time_zone.tz());
    html! {
        input id=(id) name=(name) type="datetime-local" step="60" required data-type="local"
            data-offset=(local.format("%:z").to_string())
            value=(local.format("%Y-%m-%dT%H:%M").to_string());
    }
}

/// The figures of a record as a claim form: the mediator's after a job, a
/// coordinator's to settle. Prefilled with what is recorded, or the booked time.
pub fn claim_form(
    l: super::i18n::Lang,
    booking: &BookingView,
    record: &TimeRecordView,
    settle: bool,
) -> Markup {
    let n = booking.id.to_string();
    let start = record.start.unwrap_or(booking.details.start);
    let end = record.end.unwrap_or(booking.details.end);
    let on_site = booking.details.modality == Modality::OnSite;
    let outcome = record.outcome.unwrap_or(Outcome::Done);
    html! {
        form data-api=(format!("/api/v1/bookings/{}/time-record", booking.id)) data-method="PUT"
            data-then="reload" data-done=(l.t("record.saved")) novalidate class="stack claim" {
            div class="form-errors" role="alert" {}
            p class="hint" { (l.tf("record.zone_hint", &[("zone", booking.details.time_zone.name())])) }
            p {
                label for=(format!("start-{n}")) { (l.t("record.start")) }
                (local_input(&format!("start-{n}"), "start", booking, start))
            }
            p {
                label for=(format!("end-{n}")) { (l.t("record.end")) }
                (local_input(&format!("end-{n}"), "end", booking, end))
            }
            p {
                label for=(format!("outcome-{n}")) { (l.t("record.outcome")) }
                select id=(format!("outcome-{n}")) name="outcome" {
                    @for o in [Outcome::Done, Outcome::ClientNoShow, Outcome::MediatorNoShow] {
                        option value=(o.as_str()) selected[o == outcome] { (l.t(&format!("outcome.{}", o.as_str()))) }
                    }
                }
            }
            @if on_site {
                p {
                    label for=(format!("travel-minutes-{n}")) { (l.t("record.travel_minutes")) }
                    input id=(format!("travel-minutes-{n}")) name="travel_minutes" type="number" min="0" max="720"
                        inputmode="numeric" data-type="number" value=(record.travel_minutes);
                }
                p {
                    label for=(format!("travel-km-{n}")) { (l.t("record.travel_km")) }
                    input id=(format!("travel-km-{n}")) name="travel_km" type="number" min="0" max="1000"
                        inputmode="numeric" data-type="number" value=(record.travel_km);
                }
            }
            button type="submit" class="primary big" {
                (l.t(if settle { "record.settle" } else { "record.claim" }))
            }
        }
    }
}

/// What a record says, as a list of facts.
fn facts(l: super::i18n::Lang, booking: &BookingView, record: &TimeRecordView) -> Markup {
    let zone = booking.details.time_zone;
    html! {
        dl class="facts" {
            dt { (l.t("record.state")) }
            dd { span class=(format!("badge record-{}", record.state.as_str())) { (l.t(&format!("record_state.{}", record.state.as_str()))) } }
            @if let (Some(start), Some(end)) = (record.start, record.end) {
                dt { (l.t("record.time")) }
                dd { (when(l, start, zone)) " – " (zone.local(end).format("%H:%M")) }
            }
            @if record.state != RecordState::Open {
                dt { (l.t("record.worked")) }
                dd { (l.tf("booking.minutes", &[("n", &record.worked_minutes.to_string())])) }
            }
            @if let Some(outcome) = record.outcome {
                dt { (l.t("record.outcome")) } dd { (l.t(&format!("outcome.{}", outcome.as_str()))) }
            }
            @if record.travel_minutes > 0 || record.travel_km > 0 {
                dt { (l.t("record.travel")) }
                dd { (l.tf("record.travel_value", &[("minutes", &record.travel_minutes.to_string()), ("km", &record.travel_km.to_string())])) }
            }
            @if let Some(source) = record.source {
                dt { (l.t("record.source")) } dd { (l.t(&format!("record_source.{}", source.as_str()))) }
            }
            @if let Some(at) = record.confirms_by_rule_at {
                dt { (l.t("record.confirms_by_rule")) }
                dd { time datetime=(iso(at)) { (when(l, at, zone)) } }
            }
            @if let Some(by) = record.confirmed_by {
                dt { (l.t("record.confirmed_by")) } dd { (l.t(&format!("confirmed_by.{}", by.as_str()))) }
            }
            @if let Some(reason) = &record.dispute_reason {
                dt { (l.t("record.dispute_reason")) } dd { (reason) }
            }
        }
    }
}

/// The record on a booking's page, with what the reader may do about it.
pub fn record_section(
    l: super::i18n::Lang,
    role: Role,
    booking: &BookingView,
    record: &TimeRecordView,
) -> Markup {
    let requester = role == Role::Requester;
    let coordinator = matches!(role, Role::Coordinator | Role::Admin);
    html! {
        section id="time-record" aria-labelledby="time-record-title" {
            h2 id="time-record-title" { (l.t("record.title")) }
            (facts(l, booking, record))
            @if record.state == RecordState::Open {
                p class="hint" { (l.t("record.open_hint")) }
            }
            @if requester && record.state == RecordState::Claimed {
                div class="buttons" {
                    button type="button" class="primary" data-post=(format!("/api/v1/bookings/{}/time-record/confirm", booking.id))
                        data-then="reload" data-done=(l.t("record.confirmed")) { (l.t("record.confirm")) }
                }
                details {
                    summary { (l.t("record.dispute")) }
                    form data-api=(format!("/api/v1/bookings/{}/time-record/dispute", booking.id)) data-then="reload"
                        novalidate class="stack" {
                        div class="form-errors" role="alert" {}
                        p {
                            label for="dispute-reason" { (l.t("record.dispute_reason")) }
                            textarea id="dispute-reason" name="reason" required maxlength="1000" rows="3" {}
                        }
                        button type="submit" class="danger" { (l.t("record.dispute_submit")) }
                    }
                }
            }
            @if coordinator && record.state != RecordState::Confirmed {
                details open[record.state == RecordState::Disputed] {
                    summary { (l.t("record.settle")) }
                    (claim_form(l, booking, record, true))
                }
            }
        }
    }
}

/// The give-up form of a booking nobody takes (coordinators).
pub fn give_up_form(l: super::i18n::Lang, booking: &BookingView) -> Markup {
    html! {
        details class="give-up" {
            summary { (l.t("give_up.title")) }
            form data-api=(format!("/api/v1/bookings/{}/give-up", booking.id)) data-then="reload" novalidate
                class="stack" data-confirm=(l.t("give_up.confirm")) {
                div class="form-errors" role="alert" {}
                p class="hint" { (l.t("give_up.hint")) }
                p {
                    label for=(format!("give-up-{}", booking.id)) { (l.t("give_up.reason")) }
                    input id=(format!("give-up-{}", booking.id)) name="reason" required maxlength="1000";
                }
                button type="submit" class="danger" { (l.t("give_up.submit")) }
            }
        }
    }
}

/// A job whose time waits for its mediator, as a card with the claim form.
pub fn claim_card(l: super::i18n::Lang, item: &RecordItem) -> Markup {
    let b = &item.booking;
    let d = &b.details;
    html! {
        li class="card to-claim" id=(format!("claim-{}", b.id)) {
            h3 { (l.language(d.language.as_str())) " · " (place(l, b)) }
            p { time datetime=(iso(d.start)) { (when(l, d.start, d.time_zone)) } }
            @if item.record.state == RecordState::Claimed {
                p class="meta" {
                    (l.tf("record.claimed_waiting", &[("n", &item.record.worked_minutes.to_string())]))
                }
            }
            details open[item.record.state == RecordState::Open] {
                summary { (l.t(if item.record.state == RecordState::Open { "record.claim" } else { "record.correct" })) }
                (claim_form(l, b, &item.record, false))
            }
        }
    }
}

async fn disputes_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    super::coordinator::require_coordinator(&page)?;
    let items = crate::bookings::ending::waiting(&state, &page.user, None)
        .await
        .or_page(l)?;
    let organisations = super::coordinator::organisation_names(&state, &page).await?;
    let names =
        super::mediator_names(&state, items.iter().filter_map(|i| i.record.mediator_id)).await;
    let content = html! {
        section aria-labelledby="disputes-summary" {
            @if items.is_empty() {
                p id="disputes-summary" class="lead empty" { (l.t("disputes.empty")) }
            } @else {
                p id="disputes-summary" class="lead" { (l.tn("disputes.summary", items.len(), &[])) }
            }
            ul class="cards" {
                @for item in &items {
                    @let b = &item.booking;
                    li class="card escalated" id=(format!("dispute-{}", b.id)) {
                        h2 class="h3" {
                            a href=(format!("/bookings/{}#time-record", b.id)) {
                                (l.language(b.details.language.as_str())) " · " (place(l, b))
                            }
                        }
                        p { time datetime=(iso(b.details.start)) { (when(l, b.details.start, b.details.time_zone)) } }
                        p class="meta" {
                            (organisations.get(&b.organisation_id).cloned().unwrap_or_default())
                            @if let Some(name) = item.record.mediator_id.and_then(|m| names.get(&m)) {
                                " · " (name)
                            }
                        }
                        (facts(l, b, &item.record))
                        (claim_form(l, b, &item.record, true))
                    }
                }
            }
        }
    };
    Ok(layout(&page, &l.t("disputes.title"), content))
}

/// The short word for a record's state in lists.
pub fn record_badge(l: super::i18n::Lang, record: &TimeRecordView) -> Markup {
    let state = record.state.as_str();
    html! { span class=(format!("badge record-{state}")) { (l.t(&format!("record_state.{state}"))) } }
}
