//! Mediators' pages, made for a phone: open offers with one-tap accept and decline,
//! the online switch for on-demand calls, my jobs (with the time to claim after
//! each), and the calendar editor (weekly hours and absences).

use super::{OrPage, Page, UiError, code, iso, layout, place, state_badge, when};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use maud::{Markup, html};
use mittler_contracts::availability::{Candidates, Exclusion, GetProfile, MediatorRef, Needs};
use mittler_contracts::booking::{BookingView, MediatorOffer};
use mittler_types::{BookingState, GenderPreference, Modality, Qualification};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/offers", get(offers_page))
        .route("/offers/{id}", get(offer_page))
        .route("/jobs", get(jobs_page))
        .route("/jobs/calendar", get(super::calendar::calendar_page))
        .route("/jobs/{id}", get(job_page))
        .route("/availability", get(availability_page))
}

fn offer_card(l: super::i18n::Lang, offer: &MediatorOffer, highlighted: bool) -> Markup {
    let d = &offer.booking;
    let zone = d.time_zone;
    let place = match &d.location {
        Some(location) => format!("{}: {}", l.t("modality.on_site"), location.postal_code),
        None => l.t(&format!("modality.{}", code(&d.modality))),
    };
    html! {
        li class=(if highlighted { "card offer highlighted" } else { "card offer" }) id=(format!("offer-{}", offer.id)) {
            h2 class="h3" {
                (l.language(d.language.as_str())) " · " (place)
            }
            p {
                time datetime=(iso(d.start)) { (when(l, d.start, zone)) }
                " · " (l.tf("booking.minutes", &[("n", &d.duration_minutes.minutes().to_string())]))
            }
            p class="meta" {
                (l.t(&format!("subject.{}", code(&d.subject_area))))
                " · " (l.t(&format!("qualification.{}", code(&d.min_qualification))))
            }
            p class="deadline" {
                (l.t("offers.answer_by")) " "
                time datetime=(iso(offer.expires_at)) data-countdown=(iso(offer.expires_at)) {
                    (when(l, offer.expires_at, zone))
                }
            }
            div class="buttons" {
                button type="button" class="primary big" data-post=(format!("/api/v1/offers/{}/accept", offer.id))
                    data-then="go:/jobs" data-done=(l.t("offers.accepted")) {
                    (l.t("offers.accept"))
                }
                button type="button" class="big" data-post=(format!("/api/v1/offers/{}/decline", offer.id))
                    data-then="reload" data-done=(l.t("offers.declined")) {
                    (l.t("offers.decline"))
                }
            }
        }
    }
}

fn presence_switch(l: super::i18n::Lang, blocked: &[Exclusion]) -> Markup {
    html! {
        div class="presence" {
            button type="button" id="presence" class="switch" aria-pressed="false" data-presence
                aria-describedby="presence-hint" {
                span class="on" { (l.t("presence.online")) }
                span class="off" { (l.t("presence.offline")) }
            }
            p id="presence-hint" class="hint" { (l.t("presence.hint")) }
            @if !blocked.is_empty() {
                div id="presence-blocked" class="alert" role="status" {
                    p { (l.t("presence.blocked")) }
                    ul {
                        @for reason in blocked {
                            li { (l.t(&format!("presence.why.{}", exclusion_code(*reason)))) }
                        }
                    }
                    @if blocked.contains(&Exclusion::Notice) {
                        p { a href="/profile#p-same-day" { (l.t("presence.same_day_link")) } }
                    } @else if blocked.contains(&Exclusion::Availability) || blocked.contains(&Exclusion::Absence) {
                        p { a href="/availability" { (l.t("presence.hours_link")) } }
                    }
                }
            }
        }
    }
}

fn exclusion_code(reason: Exclusion) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Why an on-demand call would not reach this mediator now, whether online or not:
/// availability's own judgement of a call in one of their languages, starting now,
/// in their pool (empty when it would reach them, or when that cannot be said).
async fn on_demand_blocked(state: &AppState, page: &Page) -> Vec<Exclusion> {
    let Some(mediator_id) = page.user.user.mediator_id else {
        return Vec::new();
    };
    let Ok(profile) = state.call::<GetProfile>(&MediatorRef { mediator_id }).await else {
        return Vec::new();
    };
    let (Some(skill), Some(modality)) = (
        profile.languages.first(),
        [Modality::Video, Modality::Phone]
            .into_iter()
            .find(|m| profile.modalities.contains(m)),
    ) else {
        return Vec::new();
    };
    let now = chrono::Utc::now();
    let needs = Needs {
        language: skill.code.clone(),
        min_qualification: Qualification::Lay,
        modality,
        start: now,
        end: now + chrono::Duration::minutes(30),
        location: None,
        mediator_gender: GenderPreference::Any,
        online_now: true,
        booking_id: None,
        pool_id: profile.pools.iter().find(|p| p.active).map(|p| p.pool_id),
    };
    let Ok(answer) = state.call::<Candidates>(&needs).await else {
        return Vec::new();
    };
    answer
        .excluded
        .into_iter()
        .find(|e| e.mediator_id == mediator_id)
        .map(|e| {
            e.reasons
                .into_iter()
                // The switch itself answers for being offline; a job now is its own reason.
                .filter(|r| !matches!(r, Exclusion::Offline | Exclusion::Overlap))
                .collect()
        })
        .unwrap_or_default()
}

async fn offers_view(
    state: AppState,
    page: Page,
    highlight: Option<String>,
) -> Result<Markup, UiError> {
    let l = page.l;
    let offers = crate::offers::offers_of(&state, &page.user)
        .await
        .or_page(l)?;
    let blocked = on_demand_blocked(&state, &page).await;
    let content = html! {
        (presence_switch(l, &blocked))
        section data-live="offers" aria-label=(l.t("nav.offers")) {
            @if offers.is_empty() {
                p class="empty" { (l.t("offers.empty")) }
            }
            ul class="cards" {
                @for offer in &offers {
                    (offer_card(l, offer, highlight.as_deref() == Some(offer.id.to_string().as_str())))
                }
            }
        }
    };
    Ok(layout(&page, &l.t("offers.title"), content))
}

async fn offers_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    offers_view(state, page, None).await
}

/// The link in an offer's mail: the offers page with this one marked, or a word
/// that it is no longer open.
async fn offer_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Markup, UiError> {
    offers_view(state, page, Some(id)).await
}

/// How far back the jobs page looks: `past` days (7 by default, at most a year).
#[derive(Debug, Default, serde::Deserialize)]
struct JobsPeriod {
    past: Option<String>,
}

async fn jobs_page(
    State(state): State<AppState>,
    page: Page,
    axum::extract::Query(period): axum::extract::Query<JobsPeriod>,
) -> Result<Markup, UiError> {
    let l = page.l;
    let past = period
        .past
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok())
        .map_or(7, |days| days.clamp(1, 366));
    let since = crate::reports::JobsQuery {
        since: Some((chrono::Utc::now() - chrono::Duration::days(past)).to_rfc3339()),
    };
    let jobs = crate::reports::jobs(&state, &page.user, &since)
        .await
        .or_page(l)?;
    let to_claim = crate::bookings::ending::waiting(&state, &page.user, None)
        .await
        .or_page(l)?;
    let now = chrono::Utc::now();
    let mut links = std::collections::HashMap::new();
    for job in &jobs {
        if job.details.modality == Modality::Video
            && job.details.end > now
            && let Ok(found) =
                crate::rooms::session_links(&state, &page.user, &job.id.to_string()).await
        {
            links.insert(job.id, found);
        }
    }
    let content = html! {
        @if !to_claim.is_empty() {
            section class="to-claim" aria-labelledby="to-claim-title" {
                h2 id="to-claim-title" { (l.t("record.to_claim")) }
                p class="hint" { (l.t("record.to_claim_hint")) }
                ul class="cards" {
                    @for item in &to_claim { (super::records::claim_card(l, item)) }
                }
            }
        }
        section data-live="jobs" aria-label=(l.t("nav.jobs")) {
            p class="meta" {
                (l.tf("jobs.since", &[("n", &past.to_string())])) " "
                @if past < 90 {
                    a href="/jobs?past=90" { (l.t("jobs.earlier")) }
                } @else {
                    a href="/jobs" { (l.t("jobs.recent")) }
                }
                " · " a href="/jobs/calendar" { (l.t("jobs.calendar")) }
            }
            @if jobs.is_empty() {
                p class="empty" { (l.t("jobs.empty")) }
            }
            ul class="cards" {
                @for job in &jobs {
                    @let d = &job.details;
                    li class="card" {
                        h2 class="h3" {
                            a href=(format!("/jobs/{}", job.id)) { (l.language(d.language.as_str())) " · " (place(l, job)) }
                        }
                        p {
                            time datetime=(iso(d.start)) { (when(l, d.start, d.time_zone)) }
                            " · " (l.tf("booking.minutes", &[("n", &d.duration_minutes.minutes().to_string())]))
                            " " (state_badge(l, job))
                        }
                        p class="meta" { (l.t(&format!("subject.{}", code(&d.subject_area)))) }
                        @if let Some(found) = links.get(&job.id) {
                            @for link in found.links.iter().filter(|link| link.mediator_id.is_some()) {
                                @if found.state == "open" {
                                    p { a class="button" href=(link.url) { (l.t("jobs.open_room")) } }
                                }
                            }
                        }
                        @if job.state == BookingState::Assigned && d.start > now {
                            details {
                                summary { (l.t("jobs.give_back")) }
                                form data-api=(format!("/api/v1/bookings/{}/give-back", job.id)) data-then="reload" novalidate
                                    data-confirm=(l.t("jobs.give_back_confirm")) {
                                    div class="form-errors" role="alert" {}
                                    p {
                                        label for=(format!("reason-{}", job.id)) { (l.t("jobs.reason")) }
                                        input id=(format!("reason-{}", job.id)) name="reason" required maxlength="500";
                                    }
                                    button type="submit" class="danger" { (l.t("jobs.give_back_submit")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&page, &l.t("jobs.title"), content))
}

/// One job, as its mediator needs it on the way: when and where, what to know
/// (notes, case number, who booked it), the room, the time record.
async fn job_page(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Markup, UiError> {
    let l = page.l;
    let job = crate::reports::job(&state, &page.user, &id)
        .await
        .or_page(l)?;
    let d = &job.details;
    let zone = d.time_zone;
    let organisation = crate::directory::organisation(state.pool(), job.organisation_id)
        .await
        .ok()
        .flatten()
        .map(|o| o.name)
        .unwrap_or_default();
    let requester = crate::directory::user_by_id(state.pool(), job.requested_by)
        .await
        .ok()
        .flatten();
    let now = chrono::Utc::now();
    let links = if d.modality == Modality::Video && d.end > now {
        crate::rooms::session_links(&state, &page.user, &id)
            .await
            .ok()
    } else {
        None
    };
    let record = if super::records::has_record(&job) && d.start <= now {
        crate::bookings::ending::time_record(&state, &page.user, job.id)
            .await
            .ok()
    } else {
        None
    };
    let content = html! {
        section data-live="jobs" aria-labelledby="job-state" {
            p id="job-state" class="lead" { (state_badge(l, &job)) }
            dl class="facts" {
                dt { (l.t("booking.when")) }
                dd {
                    time datetime=(iso(d.start)) { (when(l, d.start, zone)) }
                    " – " (zone.local(d.end).format("%H:%M")) " (" (zone.name()) ")"
                }
                dt { (l.t("booking.language")) } dd { (l.language(d.language.as_str())) }
                dt { (l.t("booking.place")) }
                dd {
                    (place(l, &job))
                    @if let Some(location) = &d.location {
                        " "
                        a href=(format!("https://www.openstreetmap.org/?mlat={}&mlon={}#map=17/{}/{}", location.latitude, location.longitude, location.latitude, location.longitude))
                            rel="noopener" { (l.t("job.map")) }
                    }
                }
                dt { (l.t("booking.subject_area")) } dd { (l.t(&format!("subject.{}", code(&d.subject_area)))) }
                dt { (l.t("job.organisation")) } dd { (organisation) }
                @if let Some(requester) = &requester {
                    dt { (l.t("job.booked_by")) }
                    dd { (requester.name) " · " a href=(format!("mailto:{}", requester.email)) { (requester.email) } }
                }
                @if let Some(client) = &d.client {
                    dt { (l.t("booking.client_reference")) } dd { (client.reference) }
                    @if let Some(language) = &client.language {
                        dt { (l.t("job.client_language")) } dd { (l.language(language.as_str())) }
                    }
                }
                dt { (l.t("booking.notes")) }
                dd class="notes" {
                    @match &d.notes {
                        Some(notes) => (notes),
                        None => span class="meta" { (l.t("job.no_notes")) },
                    }
                }
            }
            @if let Some(found) = &links {
                @for link in found.links.iter().filter(|link| link.mediator_id.is_some()) {
                    @if found.state == "open" {
                        p { a class="button primary big" href=(link.url) { (l.t("jobs.open_room")) } }
                    }
                }
            }
        }
        @if let Some(record) = &record {
            (super::records::record_section(l, page.user.role(), &job, record))
            @if matches!(record.state, mittler_types::RecordState::Open | mittler_types::RecordState::Claimed) {
                details open[record.state == mittler_types::RecordState::Open] {
                    summary { (l.t(if record.state == mittler_types::RecordState::Open { "record.claim" } else { "record.correct" })) }
                    (super::records::claim_form(l, &job, record, false))
                }
            }
        }
        p { a href="/jobs" { (l.t("job.back")) } }
    };
    Ok(layout(&page, &l.t("job.title"), content))
}

fn weekday_select(l: super::i18n::Lang, id: &str, selected: u8) -> Markup {
    html! {
        select id=(id) name="weekday" data-type="number" {
            @for day in 1..=7u8 {
                option value=(day) selected[day == selected] { (l.t(&format!("weekday_long.{day}"))) }
            }
        }
    }
}

fn rule_row(l: super::i18n::Lang, n: &str, weekday: u8, start: &str, end: &str) -> Markup {
    html! {
        fieldset class="row" data-item="weekly_rules" {
            legend class="visually-hidden" { (l.t("availability.rule")) }
            span {
                label for=(format!("wd-{n}")) { (l.t("availability.weekday")) }
                (weekday_select(l, &format!("wd-{n}"), weekday))
            }
            span {
                label for=(format!("from-{n}")) { (l.t("availability.from")) }
                input id=(format!("from-{n}")) name="start" type="time" value=(start) required;
            }
            span {
                label for=(format!("to-{n}")) { (l.t("availability.to")) }
                input id=(format!("to-{n}")) name="end" type="time" value=(end) required;
            }
            button type="button" data-remove-row { (l.t("availability.remove")) }
        }
    }
}

async fn availability_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    let calendar = crate::mediators::own_calendar(&state, &page.user)
        .await
        .or_page(l)?;
    let zone = calendar.time_zone;
    let overrides = serde_json::to_string(&calendar.overrides).unwrap_or_else(|_| "[]".into());
    let absences = serde_json::to_string(&calendar.absences).unwrap_or_else(|_| "[]".into());
    // Accepted jobs still to come: a new absence over one of them is asked about
    // before it is saved, and one that covers them already is named.
    let now = chrono::Utc::now();
    let since = crate::reports::JobsQuery {
        since: Some(now.to_rfc3339()),
    };
    let jobs: Vec<BookingView> = crate::reports::jobs(&state, &page.user, &since)
        .await
        .or_page(l)?
        .into_iter()
        .filter(|job| job.state == BookingState::Assigned && job.details.end > now)
        .collect();
    let label = |job: &BookingView| {
        format!(
            "{} · {}",
            when(l, job.details.start, job.details.time_zone),
            l.language(job.details.language.as_str())
        )
    };
    let upcoming = serde_json::Value::Array(
        jobs.iter()
            .map(|job| {
                serde_json::json!({
                    "start": iso(job.details.start),
                    "end": iso(job.details.end),
                    "label": label(job),
                })
            })
            .collect(),
    );
    let covered: Vec<&BookingView> = jobs
        .iter()
        .filter(|job| {
            calendar
                .absences
                .iter()
                .any(|a| a.start < job.details.end && job.details.start < a.end)
        })
        .collect();
    let content = html! {
        @if !covered.is_empty() {
            section class="alert" id="covered-jobs" role="alert" aria-labelledby="covered-title" {
                h2 id="covered-title" { (l.t("availability.covered_title")) }
                p { (l.t("availability.covered_hint")) }
                ul {
                    @for job in &covered {
                        li { a href=(format!("/jobs/{}", job.id)) { (label(job)) } }
                    }
                }
            }
        }
        form data-api="/api/v1/mediators/me/availability" data-method="PUT" data-then="reload"
            data-done=(l.t("js.saved")) novalidate class="stack" {
            h2 { (l.t("availability.weekly")) }
            p class="hint" { (l.tf("availability.weekly_hint", &[("zone", zone.name())])) }
            div class="form-errors" role="alert" {}
            input type="hidden" name="time_zone" value=(zone.name());
            input type="hidden" name="overrides" data-type="json" value=(overrides);
            input type="hidden" name="absences" data-type="json" value=(absences);
            div id="rules" data-array="weekly_rules" {
                @for (i, rule) in calendar.weekly_rules.iter().enumerate() {
                    (rule_row(l, &i.to_string(), rule.weekday, &rule.start.format("%H:%M").to_string(), &rule.end.format("%H:%M").to_string()))
                }
            }
            template id="rule-template" { (rule_row(l, "new", 1, "09:00", "17:00")) }
            div class="buttons" {
                button type="button" data-add-row="rule-template" data-into="rules" { (l.t("availability.add_rule")) }
                button type="submit" class="primary" { (l.t("availability.save")) }
            }
        }
        section aria-labelledby="absences-title" {
            h2 id="absences-title" { (l.t("availability.absences")) }
            @if calendar.absences.is_empty() {
                p class="empty" { (l.t("availability.no_absences")) }
            }
            ul {
                @for (i, absence) in calendar.absences.iter().enumerate() {
                    @let mut rest = calendar.clone();
                    @let _ = rest.absences.remove(i);
                    li {
                        (when(l, absence.start, zone)) " – " (when(l, absence.end, zone))
                        " · " (l.opt(&format!("absence.{}", absence.reason)).unwrap_or_else(|| absence.reason.clone()))
                        " "
                        button type="button" data-post="/api/v1/mediators/me/availability" data-method="PUT"
                            data-body=(serde_json::to_string(&rest).unwrap_or_default()) data-then="reload" {
                            (l.t("availability.remove"))
                        }
                    }
                }
            }
            form data-api="/api/v1/mediators/me/absences" data-then="reload" novalidate class="stack"
                data-overlaps=(upcoming.to_string()) data-overlaps-question=(l.t("availability.covers_jobs_confirm")) {
                h3 { (l.t("availability.add_absence")) }
                div class="form-errors" role="alert" {}
                p {
                    label for="absence-start" { (l.t("availability.absence_start")) }
                    input id="absence-start" name="start" type="datetime-local" data-type="instant" required;
                }
                p {
                    label for="absence-end" { (l.t("availability.absence_end")) }
                    input id="absence-end" name="end" type="datetime-local" data-type="instant" required;
                }
                p {
                    label for="absence-reason" { (l.t("availability.absence_reason")) }
                    select id="absence-reason" name="reason" {
                        @for reason in ["holiday", "illness", "other"] {
                            option value=(reason) { (l.t(&format!("absence.{reason}"))) }
                        }
                    }
                }
                button type="submit" { (l.t("availability.add_absence")) }
            }
        }
    };
    Ok(layout(&page, &l.t("availability.title"), content))
}
