//! The form that changes a booking's notes, client and place after it was made.

use super::requester::INVITATION_LANGUAGES;
use maud::{Markup, html};
use mittler_contracts::booking::BookingView;
use mittler_types::Modality;

pub fn amend_form(l: super::i18n::Lang, booking: &BookingView) -> Markup {
    let d = &booking.details;
    let client = d.client.as_ref();
    let place = d.location.as_ref();
    let text = |id: &str, name: &str, label: &str, value: Option<String>| {
        html! {
            p {
                label for=(id) { (l.t(&format!("booking.{label}"))) }
                input id=(id) name=(name) value=[value];
            }
        }
    };
    html! {
        details class="amend" id="amend" {
            summary { (l.t("amend.title")) }
            form data-api=(format!("/api/v1/bookings/{}/details", booking.id)) data-method="PUT" data-then="reload"
                data-done=(l.t("js.saved")) novalidate class="stack" {
                div class="form-errors" role="alert" {}
                p class="hint" { (l.t(if booking.assignment.is_some() { "amend.hint_assigned" } else { "amend.hint" })) }
                p {
                    label for="amend-notes" { (l.t("booking.notes")) }
                    textarea id="amend-notes" name="notes" rows="3" maxlength="2000" { (d.notes.clone().unwrap_or_default()) }
                }
                (text("amend-reference", "client.reference", "client_reference", client.map(|c| c.reference.clone())))
                p {
                    label for="amend-client-email" { (l.t("booking.client_email")) }
                    input id="amend-client-email" name="client.email" type="email" autocomplete="off"
                        value=[client.and_then(|c| c.email.clone())];
                }
                p {
                    label for="amend-client-language" { (l.t("booking.client_language")) }
                    select id="amend-client-language" name="client.language" {
                        option value="" { (l.t("booking.client_language_none")) }
                        @for tag in INVITATION_LANGUAGES {
                            option value=(tag) selected[client.and_then(|c| c.language.as_ref()).is_some_and(|t| t.as_str() == tag)] { (l.language(tag)) }
                        }
                    }
                }
                @if d.modality == Modality::OnSite {
                    fieldset {
                        legend { (l.t("booking.place")) }
                        (super::place::PlaceFields {
                            id: "amend",
                            prefix: "location.",
                            position: ("latitude", "longitude"),
                            address: Some(place.map(|p| p.address.as_str())),
                            postal_code: place.map(|p| p.postal_code.as_str()),
                            required: true,
                        }.render(l))
                    }
                }
                button type="submit" class="primary" { (l.t("amend.submit")) }
            }
        }
    }
}
