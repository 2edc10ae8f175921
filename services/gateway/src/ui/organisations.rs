//! The coordinators' organisations page: the authorities and carriers of their pool
//! (an admin's: every pool), with their own site, their accounts, renaming, switching
//! off and on, and new organisations and accounts.

use super::coordinator::require_coordinator;
use super::{OrPage, Page, UiError, code, layout, options};
use crate::problem::ApiError;
use crate::state::AppState;
use axum::extract::State;
use maud::{Markup, html};
use mittler_types::{OrganisationKind, Role};
use std::collections::HashMap;

/// An organisation's own site in its edit form: address and postal code, or neither.
fn place_fields(
    l: super::i18n::Lang,
    id: mittler_types::OrganisationId,
    place: Option<&mittler_contracts::booking::Location>,
) -> Markup {
    html! {
        fieldset {
            legend { (l.t("organisations.place")) }
            p class="hint" { (l.t("organisations.place_hint")) }
            (super::place::PlaceFields {
                id: &format!("place-{id}"),
                prefix: "place.",
                position: ("latitude", "longitude"),
                address: Some(place.map(|p| p.address.as_str())),
                postal_code: place.map(|p| p.postal_code.as_str()),
                required: false,
            }.render(l))
        }
    }
}

pub(super) async fn organisations_page(
    State(state): State<AppState>,
    page: Page,
) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let scope = page.user.booking_scope(&state).await.or_page(l)?;
    let organisations =
        crate::directory::organisations(state.pool(), scope.organisation_ids.as_deref())
            .await
            .map_err(ApiError::Internal)
            .or_page(l)?;
    let pools: HashMap<_, _> = organisations
        .iter()
        .map(|o| (o.id, o.name.clone()))
        .collect();
    let ids: Vec<_> = organisations.iter().map(|o| o.id).collect();
    let places = crate::directory::organisation_places(state.pool(), &ids)
        .await
        .map_err(ApiError::Internal)
        .or_page(l)?;
    let content = html! {
        div class="table-wrap" {
            table {
                thead { tr {
                    th scope="col" { (l.t("organisations.name")) }
                    th scope="col" { (l.t("organisations.kind")) }
                    th scope="col" { (l.t("organisations.pool")) }
                    th scope="col" { (l.t("organisations.place")) }
                    th scope="col" { (l.t("organisations.zone")) }
                    th scope="col" { (l.t("people.state")) }
                } }
                tbody {
                    @for o in &organisations {
                        @let mine = o.id == page.user.user.organisation_id;
                        @let may = !mine && (o.kind != mittler_types::OrganisationKind::Pool || page.user.role() == Role::Admin);
                        tr {
                            td {
                                (o.name)
                                @if may {
                                    details class="edit" {
                                        summary { (l.t("organisations.edit")) }
                                        form data-api=(format!("/api/v1/organisations/{}", o.id)) data-method="PUT"
                                            data-then="reload" data-done=(l.t("js.saved")) novalidate class="stack" {
                                            div class="form-errors" role="alert" {}
                                            p { label for=(format!("name-{}", o.id)) { (l.t("organisations.name")) }
                                                input id=(format!("name-{}", o.id)) name="name" value=(o.name) required; }
                                            p { label for=(format!("zone-{}", o.id)) { (l.t("organisations.zone")) }
                                                input id=(format!("zone-{}", o.id)) name="time_zone" value=(o.time_zone.name()) required; }
                                            (place_fields(l, o.id, places.get(&o.id)))
                                            button type="submit" { (l.t("organisations.save")) }
                                        }
                                    }
                                }
                            }
                            td { (l.t(&format!("organisation_kind.{}", code(&o.kind)))) }
                            td { (o.pool_id.and_then(|p| pools.get(&p).cloned()).unwrap_or_else(|| "–".into())) }
                            td {
                                @match places.get(&o.id) {
                                    Some(place) => {
                                        (place.address) ", " (place.postal_code)
                                        @if let Some(area) = mittler_places::area(&place.postal_code) {
                                            br; span class="meta" { (area.district) }
                                        }
                                    }
                                    None => { span class="meta" { (l.t("organisations.no_place")) } }
                                }
                                br;
                                a href=(format!("/people?organisation={}", o.id)) { (l.t("organisations.accounts")) }
                            }
                            td { (o.time_zone.name()) }
                            td {
                                (l.t(if o.active { "people.active" } else { "people.deactivated" }))
                                @if may {
                                    " "
                                    @let action = if o.active { "deactivate" } else { "activate" };
                                    button type="button" class="link"
                                        data-post=(format!("/api/v1/organisations/{}/{action}", o.id)) data-then="reload"
                                        data-confirm=[o.active.then(|| l.tf("organisations.deactivate_confirm", &[("name", &o.name)]))]
                                        aria-label=(l.tf(&format!("people.{action}_label"), &[("name", &o.name)])) {
                                        (l.t(&format!("people.{action}")))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        div class="split" {
            form data-api="/api/v1/organisations" data-then="reload" data-done=(l.t("js.saved")) novalidate class="stack" {
                h2 { (l.t("organisations.new")) }
                div class="form-errors" role="alert" {}
                p { label for="o-name" { (l.t("organisations.name")) } input id="o-name" name="name" required; }
                p {
                    label for="o-kind" { (l.t("organisations.kind")) }
                    select id="o-kind" name="kind" {
                        (options(l, "organisation_kind", &[OrganisationKind::Authority, OrganisationKind::Carrier], ""))
                    }
                }
                button type="submit" class="primary" { (l.t("organisations.create")) }
            }
            form data-api="/api/v1/organisations/{organisation}/users" data-then="reload" data-done=(l.t("js.saved")) novalidate class="stack" {
                h2 { (l.t("organisations.new_user")) }
                div class="form-errors" role="alert" {}
                p {
                    label for="u-org" { (l.t("booking.organisation")) }
                    select id="u-org" name="organisation" data-path-only {
                        @for o in &organisations { option value=(o.id) { (o.name) } }
                    }
                }
                p { label for="u-name" { (l.t("mediators.name")) } input id="u-name" name="name" required; }
                p { label for="u-email" { (l.t("login.email")) } input id="u-email" name="email" type="email" required; }
                p {
                    label for="u-role" { (l.t("organisations.role")) }
                    select id="u-role" name="role" {
                        @for r in ["requester", "coordinator"] { option value=(r) { (l.t(&format!("role.{r}"))) } }
                    }
                }
                p {
                    label for="u-locale" { (l.t("organisations.locale")) }
                    select id="u-locale" name="locale" {
                        @for code in super::i18n::LANGUAGES { option value=(code) { (l.language(code)) } }
                    }
                }
                p class="hint" { (l.t("mediators.invited")) }
                button type="submit" class="primary" { (l.t("organisations.create_user")) }
            }
        }
    };
    Ok(layout(&page, &l.t("organisations.title"), content))
}
