//! The JetStream streams: one per owning service, capturing that service's event
//! aggregates, plus one for dead letters.
//!
//! A stream lists its aggregates (`booking.offer.>`) rather than `booking.>`, because
//! `booking.rpc.*` request subjects share the service token and a stream capturing
//! them would store every request and answer it with a PubAck
//! (docs/decisions/0002-stream-subjects.md).

use crate::subjects::{DEAD_LETTER_TOKEN, Service, aggregate_wildcard};

/// A stream as the platform declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSpec {
    pub name: &'static str,
    /// The owning service, or `None` for the dead-letter stream.
    pub service: Option<Service>,
    /// The aggregates whose events the stream holds.
    pub aggregates: &'static [&'static str],
    pub description: &'static str,
}

impl StreamSpec {
    /// The subjects the stream captures.
    pub fn subjects(&self) -> Vec<String> {
        match self.service {
            Some(service) => self
                .aggregates
                .iter()
                .map(|aggregate| aggregate_wildcard(service, aggregate))
                .collect(),
            None => vec![format!("{DEAD_LETTER_TOKEN}.>")],
        }
    }
}

pub const BOOKING: StreamSpec = StreamSpec {
    name: "BOOKING",
    service: Some(Service::Booking),
    aggregates: &["booking", "offer", "assignment", "dispatch", "billing"],
    description: "Booking lifecycle and dispatch events",
};

pub const AVAILABILITY: StreamSpec = StreamSpec {
    name: "AVAILABILITY",
    service: Some(Service::Availability),
    aggregates: &["profile", "calendar", "reservation", "presence"],
    description: "Mediator profiles, calendars, reservations and presence",
};

pub const SESSION: StreamSpec = StreamSpec {
    name: "SESSION",
    service: Some(Service::Session),
    aggregates: &["room", "participant", "session"],
    description: "Video rooms, participants and time records",
};

pub const NOTIFICATION: StreamSpec = StreamSpec {
    name: "NOTIFICATION",
    service: Some(Service::Notification),
    aggregates: &["message", "delivery", "feed"],
    description: "Notification deliveries and the in-app feed",
};

pub const DIRECTORY: StreamSpec = StreamSpec {
    name: "DIRECTORY",
    service: Some(Service::Directory),
    aggregates: &["organisation", "user"],
    description: "Organisations and user accounts",
};

pub const DEAD_LETTER: StreamSpec = StreamSpec {
    name: "DEADLETTER",
    service: None,
    aggregates: &[],
    description: "Messages a consumer gave up on, with the reason in headers",
};

/// Every stream, declared at start-up by the platform.
pub const ALL: &[StreamSpec] = &[
    BOOKING,
    AVAILABILITY,
    SESSION,
    NOTIFICATION,
    DIRECTORY,
    DEAD_LETTER,
];

/// The stream that holds events of `subject`, if any.
pub fn stream_for(subject: &str) -> Option<&'static StreamSpec> {
    ALL.iter().find(|spec| {
        spec.subjects()
            .iter()
            .any(|pattern| crate::subjects::subject_matches(pattern, subject))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subjects::{dead_letter_subject, rpc_subject, subject_matches};

    #[test]
    fn no_stream_captures_a_request_subject() {
        for service in Service::ALL {
            let request = rpc_subject(service, "anything");
            for spec in ALL {
                for pattern in spec.subjects() {
                    assert!(
                        !subject_matches(&pattern, &request),
                        "{pattern} would capture {request}"
                    );
                }
            }
        }
    }

    #[test]
    fn no_aggregate_is_named_like_the_rpc_token() {
        for spec in ALL {
            assert!(!spec.aggregates.contains(&crate::subjects::RPC_TOKEN));
        }
    }

    #[test]
    fn subjects_of_streams_do_not_overlap() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                for pa in a.subjects() {
                    for pb in b.subjects() {
                        assert_ne!(pa, pb);
                    }
                }
            }
        }
    }

    #[test]
    fn each_event_lands_in_its_services_stream_and_dead_letters_in_theirs() {
        assert_eq!(
            stream_for("booking.offer.accepted").map(|s| s.name),
            Some("BOOKING")
        );
        assert_eq!(
            stream_for("availability.reservation.released").map(|s| s.name),
            Some("AVAILABILITY")
        );
        assert_eq!(
            stream_for(&dead_letter_subject("x")).map(|s| s.name),
            Some("DEADLETTER")
        );
        assert_eq!(stream_for("booking.rpc.accept"), None);
    }
}
