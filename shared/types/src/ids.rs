//! Typed identifiers. A booking id cannot be passed where a mediator id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An event's id; also its `Nats-Msg-Id`, so JetStream drops a re-published copy.
    EventId
);
id_type!(
    /// An organisation (authority or carrier): the tenant boundary.
    OrganisationId
);
id_type!(
    /// A user account in the directory.
    UserId
);
id_type!(
    /// A booking (a request for interpretation).
    BookingId
);
id_type!(
    /// A mediator's profile in the availability service.
    MediatorId
);
id_type!(
    /// An offer of one booking to one mediator.
    OfferId
);
id_type!(
    /// A reserved slot in a mediator's calendar.
    ReservationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_round_trip_as_plain_uuid_strings() {
        let a = BookingId::new();
        let b = BookingId::new();
        assert!(a < b, "v7 ids sort by creation time");
        let json = serde_json::to_string(&a).expect("serialises");
        assert_eq!(json, format!("\"{a}\""));
        assert_eq!(serde_json::from_str::<BookingId>(&json).ok(), Some(a));
        assert_eq!(a.to_string().parse::<BookingId>().ok(), Some(a));
    }
}
