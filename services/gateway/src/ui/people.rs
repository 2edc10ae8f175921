//! The coordinators' people page: every account of the pool (an admin's: of every
//! pool), searchable by name or address, a page at a time, with switching off and
//! on. A mediator's account is switched in the coordinator's pool only.

use super::coordinator::require_coordinator;
use super::{OrPage, Page, UiError, layout, url_encode};
use crate::people::{self, PeopleQuery};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/people", get(people_page))
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    q: Option<String>,
    page: Option<i64>,
    /// One organisation's accounts (from the organisations page).
    organisation: Option<String>,
}

async fn people_page(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<PageQuery>,
) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let number = query.page.unwrap_or(1).max(1);
    let q = query.q.clone().unwrap_or_default();
    let organisation = query
        .organisation
        .as_deref()
        .and_then(|id| id.parse::<uuid::Uuid>().ok());
    let found = people::people(
        &state,
        &page.user,
        &PeopleQuery {
            q: query.q.clone(),
            organisation: organisation.map(mittler_types::OrganisationId),
            limit: Some(PAGE_SIZE),
            offset: Some((number - 1) * PAGE_SIZE),
        },
    )
    .await
    .or_page(l)?;
    let pages = (found.total + PAGE_SIZE - 1) / PAGE_SIZE;
    let of = organisation
        .map(|id| format!("&organisation={id}"))
        .unwrap_or_default();
    let link = |n: i64| format!("/people?q={}{of}&page={n}", url_encode(&q));
    let me = page.user.id();
    let content = html! {
        form method="get" action="/people" role="search" class="inline" {
            label for="people-q" { (l.t("people.search")) }
            input id="people-q" name="q" type="search" value=(q) autocomplete="off";
            @if let Some(id) = organisation { input type="hidden" name="organisation" value=(id); }
            button type="submit" { (l.t("people.search_submit")) }
        }
        p class="lead" aria-live="polite" {
            (l.tf("people.count", &[("n", &found.total.to_string())]))
            @if let (Some(_), Some(first)) = (organisation, found.items.first()) {
                " · " (first.organisation) " · " a href="/people" { (l.t("people.everyone")) }
            }
        }
        div class="table-wrap" {
            table {
                thead { tr {
                    th scope="col" { (l.t("profile.name")) }
                    th scope="col" { (l.t("people.organisation")) }
                    th scope="col" { (l.t("profile.role")) }
                    th scope="col" { (l.t("people.state")) }
                } }
                tbody {
                    @for p in &found.items {
                        tr {
                            td {
                                (p.name) br; span class="meta" { (p.email) }
                                @if p.mediator_id.is_none() && p.role != "admin" {
                                    details class="edit" {
                                        summary { (l.t("organisations.edit")) }
                                        form data-api=(format!("/api/v1/users/{}", p.id)) data-method="PUT"
                                            data-then="reload" data-done=(l.t("js.saved")) novalidate class="stack" {
                                            div class="form-errors" role="alert" {}
                                            p { label for=(format!("name-{}", p.id)) { (l.t("profile.name")) }
                                                input id=(format!("name-{}", p.id)) name="name" value=(p.name) required; }
                                            p {
                                                label for=(format!("locale-{}", p.id)) { (l.t("profile.locale")) }
                                                select id=(format!("locale-{}", p.id)) name="locale" {
                                                    @for code in super::i18n::LANGUAGES {
                                                        option value=(code) selected[*code == p.locale] { (l.language(code)) }
                                                    }
                                                }
                                            }
                                            button type="submit" { (l.t("organisations.save")) }
                                        }
                                    }
                                }
                            }
                            td { (p.organisation) }
                            td { (l.t(&format!("role.{}", p.role))) }
                            td {
                                @if !p.active {
                                    (l.t("people.deactivated"))
                                } @else if p.invited {
                                    (l.t("people.invited"))
                                } @else {
                                    (l.t("people.active"))
                                }
                                @if p.id != me && p.role != "admin" {
                                    " "
                                    @let action = if p.active { "deactivate" } else { "activate" };
                                    button type="button" class="link"
                                        data-post=(format!("/api/v1/users/{}/{action}", p.id)) data-then="reload"
                                        data-confirm=[p.active.then(|| l.tf("people.deactivate_confirm", &[("name", &p.name)]))]
                                        aria-label=(l.tf(&format!("people.{action}_label"), &[("name", &p.name)])) {
                                        (l.t(&format!("people.{action}")))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav aria-label=(l.t("people.pages")) class="pager" {
                @if number > 1 { a href=(link(number - 1)) rel="prev" { (l.t("people.previous")) } }
                span { (l.tf("people.page_of", &[("n", &number.to_string()), ("of", &pages.to_string())])) }
                @if number < pages { a href=(link(number + 1)) rel="next" { (l.t("people.next")) } }
            }
        }
    };
    Ok(layout(&page, &l.t("people.title"), content))
}
