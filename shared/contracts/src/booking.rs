//! The `booking` service's messages: the booking lifecycle events
//! (`booking.booking.*`) and the requests the gateway sends (`booking.rpc.*`).
//! Dispatch events (`booking.offer.*`, `booking.dispatch.*`) join as dispatch is built.

use crate::envelope::Event;
use crate::rpc::Rpc;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::{
    BookingId, BookingKind, BookingMinutes, BookingState, GenderPreference, LanguageTag,
    MediatorId, Modality, OfferId, OrganisationId, Qualification, SubjectArea, TimeZone, UserId,
};
use serde::{Deserialize, Serialize};

/// Where an on-site session takes place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    pub address: String,
    pub postal_code: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// The person who needs the interpreter: pseudonymous, no account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientInfo {
    /// The organisation's own pseudonymous reference (case number), for continuity.
    pub reference: String,
    /// Where the client's invitation goes, if anywhere.
    pub email: Option<String>,
    /// The language of the client's invitation.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub language: Option<LanguageTag>,
}

/// What was booked: every field already checked at the edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookingDetails {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "apc"))]
    pub language: LanguageTag,
    pub modality: Modality,
    pub kind: BookingKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Europe/Berlin"))]
    pub time_zone: TimeZone,
    #[cfg_attr(feature = "openapi", schema(value_type = i64, minimum = 15, maximum = 600))]
    pub duration_minutes: BookingMinutes,
    pub location: Option<Location>,
    pub subject_area: SubjectArea,
    pub min_qualification: Qualification,
    pub mediator_gender: GenderPreference,
    pub client: Option<ClientInfo>,
    pub notes: Option<String>,
}

/// An offer of a booking to one mediator, as a booking shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OfferView {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: OfferId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub mediator_id: MediatorId,
    /// `open`, `accepted`, `declined`, `expired` or `withdrawn`.
    pub state: String,
    pub expires_at: DateTime<Utc>,
}

/// The accepted offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentView {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub mediator_id: MediatorId,
    pub assigned_at: DateTime<Utc>,
}

/// A booking as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookingView {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: BookingId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub organisation_id: OrganisationId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub requested_by: UserId,
    pub state: BookingState,
    #[serde(flatten)]
    pub details: BookingDetails,
    pub offers: Vec<OfferView>,
    pub assignment: Option<AssignmentView>,
    pub cancel_reason: Option<String>,
    /// The time record in minutes, once the session ended.
    #[serde(default)]
    pub worked_minutes: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- events

/// `booking.booking.requested`: a booking was created; dispatch starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingRequested {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub requested_by: UserId,
    #[serde(flatten)]
    pub details: BookingDetails,
}

/// `booking.booking.rescheduled`: the time changed; the booking is `requested`
/// again and dispatch starts anew.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingRescheduled {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub rescheduled_by: UserId,
    pub previous_state: BookingState,
    pub previous_start: DateTime<Utc>,
    #[serde(flatten)]
    pub details: BookingDetails,
}

/// `booking.booking.cancelled`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingCancelled {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub cancelled_by: UserId,
    pub previous_state: BookingState,
    pub reason: String,
}

/// `booking.booking.offering`: dispatch began offering the booking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingOffering {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
}

/// `booking.booking.assigned`: a mediator holds the booking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingAssigned {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
    /// The coordinator who assigned by hand, or none when a mediator accepted.
    pub assigned_by: Option<UserId>,
}

/// `booking.booking.session_started`: the session began (`in_session`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingSessionStarted {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub started_at: DateTime<Utc>,
}

/// `booking.booking.completed`: the work is done and its time recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingCompleted {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub worked_minutes: i64,
}

/// `booking.booking.unfilled`: nobody could be found in time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingUnfilled {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub reason: String,
}

macro_rules! booking_events {
    ($($ty:ident => $event:literal),* $(,)?) => {$(
        impl Event for $ty {
            const TYPE: &'static str = concat!("booking.booking.", $event);
            const VERSION: u16 = 1;

            fn organisation_id(&self) -> Option<OrganisationId> {
                Some(self.organisation_id)
            }
        }
    )*};
}

/// Every subject the booking service publishes events on, for views that follow
/// bookings live (the web UI's server-sent events).
pub const EVENT_SUBJECTS: [&str; 4] = [
    "booking.booking.>",
    "booking.offer.>",
    "booking.dispatch.>",
    "booking.assignment.>",
];

booking_events! {
    BookingRequested => "requested",
    BookingRescheduled => "rescheduled",
    BookingCancelled => "cancelled",
    BookingOffering => "offering",
    BookingAssigned => "assigned",
    BookingSessionStarted => "session_started",
    BookingCompleted => "completed",
    BookingUnfilled => "unfilled",
}

// ---------------------------------------------------------------- requests

/// Which organisations' bookings a caller may see; `None` means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub organisation_ids: Option<Vec<OrganisationId>>,
}

impl Scope {
    pub fn all() -> Self {
        Self {
            organisation_ids: None,
        }
    }

    pub fn only(ids: Vec<OrganisationId>) -> Self {
        Self {
            organisation_ids: Some(ids),
        }
    }

    pub fn allows(&self, id: OrganisationId) -> bool {
        self.organisation_ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&id))
    }
}

/// `booking.rpc.create`.
#[derive(Debug)]
pub struct CreateBooking;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateBookingRequest {
    pub organisation_id: OrganisationId,
    pub requested_by: UserId,
    /// The client's `Idempotency-Key`: a retry with the same key gets the same booking.
    pub idempotency_key: Option<String>,
    /// A digest of the request body; a reused key with another body is refused.
    pub fingerprint: String,
    pub details: BookingDetails,
    /// The organisation's dispatch settings when the booking was made; unset parts
    /// follow the service's configuration.
    #[serde(default)]
    pub policy: DispatchPolicy,
}

/// The dispatch policy of the `[dispatch]` settings, which applies where neither an
/// organisation nor its pool set one: the booking service dispatches by it, the
/// gateway shows it as the default. The numbers here are the defaults of both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DispatchDefaults {
    /// Mediators asked in the first wave (after the continuity mediator).
    pub cascade_size: usize,
    /// How long the first wave may answer.
    pub cascade_secs: i64,
    /// How long the broadcast to everyone eligible may answer before escalation.
    pub broadcast_secs: i64,
    /// How long an on-demand call rings before it escalates.
    pub ring_secs: i64,
    /// A scheduled booking nobody accepted this long before its start goes to the
    /// coordinators (an on-demand call: when its ring ends).
    pub escalate_before_start_secs: i64,
}

impl Default for DispatchDefaults {
    fn default() -> Self {
        Self {
            cascade_size: 3,
            cascade_secs: 900,
            broadcast_secs: 3600,
            ring_secs: 120,
            escalate_before_start_secs: 48 * 3600,
        }
    }
}

impl DispatchDefaults {
    /// As a policy with every part set.
    pub fn policy(&self) -> DispatchPolicy {
        DispatchPolicy {
            cascade_size: Some(u32::try_from(self.cascade_size).unwrap_or(u32::MAX)),
            cascade_secs: Some(self.cascade_secs),
            broadcast_secs: Some(self.broadcast_secs),
            ring_secs: Some(self.ring_secs),
            escalate_before_start_secs: Some(self.escalate_before_start_secs),
        }
    }
}

/// How an organisation (or its pool) wants its bookings dispatched. Every part is
/// optional: what is left out follows the pool's policy, then the service's
/// `[dispatch]` configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DispatchPolicy {
    /// Mediators asked in the first wave (1 to 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50, example = 3))]
    pub cascade_size: Option<u32>,
    /// Seconds the first wave may answer (60 to 7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 60, maximum = 604800, example = 900)
    )]
    pub cascade_secs: Option<i64>,
    /// Seconds the broadcast may answer before escalation (60 to 7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 60, maximum = 604800, example = 3600)
    )]
    pub broadcast_secs: Option<i64>,
    /// Seconds an on-demand call rings (15 to 1 hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 15, maximum = 3600, example = 120)
    )]
    pub ring_secs: Option<i64>,
    /// Seconds before the start at which an unaccepted booking goes to the
    /// coordinators (0 to 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 0, maximum = 2592000, example = 172800)
    )]
    pub escalate_before_start_secs: Option<i64>,
}

impl DispatchPolicy {
    /// Every part out of range, as `(field, message)`.
    pub fn problems(&self) -> Vec<(&'static str, crate::text::Text)> {
        let mut problems = Vec::new();
        let mut check = |field: &'static str, value: Option<i64>, min: i64, max: i64| {
            if let Some(v) = value
                && !(min..=max).contains(&v)
            {
                problems.push((field, crate::text!("field.range", min = min, max = max)));
            }
        };
        check("cascade_size", self.cascade_size.map(i64::from), 1, 50);
        check("cascade_secs", self.cascade_secs, 60, 7 * 86_400);
        check("broadcast_secs", self.broadcast_secs, 60, 7 * 86_400);
        check("ring_secs", self.ring_secs, 15, 3_600);
        check(
            "escalate_before_start_secs",
            self.escalate_before_start_secs,
            0,
            30 * 86_400,
        );
        problems
    }

    /// This policy, with the gaps filled from `fallback`.
    pub fn or(self, fallback: DispatchPolicy) -> DispatchPolicy {
        DispatchPolicy {
            cascade_size: self.cascade_size.or(fallback.cascade_size),
            cascade_secs: self.cascade_secs.or(fallback.cascade_secs),
            broadcast_secs: self.broadcast_secs.or(fallback.broadcast_secs),
            ring_secs: self.ring_secs.or(fallback.ring_secs),
            escalate_before_start_secs: self
                .escalate_before_start_secs
                .or(fallback.escalate_before_start_secs),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreateBookingResponse {
    pub booking: BookingView,
    /// True when an earlier request with the same key created it.
    pub replayed: bool,
}

impl Rpc for CreateBooking {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "create";
    type Request = CreateBookingRequest;
    type Response = CreateBookingResponse;
}

/// `booking.rpc.list`: bookings by start time, keyset-paginated.
#[derive(Debug)]
pub struct ListBookings;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListBookingsRequest {
    pub scope: Scope,
    pub state: Option<BookingState>,
    /// Bookings that end after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Bookings that start before this instant.
    pub to: Option<DateTime<Utc>>,
    pub language: Option<LanguageTag>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingPage {
    pub items: Vec<BookingView>,
    pub next: Option<String>,
}

impl Rpc for ListBookings {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "list";
    type Request = ListBookingsRequest;
    type Response = BookingPage;
}

/// `booking.rpc.get`.
#[derive(Debug)]
pub struct GetBooking;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GetBookingRequest {
    pub id: BookingId,
    pub scope: Scope,
}

impl Rpc for GetBooking {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "get";
    type Request = GetBookingRequest;
    type Response = BookingView;
}

/// `booking.rpc.cancel`.
#[derive(Debug)]
pub struct CancelBooking;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CancelBookingRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub by: UserId,
    pub reason: String,
}

impl Rpc for CancelBooking {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "cancel";
    type Request = CancelBookingRequest;
    type Response = BookingView;
}

/// `booking.rpc.reschedule`: a new time; dispatch starts again.
#[derive(Debug)]
pub struct RescheduleBooking;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RescheduleBookingRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub by: UserId,
    pub start: DateTime<Utc>,
    pub duration_minutes: BookingMinutes,
    pub time_zone: TimeZone,
}

impl Rpc for RescheduleBooking {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "reschedule";
    type Request = RescheduleBookingRequest;
    type Response = BookingView;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Envelope, EventMeta, RawEnvelope};
    use crate::streams::stream_for;
    use chrono::TimeZone as _;
    use uuid::Uuid;

    fn uuid(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn details() -> BookingDetails {
        BookingDetails {
            language: LanguageTag::parse("apc").expect("tag"),
            modality: Modality::OnSite,
            kind: BookingKind::Scheduled,
            start: Utc
                .with_ymd_and_hms(2026, 3, 30, 7, 0, 0)
                .single()
                .expect("valid"),
            end: Utc
                .with_ymd_and_hms(2026, 3, 30, 8, 30, 0)
                .single()
                .expect("valid"),
            time_zone: TimeZone::BERLIN,
            duration_minutes: BookingMinutes::new(90).expect("minutes"),
            location: Some(Location {
                address: "Bahnhofstraße 1, Chemnitz".into(),
                postal_code: "09111".into(),
                latitude: 50.8397,
                longitude: 12.9276,
            }),
            subject_area: SubjectArea::ResidenceAsylum,
            min_qualification: Qualification::Trained,
            mediator_gender: GenderPreference::Any,
            client: Some(ClientInfo {
                reference: "A-17".into(),
                email: None,
                language: None,
            }),
            notes: None,
        }
    }

    #[test]
    fn booking_requested_envelope_json_is_pinned() {
        let event = BookingRequested {
            booking_id: BookingId(uuid(1)),
            organisation_id: OrganisationId(uuid(2)),
            requested_by: UserId(uuid(3)),
            details: details(),
        };
        let mut envelope = Envelope::at(
            event,
            EventMeta {
                correlation_id: uuid(10),
                causation_id: Some(uuid(11)),
            },
            Utc.with_ymd_and_hms(2026, 3, 20, 9, 15, 0)
                .single()
                .expect("valid"),
        );
        envelope.id = mittler_types::EventId(uuid(9));
        let json = serde_json::to_string(&envelope).expect("serialises");
        assert_eq!(
            json,
            concat!(
                r#"{"id":"00000000-0000-0000-0000-000000000009","type":"booking.booking.requested","version":1,"#,
                r#""occurred_at":"2026-03-20T09:15:00Z","correlation_id":"00000000-0000-0000-0000-00000000000a","#,
                r#""causation_id":"00000000-0000-0000-0000-00000000000b","organisation_id":"00000000-0000-0000-0000-000000000002","#,
                r#""data":{"booking_id":"00000000-0000-0000-0000-000000000001","organisation_id":"00000000-0000-0000-0000-000000000002","#,
                r#""requested_by":"00000000-0000-0000-0000-000000000003","language":"apc","modality":"on_site","kind":"scheduled","#,
                r#""start":"2026-03-30T07:00:00Z","end":"2026-03-30T08:30:00Z","time_zone":"Europe/Berlin","duration_minutes":90,"#,
                r#""location":{"address":"Bahnhofstraße 1, Chemnitz","postal_code":"09111","latitude":50.8397,"longitude":12.9276},"#,
                r#""subject_area":"residence_asylum","min_qualification":"trained","mediator_gender":"any","#,
                r#""client":{"reference":"A-17","email":null,"language":null},"notes":null}}"#
            )
        );
        let raw: RawEnvelope = RawEnvelope::from_slice(json.as_bytes()).expect("parses");
        assert_eq!(raw.decode::<BookingRequested>().expect("decodes"), envelope);
        assert!(raw.decode::<BookingCancelled>().is_err());
        assert_eq!(
            stream_for(&envelope.subject()).map(|s| s.name),
            Some("BOOKING")
        );
    }

    #[test]
    fn lifecycle_events_json_is_pinned() {
        let cancelled = BookingCancelled {
            booking_id: BookingId(uuid(1)),
            organisation_id: OrganisationId(uuid(2)),
            cancelled_by: UserId(uuid(3)),
            previous_state: BookingState::Offering,
            reason: "Termin entfällt".into(),
        };
        assert_eq!(
            serde_json::to_string(&cancelled).expect("serialises"),
            concat!(
                r#"{"booking_id":"00000000-0000-0000-0000-000000000001","organisation_id":"00000000-0000-0000-0000-000000000002","#,
                r#""cancelled_by":"00000000-0000-0000-0000-000000000003","previous_state":"offering","reason":"Termin entfällt"}"#
            )
        );
        assert_eq!(cancelled.subject(), "booking.booking.cancelled");
        let assigned = BookingAssigned {
            booking_id: BookingId(uuid(1)),
            organisation_id: OrganisationId(uuid(2)),
            mediator_id: MediatorId(uuid(4)),
            assigned_by: None,
        };
        assert_eq!(
            serde_json::to_string(&assigned).expect("serialises"),
            concat!(
                r#"{"booking_id":"00000000-0000-0000-0000-000000000001","organisation_id":"00000000-0000-0000-0000-000000000002","#,
                r#""mediator_id":"00000000-0000-0000-0000-000000000004","assigned_by":null}"#
            )
        );
        for subject in [
            BookingOffering::TYPE,
            BookingAssigned::TYPE,
            BookingSessionStarted::TYPE,
            BookingCompleted::TYPE,
            BookingUnfilled::TYPE,
            BookingRescheduled::TYPE,
        ] {
            assert_eq!(
                stream_for(subject).map(|s| s.name),
                Some("BOOKING"),
                "{subject}"
            );
        }
    }

    #[test]
    fn requests_are_pinned() {
        assert_eq!(CreateBooking::subject(), "booking.rpc.create");
        assert_eq!(ListBookings::subject(), "booking.rpc.list");
        assert_eq!(GetBooking::subject(), "booking.rpc.get");
        assert_eq!(CancelBooking::subject(), "booking.rpc.cancel");
        assert_eq!(RescheduleBooking::subject(), "booking.rpc.reschedule");
        let request = CancelBookingRequest {
            id: BookingId(uuid(1)),
            scope: Scope::only(vec![OrganisationId(uuid(2))]),
            by: UserId(uuid(3)),
            reason: "krank".into(),
        };
        assert_eq!(
            serde_json::to_string(&request).expect("json"),
            concat!(
                r#"{"id":"00000000-0000-0000-0000-000000000001","scope":{"organisation_ids":["00000000-0000-0000-0000-000000000002"]},"#,
                r#""by":"00000000-0000-0000-0000-000000000003","reason":"krank"}"#
            )
        );
        assert!(Scope::all().allows(OrganisationId(uuid(7))));
        assert!(!request.scope.allows(OrganisationId(uuid(7))));
    }
}

// ---------------------------------------------------------------- dispatch

/// `booking.offer.made`: a mediator is asked to take a booking until `expires_at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferMade {
    pub offer_id: OfferId,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
    pub wave: i32,
    pub expires_at: DateTime<Utc>,
}

/// `booking.offer.accepted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferAccepted {
    pub offer_id: OfferId,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
}

/// `booking.offer.declined`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferDeclined {
    pub offer_id: OfferId,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
}

/// `booking.offer.expired`: nobody answered in time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferExpired {
    pub offer_id: OfferId,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
}

/// `booking.offer.withdrawn`: someone else took the booking, or it was cancelled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfferWithdrawn {
    pub offer_id: OfferId,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
    pub reason: String,
}

/// `booking.dispatch.escalated`: nobody took the booking in time; coordinators step in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DispatchEscalated {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub reason: String,
}

/// `booking.assignment.returned`: the mediator gave an accepted job back; dispatch
/// starts again at once and the requester is told.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignmentReturned {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
    pub reason: String,
}

tenant_events! {
    OfferMade => "booking.offer.made",
    OfferAccepted => "booking.offer.accepted",
    OfferDeclined => "booking.offer.declined",
    OfferExpired => "booking.offer.expired",
    OfferWithdrawn => "booking.offer.withdrawn",
    DispatchEscalated => "booking.dispatch.escalated",
    AssignmentReturned => "booking.assignment.returned",
}

/// `booking.rpc.assign`: a coordinator assigns by hand, through the reservation guard.
#[derive(Debug)]
pub struct AssignBooking;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignBookingRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub mediator_id: MediatorId,
    pub by: UserId,
}

impl Rpc for AssignBooking {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "assign";
    type Request = AssignBookingRequest;
    type Response = BookingView;
}

/// `booking.rpc.give_back`: the assigned mediator returns the job.
#[derive(Debug)]
pub struct GiveBack;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveBackRequest {
    pub id: BookingId,
    pub mediator_id: MediatorId,
    pub reason: String,
}

impl Rpc for GiveBack {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "give_back";
    type Request = GiveBackRequest;
    type Response = BookingView;
}

/// An offer as the mediator sees it: enough of the booking to decide.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediatorOffer {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub id: OfferId,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub booking_id: BookingId,
    /// `open`, `accepted`, `declined`, `expired` or `withdrawn`.
    pub state: String,
    pub expires_at: DateTime<Utc>,
    pub booking: BookingDetails,
}

/// `booking.rpc.my_offers`: a mediator's open offers.
#[derive(Debug)]
pub struct MyOffers;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyOffersRequest {
    pub mediator_id: MediatorId,
}

impl Rpc for MyOffers {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "my_offers";
    type Request = MyOffersRequest;
    type Response = Vec<MediatorOffer>;
}

/// `booking.rpc.accept_offer`: the saga of the design (reserve, compare-and-set,
/// release on failure). `conflict` when someone else was faster or the offer lapsed.
#[derive(Debug)]
pub struct AcceptOffer;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferAnswer {
    pub offer_id: OfferId,
    pub mediator_id: MediatorId,
}

impl Rpc for AcceptOffer {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "accept_offer";
    type Request = OfferAnswer;
    type Response = BookingView;
}

/// `booking.rpc.decline_offer`.
#[derive(Debug)]
pub struct DeclineOffer;

impl Rpc for DeclineOffer {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "decline_offer";
    type Request = OfferAnswer;
    type Response = MediatorOffer;
}

/// `booking.rpc.dispatch`: why each mediator was or was not asked.
#[derive(Debug)]
pub struct DispatchExplanation;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub booking_id: BookingId,
    /// Every dispatch round, oldest first.
    pub rounds: Vec<DispatchRound>,
}

/// One round of dispatch: whom it ranked and why, whom it left out and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchRound {
    pub at: DateTime<Utc>,
    pub wave: i32,
    pub ranked: Vec<RankedMediator>,
    /// Speakers of the language left out, each with every reason.
    pub excluded: Vec<ExcludedMediator>,
    /// How many mediators do not speak the language.
    #[serde(default)]
    pub other_languages: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankedMediator {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub mediator_id: MediatorId,
    pub rank: i32,
    /// Whether this round offered the booking to the mediator.
    pub offered: bool,
    /// The parts of the score, in words and numbers.
    pub why: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExcludedMediator {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub mediator_id: MediatorId,
    pub reasons: Vec<String>,
}

impl Rpc for DispatchExplanation {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "dispatch";
    type Request = GetBookingRequest;
    type Response = Explanation;
}

// ---------------------------------------------------------------- views for the web UI

/// A booking that still waits for a mediator, as the coordinators' queue shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueItem {
    pub booking: BookingView,
    /// When dispatch gave up and handed the booking to the coordinators.
    pub escalated_at: Option<DateTime<Utc>>,
}

/// `booking.rpc.queue`: the bookings in scope that are not yet assigned (requested or
/// offering) and have not ended, escalated ones first, then by start.
#[derive(Debug)]
pub struct Queue;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRequest {
    pub scope: Scope,
    pub limit: u32,
}

impl Rpc for Queue {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "queue";
    type Request = QueueRequest;
    type Response = Vec<QueueItem>;
}

/// `booking.rpc.my_jobs`: the bookings assigned to a mediator that end after `since`,
/// by start.
#[derive(Debug)]
pub struct MyJobs;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyJobsRequest {
    pub mediator_id: MediatorId,
    pub since: DateTime<Utc>,
}

impl Rpc for MyJobs {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "my_jobs";
    type Request = MyJobsRequest;
    type Response = Vec<BookingView>;
}

/// `booking.rpc.statistics`: how well bookings that start in `[from, to)` were served.
#[derive(Debug)]
pub struct Statistics;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatisticsRequest {
    pub scope: Scope,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The zone whose calendar months group the figures.
    pub time_zone: TimeZone,
}

/// One line of the statistics: all bookings, one language, or one month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticsLine {
    /// A language tag, a month `YYYY-MM`, or `all`.
    pub key: String,
    pub bookings: i64,
    /// Assigned at some point and not given up (assigned, in session, completed).
    pub filled: i64,
    /// Closed without a mediator.
    pub unfilled: i64,
    pub cancelled: i64,
    /// `filled / (filled + unfilled)`; null while nothing is decided.
    pub fill_rate: Option<f64>,
    /// Minutes from the request to the assignment, median and 90th percentile.
    pub median_minutes_to_assign: Option<f64>,
    pub p90_minutes_to_assign: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticsReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub total: StatisticsLine,
    pub by_language: Vec<StatisticsLine>,
    pub by_month: Vec<StatisticsLine>,
}

impl Rpc for Statistics {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "statistics";
    type Request = StatisticsRequest;
    type Response = StatisticsReport;
}
