//! Changing what a booking says after it was made: the requester's notes, the
//! client's case number, address and language, and the place of an on-site job. The
//! time has its own request (reschedule); what dispatch matched on (language, form,
//! qualification) stays, or the booking is made anew.

use super::{BookingDetails, BookingView, ClientInfo, Location, Scope};
use crate::envelope::Event;
use crate::rpc::Rpc;
use crate::subjects::Service;
use mittler_types::{BookingId, BookingState, OrganisationId, UserId};
use serde::{Deserialize, Serialize};

/// `booking.rpc.amend`: the notes, the client and the place as they are to be now
/// (each replaces what was; none clears notes and client).
#[derive(Debug)]
pub struct AmendBooking;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmendBookingRequest {
    pub id: BookingId,
    pub scope: Scope,
    pub by: UserId,
    pub notes: Option<String>,
    pub client: Option<ClientInfo>,
    /// On-site bookings only; none keeps the place.
    pub location: Option<Location>,
}

impl Rpc for AmendBooking {
    const SERVICE: Service = Service::Booking;
    const NAME: &'static str = "amend";
    type Request = AmendBookingRequest;
    type Response = BookingView;
}

/// `booking.booking.amended`: notes, client or place changed. A new place before
/// anyone accepted starts dispatch anew (`state` is then `requested`); after, the
/// mediator keeps the job and is told.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingAmended {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub amended_by: UserId,
    /// The state after the change.
    pub state: BookingState,
    /// Which of `notes`, `client`, `location` changed.
    pub changed: Vec<String>,
    #[serde(flatten)]
    pub details: BookingDetails,
}

impl Event for BookingAmended {
    const TYPE: &'static str = "booking.booking.amended";
    const VERSION: u16 = 1;

    fn organisation_id(&self) -> Option<OrganisationId> {
        Some(self.organisation_id)
    }
}
