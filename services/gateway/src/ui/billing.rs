//! Money on the pages: the coordinators' month close with its preview and their
//! rate card editor with the pool's billing data; a mediator's statements and
//! billing data (on the phone); an authority's invoices.

use super::coordinator::require_coordinator;
use super::{OrPage, Page, UiError, layout};
use crate::problem::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{Datelike, Months, NaiveDate, Utc};
use maud::{Markup, html};
use mittler_billing::euros;
use mittler_contracts::billing::{
    BillingParty, CloseMonth, CloseMonthRequest, Document, DocumentKind, Documents,
    DocumentsRequest, GetBillingParty, GetRateCard, HOLIDAY_REGIONS, PartyId, RateCardRequest,
};
use mittler_contracts::booking::Scope;
use mittler_contracts::text;
use mittler_types::{OrganisationId, Role};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/billing", get(month_page))
        .route("/billing/rate-card", get(rate_card_page))
        .route("/statements", get(statements_page))
        .route("/invoices", get(invoices_page))
}

#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

/// Last month, in Berlin.
fn last_month() -> NaiveDate {
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today) - Months::new(1)
}

/// "November 2026" for "2026-11" (as it is when it does not parse).
fn month_label(l: super::i18n::Lang, month: &str) -> String {
    match month
        .split_once('-')
        .and_then(|(y, m)| Some((y, m.parse::<u32>().ok()?)))
    {
        Some((year, m)) if (1..=12).contains(&m) => {
            format!("{} {year}", l.t(&format!("month.{m}")))
        }
        _ => month.to_owned(),
    }
}

fn money(l: super::i18n::Lang, cents: i64) -> String {
    euros(cents, l.code())
}

/// A table of documents with their sums and, once issued, their files.
fn documents_table(
    l: super::i18n::Lang,
    caption: &str,
    documents: &[Document],
    issued: bool,
) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (l.t("billing.number")) }
                    th scope="col" { (l.t("billing.recipient")) }
                    th scope="col" { (l.t("billing.lines")) }
                    th scope="col" { (l.t("billing.net")) }
                    th scope="col" { (l.t("billing.vat")) }
                    th scope="col" { (l.t("billing.total")) }
                    @if issued { th scope="col" { (l.t("billing.files")) } }
                } }
                tbody {
                    @for doc in documents {
                        tr {
                            th scope="row" { (if doc.number.is_empty() { "–" } else { doc.number.as_str() }) }
                            td { (doc.recipient.name) }
                            td { (doc.lines.len()) }
                            td class="num" { (money(l, doc.net_cents)) }
                            td class="num" { (money(l, doc.vat_cents)) }
                            td class="num" { strong { (money(l, doc.total_cents)) } }
                            @if issued { td { (files(l, doc)) } }
                        }
                    }
                }
            }
        }
    }
}

/// The download links of an issued document.
fn files(l: super::i18n::Lang, doc: &Document) -> Markup {
    html! {
        @match doc.kind {
            DocumentKind::Statement => {
                a href=(format!("/api/v1/pay-statements/{}.pdf", doc.id)) download { (l.t("billing.pdf")) }
                " · "
                a href=(format!("/api/v1/pay-statements/{}.csv", doc.id)) download { (l.t("billing.csv")) }
            }
            DocumentKind::Invoice => {
                a href=(format!("/api/v1/invoices/{}.pdf", doc.id)) download { (l.t("billing.pdf")) }
                " · "
                a href=(format!("/api/v1/invoices/{}/xrechnung.xml", doc.id)) download { (l.t("billing.xrechnung")) }
            }
        }
    }
}

async fn month_page(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<MonthQuery>,
) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let pool = page.user.user.organisation_id;
    let month = query
        .month
        .filter(|m| m.len() == 7)
        .unwrap_or_else(|| last_month().format("%Y-%m").to_string());
    let answer = state
        .call::<CloseMonth>(&CloseMonthRequest {
            pool,
            month: month.clone(),
            by: page.user.id(),
            preview: true,
        })
        .await;
    let answer = match answer {
        Ok(close) => Ok(close),
        Err(mittler_platform::rpc::RpcError::Fault(fault)) => Err(fault),
        Err(other) => return Err(ApiError::from(other)).or_page(l),
    };
    let content = html! {
        form method="get" action="/billing" class="filters" {
            p {
                label for="month" { (l.t("billing.month")) }
                input id="month" name="month" type="month" value=(month) required;
            }
            button type="submit" { (l.t("billing.show")) }
            " "
            a href="/billing/rate-card" { (l.t("billing.rate_card_link")) }
        }
        @match &answer {
            Err(fault) if fault.code == mittler_contracts::FaultCode::NotFound => {
                p class="lead empty" id="billing-summary" {
                    (l.t("billing.no_card")) " "
                    a href="/billing/rate-card" { (l.t("billing.rate_card_link")) }
                }
            }
            Err(fault) => {
                p class="lead empty" id="billing-summary" role="alert" { (fault.text().render(l.code())) }
            }
            Ok(close) => {
                @let closed = close.closed_at.is_some();
                @if let Some(at) = close.closed_at {
                    p class="lead" id="billing-summary" {
                        span class="badge record-confirmed" { (l.t("billing.closed")) } " "
                        (l.tf("billing.closed_at", &[("date", &super::when(l, at, mittler_types::TimeZone::BERLIN))]))
                    }
                } @else {
                    p class="lead" id="billing-summary" {
                        span class="badge" { (l.t("billing.preview")) } " "
                        (l.tf("billing.preview_sum", &[
                            ("statements", &l.tn("billing.statement_count", close.statements.len(), &[])),
                            ("invoices", &l.tn("billing.invoice_count", close.invoices.len(), &[])),
                            ("total", &money(l, close.statements.iter().map(|d| d.net_cents).sum())),
                        ]))
                    }
                    button type="button" class="primary big" id="close-month"
                        data-post=(format!("/api/v1/organisations/{pool}/months/{month}/close"))
                        data-confirm=(l.tf("billing.close_confirm", &[("month", &month_label(l, &month))]))
                        data-then="reload" data-done=(l.t("billing.closed")) {
                        (l.tf("billing.close", &[("month", &month_label(l, &month))]))
                    }
                    p class="hint" { (l.t("billing.close_hint")) }
                }
                (documents_table(l, &l.t("billing.statements"), &close.statements, closed))
                (documents_table(l, &l.t("billing.invoices"), &close.invoices, closed))
                @if !close.blocked.is_empty() {
                    section aria-labelledby="blocked-title" {
                        h2 id="blocked-title" { (l.t("billing.blocked")) }
                        ul {
                            @for b in &close.blocked {
                                li { a href=(format!("/bookings/{}", b.booking_id)) { (b.booking_id.to_string()[..8]) } " – " (b.reason) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&page, &l.t("billing.title"), content))
}

fn number_field(id: &str, name: &str, label: &str, value: i64, kind: &str, max: i64) -> Markup {
    html! {
        p {
            label for=(id) { (label) }
            @if kind == "cents" {
                input id=(id) name=(name) type="text" inputmode="decimal" data-type="cents" required
                    value=(format!("{},{:02}", value / 100, value % 100));
            } @else {
                input id=(id) name=(name) type="number" inputmode="numeric" data-type="number" required
                    min="0" max=(max) value=(value);
            }
        }
    }
}

/// The fields of a party's billing data; `kind` adds the mediator's or the pool's own.
pub fn party_fields(
    l: super::i18n::Lang,
    prefix: &str,
    party: &BillingParty,
    mediator: bool,
) -> Markup {
    let field = |name: &str, label: &str, value: &str, required: bool| {
        html! {
            p {
                label for=(format!("{prefix}-{name}")) { (l.t(label)) }
                input id=(format!("{prefix}-{name}")) name=(name) value=(value) required[required] maxlength="200";
            }
        }
    };
    html! {
        (field("name", "billing.party_name", &party.name, true))
        (field("street", "billing.street", &party.street, true))
        (field("postal_code", "billing.postal_code", &party.postal_code, true))
        (field("city", "billing.city", &party.city, true))
        (field("email", "billing.email", party.email.as_deref().unwrap_or_default(), false))
        (field("tax_number", "billing.tax_number", party.tax_number.as_deref().unwrap_or_default(), false))
        (field("vat_id", "billing.vat_id", party.vat_id.as_deref().unwrap_or_default(), false))
        (field("iban", "billing.iban", party.iban.as_deref().unwrap_or_default(), false))
        p class="check" {
            input id=(format!("{prefix}-vat_exempt")) name="vat_exempt" type="checkbox" checked[party.vat_exempt];
            label for=(format!("{prefix}-vat_exempt")) { (l.t("billing.vat_exempt")) }
        }
        @if mediator {
            p class="check" {
                input id=(format!("{prefix}-volunteer")) name="volunteer" type="checkbox" checked[party.volunteer];
                label for=(format!("{prefix}-volunteer")) { (l.t("billing.volunteer")) }
            }
        }
    }
}

async fn rate_card_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let pool: OrganisationId = page.user.user.organisation_id;
    let stored = state
        .call::<GetRateCard>(&RateCardRequest { owner: pool })
        .await
        .map_err(ApiError::from)
        .or_page(l)?;
    let card = stored.as_ref().map(|v| v.card.clone()).unwrap_or_default();
    let party = state
        .call::<GetBillingParty>(&PartyId::Organisation(pool))
        .await
        .map_err(ApiError::from)
        .or_page(l)?
        .unwrap_or_default();
    let n = |id: &str, name: &str, key: &str, value: i64, kind: &str, max: i64| {
        number_field(id, name, &l.t(key), value, kind, max)
    };
    let content = html! {
        @if stored.is_none() {
            p class="lead" id="card-summary" { (l.t("billing.card_new")) }
        } @else {
            p class="lead" id="card-summary" { (l.t("billing.card_hint")) }
        }
        form data-api=(format!("/api/v1/organisations/{pool}/rate-card")) data-method="PUT" data-then="reload"
            data-done=(l.t("billing.saved")) novalidate class="stack" id="rate-card" {
            div class="form-errors" role="alert" {}
            fieldset {
                legend { (l.t("billing.hourly")) }
                (n("c-certified", "hourly_cents.certified", "qualification.certified", card.hourly_cents.certified, "cents", 0))
                (n("c-trained", "hourly_cents.trained", "qualification.trained", card.hourly_cents.trained, "cents", 0))
                (n("c-lay", "hourly_cents.lay", "qualification.lay", card.hourly_cents.lay, "cents", 0))
            }
            fieldset {
                legend { (l.t("billing.minutes")) }
                (n("c-step", "billing_step_minutes", "billing.step", card.billing_step_minutes, "number", 60))
                (n("c-min-on-site", "minimum_minutes.on_site", "modality.on_site", card.minimum_minutes.on_site, "number", 600))
                (n("c-min-video", "minimum_minutes.video", "modality.video", card.minimum_minutes.video, "number", 600))
                (n("c-min-phone", "minimum_minutes.phone", "modality.phone", card.minimum_minutes.phone, "number", 600))
            }
            fieldset {
                legend { (l.t("billing.travel")) }
                (n("c-travel", "travel_hourly_cents", "billing.travel_hourly", card.travel_hourly_cents, "cents", 0))
                (n("c-km", "km_cents", "billing.per_km", card.km_cents, "cents", 0))
            }
            fieldset {
                legend { (l.t("billing.surcharges")) }
                p {
                    label for="c-night-from" { (l.t("billing.night_from")) }
                    input id="c-night-from" name="night.from" type="time" required value=(card.night.from.format("%H:%M"));
                }
                p {
                    label for="c-night-to" { (l.t("billing.night_to")) }
                    input id="c-night-to" name="night.to" type="time" required value=(card.night.to.format("%H:%M"));
                }
                (n("c-night", "surcharge_percent.night", "billing.night_percent", card.surcharge_percent.night, "number", 500))
                (n("c-sunday", "surcharge_percent.sunday", "billing.sunday_percent", card.surcharge_percent.sunday, "number", 500))
                (n("c-holiday", "surcharge_percent.holiday", "billing.holiday_percent", card.surcharge_percent.holiday, "number", 500))
                p {
                    label for="c-region" { (l.t("billing.holiday_region")) }
                    select id="c-region" name="holiday_region" {
                        @for region in HOLIDAY_REGIONS {
                            option value=(region) selected[card.holiday_region == region] { (l.t(&format!("land.{}", &region[3..]))) }
                        }
                    }
                }
            }
            fieldset {
                legend { (l.t("billing.cancellations")) }
                div data-array="late_cancellation" {
                    @for (i, step) in card.late_cancellation.iter().enumerate() {
                        fieldset class="row" data-item="late_cancellation" {
                            legend class="visually-hidden" { (l.tf("billing.step_n", &[("n", &(i + 1).to_string())])) }
                            (n(&format!("c-late-hours-{i}"), "within_hours", "billing.within_hours", step.within_hours, "number", 1440))
                            (n(&format!("c-late-percent-{i}"), "percent", "billing.late_percent", step.percent, "number", 100))
                        }
                    }
                }
                (n("c-no-show", "client_no_show_percent", "billing.no_show_percent", card.client_no_show_percent, "number", 100))
            }
            fieldset {
                legend { (l.t("billing.taxes")) }
                (n("c-vat", "vat_percent", "billing.vat_percent", card.vat_percent, "number", 100))
                (n("c-allowance", "volunteer_allowance_cents_per_year", "billing.allowance", card.volunteer_allowance_cents_per_year, "cents", 0))
            }
            button type="submit" class="primary big" { (l.t("billing.save_card")) }
        }
        section aria-labelledby="pool-party-title" {
            h2 id="pool-party-title" { (l.t("billing.pool_party")) }
            form data-api=(format!("/api/v1/organisations/{pool}/billing")) data-method="PUT" data-then="reload"
                data-done=(l.t("billing.saved")) novalidate class="stack" id="pool-party" {
                div class="form-errors" role="alert" {}
                (party_fields(l, "pool", &party, false))
                button type="submit" class="primary" { (l.t("billing.save_party")) }
            }
        }
    };
    Ok(layout(&page, &l.t("billing.card_title"), content))
}

async fn documents_of(
    state: &AppState,
    page: &Page,
    kind: DocumentKind,
) -> Result<Vec<Document>, UiError> {
    let user = &page.user;
    let (scope, mediator_id, organisation_id) = match user.role() {
        Role::Mediator => (
            Scope::all(),
            Some(
                user.own_mediator(text!("role.billing_statements"))
                    .or_page(page.l)?,
            ),
            None,
        ),
        _ => (
            Scope::only(vec![user.user.organisation_id]),
            None,
            Some(user.user.organisation_id),
        ),
    };
    state
        .call::<Documents>(&DocumentsRequest {
            scope,
            kind,
            month: None,
            mediator_id,
            organisation_id,
            id: None,
        })
        .await
        .map_err(ApiError::from)
        .or_page(page.l)
}

/// A document as a card: month, number, total, files.
fn document_card(l: super::i18n::Lang, doc: &Document) -> Markup {
    html! {
        li class="card" {
            h2 class="h3" { (doc.number) }
            p { (l.tf("billing.period", &[("month", &month_label(l, &doc.month))])) " · " (l.tn("billing.line_count", doc.lines.len(), &[])) }
            p class="total" { strong { (money(l, doc.total_cents)) } }
            @if let Some(year) = &doc.volunteer {
                p class=(if year.near { "hint warn" } else { "hint" }) {
                    (l.tf(if year.crossed { "billing.volunteer_crossed" } else if year.near { "billing.volunteer_near" } else { "billing.volunteer_year" },
                        &[("year", &money(l, year.year_cents)), ("allowance", &money(l, year.allowance_cents))]))
                }
            }
            p class="buttons" { (files(l, doc)) }
        }
    }
}

async fn statements_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    let me = page
        .user
        .own_mediator(text!("role.billing_statements"))
        .or_page(l)?;
    let documents = documents_of(&state, &page, DocumentKind::Statement).await?;
    let party = state
        .call::<GetBillingParty>(&PartyId::Mediator(me))
        .await
        .map_err(ApiError::from)
        .or_page(l)?;
    let content = html! {
        @if documents.is_empty() {
            p class="lead empty" id="statements-summary" { (l.t("billing.no_statements")) }
        } @else {
            p class="lead" id="statements-summary" { (l.tn("billing.statements_summary", documents.len(), &[])) }
        }
        ul class="cards" { @for doc in &documents { (document_card(l, doc)) } }
        details open[party.is_none()] {
            summary { (l.t("billing.my_data")) }
            @if party.is_none() { p class="hint" { (l.t("billing.my_data_hint")) } }
            form data-api="/api/v1/mediators/me/billing" data-method="PUT" data-then="reload"
                data-done=(l.t("billing.saved")) novalidate class="stack" id="my-billing" {
                div class="form-errors" role="alert" {}
                (party_fields(l, "me", &party.clone().unwrap_or_default(), true))
                button type="submit" class="primary big" { (l.t("billing.save_party")) }
            }
        }
    };
    Ok(layout(&page, &l.t("billing.statements_title"), content))
}

async fn invoices_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    page.user
        .require(&[Role::Requester], text!("role.billing_invoices"))
        .or_page(l)?;
    let documents = documents_of(&state, &page, DocumentKind::Invoice).await?;
    let content = html! {
        @if documents.is_empty() {
            p class="lead empty" id="invoices-summary" { (l.t("billing.no_invoices")) }
        } @else {
            p class="lead" id="invoices-summary" { (l.tn("billing.invoices_summary", documents.len(), &[])) }
        }
        ul class="cards" { @for doc in &documents { (document_card(l, doc)) } }
    };
    Ok(layout(&page, &l.t("billing.invoices_title"), content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_month_is_a_first_day() {
        assert_eq!(last_month().day(), 1);
        assert!(last_month() < Utc::now().date_naive());
    }
}
