//! Events of the `booking` service: the booking lifecycle (`booking.booking.*`).
//! Dispatch events (`booking.offer.*`, `booking.dispatch.*`) join this module as
//! dispatch is built.

use crate::envelope::Event;
use chrono::{DateTime, Utc};
use mittler_types::{BookingId, BookingKind, Modality, OrganisationId, Qualification, UserId};
use serde::{Deserialize, Serialize};

/// `booking.booking.requested`: a requester created a booking; dispatch starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingRequested {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub requested_by: UserId,
    /// BCP 47 language tag, ISO 639-3 where a dialect matters.
    pub language: String,
    pub modality: Modality,
    pub kind: BookingKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The organisation's zone, for showing local times (IANA name).
    pub time_zone: String,
    pub min_qualification: Qualification,
}

impl Event for BookingRequested {
    const TYPE: &'static str = "booking.booking.requested";
    const VERSION: u16 = 1;

    fn organisation_id(&self) -> Option<OrganisationId> {
        Some(self.organisation_id)
    }
}

/// `booking.booking.cancelled`: a requester or coordinator cancelled a booking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookingCancelled {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub cancelled_by: UserId,
    pub reason: String,
}

impl Event for BookingCancelled {
    const TYPE: &'static str = "booking.booking.cancelled";
    const VERSION: u16 = 1;

    fn organisation_id(&self) -> Option<OrganisationId> {
        Some(self.organisation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Envelope, EventMeta, RawEnvelope};
    use crate::streams::stream_for;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn uuid(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn requested() -> BookingRequested {
        BookingRequested {
            booking_id: BookingId(uuid(1)),
            organisation_id: OrganisationId(uuid(2)),
            requested_by: UserId(uuid(3)),
            language: "apc".into(),
            modality: Modality::OnSite,
            kind: BookingKind::Scheduled,
            start: Utc
                .with_ymd_and_hms(2026, 3, 30, 7, 0, 0)
                .single()
                .expect("valid"),
            end: Utc
                .with_ymd_and_hms(2026, 3, 30, 8, 30, 0)
                .single()
                .expect("valid"),
            time_zone: "Europe/Berlin".into(),
            min_qualification: Qualification::Trained,
        }
    }

    #[test]
    fn booking_requested_envelope_json_is_pinned() {
        let mut envelope = Envelope::at(
            requested(),
            EventMeta {
                correlation_id: uuid(10),
                causation_id: Some(uuid(11)),
            },
            Utc.with_ymd_and_hms(2026, 3, 20, 9, 15, 0)
                .single()
                .expect("valid"),
        );
        envelope.id = mittler_types::EventId(uuid(9));
        let json = serde_json::to_string(&envelope).expect("serialises");
        assert_eq!(
            json,
            concat!(
                r#"{"id":"00000000-0000-0000-0000-000000000009","type":"booking.booking.requested","version":1,"#,
                r#""occurred_at":"2026-03-20T09:15:00Z","correlation_id":"00000000-0000-0000-0000-00000000000a","#,
                r#""causation_id":"00000000-0000-0000-0000-00000000000b","organisation_id":"00000000-0000-0000-0000-000000000002","#,
                r#""data":{"booking_id":"00000000-0000-0000-0000-000000000001","organisation_id":"00000000-0000-0000-0000-000000000002","#,
                r#""requested_by":"00000000-0000-0000-0000-000000000003","language":"apc","modality":"on_site","kind":"scheduled","#,
                r#""start":"2026-03-30T07:00:00Z","end":"2026-03-30T08:30:00Z","time_zone":"Europe/Berlin","min_qualification":"trained"}}"#
            )
        );
        let raw: RawEnvelope = RawEnvelope::from_slice(json.as_bytes()).expect("parses");
        assert_eq!(raw.decode::<BookingRequested>().expect("decodes"), envelope);
        assert!(raw.decode::<BookingCancelled>().is_err());
        assert_eq!(
            stream_for(&envelope.subject()).map(|s| s.name),
            Some("BOOKING")
        );
    }

    #[test]
    fn booking_cancelled_json_is_pinned() {
        let event = BookingCancelled {
            booking_id: BookingId(uuid(1)),
            organisation_id: OrganisationId(uuid(2)),
            cancelled_by: UserId(uuid(3)),
            reason: "Termin entfällt".into(),
        };
        assert_eq!(
            serde_json::to_string(&event).expect("serialises"),
            concat!(
                r#"{"booking_id":"00000000-0000-0000-0000-000000000001","organisation_id":"00000000-0000-0000-0000-000000000002","#,
                r#""cancelled_by":"00000000-0000-0000-0000-000000000003","reason":"Termin entfällt"}"#
            )
        );
        assert_eq!(event.subject(), "booking.booking.cancelled");
    }

    #[test]
    fn a_newer_version_than_known_is_refused_not_misread() {
        let mut envelope = Envelope::new(requested(), EventMeta::root(uuid(5)));
        envelope.version = 2;
        let raw: RawEnvelope =
            serde_json::from_value(serde_json::to_value(&envelope).expect("to value"))
                .expect("raw");
        assert!(matches!(
            raw.decode::<BookingRequested>(),
            Err(crate::DecodeError::UnknownVersion { actual: 2, .. })
        ));
    }
}
