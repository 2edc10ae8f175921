//! The closed vocabularies of DESIGN.md ("Domain words"), spelled as on the wire.

use serde::{Deserialize, Serialize};

/// How a session takes place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    OnSite,
    Video,
    Phone,
}

/// Whether a booking is for a future appointment or for right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    Scheduled,
    OnDemand,
}

/// A mediator's qualification; the order is `Lay < Trained < Certified`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualification {
    Lay,
    Trained,
    Certified,
}

/// The lifecycle state of a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    Requested,
    Offering,
    Assigned,
    InSession,
    Completed,
    Cancelled,
    Unfilled,
}

/// A user's role in the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Requester,
    Mediator,
    Coordinator,
    Admin,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualification_orders_certified_highest() {
        assert!(Qualification::Certified > Qualification::Trained);
        assert!(Qualification::Trained > Qualification::Lay);
    }
}
