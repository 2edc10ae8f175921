//! The offer, dispatch and assignment events, pinned: a change of their JSON is a
//! visible diff here, not a surprise for the consumers in other services.

use mittler_contracts::Event;
use mittler_contracts::booking::{
    AssignmentReturned, DispatchEscalated, OfferAccepted, OfferDeclined, OfferExpired, OfferMade,
    OfferWithdrawn,
};
use mittler_contracts::streams::stream_for;
use mittler_types::{BookingId, MediatorId, OfferId, OrganisationId};
use serde::Serialize;
use uuid::Uuid;

const BOOKING: &str = r#""booking_id":"00000000-0000-0000-0000-000000000001""#;
const ORGANISATION: &str = r#""organisation_id":"00000000-0000-0000-0000-000000000002""#;
const MEDIATOR: &str = r#""mediator_id":"00000000-0000-0000-0000-000000000004""#;
const OFFER: &str = r#""offer_id":"00000000-0000-0000-0000-000000000005""#;

fn ids() -> (OfferId, BookingId, OrganisationId, MediatorId) {
    (
        OfferId(Uuid::from_u128(5)),
        BookingId(Uuid::from_u128(1)),
        OrganisationId(Uuid::from_u128(2)),
        MediatorId(Uuid::from_u128(4)),
    )
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serialises")
}

#[test]
fn offer_events_are_pinned() {
    let (offer_id, booking_id, organisation_id, mediator_id) = ids();
    let made = OfferMade {
        offer_id,
        booking_id,
        organisation_id,
        mediator_id,
        wave: 2,
        expires_at: "2026-10-25T01:30:00Z".parse().expect("instant"),
    };
    assert_eq!(
        json(&made),
        format!(
            r#"{{{OFFER},{BOOKING},{ORGANISATION},{MEDIATOR},"wave":2,"expires_at":"2026-10-25T01:30:00Z"}}"#
        )
    );
    let plain = format!("{{{OFFER},{BOOKING},{ORGANISATION},{MEDIATOR}}}");
    let accepted = OfferAccepted {
        offer_id,
        booking_id,
        organisation_id,
        mediator_id,
    };
    assert_eq!(json(&accepted), plain);
    let declined = OfferDeclined {
        offer_id,
        booking_id,
        organisation_id,
        mediator_id,
    };
    assert_eq!(json(&declined), plain);
    let expired = OfferExpired {
        offer_id,
        booking_id,
        organisation_id,
        mediator_id,
    };
    assert_eq!(json(&expired), plain);
    let withdrawn = OfferWithdrawn {
        offer_id,
        booking_id,
        organisation_id,
        mediator_id,
        reason: "another mediator took the booking".into(),
        because: None,
    };
    assert_eq!(
        json(&withdrawn),
        format!(
            r#"{{{OFFER},{BOOKING},{ORGANISATION},{MEDIATOR},"reason":"another mediator took the booking"}}"#
        )
    );
    assert_eq!(made.subject(), "booking.offer.made");
    assert_eq!(accepted.subject(), "booking.offer.accepted");
    assert_eq!(declined.subject(), "booking.offer.declined");
    assert_eq!(expired.subject(), "booking.offer.expired");
    assert_eq!(withdrawn.subject(), "booking.offer.withdrawn");
    assert_eq!(made.organisation_id(), Some(organisation_id));
}

#[test]
fn dispatch_and_assignment_events_are_pinned() {
    let (_, booking_id, organisation_id, mediator_id) = ids();
    let escalated = DispatchEscalated {
        booking_id,
        organisation_id,
        reason: "nobody accepted in time".into(),
    };
    assert_eq!(
        json(&escalated),
        format!(r#"{{{BOOKING},{ORGANISATION},"reason":"nobody accepted in time"}}"#)
    );
    let returned = AssignmentReturned {
        booking_id,
        organisation_id,
        mediator_id,
        reason: "krank".into(),
        by: None,
    };
    assert_eq!(
        json(&returned),
        format!(r#"{{{BOOKING},{ORGANISATION},{MEDIATOR},"reason":"krank"}}"#)
    );
    assert_eq!(escalated.subject(), "booking.dispatch.escalated");
    assert_eq!(returned.subject(), "booking.assignment.returned");
    for subject in [
        OfferMade::TYPE,
        OfferAccepted::TYPE,
        OfferDeclined::TYPE,
        OfferExpired::TYPE,
        OfferWithdrawn::TYPE,
        DispatchEscalated::TYPE,
        AssignmentReturned::TYPE,
    ] {
        assert_eq!(
            stream_for(subject).map(|s| s.name),
            Some("BOOKING"),
            "{subject}"
        );
    }
}
