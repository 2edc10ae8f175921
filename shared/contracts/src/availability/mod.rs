//! The `availability` service's messages: mediator profiles, calendars,
//! reservations, presence (`availability.rpc.*`), and its events.

mod profile;

pub use profile::{MediatorProfile, PoolMembership, ProfileInput};

use crate::envelope::Event;
use crate::rpc::Rpc;
use crate::subjects::Service;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use mittler_types::{
    BookingId, GenderPreference, LanguageTag, MediatorId, Modality, OrganisationId, Qualification,
    ReservationId, TimeZone,
};
use serde::{Deserialize, Serialize};

/// A point on the earth (WGS 84 degrees).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// One language a mediator works in, and how well.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LanguageSkill {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "apc"))]
    pub code: LanguageTag,
    pub qualification: Qualification,
}

/// "Available on this weekday from start to end", in the mediator's local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyRule {
    /// ISO weekday: Monday = 1 … Sunday = 7.
    pub weekday: u8,
    #[serde(with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "09:00"))]
    pub start: NaiveTime,
    #[serde(with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "17:00"))]
    pub end: NaiveTime,
}

/// A date whose hours differ from the weekly rules: other hours, or none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DateOverride {
    pub date: NaiveDate,
    /// Replaces the weekly rules of that date; empty: not available that day.
    pub windows: Vec<LocalWindow>,
}

/// Hours of one day, local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalWindow {
    #[serde(with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "13:00"))]
    pub start: NaiveTime,
    #[serde(with = "hh_mm")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "18:00"))]
    pub end: NaiveTime,
}

/// Time away: holiday, illness or anything else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Absence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `holiday`, `illness` or `other`.
    pub reason: String,
}

/// A mediator's calendar as the API shows and takes it; a PUT of what a GET
/// returned is accepted unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Calendar {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Europe/Berlin"))]
    pub time_zone: TimeZone,
    pub weekly_rules: Vec<WeeklyRule>,
    #[serde(default)]
    pub overrides: Vec<DateOverride>,
    pub absences: Vec<Absence>,
}

mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&time.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M").map_err(|_| {
            serde::de::Error::custom(format!("'{text}' is not a time of the form HH:MM"))
        })
    }
}

/// What a booking needs from a mediator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Needs {
    pub language: LanguageTag,
    pub min_qualification: Qualification,
    pub modality: Modality,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Where an on-site job is.
    pub location: Option<GeoPoint>,
    pub mediator_gender: GenderPreference,
    /// For an on-demand call: only mediators online now.
    pub online_now: bool,
    /// The booking's own reservation does not conflict with itself.
    pub booking_id: Option<BookingId>,
    /// The pool whose mediators may take the booking (none: a booking made before
    /// pools were recorded, open to every mediator).
    #[serde(default)]
    pub pool_id: Option<OrganisationId>,
}

impl Needs {
    /// What `details` needs, for the booking `booking_id` (none: one not made yet)
    /// in the pool `pool_id`.
    pub fn of_booking(
        details: &crate::booking::BookingDetails,
        booking_id: Option<BookingId>,
        pool_id: Option<OrganisationId>,
    ) -> Self {
        Self {
            language: details.language.clone(),
            min_qualification: details.min_qualification,
            modality: details.modality,
            start: details.start,
            end: details.end,
            location: details.location.as_ref().map(|l| GeoPoint {
                lat: l.latitude,
                lon: l.longitude,
            }),
            mediator_gender: details.mediator_gender,
            online_now: details.kind == mittler_types::BookingKind::OnDemand,
            booking_id,
            pool_id,
        }
    }
}

/// Why a mediator cannot take a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    Inactive,
    /// Not an active member of the booking's pool.
    Pool,
    Language,
    Qualification,
    Gender,
    Modality,
    /// No single availability window covers the booking.
    Availability,
    Absence,
    /// Work today, but the mediator takes work from tomorrow on.
    Notice,
    Distance,
    Overlap,
    /// Not enough time to travel between this and a neighbouring on-site job.
    Travel,
    WeeklyMinutes,
    Offline,
}

/// A mediator who can take the booking, with what ranking needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub mediator_id: MediatorId,
    pub qualification: Qualification,
    /// Great-circle km from home, for on-site work.
    pub distance_km: Option<f64>,
    /// Minutes already reserved in the booking's ISO week.
    pub week_minutes: i64,
    /// Length of the availability window that covers the booking, in minutes.
    pub window_minutes: i64,
    pub online: bool,
    /// Minutes the mediator's calendar offered over the last 30 days (current rules,
    /// absences taken out): their weight in fair distribution.
    #[serde(default)]
    pub offered_minutes_30_days: i64,
}

/// A mediator who cannot, and every reason why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Excluded {
    pub mediator_id: MediatorId,
    pub reasons: Vec<Exclusion>,
    /// For `Distance`: great-circle km from home to the place, and the most the
    /// mediator travels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_travel_km: Option<f64>,
}

/// `availability.rpc.candidates`.
#[derive(Debug)]
pub struct Candidates;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidatesResponse {
    pub eligible: Vec<Candidate>,
    /// Speakers of the language who cannot take the booking, each with every reason.
    pub excluded: Vec<Excluded>,
    /// How many mediators do not speak the language (counted, not listed).
    #[serde(default)]
    pub other_languages: u32,
}

impl Rpc for Candidates {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "candidates";
    type Request = Needs;
    type Response = CandidatesResponse;
}

/// `availability.rpc.reserve`: hold a mediator's time for a booking.
#[derive(Debug)]
pub struct Reserve;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReserveRequest {
    /// The id to give the reservation, chosen by the caller so that it can record it
    /// before asking (and give it back if it never hears the answer).
    #[serde(default)]
    pub reservation_id: Option<ReservationId>,
    pub mediator_id: MediatorId,
    pub booking_id: BookingId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub modality: Modality,
    pub location: Option<GeoPoint>,
    /// The booking's pool: only its active members may hold the booking.
    #[serde(default)]
    pub pool_id: Option<OrganisationId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: ReservationId,
    pub mediator_id: MediatorId,
    pub booking_id: BookingId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Rpc for Reserve {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "reserve";
    type Request = ReserveRequest;
    type Response = Reservation;
}

/// `availability.rpc.release`: give a reservation back (idempotent).
#[derive(Debug)]
pub struct Release;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRequest {
    pub reservation_id: ReservationId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    /// False when it was released before.
    pub released_now: bool,
}

impl Rpc for Release {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "release";
    type Request = ReleaseRequest;
    type Response = Released;
}

/// `availability.rpc.get_calendar`.
#[derive(Debug)]
pub struct GetCalendar;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediatorRef {
    pub mediator_id: MediatorId,
}

impl Rpc for GetCalendar {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "get_calendar";
    type Request = MediatorRef;
    type Response = Calendar;
}

/// `availability.rpc.put_calendar`: replace weekly rules, overrides and absences.
#[derive(Debug)]
pub struct PutCalendar;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutCalendarRequest {
    pub mediator_id: MediatorId,
    pub calendar: Calendar,
}

impl Rpc for PutCalendar {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "put_calendar";
    type Request = PutCalendarRequest;
    type Response = Calendar;
}

/// `availability.rpc.set_presence`: online now for on-demand calls (a heartbeat).
#[derive(Debug)]
pub struct SetPresence;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPresenceRequest {
    pub mediator_id: MediatorId,
    pub online: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presence {
    pub online: bool,
    /// Until when the mediator counts as online without another heartbeat.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Rpc for SetPresence {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "set_presence";
    type Request = SetPresenceRequest;
    type Response = Presence;
}

/// `availability.rpc.get_profile`.
#[derive(Debug)]
pub struct GetProfile;

impl Rpc for GetProfile {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "get_profile";
    type Request = MediatorRef;
    type Response = MediatorProfile;
}

/// `availability.rpc.put_profile`: create or replace a profile.
#[derive(Debug)]
pub struct PutProfile;

impl Rpc for PutProfile {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "put_profile";
    type Request = MediatorProfile;
    type Response = MediatorProfile;
}

/// `availability.rpc.list_profiles`: every profile (of a pool), by name.
#[derive(Debug)]
pub struct ListProfiles;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListProfilesRequest {
    /// Only the members (active or paused) of this pool; none: everyone.
    #[serde(default)]
    pub pool_id: Option<OrganisationId>,
}

impl Rpc for ListProfiles {
    const SERVICE: Service = Service::Availability;
    const NAME: &'static str = "list_profiles";
    type Request = ListProfilesRequest;
    type Response = Vec<MediatorProfile>;
}

// ---------------------------------------------------------------- events

/// `availability.calendar.changed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalendarChanged {
    pub mediator_id: MediatorId,
}

/// `availability.profile.changed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileChanged {
    pub mediator_id: MediatorId,
    pub active: bool,
    /// The pools the mediator is an active member of; offers of other pools'
    /// bookings end. Left out by events from before pools were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<Vec<OrganisationId>>,
}

/// `availability.reservation.made`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReservationMade {
    pub reservation_id: ReservationId,
    pub mediator_id: MediatorId,
    pub booking_id: BookingId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// `availability.reservation.released`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReservationReleased {
    pub reservation_id: ReservationId,
    pub mediator_id: MediatorId,
    pub booking_id: BookingId,
}

/// `availability.presence.changed`: a mediator went online or offline on purpose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresenceChanged {
    pub mediator_id: MediatorId,
    pub online: bool,
}

macro_rules! availability_events {
    ($($ty:ident => $subject:literal),* $(,)?) => {$(
        impl Event for $ty {
            const TYPE: &'static str = $subject;
            const VERSION: u16 = 1;
        }
    )*};
}

availability_events! {
    CalendarChanged => "availability.calendar.changed",
    ProfileChanged => "availability.profile.changed",
    ReservationMade => "availability.reservation.made",
    ReservationReleased => "availability.reservation.released",
    PresenceChanged => "availability.presence.changed",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::stream_for;

    #[test]
    fn the_calendar_json_of_the_design_round_trips() {
        let json = r#"{"time_zone":"Europe/Berlin","weekly_rules":[{"weekday":1,"start":"09:00","end":"17:00"}],"overrides":[],"absences":[{"start":"2026-12-24T00:00:00Z","end":"2027-01-02T00:00:00Z","reason":"holiday"}]}"#;
        let calendar: Calendar = serde_json::from_str(json).expect("parses");
        assert_eq!(
            calendar.weekly_rules[0].start,
            NaiveTime::from_hms_opt(9, 0, 0).expect("time")
        );
        assert_eq!(serde_json::to_string(&calendar).expect("json"), json);
        let without_overrides = r#"{"time_zone":"Europe/Berlin","weekly_rules":[],"absences":[]}"#;
        assert!(serde_json::from_str::<Calendar>(without_overrides).is_ok());
        assert!(serde_json::from_str::<Calendar>(&json.replace("09:00", "9 Uhr")).is_err());
    }

    #[test]
    fn subjects_and_exclusions_are_pinned() {
        assert_eq!(Candidates::subject(), "availability.rpc.candidates");
        assert_eq!(Reserve::subject(), "availability.rpc.reserve");
        assert_eq!(Release::subject(), "availability.rpc.release");
        for subject in [
            CalendarChanged::TYPE,
            ReservationMade::TYPE,
            ReservationReleased::TYPE,
            PresenceChanged::TYPE,
            ProfileChanged::TYPE,
        ] {
            assert_eq!(
                stream_for(subject).map(|s| s.name),
                Some("AVAILABILITY"),
                "{subject}"
            );
        }
        assert_eq!(
            serde_json::to_string(&Exclusion::WeeklyMinutes).expect("json"),
            r#""weekly_minutes""#
        );
        let excluded = Excluded {
            mediator_id: MediatorId(uuid::Uuid::from_u128(1)),
            reasons: vec![Exclusion::Language, Exclusion::Travel],
            distance_km: None,
            max_travel_km: None,
        };
        assert_eq!(
            serde_json::to_string(&excluded).expect("json"),
            r#"{"mediator_id":"00000000-0000-0000-0000-000000000001","reasons":["language","travel"]}"#
        );
        let far = Excluded {
            reasons: vec![Exclusion::Distance],
            distance_km: Some(38.9),
            max_travel_km: Some(25.0),
            ..excluded
        };
        let json = serde_json::to_string(&far).expect("json");
        assert!(
            json.contains(r#""distance_km":38.9,"max_travel_km":25.0"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Excluded>(&json).expect("back"), far);
    }
}
