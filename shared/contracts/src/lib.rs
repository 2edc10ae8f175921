//! Every message that crosses NATS, defined once, with the subject it travels on.
//!
//! Layout:
//! - `subjects`: the services' subject tokens and the functions that build subjects;
//!   no service writes a subject as a string literal.
//! - `streams`: the JetStream streams (one per owning service, plus the dead letters)
//!   and the aggregates each captures.
//! - `envelope`: the event envelope and the [`Event`] trait every event implements.
//! - `rpc`: typed request/reply ([`Rpc`]) and its reply wrapper.
//! - `headers`: NATS header names.
//! - one module per owning service with its events and RPCs (`booking`, `system`).
//!
//! Every payload's JSON is pinned by a test, so a wire change shows up as a diff.

/// `Event` for events of one organisation, each on its full subject, version 1.
macro_rules! tenant_events {
    ($($ty:ident => $subject:literal),* $(,)?) => {$(
        impl $crate::Event for $ty {
            const TYPE: &'static str = $subject;
            const VERSION: u16 = 1;

            fn organisation_id(&self) -> Option<mittler_types::OrganisationId> {
                Some(self.organisation_id)
            }
        }
    )*};
}

/// The events one consumer acts on, as one enum decoded once: `TYPES` (what the
/// consumer's `handles` answers) and `decode` come from the same list, so an event
/// cannot be handled in one place and forgotten in the other, and the consumer's
/// `match` on the enum is exhaustive.
///
/// Example and test: `tests::consumer_events_decode_once` below.
#[macro_export]
macro_rules! consumer_events {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident($ty:ty)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        $vis enum $name {
            $($variant($crate::Envelope<$ty>)),+
        }

        impl $name {
            /// The event types this consumer handles.
            pub const TYPES: &'static [&'static str] = &[$(<$ty as $crate::Event>::TYPE),+];

            /// The event in `envelope`, or `None` for a type this consumer ignores.
            pub fn decode(
                envelope: &$crate::RawEnvelope,
            ) -> ::std::result::Result<::std::option::Option<Self>, $crate::DecodeError> {
                $(
                    if envelope.event_type == <$ty as $crate::Event>::TYPE {
                        return envelope.decode::<$ty>().map(|e| Some(Self::$variant(e)));
                    }
                )+
                Ok(None)
            }
        }

        impl $crate::ConsumerEvents for $name {
            const TYPES: &'static [&'static str] = $name::TYPES;

            fn decode(
                envelope: &$crate::RawEnvelope,
            ) -> ::std::result::Result<::std::option::Option<Self>, $crate::DecodeError> {
                $name::decode(envelope)
            }
        }
    };
}

/// What `consumer_events!` generates, for the platform's consumer: the event types
/// handled, and decoding into the enum (`None` for any other type).
pub trait ConsumerEvents: Sized + Send + 'static {
    const TYPES: &'static [&'static str];

    fn decode(envelope: &RawEnvelope) -> Result<Option<Self>, DecodeError>;
}

pub mod availability;
pub mod billing;
pub mod booking;
pub mod directory;
pub mod envelope;
#[cfg(any(test, feature = "examples"))]
pub mod examples;
pub mod headers;
pub mod notification;
pub mod rpc;
pub mod session;
pub mod streams;
pub mod subjects;
pub mod system;
pub mod text;

pub use envelope::{DecodeError, Envelope, Event, EventMeta, RawEnvelope};
pub use rpc::{FaultCode, Rpc, RpcFault, RpcReply};
pub use subjects::Service;

#[cfg(test)]
mod tests {
    use crate::booking::{BookingCancelled, BookingRequested};
    use crate::{Envelope, Event as _, EventMeta, RawEnvelope};
    use mittler_types::{BookingId, BookingState, OrganisationId, UserId};

    crate::consumer_events! {
        #[allow(dead_code)] // `Requested` is only decoded into, never read here
        enum Input {
            Cancelled(BookingCancelled),
            Requested(BookingRequested),
        }
    }

    #[test]
    fn consumer_events_decode_once() {
        assert_eq!(
            Input::TYPES,
            ["booking.booking.cancelled", "booking.booking.requested"]
        );
        let cancelled = BookingCancelled {
            booking_id: BookingId::new(),
            organisation_id: OrganisationId::new(),
            cancelled_by: UserId::new(),
            previous_state: BookingState::Offering,
            reason: "Termin entfällt".into(),
            notice_minutes: Some(1440),
        };
        let raw = |envelope: &Envelope<BookingCancelled>| {
            RawEnvelope::from_slice(&serde_json::to_vec(envelope).expect("json")).expect("raw")
        };
        let envelope = Envelope::new(cancelled.clone(), EventMeta::root(uuid::Uuid::nil()));
        match Input::decode(&raw(&envelope)).expect("decodes") {
            Some(Input::Cancelled(e)) => assert_eq!(e.data, cancelled),
            other => panic!("{other:?}"),
        }
        // Another type: ignored, not an error.
        let mut other = raw(&envelope);
        other.event_type = "booking.offer.made".into();
        assert!(Input::decode(&other).expect("no error").is_none());
        // A newer version than this build knows: refused.
        let mut newer = raw(&envelope);
        newer.version = BookingCancelled::VERSION + 1;
        assert!(Input::decode(&newer).is_err());
    }
}
