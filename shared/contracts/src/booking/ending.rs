//! The end of a booking: giving up on one nobody takes, the time record every
//! assigned booking closes with (claimed, confirmed or disputed, settled), and the
//! events that tell everyone concerned.

use super::{BookingView, Scope};
use crate::envelope::Event;
use crate::rpc::Rpc;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::{
    BookingId, ConfirmedBy, MediatorId, OrganisationId, Outcome, RecordSource, RecordState, UserId,
};
use serde::{Deserialize, Serialize};

/// How a booking was cancelled: who, when, and how long before the start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancellationView {
    pub cancelled_at: DateTime<Utc>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub cancelled_by: Option<UserId>,
    /// Minutes between the cancellation and the start; negative after the start.
    pub notice_minutes: i64,
}

/// Why and when a booking ended without a mediator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnfilledView {
    pub unfilled_at: DateTime<Utc>,
    /// The coordinator who gave up; null when the start passed unassigned.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub unfilled_by: Option<UserId>,
    pub reason: String,
}

/// The time actually worked, as `GET /api/v1/bookings/{id}/time-record` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeRecordView {
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub booking_id: BookingId,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub mediator_id: Option<MediatorId>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub worked_minutes: i64,
    pub travel_minutes: i64,
    pub travel_km: i64,
    /// Null while nothing is claimed.
    pub outcome: Option<Outcome>,
    pub source: Option<RecordSource>,
    pub state: RecordState,
    pub claimed_at: Option<DateTime<Utc>>,
    /// When the mediator claimed the figures (null for a measurement they left as it is).
    pub mediator_confirmed_at: Option<DateTime<Utc>>,
    pub requester_confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_by: Option<ConfirmedBy>,
    /// When an undisputed claim is confirmed by rule.
    pub confirms_by_rule_at: Option<DateTime<Utc>>,
    pub disputed_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
}

impl TimeRecordView {
    /// The record of a booking nothing was claimed for yet.
    pub fn open(booking_id: BookingId, mediator_id: Option<MediatorId>) -> Self {
        Self {
            booking_id,
            mediator_id,
            start: None,
            end: None,
            worked_minutes: 0,
            travel_minutes: 0,
            travel_km: 0,
            outcome: None,
            source: None,
            state: RecordState::Open,
            claimed_at: None,
            mediator_confirmed_at: None,
            requester_confirmed_at: None,
            confirmed_at: None,
            confirmed_by: None,
            confirms_by_rule_at: None,
            disputed_at: None,
            dispute_reason: None,
        }
    }
}

/// What a mediator claims, or a coordinator sets: every figure of the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeClaim {
    /// Required unless the mediator did not come.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub travel_minutes: i64,
    pub travel_km: i64,
    pub outcome: Outcome,
}

/// Who acts on a time record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "id")]
pub enum RecordActor {
    /// The assigned mediator.
    Mediator(MediatorId),
    /// A requester of the booking's organisation.
    Requester(UserId),
    /// A coordinator (or admin) of the booking's pool.
    Coordinator(UserId),
}

/// `booking.rpc.give_up`: a coordinator ends a booking nobody takes.
#[derive(Debug)]
pub struct GiveUp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GiveUpRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub by: UserId,
    pub reason: String,
}

impl Rpc for GiveUp {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "give_up";
    type Request = GiveUpRequest;
    type Response = BookingView;
}

/// `booking.rpc.time_record`: one booking's record, for its requesters, its
/// mediator and the coordinators.
#[derive(Debug)]
pub struct GetTimeRecord;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeRecordRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub by: RecordActor,
}

impl Rpc for GetTimeRecord {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "time_record";
    type Request = TimeRecordRequest;
    type Response = TimeRecordView;
}

/// `booking.rpc.claim_time`: the mediator claims, or a coordinator sets (and so
/// settles) the record.
#[derive(Debug)]
pub struct ClaimTime;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimTimeRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub by: RecordActor,
    pub claim: TimeClaim,
}

impl Rpc for ClaimTime {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "claim_time";
    type Request = ClaimTimeRequest;
    type Response = TimeRecordView;
}

/// `booking.rpc.confirm_time`: the requester confirms the claim.
#[derive(Debug)]
pub struct ConfirmTime;

impl Rpc for ConfirmTime {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "confirm_time";
    type Request = TimeRecordRequest;
    type Response = TimeRecordView;
}

/// `booking.rpc.dispute_time`: the requester disputes the claim.
#[derive(Debug)]
pub struct DisputeTime;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputeTimeRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub by: UserId,
    pub reason: String,
}

impl Rpc for DisputeTime {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "dispute_time";
    type Request = DisputeTimeRequest;
    type Response = TimeRecordView;
}

/// `booking.rpc.time_records`: the records that wait for someone — a mediator's
/// jobs to claim, a requester's claims to confirm, the coordinators' disputes.
#[derive(Debug)]
pub struct TimeRecords;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeRecordsRequest {
    pub scope: Scope,
    /// Only this mediator's jobs.
    pub mediator_id: Option<MediatorId>,
    /// Only records in these states (`open`: ended jobs nothing was claimed for).
    pub states: Vec<RecordState>,
    pub limit: u32,
}

/// A booking with its record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordItem {
    pub booking: BookingView,
    pub record: TimeRecordView,
}

impl Rpc for TimeRecords {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "time_records";
    type Request = TimeRecordsRequest;
    type Response = Vec<RecordItem>;
}

// ---------------------------------------------------------------- events

/// `booking.booking.time_claimed`: figures were claimed (by the room's measurement
/// or the mediator); the requester may confirm or dispute them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeClaimed {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
    pub source: RecordSource,
    pub outcome: Outcome,
    pub worked_minutes: i64,
    /// When the claim is confirmed by rule unless someone disputes it.
    pub confirms_at: DateTime<Utc>,
}

/// `booking.booking.time_disputed`: the requester does not agree; the coordinators
/// settle it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeDisputed {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
    pub reason: String,
}

/// `booking.booking.time_confirmed`: the record is final (the booking is completed
/// or, when the mediator did not come, stays as it was for the coordinators).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeConfirmed {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub mediator_id: MediatorId,
    pub confirmed_by: ConfirmedBy,
    pub outcome: Outcome,
    pub worked_minutes: i64,
}

/// `booking.dispatch.still_open`: a booking that nobody took yet comes closer to its
/// start; the coordinators are alerted again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchStillOpen {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub start: DateTime<Utc>,
    /// Whole minutes until the start when the alert fell due.
    pub minutes_left: i64,
}

macro_rules! ending_events {
    ($($ty:ident => $event:literal),* $(,)?) => {$(
        impl Event for $ty {
            const TYPE: &'static str = $event;
            const VERSION: u16 = 1;

            fn organisation_id(&self) -> Option<OrganisationId> {
                Some(self.organisation_id)
            }
        }
    )*};
}

ending_events! {
    TimeClaimed => "booking.booking.time_claimed",
    TimeDisputed => "booking.booking.time_disputed",
    TimeConfirmed => "booking.booking.time_confirmed",
    DispatchStillOpen => "booking.dispatch.still_open",
}
