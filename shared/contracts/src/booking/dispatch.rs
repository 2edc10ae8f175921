//! Dispatch: the offer, dispatch and assignment events (`booking.offer.*`,
//! `booking.dispatch.*`, `booking.assignment.*`) and the requests of offers,
//! assignment by hand, give-back and the dispatch explanation.

use super::*;
use crate::rpc::Rpc;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::{BookingId, MediatorId, OfferId, OrganisationId, UserId};
use serde::{Deserialize, Serialize};

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
    /// Why, for the mediator's feed (none in events written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub because: Option<Withdrawal>,
}

/// Why an open offer was withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withdrawal {
    /// Another mediator accepted first.
    Taken,
    /// A coordinator assigned someone by hand.
    Assigned,
    Cancelled,
    /// A coordinator gave the booking up, or its start passed unfilled.
    GivenUp,
    /// The time or the needs changed; dispatch starts again.
    Changed,
    /// The mediator no longer serves the booking's pool, or was deactivated.
    NotServing,
}

impl Withdrawal {
    /// The word in events and the feed (`taken`, `given_up`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Taken => "taken",
            Self::Assigned => "assigned",
            Self::Cancelled => "cancelled",
            Self::GivenUp => "given_up",
            Self::Changed => "changed",
            Self::NotServing => "not_serving",
        }
    }
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
    /// The coordinator who took the job off the mediator; none when the mediator gave
    /// it back themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
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

/// `booking.rpc.give_back`: the assigned mediator returns the job, or a coordinator
/// takes it off them; either way dispatch starts again without them.
#[derive(Debug)]
pub struct GiveBack;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveBackRequest {
    pub id: BookingId,
    /// The mediator the job is taken from: it must be theirs.
    pub mediator_id: MediatorId,
    pub reason: String,
    /// A coordinator who takes the job off the mediator (the gateway checked their
    /// scope); none when the mediator gives it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserId>,
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
    /// For `distance`: km from the mediator's home to the place, and the most they
    /// travel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_travel_km: Option<f64>,
}

impl Rpc for DispatchExplanation {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "dispatch";
    type Request = GetBookingRequest;
    type Response = Explanation;
}
