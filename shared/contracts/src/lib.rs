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

pub mod availability;
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

pub use envelope::{DecodeError, Envelope, Event, EventMeta, RawEnvelope};
pub use rpc::{Rpc, RpcFault, RpcReply};
pub use subjects::Service;
