//! Subject builders. Events: `<service>.<aggregate>.<event>` in past tense. Commands
//! and queries: `<service>.rpc.<name>`. Dead letters: `deadletter.<consumer>`.

use serde::{Deserialize, Serialize};

/// The services that own events and answer requests, by their subject token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Booking,
    Availability,
    Session,
    Notification,
    Directory,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Booking,
        Service::Availability,
        Service::Session,
        Service::Notification,
        Service::Directory,
    ];

    /// The first token of every subject the service owns.
    pub const fn token(self) -> &'static str {
        match self {
            Service::Booking => "booking",
            Service::Availability => "availability",
            Service::Session => "session",
            Service::Notification => "notification",
            Service::Directory => "directory",
        }
    }
}

/// The token that marks request/reply subjects; never an aggregate name, so that no
/// event stream captures a request (a stream that did would answer it with a PubAck).
pub const RPC_TOKEN: &str = "rpc";

/// The subject prefix of the dead-letter stream.
pub const DEAD_LETTER_TOKEN: &str = "deadletter";

/// `<service>.<aggregate>.<event>`.
pub fn event_subject(service: Service, aggregate: &str, event: &str) -> String {
    format!("{}.{aggregate}.{event}", service.token())
}

/// Every event of one aggregate: `<service>.<aggregate>.>`.
pub fn aggregate_wildcard(service: Service, aggregate: &str) -> String {
    format!("{}.{aggregate}.>", service.token())
}

/// `<service>.rpc.<name>`.
pub fn rpc_subject(service: Service, name: &str) -> String {
    format!("{}.{RPC_TOKEN}.{name}", service.token())
}

/// Where a consumer puts a message it gave up on: `deadletter.<consumer>`.
pub fn dead_letter_subject(consumer: &str) -> String {
    format!("{DEAD_LETTER_TOKEN}.{consumer}")
}

/// Whether `subject` is matched by the NATS subject `pattern` (`*` one token, `>` the rest).
pub fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut pattern = pattern.split('.');
    let mut subject = subject.split('.');
    loop {
        match (pattern.next(), subject.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(p), Some(s)) if p == s => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_subjects_of_the_design() {
        assert_eq!(
            event_subject(Service::Booking, "offer", "accepted"),
            "booking.offer.accepted"
        );
        assert_eq!(
            rpc_subject(Service::Availability, "reserve"),
            "availability.rpc.reserve"
        );
        assert_eq!(
            dead_letter_subject("notifications-booking"),
            "deadletter.notifications-booking"
        );
    }

    #[test]
    fn wildcards_match_as_nats_does() {
        assert!(subject_matches("booking.offer.>", "booking.offer.accepted"));
        assert!(subject_matches(
            "booking.*.accepted",
            "booking.offer.accepted"
        ));
        assert!(!subject_matches("booking.offer.>", "booking.offer"));
        assert!(!subject_matches("booking.offer.>", "booking.rpc.accept"));
        assert!(subject_matches("a.b", "a.b"));
        assert!(!subject_matches("a.b", "a.b.c"));
    }
}
