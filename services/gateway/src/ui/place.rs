//! A place in a form: address and postal code, the place the postal code names shown
//! beside them as the person types (the position that will be used), and an own
//! position only for those who open "Position selbst angeben". The booking form, the
//! change form, an organisation's site and a mediator's home all use it.

use maud::{Markup, html};

/// Where a form's place fields go and what they hold.
pub(super) struct PlaceFields<'a> {
    /// Element ids start with this (`booking` gives `booking-postal`).
    pub id: &'a str,
    /// The JSON names: `{prefix}address`, `{prefix}postal_code`, and the position's.
    pub prefix: &'a str,
    /// The position's two names after the prefix.
    pub position: (&'a str, &'a str),
    /// `None`: no address field (a mediator's home is a postal code).
    pub address: Option<Option<&'a str>>,
    pub postal_code: Option<&'a str>,
    pub required: bool,
}

impl PlaceFields<'_> {
    pub(super) fn render(&self, l: super::i18n::Lang) -> Markup {
        let id = self.id;
        let shown = format!("{id}-place");
        html! {
            @if let Some(address) = self.address {
                p {
                    label for=(format!("{id}-address")) { (l.t("booking.address")) }
                    input id=(format!("{id}-address")) name=(format!("{}address", self.prefix))
                        value=[address] autocomplete="street-address" required[self.required]
                        data-place-input=(shown);
                }
            }
            p {
                label for=(format!("{id}-postal")) { (l.t("booking.postal_code")) }
                input id=(format!("{id}-postal")) name=(format!("{}postal_code", self.prefix))
                    inputmode="numeric" maxlength="5" pattern="[0-9]{5}" value=[self.postal_code]
                    autocomplete="postal-code" required[self.required]
                    aria-describedby=(shown) data-place-input=(shown);
            }
            p id=(shown) class="hint place-shown" aria-live="polite"
                data-place-of=(format!("{id}-postal"))
                data-address=[self.address.map(|_| format!("{id}-address"))]
                data-unknown=(l.t("place.unknown"))
                data-source=(l.t("place.source")) {}
            details {
                summary { (l.t("place.own_position")) }
                p class="hint" { (l.t("place.own_position_hint")) }
                p {
                    label for=(format!("{id}-lat")) { (l.t("booking.latitude")) }
                    input id=(format!("{id}-lat")) name=(format!("{}{}", self.prefix, self.position.0))
                        data-type="number" inputmode="decimal";
                }
                p {
                    label for=(format!("{id}-lon")) { (l.t("booking.longitude")) }
                    input id=(format!("{id}-lon")) name=(format!("{}{}", self.prefix, self.position.1))
                        data-type="number" inputmode="decimal";
                }
            }
        }
    }
}
