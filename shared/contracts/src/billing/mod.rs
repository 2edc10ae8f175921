//! Money (DESIGN.md, "Money"): a pool's rate card, the line one job earns, the
//! billing data of mediators and organisations, the month close and the documents it
//! issues (pay statements to mediators, invoices to organisations). Amounts are
//! integers in euro cents. The booking service keeps all of it in its `billing`
//! schema (decision 0024); the line computation itself is the pure function of the
//! `mittler-billing` crate.

mod card;
mod documents;

pub use card::*;
pub use documents::*;

use crate::rpc::Rpc;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::{OrganisationId, UserId};
use serde::{Deserialize, Serialize};

/// `booking.rpc.rate_card`: the card an organisation (a pool, or one of its
/// organisations with its own prices) has; none when it has none.
#[derive(Debug)]
pub struct GetRateCard;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCardRequest {
    pub owner: OrganisationId,
}

/// A stored rate card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateCardView {
    pub owner: OrganisationId,
    pub card: RateCard,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<UserId>,
}

impl Rpc for GetRateCard {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "rate_card";
    type Request = RateCardRequest;
    type Response = Option<RateCardView>;
}

/// `booking.rpc.put_rate_card`: set a card (checked first; every problem named).
#[derive(Debug)]
pub struct PutRateCard;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PutRateCardRequest {
    pub owner: OrganisationId,
    /// The pool the owner belongs to (the owner itself for a pool's own card).
    pub pool: OrganisationId,
    pub card: RateCard,
    pub by: UserId,
}

impl Rpc for PutRateCard {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "put_rate_card";
    type Request = PutRateCardRequest;
    type Response = RateCardView;
}

/// `booking.rpc.quote`: price one job with an owner's stored card.
#[derive(Debug)]
pub struct Quote;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteRequest {
    pub owner: OrganisationId,
    pub job: Job,
}

impl Rpc for Quote {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "quote";
    type Request = QuoteRequest;
    type Response = Line;
}
