//! A new booking or a new time, as people send it: every field parsed into a domain
//! type, every problem reported at once with the field it concerns. What reaches the
//! booking service is already valid.

use crate::places::PlaceBody;
use crate::problem::{FieldError, check_text};
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::booking::{BookingDetails, ClientInfo, Location};
use mittler_contracts::text;
use mittler_types::time::parse_local_datetime;
use mittler_types::{
    BookingKind, BookingMinutes, GenderPreference, LanguageTag, Modality, Qualification,
    SubjectArea, TimeZone,
};
use serde::Deserialize;

/// A start time may lie this far in the past (clocks differ a little).
const START_TOLERANCE: Duration = Duration::minutes(1);

/// A new booking, as a requester sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBookingBody {
    /// BCP 47 tag; ISO 639-3 where a dialect matters (`apc`, `prs`, `kmr`, `ckb`, `gsg`).
    #[schema(example = "apc")]
    pub language: String,
    pub modality: Modality,
    #[serde(default = "scheduled")]
    pub kind: BookingKind,
    /// RFC 3339 instant with offset; or give `local_start` and `time_zone`.
    #[schema(example = "2026-12-03T09:30:00+01:00")]
    pub start: Option<String>,
    /// `YYYY-MM-DDTHH:MM[:SS]` in `time_zone`.
    #[schema(example = "2026-12-03T09:30")]
    pub local_start: Option<String>,
    /// IANA zone; the organisation's zone when left out.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    /// 15 to 600.
    #[schema(example = 60)]
    pub duration_minutes: i64,
    /// Required for on-site bookings.
    pub location: Option<PlaceBody>,
    #[serde(default = "other_area")]
    pub subject_area: SubjectArea,
    #[serde(default = "lay")]
    pub min_qualification: Qualification,
    #[serde(default)]
    pub mediator_gender: GenderPreference,
    pub client: Option<ClientBody>,
    pub notes: Option<String>,
}

fn scheduled() -> BookingKind {
    BookingKind::Scheduled
}
fn other_area() -> SubjectArea {
    SubjectArea::Other
}
fn lay() -> Qualification {
    Qualification::Lay
}

/// The client, pseudonymous.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    pub reference: String,
    pub email: Option<String>,
    /// The language of the client's invitation.
    pub language: Option<String>,
}

/// Resolve `start` / `local_start` + `time_zone` to an instant, collecting errors.
fn resolve_start(
    start: Option<&str>,
    local_start: Option<&str>,
    zone: TimeZone,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    match (start, local_start) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "local_start",
                text!("appointment.start_or_local"),
            ));
            None
        }
        (Some(start), None) => match DateTime::parse_from_rfc3339(start.trim()) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                errors.push(FieldError::new("start", text!("field.instant_with_offset")));
                None
            }
        },
        (None, Some(local)) => match parse_local_datetime(local) {
            Some(local) => match zone.resolve(local) {
                Ok(at) => Some(at),
                Err(error) => {
                    errors.push(FieldError::of("local_start", &error.keyed()));
                    None
                }
            },
            None => {
                errors.push(FieldError::new("local_start", text!("field.local_time")));
                None
            }
        },
        (None, None) => None,
    }
}

/// When a booking takes place: `time_zone` (or `default_zone`), and `start` or
/// `local_start` resolved in it; `when_missing` stands in when neither is given
/// (on-demand: now), otherwise that is an error. A start in the past is refused.
pub(super) fn when(
    start: Option<&str>,
    local_start: Option<&str>,
    time_zone: Option<&str>,
    default_zone: TimeZone,
    when_missing: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> (Option<TimeZone>, Option<DateTime<Utc>>) {
    let zone = match time_zone {
        Some(name) => TimeZone::parse(name)
            .map_err(|e| errors.push(FieldError::of("time_zone", &e.keyed())))
            .ok(),
        None => Some(default_zone),
    };
    let mut at = zone.and_then(|zone| resolve_start(start, local_start, zone, errors));
    if start.is_none() && local_start.is_none() {
        match when_missing {
            Some(instant) => at = Some(instant),
            None => errors.push(FieldError::new(
                "start",
                text!("appointment.start_required"),
            )),
        }
    }
    if let Some(instant) = at
        && instant < now - START_TOLERANCE
    {
        let field = if local_start.is_some() {
            "local_start"
        } else {
            "start"
        };
        errors.push(FieldError::new(field, text!("field.past")));
    }
    (zone, at)
}

fn looks_like_email(value: &str) -> bool {
    let value = value.trim();
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && value.len() <= 254
        && !value.chars().any(char::is_whitespace)
}

impl NewBookingBody {
    /// The body with the organisation's site's position where its place is the site.
    pub fn at_site(mut self, site: Option<&Location>) -> Self {
        self.location = self.location.map(|place| place.or_known(site));
        self
    }

    /// Every field checked; all problems reported at once.
    pub fn parse(
        self,
        default_zone: TimeZone,
        now: DateTime<Utc>,
    ) -> Result<BookingDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let language = LanguageTag::parse(&self.language)
            .map_err(|e| errors.push(FieldError::of("language", &e.keyed())))
            .ok();
        let duration = BookingMinutes::new(self.duration_minutes)
            .map_err(|e| errors.push(FieldError::of("duration_minutes", &e.keyed())))
            .ok();
        let (zone, start) = when(
            self.start.as_deref(),
            self.local_start.as_deref(),
            self.time_zone.as_deref(),
            default_zone,
            (self.kind == BookingKind::OnDemand).then_some(now),
            now,
            &mut errors,
        );
        if self.kind == BookingKind::OnDemand && self.modality == Modality::OnSite {
            errors.push(FieldError::new(
                "modality",
                text!("appointment.on_demand_modality"),
            ));
        }
        if self.location.is_none() && self.modality == Modality::OnSite {
            errors.push(FieldError::new(
                "location",
                text!("appointment.location_required"),
            ));
        }
        let location = self
            .location
            .and_then(|place| place.resolve(&mut errors, "location"));
        let client = self.client.map(|client| parse_client(&mut errors, client));
        check_notes(&mut errors, self.notes.as_deref());
        match (language, zone, duration, start) {
            (Some(language), Some(time_zone), Some(duration_minutes), Some(start))
                if errors.is_empty() =>
            {
                Ok(BookingDetails {
                    language,
                    modality: self.modality,
                    kind: self.kind,
                    start,
                    end: start + duration_minutes.as_duration(),
                    time_zone,
                    duration_minutes,
                    location,
                    subject_area: self.subject_area,
                    min_qualification: self.min_qualification,
                    mediator_gender: self.mediator_gender,
                    client,
                    notes: self.notes.filter(|n| !n.trim().is_empty()),
                })
            }
            _ => Err(errors),
        }
    }
}

/// The client as the form gave them, each problem named under `client.`.
pub fn parse_client(errors: &mut Vec<FieldError>, client: ClientBody) -> ClientInfo {
    check_text(errors, "client.reference", &client.reference, 100);
    if let Some(email) = &client.email
        && !looks_like_email(email)
    {
        errors.push(FieldError::new("client.email", text!("field.email")));
    }
    let language = client.language.as_deref().and_then(|tag| {
        LanguageTag::parse(tag)
            .map_err(|e| errors.push(FieldError::of("client.language", &e.keyed())))
            .ok()
    });
    ClientInfo {
        reference: client.reference.trim().to_owned(),
        email: client.email.map(|e| e.trim().to_owned()),
        language,
    }
}

/// Notes for the mediator: at most 2000 characters.
pub fn check_notes(errors: &mut Vec<FieldError>, notes: Option<&str>) {
    if notes.is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new(
            "notes",
            text!("field.too_long", max = 2000),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> NewBookingBody {
        serde_json::from_value(json).expect("shape")
    }

    fn now() -> DateTime<Utc> {
        "2026-10-20T10:00:00Z".parse().expect("time")
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_local_start_resolves_in_the_zone_across_daylight_saving() {
        let summer = body(serde_json::json!({
            "language": "uk", "modality": "video", "local_start": "2026-10-24T09:00", "duration_minutes": 60
        }))
        .parse(TimeZone::BERLIN, now())
        .expect("valid");
        assert_eq!(summer.start.to_rfc3339(), "2026-10-24T07:00:00+00:00");
        let winter = body(serde_json::json!({
            "language": "uk", "modality": "video", "local_start": "2026-10-26T09:00", "duration_minutes": 60
        }))
        .parse(TimeZone::BERLIN, now())
        .expect("valid");
        assert_eq!(winter.start.to_rfc3339(), "2026-10-26T08:00:00+00:00");
        assert_eq!(winter.end.to_rfc3339(), "2026-10-26T09:00:00+00:00");
    }

    #[test]
    fn the_autumn_fold_asks_for_an_offset_and_every_problem_is_reported() {
        let errors = body(serde_json::json!({
            "language": "klingon", "modality": "on_site", "local_start": "2026-10-25T02:30",
            "duration_minutes": 5, "client": {"reference": " ", "email": "nope", "language": "xx"}
        }))
        .parse(TimeZone::BERLIN, now())
        .expect_err("invalid");
        let text = format!("{errors:?}");
        assert!(text.contains("explicit offset"), "{text}");
        assert_eq!(
            fields(errors),
            [
                "language",
                "duration_minutes",
                "local_start",
                "location",
                "client.reference",
                "client.email",
                "client.language"
            ]
        );
    }

    #[test]
    fn past_starts_and_missing_starts_are_refused_on_demand_starts_now() {
        let past = body(serde_json::json!({
            "language": "ar", "modality": "phone", "start": "2026-10-20T09:00:00+02:00", "duration_minutes": 30
        }))
        .parse(TimeZone::BERLIN, now())
        .expect_err("past");
        assert_eq!(fields(past), ["start"]);
        let missing = body(
            serde_json::json!({"language": "ar", "modality": "phone", "duration_minutes": 30}),
        )
        .parse(TimeZone::BERLIN, now())
        .expect_err("missing");
        assert_eq!(fields(missing), ["start"]);
        let now_call = body(serde_json::json!({
            "language": "ar", "modality": "video", "kind": "on_demand", "duration_minutes": 30
        }))
        .parse(TimeZone::BERLIN, now())
        .expect("on demand starts now");
        assert_eq!(now_call.start, now());
    }
}
