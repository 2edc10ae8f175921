//! The coordinators' delivery log as a page: which mail went out, which is still
//! being tried, which could not be delivered and why.

use super::{OrPage, Page, UiError, iso, layout, when};
use crate::notifications::DeliveriesQuery;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use mittler_types::TimeZone;

pub fn router() -> Router<AppState> {
    Router::new().route("/deliveries", get(deliveries_page))
}

const STATES: [&str; 4] = ["queued", "sent", "failed", "dead"];

async fn deliveries_page(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Markup, UiError> {
    let l = page.l;
    super::coordinator::require_coordinator(&page)?;
    let chosen = query.state.clone().filter(|s| !s.is_empty());
    let items = crate::notifications::delivery_log(
        &state,
        &page.user,
        DeliveriesQuery {
            state: chosen.clone(),
            limit: Some(200),
        },
    )
    .await
    .or_page(l)?;
    let zone = TimeZone::BERLIN;
    let content = html! {
        form method="get" action="/deliveries" class="inline" {
            label for="delivery-state" { (l.t("deliveries.filter")) }
            select id="delivery-state" name="state" {
                option value="" { (l.t("deliveries.all")) }
                @for s in STATES {
                    option value=(s) selected[chosen.as_deref() == Some(s)] { (l.t(&format!("delivery_state.{s}"))) }
                }
            }
            button type="submit" { (l.t("bookings.apply")) }
        }
        @if items.is_empty() {
            p class="empty" { (l.t("deliveries.empty")) }
        } @else {
            div class="table-wrap" {
                table {
                    thead { tr {
                        th scope="col" { (l.t("deliveries.when")) }
                        th scope="col" { (l.t("deliveries.recipient")) }
                        th scope="col" { (l.t("deliveries.subject")) }
                        th scope="col" { (l.t("deliveries.state")) }
                        th scope="col" { (l.t("deliveries.attempts")) }
                    } }
                    tbody {
                        @for d in &items {
                            tr {
                                td { time datetime=(iso(d.created_at)) { (when(l, d.created_at, zone)) } }
                                td { (d.recipient) }
                                td {
                                    @if let Some(booking) = d.booking_id {
                                        a href=(format!("/bookings/{booking}")) { (d.subject) }
                                    } @else { (d.subject) }
                                }
                                td {
                                    span class=(format!("badge delivery-{}", d.state)) {
                                        (l.opt(&format!("delivery_state.{}", d.state)).unwrap_or_else(|| d.state.clone()))
                                    }
                                    @if let Some(error) = &d.last_error {
                                        br; span class="meta" { (error) }
                                    }
                                }
                                td { (d.attempts) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&page, &l.t("deliveries.title"), content))
}
