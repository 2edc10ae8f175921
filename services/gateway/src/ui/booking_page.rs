//! A booking's page: its facts and state (live), who booked it, the mediator, the
//! video links, the time record, and what the reader may do (move, cancel, assign,
//! give up). Its mediator is sent to their job page instead.

use super::requester::is_open;
use super::{
    OrPage, Page, UiError, code, iso, layout, mediator_names, place, state_badge, url_encode, when,
};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::html;
use mittler_types::{BookingState, Role};

/// How long before the start a cancellation came, in words.
fn notice(l: super::i18n::Lang, minutes: i64) -> String {
    if minutes < 0 {
        l.t("notice.after_start")
    } else if minutes >= 48 * 60 {
        l.tf("notice.days", &[("n", &(minutes / (24 * 60)).to_string())])
    } else if minutes >= 120 {
        l.tf("notice.hours", &[("n", &(minutes / 60).to_string())])
    } else {
        l.tf("notice.minutes", &[("n", &minutes.to_string())])
    }
}

pub(super) async fn detail_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let l = page.l;
    // Links in mails and the feed name the booking; its mediator reads it as a job.
    if page.user.role() == Role::Mediator {
        return Ok(Redirect::to(&format!("/jobs/{}", url_encode(&id))).into_response());
    }
    let booking = crate::bookings::booking(&state, &page.user, &id)
        .await
        .or_page(l)?;
    let coordinator = matches!(page.user.role(), Role::Coordinator | Role::Admin);
    // Coordinators read every profile (for the assignment); others ask for the few named.
    let profiles = if coordinator {
        crate::mediators::profiles(&state, &page.user)
            .await
            .or_page(l)?
    } else {
        Vec::new()
    };
    let names = if coordinator {
        profiles
            .iter()
            .map(|p| (p.id, p.display_name.clone()))
            .collect()
    } else {
        mediator_names(
            &state,
            booking
                .assignment
                .iter()
                .map(|a| a.mediator_id)
                .chain(booking.offers.iter().map(|o| o.mediator_id)),
        )
        .await
    };
    let links = if booking.details.modality == mittler_types::Modality::Video
        && booking.assignment.is_some()
    {
        crate::rooms::session_links(&state, &page.user, &id)
            .await
            .ok()
    } else {
        None
    };
    let zone = booking.details.time_zone;
    let d = &booking.details;
    // Who booked it, and for a coordinator, which organisation.
    let booked_by = crate::directory::user_by_id(state.pool(), booking.requested_by)
        .await
        .ok()
        .flatten();
    let organisation = if coordinator {
        crate::directory::organisation(state.pool(), booking.organisation_id)
            .await
            .ok()
            .flatten()
            .map(|o| o.name)
    } else {
        None
    };
    let record = if super::records::has_record(&booking) {
        crate::bookings::ending::time_record(&state, &page.user, booking.id)
            .await
            .ok()
    } else {
        None
    };
    let assign = if coordinator && is_open(booking.state) && booking.assignment.is_none() {
        Some(super::coordinator::assign_section(&state, &page, &booking, &profiles).await?)
    } else {
        None
    };
    let content = html! {
        section data-live="booking" aria-labelledby="booking-state" {
            p id="booking-state" class="lead" { (state_badge(l, &booking)) }
            @if booking.escalated_at.is_some() && is_open(booking.state) && booking.assignment.is_none() {
                p class="alert" id="no-mediator-yet" role="status" {
                    (l.t(&format!("booking.{}", if coordinator { "escalated_coordinator" } else { "escalated_requester" })))
                }
            }
            dl class="facts" {
                dt { (l.t("booking.when")) }
                dd {
                    time datetime=(iso(d.start)) { (when(l, d.start, zone)) }
                    " – " (zone.local(d.end).format("%H:%M")) " (" (zone.name()) ")"
                }
                @if let Some(name) = &organisation {
                    dt { (l.t("job.organisation")) } dd { (name) }
                }
                @if let Some(user) = &booked_by {
                    dt { (l.t("job.booked_by")) }
                    dd { (user.name) " · " a href=(format!("mailto:{}", user.email)) { (user.email) } }
                }
                dt { (l.t("booking.language")) } dd { (l.language(d.language.as_str())) }
                dt { (l.t("booking.place")) } dd { (place(l, &booking)) }
                dt { (l.t("booking.subject_area")) } dd { (l.t(&format!("subject.{}", code(&d.subject_area)))) }
                dt { (l.t("booking.qualification")) } dd { (l.t(&format!("qualification.{}", code(&d.min_qualification)))) }
                @if let Some(client) = &d.client {
                    dt { (l.t("booking.client_reference")) } dd { (client.reference) }
                }
                @if let Some(notes) = &d.notes {
                    dt { (l.t("booking.notes")) } dd { (notes) }
                }
                dt { (l.t("booking.mediator")) }
                dd {
                    @if let Some(assignment) = &booking.assignment {
                        (names.get(&assignment.mediator_id).cloned().unwrap_or_else(|| l.t("booking.unknown_mediator")))
                    } @else {
                        (l.t("booking.no_mediator_yet"))
                    }
                }
                @if let Some(reason) = &booking.cancel_reason {
                    dt { (l.t("booking.cancel_reason")) } dd { (reason) }
                }
                @if let Some(cancellation) = &booking.cancellation {
                    dt { (l.t("booking.cancelled_at")) }
                    dd {
                        (when(l, cancellation.cancelled_at, zone)) " · "
                        (notice(l, cancellation.notice_minutes))
                    }
                }
                @if let Some(unfilled) = &booking.unfilled {
                    dt { (l.t("booking.unfilled_reason")) }
                    dd {
                        @if unfilled.unfilled_by.is_some() { (unfilled.reason) }
                        @else { (l.t("booking.unfilled_start_passed")) }
                    }
                }
                @if let Some(minutes) = booking.worked_minutes {
                    dt { (l.t("booking.worked")) } dd { (l.tf("booking.minutes", &[("n", &minutes.to_string())])) }
                }
            }
            @if let Some(links) = &links {
                h2 { (l.t("booking.video")) }
                @if links.state == "open" {
                    ul {
                        @for link in &links.links {
                            li {
                                a href=(link.url) { (l.t(&format!("participant.{}", code(&link.role)))) }
                                " " span class="meta" { (l.tf("booking.link_valid", &[("from", &when(l, link.valid_from, zone))])) }
                            }
                        }
                    }
                } @else {
                    p { (l.t("booking.room_closed")) }
                }
            }
            @if !booking.offers.is_empty() && coordinator {
                h2 { (l.t("booking.offers")) }
                ul {
                    @for offer in &booking.offers {
                        li {
                            (names.get(&offer.mediator_id).cloned().unwrap_or_else(|| offer.mediator_id.to_string()))
                            ": " (l.t(&format!("offer_state.{}", offer.state)))
                        }
                    }
                }
            }
        }
        @if let Some(record) = &record { (super::records::record_section(l, page.user.role(), &booking, record)) }
        @if let Some(assign) = assign { (assign) }
        @if coordinator && matches!(booking.state, BookingState::Requested | BookingState::Offering) {
            (super::records::give_up_form(l, &booking))
        }
        @if coordinator && booking.state == BookingState::Assigned && booking.assignment.is_some() && d.start > Utc::now() {
            details class="unassign" id="unassign" {
                summary { (l.t("unassign.title")) }
                form data-api=(format!("/api/v1/bookings/{}/unassign", booking.id)) data-then="reload" novalidate
                    class="stack" data-confirm=(l.t("unassign.confirm")) {
                    div class="form-errors" role="alert" {}
                    p class="hint" { (l.t("unassign.hint")) }
                    p {
                        label for="unassign-reason" { (l.t("unassign.reason")) }
                        input id="unassign-reason" name="reason" required maxlength="1000";
                    }
                    button type="submit" class="danger" { (l.t("unassign.submit")) }
                }
            }
        }
        @if matches!(booking.state, BookingState::Requested | BookingState::Offering | BookingState::Assigned)
            && page.user.role() != Role::Mediator && d.start > Utc::now() {
            (super::amend_form::amend_form(l, &booking))
        }
        @if is_open(booking.state) && page.user.role() != Role::Mediator && d.end > Utc::now() {
            section class="split" {
                form data-api=(format!("/api/v1/bookings/{}/reschedule", booking.id)) data-then="reload" novalidate class="stack"
                    data-confirm=[booking.assignment.is_some().then(|| l.t("booking.reschedule_confirm"))] {
                    h2 { (l.t("booking.reschedule")) }
                    @if booking.assignment.is_some() {
                        p class="hint" { (l.t("booking.reschedule_warning")) }
                    }
                    div class="form-errors" role="alert" {}
                    input type="hidden" name="time_zone" value=(zone.name());
                    p {
                        label for="new_start" { (l.tf("booking.start_local", &[("zone", zone.name())])) }
                        input id="new_start" name="local_start" type="datetime-local" step="300" required
                            value=(zone.local(d.start).format("%Y-%m-%dT%H:%M").to_string());
                    }
                    p {
                        label for="new_duration" { (l.t("booking.duration")) }
                        input id="new_duration" name="duration_minutes" type="number" min="15" max="600" step="15" data-type="number" value=(d.duration_minutes.minutes());
                    }
                    button type="submit" { (l.t("booking.reschedule_submit")) }
                }
                form data-api=(format!("/api/v1/bookings/{}/cancel", booking.id)) data-then="reload" novalidate class="stack" data-confirm=(l.t("booking.cancel_confirm")) {
                    h2 { (l.t("booking.cancel")) }
                    div class="form-errors" role="alert" {}
                    p {
                        label for="reason" { (l.t("booking.cancel_reason")) }
                        input id="reason" name="reason" required maxlength="500";
                    }
                    button type="submit" class="danger" { (l.t("booking.cancel_submit")) }
                }
            }
        }
        p { a href="/bookings" { (l.t("booking.back")) } }
    };
    Ok(layout(&page, &l.t("booking.title"), content).into_response())
}
