//! The `booking` service's messages: the booking lifecycle events
//! (`booking.booking.*`) and the requests the gateway sends (`booking.rpc.*`);
//! `dispatch` has the offers, dispatch and assignments, `views` the queue, jobs and
//! statistics, `reports` the report for funders.

mod amend;
mod dispatch;
mod ending;
mod reports;
#[cfg(test)]
mod tests;
mod views;

pub use amend::*;
pub use dispatch::*;
pub use ending::*;
pub use reports::*;
pub use views::*;

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
    /// The pool that serves the organisation: only its mediators are offered the booking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub pool_id: Option<OrganisationId>,
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub requested_by: UserId,
    pub state: BookingState,
    #[serde(flatten)]
    pub details: BookingDetails,
    pub offers: Vec<OfferView>,
    pub assignment: Option<AssignmentView>,
    pub cancel_reason: Option<String>,
    /// Who cancelled, when, and with how much notice.
    #[serde(default)]
    pub cancellation: Option<CancellationView>,
    /// Why and when the booking ended without a mediator.
    #[serde(default)]
    pub unfilled: Option<UnfilledView>,
    /// When dispatch found nobody (yet) and handed the booking to the coordinators.
    #[serde(default)]
    pub escalated_at: Option<DateTime<Utc>>,
    /// The confirmed time record's minutes (see `/time-record` for the whole record).
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

/// `booking.booking.rescheduled`: the time changed. The mediator who held the
/// booking keeps it when they are free at the new time (`kept`; the booking stays
/// `assigned` and dispatch moves their reservation); otherwise the booking is
/// `requested` again and dispatch starts anew.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingRescheduled {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub rescheduled_by: UserId,
    pub previous_state: BookingState,
    pub previous_start: DateTime<Utc>,
    /// The mediator who keeps the booking at the new time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<MediatorId>,
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
    /// Minutes between the cancellation and the start (negative after the start).
    #[serde(default)]
    pub notice_minutes: Option<i64>,
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

/// `booking.booking.unfilled`: nobody could be found in time — the start passed
/// unassigned, or a coordinator gave up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingUnfilled {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub reason: String,
    /// The coordinator who gave up; none when the start passed.
    #[serde(default)]
    pub unfilled_by: Option<UserId>,
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
    /// The pool that serves the organisation (the organisation itself for a pool).
    pub pool_id: OrganisationId,
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
    /// Bookings whose client reference (case number) contains this, ignoring case.
    #[serde(default)]
    pub reference: Option<String>,
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
