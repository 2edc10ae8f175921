//! Coordinators' pages: the live queue (bookings without a mediator, escalated first,
//! time left to the start), manual assignment with the candidates and the dispatch
//! explanation, mediators (organisations: `organisations`, statistics: `statistics`).

use super::{
    OrPage, Page, QUALIFICATIONS, UiError, code, iso, layout, options, place, state_badge, when,
};
use crate::problem::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use mittler_contracts::availability::MediatorProfile;
use mittler_contracts::booking::BookingView;
use mittler_contracts::text;
use mittler_types::{Gender, Modality, OrganisationId, Role};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/queue", get(queue_page))
        .route("/mediators", get(mediators_page))
        .route(
            "/organisations",
            get(super::organisations::organisations_page),
        )
}

pub(super) fn require_coordinator(page: &Page) -> Result<(), UiError> {
    page.user
        .require(
            &[Role::Coordinator, Role::Admin],
            text!("role.coordinators_page"),
        )
        .or_page(page.l)
}

/// The names of the organisations the user may see.
pub async fn organisation_names(
    state: &AppState,
    page: &Page,
) -> Result<HashMap<OrganisationId, String>, UiError> {
    let scope = page.user.booking_scope(state).await.or_page(page.l)?;
    let organisations =
        crate::directory::organisations(state.pool(), scope.organisation_ids.as_deref())
            .await
            .map_err(ApiError::Internal)
            .or_page(page.l)?;
    Ok(organisations.into_iter().map(|o| (o.id, o.name)).collect())
}

async fn queue_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let items = crate::reports::queue_items(&state, &page.user)
        .await
        .or_page(l)?;
    let organisations = organisation_names(&state, &page).await?;
    let escalated = items.iter().filter(|i| i.escalated_at.is_some()).count();
    let content = html! {
        section data-live="queue" aria-labelledby="queue-summary" {
            p id="queue-summary" class="lead" {
                (l.tn("queue.summary", items.len(), &[("escalated", &escalated.to_string())]))
            }
            @if items.is_empty() {
                p class="empty" { (l.t("queue.empty")) }
            }
            ul class="cards queue" {
                @for item in &items {
                    @let b = &item.booking;
                    @let open_offers = b.offers.iter().filter(|o| o.state == "open").count();
                    li class=(format!("card urgency-{}{}", item.urgency.as_str(), if item.escalated_at.is_some() { " escalated" } else { "" })) {
                        h2 class="h3" {
                            a href=(format!("/bookings/{}", b.id)) {
                                (l.language(b.details.language.as_str())) " · " (place(l, b))
                            }
                        }
                        p {
                            time datetime=(iso(b.details.start)) { (when(l, b.details.start, b.details.time_zone)) }
                            " · " (l.t("queue.starts_in")) " "
                            span data-countdown=(iso(b.details.start)) { }
                        }
                        p class="meta" {
                            (organisations.get(&b.organisation_id).cloned().unwrap_or_default())
                            " · " (state_badge(l, b))
                            " · " (l.tn("queue.open_offers", open_offers, &[]))
                        }
                        p { span class=(format!("badge urgency-{}", item.urgency.as_str())) { (l.t(&format!("urgency.{}", item.urgency.as_str()))) } }
                        @if item.escalated_at.is_some() {
                            p class="alert" { strong { (l.t("queue.escalated")) } }
                        }
                        p { a class="button" href=(format!("/bookings/{}#assign", b.id)) { (l.t("queue.assign")) } }
                        (super::records::give_up_form(l, b))
                    }
                }
            }
        }
    };
    Ok(layout(&page, &l.t("queue.title"), content))
}

/// A text the API wrote in English, in the page's language where the catalogue has it.
fn api_text(l: super::i18n::Lang, text: &str) -> String {
    if l.code() == "de" {
        super::i18n::reason_in_german(text).unwrap_or_else(|| text.to_owned())
    } else {
        text.to_owned()
    }
}

/// Why dispatch left a mediator out, in words; "too far" says how far.
fn exclusion_reasons(
    l: super::i18n::Lang,
    e: &mittler_contracts::booking::ExcludedMediator,
) -> String {
    e.reasons
        .iter()
        .map(|r| match (r.as_str(), e.distance_km, e.max_travel_km) {
            ("distance", Some(km), Some(max)) => l.tf(
                "exclusion.distance_km",
                &[("km", &l.decimal(km, 1)), ("max", &l.decimal(max, 0))],
            ),
            _ => l
                .opt(&format!("exclusion.{r}"))
                .unwrap_or_else(|| r.clone()),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn speaks(profile: &MediatorProfile, booking: &BookingView) -> bool {
    profile.active
        && profile
            .languages
            .iter()
            .any(|skill| skill.code == booking.details.language)
}

/// Manual assignment on a booking's page: the last dispatch round's ranking with its
/// reasons, a button per candidate, and every other mediator of the language.
pub async fn assign_section(
    state: &AppState,
    page: &Page,
    booking: &BookingView,
    profiles: &[MediatorProfile],
) -> Result<Markup, UiError> {
    let l = page.l;
    let id = booking.id.to_string();
    let explanation = crate::offers::explain(state, &page.user, &id)
        .await
        .or_page(l)?;
    let names: HashMap<_, _> = profiles
        .iter()
        .map(|p| (p.id, p.display_name.clone()))
        .collect();
    let last = explanation.rounds.last();
    let ranked: Vec<_> = last.map(|r| r.ranked.clone()).unwrap_or_default();
    let others: Vec<&MediatorProfile> = profiles
        .iter()
        .filter(|p| speaks(p, booking) && !ranked.iter().any(|r| r.mediator_id == p.id))
        .collect();
    let name = |id| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| l.t("booking.unknown_mediator"))
    };
    // Why dispatch left someone out, in words, for a warning before assigning them.
    let excluded: HashMap<mittler_types::MediatorId, String> = last
        .map(|round| {
            round
                .excluded
                .iter()
                .map(|e| (e.mediator_id, exclusion_reasons(l, e)))
                .collect()
        })
        .unwrap_or_default();
    let assign_button = |mediator: mittler_types::MediatorId| {
        let warning = excluded
            .get(&mediator)
            .map(|reasons| l.tf("assign.excluded_confirm", &[("reasons", reasons)]));
        html! {
            button type="button" class="primary" data-post=(format!("/api/v1/bookings/{id}/assign"))
                data-body=(serde_json::json!({"mediator_id": mediator}).to_string())
                data-confirm=[warning]
                data-then="reload" data-done=(l.t("assign.done")) {
                (l.t("assign.button"))
            }
        }
    };
    Ok(html! {
        section id="assign" aria-labelledby="assign-title" {
            h2 id="assign-title" { (l.t("assign.title")) }
            @if ranked.is_empty() {
                p class="empty" { (l.t("assign.no_candidates")) }
            } @else {
                p class="hint" { (l.t("assign.hint")) }
                div class="table-wrap" {
                    table {
                        thead { tr {
                            th scope="col" { (l.t("assign.rank")) }
                            th scope="col" { (l.t("booking.mediator")) }
                            th scope="col" { (l.t("assign.why")) }
                            th scope="col" { span class="visually-hidden" { (l.t("assign.button")) } }
                        } }
                        tbody {
                            @for r in &ranked {
                                tr {
                                    td { (r.rank) }
                                    td { (name(r.mediator_id)) @if r.offered { " " span class="badge" { (l.t("assign.offered")) } } }
                                    td { ul class="plain" { @for why in &r.why { li { (api_text(l, why)) } } } }
                                    td { (assign_button(r.mediator_id)) }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(round) = last {
                @if round.other_languages > 0 {
                    p class="meta" { (l.tn("assign.other_languages", round.other_languages as usize, &[])) }
                }
                @if !round.excluded.is_empty() {
                    details {
                        summary { (l.tn("assign.excluded", round.excluded.len(), &[])) }
                        ul {
                            @for e in &round.excluded {
                                li {
                                    (name(e.mediator_id)) ": "
                                    (exclusion_reasons(l, e))
                                }
                            }
                        }
                    }
                }
            }
            @if !others.is_empty() {
                h3 { (l.t("assign.others")) }
                ul class="plain" {
                    @for p in &others {
                        li {
                            (p.display_name) " "
                            @if let Some(reasons) = excluded.get(&p.id) {
                                span class="meta" { "(" (l.t("assign.left_out")) ": " (reasons) ") " }
                            }
                            (assign_button(p.id))
                        }
                    }
                }
            }
        }
    })
}

fn language_rows(l: super::i18n::Lang, n: &str) -> Markup {
    html! {
        fieldset class="row" data-item="profile.languages" {
            legend class="visually-hidden" { (l.t("mediators.language")) }
            span {
                label for=(format!("lang-{n}")) { (l.t("mediators.language")) }
                select id=(format!("lang-{n}")) name="code" {
                    @for (tag, name) in l.language_codes() { option value=(tag) { (name) } }
                }
            }
            span {
                label for=(format!("qual-{n}")) { (l.t("mediators.qualification")) }
                select id=(format!("qual-{n}")) name="qualification" {
                    (options(l, "qualification", &QUALIFICATIONS, ""))
                }
            }
            button type="button" data-remove-row { (l.t("availability.remove")) }
        }
    }
}

/// The mediators page's filters: a name, e-mail or language, and who is active.
#[derive(Debug, Default, serde::Deserialize)]
pub struct MediatorFilter {
    pub q: Option<String>,
    /// `active`, `inactive` or all.
    pub status: Option<String>,
}

/// Whether `profile` matches `filter` (its name, e-mail, postal code, a language's
/// code or name, ignoring case).
fn matches_filter(
    l: super::i18n::Lang,
    profile: &MediatorProfile,
    filter: &MediatorFilter,
) -> bool {
    let status_ok = match filter.status.as_deref() {
        Some("active") => profile.active,
        Some("inactive") => !profile.active,
        _ => true,
    };
    let Some(needle) = filter
        .q
        .as_deref()
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty())
    else {
        return status_ok;
    };
    let hay = std::iter::once(profile.display_name.clone())
        .chain([profile.email.clone(), profile.postal_code.clone()])
        .chain(profile.languages.iter().flat_map(|skill| {
            [
                skill.code.as_str().to_owned(),
                l.language(skill.code.as_str()),
            ]
        }))
        .any(|text| text.to_lowercase().contains(&needle));
    status_ok && hay
}

async fn mediators_page(
    State(state): State<AppState>,
    page: Page,
    Query(filter): Query<MediatorFilter>,
) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let all = crate::mediators::profiles(&state, &page.user)
        .await
        .or_page(l)?;
    let total = all.len();
    let profiles: Vec<MediatorProfile> = all
        .into_iter()
        .filter(|p| matches_filter(l, p, &filter))
        .collect();
    let content = html! {
        form method="get" action="/mediators" class="inline filters" role="search" {
            span {
                label for="mediator-q" { (l.t("mediators.search")) }
                input id="mediator-q" name="q" type="search" maxlength="100" value=[filter.q.as_deref()];
            }
            span {
                label for="mediator-status" { (l.t("mediators.status")) }
                select id="mediator-status" name="status" {
                    option value="" { (l.t("bookings.all_states")) }
                    option value="active" selected[filter.status.as_deref() == Some("active")] { (l.t("mediators.only_active")) }
                    option value="inactive" selected[filter.status.as_deref() == Some("inactive")] { (l.t("mediators.only_inactive")) }
                }
            }
            button type="submit" { (l.t("bookings.apply")) }
        }
        p class="lead" {
            @if profiles.len() == total { (l.tn("mediators.count", total, &[])) }
            @else { (l.tf("mediators.shown", &[("n", &profiles.len().to_string()), ("total", &total.to_string())])) }
        }
        div class="table-wrap" {
            table {
                thead { tr {
                    th scope="col" { (l.t("mediators.name")) }
                    th scope="col" { (l.t("mediators.languages")) }
                    th scope="col" { (l.t("mediators.modalities")) }
                    th scope="col" { (l.t("booking.postal_code")) }
                    th scope="col" { (l.t("mediators.active")) }
                } }
                tbody {
                    @for p in &profiles {
                        tr {
                            td { (p.display_name) br; span class="meta" { (p.email) } }
                            td { @for (i, skill) in p.languages.iter().enumerate() {
                                @if i > 0 { ", " }
                                (l.language(skill.code.as_str())) " (" (l.t(&format!("qualification.{}", code(&skill.qualification)))) ")"
                            } }
                            td { @for (i, m) in p.modalities.iter().enumerate() {
                                @if i > 0 { ", " } (l.t(&format!("modality.{}", code(m))))
                            } }
                            td { (p.postal_code) }
                            td {
                                (if p.active { l.t("common.yes") } else { l.t("common.no") })
                                " "
                                @let flipped = { let mut input = p.input(); input.active = !p.active; input };
                                button type="button" class="link" data-post=(format!("/api/v1/mediators/{}", p.id)) data-method="PUT"
                                    data-body=(serde_json::to_string(&flipped).unwrap_or_default()) data-then="reload"
                                    data-confirm=[p.active.then(|| l.tf("mediators.deactivate_confirm", &[("name", &p.display_name)]))]
                                    aria-label=(l.tf(if p.active { "mediators.deactivate_label" } else { "mediators.activate_label" }, &[("name", &p.display_name)])) {
                                    (l.t(if p.active { "mediators.deactivate" } else { "mediators.activate" }))
                                }
                            }
                        }
                    }
                }
            }
        }
        form data-api="/api/v1/mediators" data-then="reload" data-done=(l.t("js.saved")) novalidate class="stack" {
            h2 { (l.t("mediators.new")) }
            div class="form-errors" role="alert" {}
            p { label for="m-name" { (l.t("mediators.name")) } input id="m-name" name="profile.display_name" required; }
            p { label for="m-email" { (l.t("login.email")) } input id="m-email" name="profile.email" type="email" required; }
            p { label for="m-phone" { (l.t("mediators.phone")) } input id="m-phone" name="profile.phone" type="tel"; }
            p {
                label for="m-gender" { (l.t("mediators.gender")) }
                select id="m-gender" name="profile.gender" required {
                    option value="" disabled selected { (l.t("mediators.choose")) }
                    (options(l, "gender", &[Gender::Female, Gender::Male, Gender::Diverse], ""))
                }
            }
            div id="m-languages" data-array="profile.languages" { (language_rows(l, "0")) }
            template id="language-template" { (language_rows(l, "new")) }
            p { button type="button" data-add-row="language-template" data-into="m-languages" { (l.t("mediators.add_language")) } }
            fieldset {
                legend { (l.t("mediators.modalities")) }
                @for m in [Modality::Video, Modality::Phone, Modality::OnSite] {
                    @let c = code(&m);
                    label class="choice" { input type="checkbox" name="profile.modalities[]" value=(c) checked; (l.t(&format!("modality.{c}"))) }
                }
            }
            (super::place::PlaceFields {
                id: "m",
                prefix: "profile.",
                position: ("home.lat", "home.lon"),
                address: None,
                postal_code: None,
                required: true,
            }.render(l))
            p { label for="m-km" { (l.t("mediators.max_km")) } input id="m-km" name="profile.max_travel_km" type="number" data-type="number" value="50" min="0"; }
            p { label for="m-week" { (l.t("mediators.max_week")) } input id="m-week" name="profile.max_minutes_per_week" type="number" data-type="number" value="1200" min="0"; }
            p { label class="choice" { input type="checkbox" name="profile.accepts_same_day" checked; (l.t("mediators.same_day")) } }
            p {
                label for="m-locale" { (l.t("organisations.locale")) }
                select id="m-locale" name="locale" {
                    @for code in super::i18n::LANGUAGES { option value=(code) { (l.language(code)) } }
                }
            }
            p class="hint" { (l.t("mediators.invited")) }
            button type="submit" class="primary" { (l.t("mediators.create")) }
        }
        // A pool's spreadsheet: checked line by line, written only whole.
        form data-upload="/api/v1/mediators/import" data-then="reload" data-done=(l.t("import.done"))
            data-t-checked=(l.t("import.checked")) data-t-line=(l.t("import.line"))
            data-t-choose=(l.t("import.choose")) novalidate class="stack" {
            h2 { (l.t("import.title")) }
            p { (l.t("import.lead")) }
            div class="form-errors" role="alert" {}
            div data-upload-result aria-live="polite" {}
            p {
                label for="import-file" { (l.t("import.file")) }
                input id="import-file" name="file" type="file" accept=".csv,text/csv" required;
            }
            div class="row" {
                button type="submit" value="check" { (l.t("import.check")) }
                button type="submit" value="write" class="primary" { (l.t("import.write")) }
            }
        }
    };
    Ok(layout(&page, &l.t("mediators.title"), content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mittler_contracts::booking::ExcludedMediator;

    #[test]
    fn too_far_says_how_far_in_the_pages_language() {
        let e = ExcludedMediator {
            mediator_id: mittler_types::MediatorId(uuid::Uuid::nil()),
            reasons: vec!["distance".into(), "overlap".into()],
            distance_km: Some(38.94),
            max_travel_km: Some(25.0),
        };
        assert_eq!(
            exclusion_reasons(super::super::i18n::Lang::from_code("de"), &e),
            "zu weit entfernt (38,9 km, fährt höchstens 25 km); hat zu dieser Zeit schon einen Einsatz"
        );
        // A round recorded before distances were kept still reads.
        let old = ExcludedMediator {
            distance_km: None,
            max_travel_km: None,
            ..e
        };
        assert!(
            exclusion_reasons(super::super::i18n::Lang::from_code("en"), &old)
                .starts_with("too far away;")
        );
    }
}
