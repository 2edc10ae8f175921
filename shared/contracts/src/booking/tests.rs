//! The booking contract's JSON and subjects, pinned.

use super::*;
use crate::envelope::{Envelope, EventMeta, RawEnvelope};
use crate::streams::stream_for;
use chrono::TimeZone as _;
use uuid::Uuid;

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn details() -> BookingDetails {
    BookingDetails {
        language: LanguageTag::parse("apc").expect("tag"),
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
        time_zone: TimeZone::BERLIN,
        duration_minutes: BookingMinutes::new(90).expect("minutes"),
        location: Some(Location {
            address: "Bahnhofstraße 1, Chemnitz".into(),
            postal_code: "09111".into(),
            latitude: 50.8397,
            longitude: 12.9276,
        }),
        subject_area: SubjectArea::ResidenceAsylum,
        min_qualification: Qualification::Trained,
        mediator_gender: GenderPreference::Any,
        client: Some(ClientInfo {
            reference: "A-17".into(),
            email: None,
            language: None,
        }),
        notes: None,
    }
}

#[test]
fn booking_requested_envelope_json_is_pinned() {
    let event = BookingRequested {
        booking_id: BookingId(uuid(1)),
        organisation_id: OrganisationId(uuid(2)),
        requested_by: UserId(uuid(3)),
        details: details(),
    };
    let mut envelope = Envelope::at(
        event,
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
            r#""start":"2026-03-30T07:00:00Z","end":"2026-03-30T08:30:00Z","time_zone":"Europe/Berlin","duration_minutes":90,"#,
            r#""location":{"address":"Bahnhofstraße 1, Chemnitz","postal_code":"09111","latitude":50.8397,"longitude":12.9276},"#,
            r#""subject_area":"residence_asylum","min_qualification":"trained","mediator_gender":"any","#,
            r#""client":{"reference":"A-17","email":null,"language":null},"notes":null}}"#
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
fn lifecycle_events_json_is_pinned() {
    let cancelled = BookingCancelled {
        booking_id: BookingId(uuid(1)),
        organisation_id: OrganisationId(uuid(2)),
        cancelled_by: UserId(uuid(3)),
        previous_state: BookingState::Offering,
        reason: "Termin entfällt".into(),
        notice_minutes: Some(1440),
    };
    assert_eq!(
        serde_json::to_string(&cancelled).expect("serialises"),
        concat!(
            r#"{"booking_id":"00000000-0000-0000-0000-000000000001","organisation_id":"00000000-0000-0000-0000-000000000002","#,
            r#""cancelled_by":"00000000-0000-0000-0000-000000000003","previous_state":"offering","reason":"Termin entfällt","#,
            r#""notice_minutes":1440}"#
        )
    );
    assert_eq!(cancelled.subject(), "booking.booking.cancelled");
    let assigned = BookingAssigned {
        booking_id: BookingId(uuid(1)),
        organisation_id: OrganisationId(uuid(2)),
        mediator_id: MediatorId(uuid(4)),
        assigned_by: None,
    };
    assert_eq!(
        serde_json::to_string(&assigned).expect("serialises"),
        concat!(
            r#"{"booking_id":"00000000-0000-0000-0000-000000000001","organisation_id":"00000000-0000-0000-0000-000000000002","#,
            r#""mediator_id":"00000000-0000-0000-0000-000000000004","assigned_by":null}"#
        )
    );
    for subject in [
        BookingOffering::TYPE,
        BookingAssigned::TYPE,
        BookingSessionStarted::TYPE,
        BookingCompleted::TYPE,
        BookingUnfilled::TYPE,
        BookingRescheduled::TYPE,
    ] {
        assert_eq!(
            stream_for(subject).map(|s| s.name),
            Some("BOOKING"),
            "{subject}"
        );
    }
}

#[test]
fn requests_are_pinned() {
    assert_eq!(CreateBooking::subject(), "booking.rpc.create");
    assert_eq!(ListBookings::subject(), "booking.rpc.list");
    assert_eq!(GetBooking::subject(), "booking.rpc.get");
    assert_eq!(CancelBooking::subject(), "booking.rpc.cancel");
    assert_eq!(RescheduleBooking::subject(), "booking.rpc.reschedule");
    let request = CancelBookingRequest {
        id: BookingId(uuid(1)),
        scope: Scope::only(vec![OrganisationId(uuid(2))]),
        by: UserId(uuid(3)),
        reason: "krank".into(),
    };
    assert_eq!(
        serde_json::to_string(&request).expect("json"),
        concat!(
            r#"{"id":"00000000-0000-0000-0000-000000000001","scope":{"organisation_ids":["00000000-0000-0000-0000-000000000002"]},"#,
            r#""by":"00000000-0000-0000-0000-000000000003","reason":"krank"}"#
        )
    );
    assert!(Scope::all().allows(OrganisationId(uuid(7))));
    assert!(!request.scope.allows(OrganisationId(uuid(7))));
}
