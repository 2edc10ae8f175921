//! Billing data of the parties, the month close, and the documents it issues.

use super::Line;
use crate::booking::Scope;
use crate::rpc::Rpc;
use crate::subjects::Service;
use crate::text;
use crate::text::Text;
use chrono::{DateTime, NaiveDate, Utc};
use mittler_types::{BookingId, MediatorId, OrganisationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a document needs to name a party: a mediator (who issues no invoice of
/// their own: the pool's statement is their credit note), a pool, an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BillingParty {
    /// The legal name on documents.
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2, `DE` unless given.
    #[serde(default = "germany")]
    pub country: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Steuernummer.
    #[serde(default)]
    pub tax_number: Option<String>,
    /// USt-IdNr. (`DE` and nine digits).
    #[serde(default)]
    pub vat_id: Option<String>,
    /// Where a mediator is paid, or where an organisation pays a pool.
    #[serde(default)]
    pub iban: Option<String>,
    /// A small business under § 19 UStG: no VAT.
    #[serde(default)]
    pub vat_exempt: bool,
    /// Paid under the volunteer allowance (§ 3 Nr. 26a EStG).
    #[serde(default)]
    pub volunteer: bool,
    /// An authority's Leitweg-ID, the buyer reference of its electronic invoices.
    #[serde(default)]
    pub leitweg_id: Option<String>,
}

fn germany() -> String {
    "DE".into()
}

impl Default for BillingParty {
    fn default() -> Self {
        Self {
            name: String::new(),
            street: String::new(),
            postal_code: String::new(),
            city: String::new(),
            country: germany(),
            email: None,
            tax_number: None,
            vat_id: None,
            iban: None,
            vat_exempt: false,
            volunteer: false,
            leitweg_id: None,
        }
    }
}

impl BillingParty {
    /// Every field that does not fit, with why.
    pub fn problems(&self) -> Vec<(String, Text)> {
        let mut problems = Vec::new();
        let mut text_field = |field: &str, value: &str, required: bool, max: usize| {
            if required && value.trim().is_empty() {
                problems.push((field.to_owned(), text!("field.empty")));
            } else if value.chars().count() > max {
                problems.push((field.to_owned(), text!("field.too_long", max = max)));
            } else if value.chars().any(char::is_control) {
                problems.push((field.to_owned(), text!("field.control")));
            }
        };
        text_field("name", &self.name, true, 200);
        text_field("street", &self.street, true, 200);
        text_field("postal_code", &self.postal_code, true, 16);
        text_field("city", &self.city, true, 100);
        for (field, value) in [
            ("email", &self.email),
            ("tax_number", &self.tax_number),
            ("vat_id", &self.vat_id),
            ("iban", &self.iban),
            ("leitweg_id", &self.leitweg_id),
        ] {
            if let Some(value) = value {
                text_field(field, value, true, 100);
            }
        }
        if self.country.len() != 2 || !self.country.chars().all(|c| c.is_ascii_uppercase()) {
            problems.push(("country".into(), text!("billing.country")));
        }
        if let Some(iban) = &self.iban
            && !iban_ok(iban)
        {
            problems.push(("iban".into(), text!("billing.iban")));
        }
        if let Some(vat_id) = &self.vat_id {
            let compact: String = vat_id.chars().filter(|c| !c.is_whitespace()).collect();
            if compact.chars().count() < 4
                || !compact.chars().take(2).all(|c| c.is_ascii_uppercase())
            {
                problems.push(("vat_id".into(), text!("billing.vat_id")));
            }
        }
        if let Some(id) = &self.leitweg_id
            && !leitweg_ok(id)
        {
            problems.push(("leitweg_id".into(), text!("billing.leitweg_id")));
        }
        problems
    }

    /// The address on one line.
    pub fn address(&self) -> String {
        format!("{}, {} {}", self.street, self.postal_code, self.city)
    }
}

/// An IBAN: country, check digits, and the mod-97 check of ISO 13616.
pub fn iban_ok(iban: &str) -> bool {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    mod_97(tail.chars().chain(head.chars())) == Some(1)
}

/// ISO 7064 mod 97-10 of alphanumeric characters, letters counting A = 10 to Z = 35
/// (IBANs and Leitweg-IDs); none for any other character.
fn mod_97(chars: impl Iterator<Item = char>) -> Option<u32> {
    let mut rest = 0u32;
    for c in chars {
        let value = c.to_digit(36)?;
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    Some(rest)
}

/// A Leitweg-ID: coarse address, optional fine address, and two check digits
/// (`04011000-1234512345-06`), checked by ISO 7064 mod 97-10 as its rules ask.
pub fn leitweg_ok(id: &str) -> bool {
    let parts: Vec<&str> = id.trim().split('-').collect();
    let (body, check) = match parts.as_slice() {
        [coarse, check] => (coarse.to_string(), *check),
        [coarse, fine, check] => (format!("{coarse}{fine}"), *check),
        _ => return false,
    };
    if body.is_empty()
        || body.len() > 42
        || check.len() != 2
        || !check.chars().all(|c| c.is_ascii_digit())
        || !body.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return false;
    }
    mod_97(body.to_ascii_uppercase().chars().chain(check.chars())) == Some(1)
}

/// Whose billing data: a mediator or an organisation (a pool included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum PartyId {
    Mediator(MediatorId),
    Organisation(OrganisationId),
}

impl PartyId {
    pub fn uuid(&self) -> Uuid {
        match self {
            Self::Mediator(id) => id.as_uuid(),
            Self::Organisation(id) => id.as_uuid(),
        }
    }
}

/// `booking.rpc.billing_party`: a party's billing data, none when not given yet.
#[derive(Debug)]
pub struct GetBillingParty;

impl Rpc for GetBillingParty {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "billing_party";
    type Request = PartyId;
    type Response = Option<BillingParty>;
}

/// `booking.rpc.put_billing_party`.
#[derive(Debug)]
pub struct PutBillingParty;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PutBillingPartyRequest {
    pub party: PartyId,
    pub details: BillingParty,
    pub by: UserId,
}

impl Rpc for PutBillingParty {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "put_billing_party";
    type Request = PutBillingPartyRequest;
    type Response = BillingParty;
}

/// A pay statement (to a mediator) or an invoice (to an organisation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Statement,
    Invoice,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Statement => "statement",
            Self::Invoice => "invoice",
        }
    }

    /// The prefix of its numbers: `G` (Gutschrift) and `R` (Rechnung).
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Statement => "G",
            Self::Invoice => "R",
        }
    }
}

/// One line of a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentLine {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub booking_id: BookingId,
    /// The local date of the booking's start.
    pub date: NaiveDate,
    /// What the job was (language, modality, organisation or mediator), for the reader.
    pub description: String,
    #[serde(flatten)]
    pub line: Line,
    /// The line of a closed month this one corrects.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub corrects: Option<Uuid>,
}

/// A volunteer's year against the tax-free allowance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolunteerYear {
    /// Paid this year up to and including this statement.
    pub year_cents: i64,
    pub allowance_cents: i64,
    /// The year's total crosses the allowance with this statement (or did before).
    pub crossed: bool,
    /// The year's total reaches 80 % of the allowance: the warning before it is crossed.
    pub near: bool,
}

/// An issued document with everything a reader, a PDF and an XRechnung need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: Uuid,
    pub kind: DocumentKind,
    /// Gapless per pool, kind and year: `G-2026-0001`, `R-2026-0001`.
    pub number: String,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub pool_id: OrganisationId,
    /// `YYYY-MM`.
    pub month: String,
    /// The mediator of a statement.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub mediator_id: Option<MediatorId>,
    /// The organisation of an invoice.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub organisation_id: Option<OrganisationId>,
    pub issued_at: DateTime<Utc>,
    /// The first and last day of the month served.
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Who issues it (the pool) and who receives it, as they stood at the close.
    pub issuer: BillingParty,
    pub recipient: BillingParty,
    pub lines: Vec<DocumentLine>,
    pub net_cents: i64,
    pub vat_percent: i64,
    pub vat_cents: i64,
    pub total_cents: i64,
    /// No VAT: the small-business note (§ 19 UStG) is printed instead.
    pub vat_exempt: bool,
    #[serde(default)]
    pub volunteer: Option<VolunteerYear>,
}

/// `booking.rpc.close_month`: a coordinator closes (or previews) a pool's month.
#[derive(Debug)]
pub struct CloseMonth;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloseMonthRequest {
    pub pool: OrganisationId,
    /// `YYYY-MM`.
    pub month: String,
    pub by: UserId,
    /// Compute what the close would issue, and write nothing.
    pub preview: bool,
}

/// A month's close: what it issued (or would issue).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthClose {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub pool_id: OrganisationId,
    pub month: String,
    /// Null for a preview and for a month still open.
    pub closed_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub closed_by: Option<UserId>,
    pub statements: Vec<Document>,
    pub invoices: Vec<Document>,
    /// Jobs that cannot be billed yet, and why (no billing data, a record open).
    pub blocked: Vec<Blocked>,
}

/// A job the close leaves for later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Blocked {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub booking_id: BookingId,
    pub reason: String,
}

impl Rpc for CloseMonth {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "close_month";
    type Request = CloseMonthRequest;
    type Response = MonthClose;
}

/// `booking.rpc.documents`: issued documents a caller may see.
#[derive(Debug)]
pub struct Documents;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentsRequest {
    /// The organisations whose documents the caller may see (pools for statements and
    /// invoices they issued, organisations for invoices they received).
    pub scope: Scope,
    pub kind: DocumentKind,
    /// Only this month (`YYYY-MM`).
    pub month: Option<String>,
    pub mediator_id: Option<MediatorId>,
    pub organisation_id: Option<OrganisationId>,
    /// One document.
    #[serde(default)]
    pub id: Option<Uuid>,
}

impl Rpc for Documents {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "documents";
    type Request = DocumentsRequest;
    type Response = Vec<Document>;
}

/// `booking.rpc.correct_line`: a coordinator corrects a line of a closed month; the
/// correction becomes a line of the next month closed, on the same recipient's
/// document, referring to the line it corrects.
#[derive(Debug)]
pub struct CorrectLine;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorrectLineRequest {
    pub pool: OrganisationId,
    pub line_id: Uuid,
    /// What to add (negative: to take back), in cents.
    pub amount_cents: i64,
    pub reason: String,
    pub by: UserId,
}

/// A correction waiting for the next close (or billed at one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correction {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: Uuid,
    /// The line it corrects.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub corrects: Uuid,
    /// The document that line is on.
    pub number: String,
    pub amount_cents: i64,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl Rpc for CorrectLine {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "correct_line";
    type Request = CorrectLineRequest;
    type Response = Correction;
}

// ---------------------------------------------------------------- events

/// `booking.billing.month_closed`: a pool closed a month; its documents follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthClosed {
    pub organisation_id: OrganisationId,
    pub month: String,
    pub closed_by: UserId,
    pub statements: u32,
    pub invoices: u32,
    pub net_cents: i64,
}

/// `booking.billing.document_issued`: a statement or invoice was issued at a close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentIssued {
    /// The pool that issued it.
    pub organisation_id: OrganisationId,
    pub document_id: Uuid,
    pub kind: DocumentKind,
    pub number: String,
    pub month: String,
    pub mediator_id: Option<MediatorId>,
    pub recipient_organisation_id: Option<OrganisationId>,
    pub net_cents: i64,
    pub vat_cents: i64,
    pub total_cents: i64,
}

tenant_events! {
    MonthClosed => "booking.billing.month_closed",
    DocumentIssued => "booking.billing.document_issued",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_and_leitweg_ids_are_checked_by_their_check_digits() {
        assert!(iban_ok("DE89 3704 0044 0532 0130 00"));
        assert!(!iban_ok("DE88 3704 0044 0532 0130 00"));
        assert!(!iban_ok("DE89"));
        assert!(leitweg_ok("04011000-1234512345-06"));
        assert!(leitweg_ok("991-33333TEST-33"));
        assert!(!leitweg_ok("04011000-1234512345-07"));
        assert!(!leitweg_ok("nothing"));
    }

    #[test]
    fn any_text_is_checked_without_panicking() {
        let party = BillingParty {
            name: "Ö".into(),
            street: "ä".into(),
            postal_code: "1".into(),
            city: "ü".into(),
            vat_id: Some("Ü\u{88}é€x".into()),
            iban: Some("ÄÖ€".into()),
            leitweg_id: Some("é-€-ü".into()),
            ..BillingParty::default()
        };
        let fields: Vec<String> = party.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["vat_id", "iban", "vat_id", "leitweg_id"]);
    }
}
