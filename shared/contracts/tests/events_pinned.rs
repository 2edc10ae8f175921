//! Every event's JSON, pinned: each event type with its subject, version and data as
//! one snapshot (`tests/snapshots/`). A change of any event's shape is a visible
//! diff there, reviewed as a change of the contract between services; the offer and
//! dispatch events are pinned field by field in `dispatch_events.rs` as well.

use chrono::{DateTime, Utc};
use mittler_contracts::Event;
use mittler_contracts::availability::{
    CalendarChanged, PresenceChanged, ProfileChanged, ReservationMade, ReservationReleased,
};
use mittler_contracts::booking::{
    AssignmentReturned, BookingAmended, BookingAssigned, BookingCancelled, BookingCompleted,
    BookingDetails, BookingOffering, BookingRequested, BookingRescheduled, BookingSessionStarted,
    BookingUnfilled, DispatchEscalated, DispatchStillOpen, OfferAccepted, OfferDeclined,
    OfferExpired, OfferMade, OfferWithdrawn, TimeClaimed, TimeConfirmed, TimeDisputed, Withdrawal,
};
use mittler_contracts::directory::{AccountLinkIssued, LinkPurpose};
use mittler_contracts::notification::{DeliveryFailed, FeedItem, FeedItemAdded, FeedItemClosed};
use mittler_contracts::session::{
    JoinLink, ParticipantJoined, ParticipantLeft, ParticipantRole, RoomClosed, RoomOpened,
    SessionEnded, SessionStarted,
};
use mittler_types::{
    BookingId, BookingState, ConfirmedBy, MediatorId, OfferId, OrganisationId, Outcome,
    RecordSource, ReservationId, UserId,
};
use serde::Serialize;
use uuid::Uuid;

fn pinned<E: Event + Serialize>(name: &str, event: &E) {
    let value = serde_json::json!({
        "type": E::TYPE,
        "version": E::VERSION,
        "data": event,
    });
    let text = serde_json::to_string_pretty(&value).expect("serialises");
    insta::assert_snapshot!(name, text);
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("instant")
}

const BOOKING: BookingId = BookingId(Uuid::from_u128(1));
const ORGANISATION: OrganisationId = OrganisationId(Uuid::from_u128(2));
const USER: UserId = UserId(Uuid::from_u128(3));
const MEDIATOR: MediatorId = MediatorId(Uuid::from_u128(4));
const OFFER: OfferId = OfferId(Uuid::from_u128(5));
const RESERVATION: ReservationId = ReservationId(Uuid::from_u128(6));
const ROOM: Uuid = Uuid::from_u128(7);
const PEER: Uuid = Uuid::from_u128(8);

/// On site in Chemnitz on the Sunday the clocks go back, with a client.
fn details() -> BookingDetails {
    serde_json::from_value(serde_json::json!({
        "language": "apc",
        "modality": "on_site",
        "kind": "scheduled",
        "start": "2026-10-25T08:00:00Z",
        "end": "2026-10-25T09:30:00Z",
        "time_zone": "Europe/Berlin",
        "duration_minutes": 90,
        "location": {"address": "Bahnhofstraße 1, Chemnitz", "postal_code": "09111",
                     "latitude": 50.8397, "longitude": 12.9276},
        "subject_area": "residence_asylum",
        "min_qualification": "trained",
        "mediator_gender": "female",
        "client": {"reference": "A-17", "email": "client@example.org", "language": "apc"},
        "notes": "Bitte am Empfang melden."
    }))
    .expect("details")
}

#[test]
fn booking_lifecycle_events() {
    pinned(
        "booking_requested",
        &BookingRequested {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            requested_by: USER,
            details: details(),
        },
    );
    pinned(
        "booking_rescheduled",
        &BookingRescheduled {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            rescheduled_by: USER,
            previous_state: BookingState::Assigned,
            previous_start: at("2026-10-24T08:00:00Z"),
            kept: None,
            details: details(),
        },
    );
    pinned(
        "booking_rescheduled_kept",
        &BookingRescheduled {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            rescheduled_by: USER,
            previous_state: BookingState::Assigned,
            previous_start: at("2026-10-24T08:00:00Z"),
            kept: Some(MEDIATOR),
            details: details(),
        },
    );
    let amended = BookingAmended {
        booking_id: BOOKING,
        organisation_id: ORGANISATION,
        amended_by: USER,
        state: BookingState::Assigned,
        changed: vec!["notes".into()],
        details: details(),
    };
    pinned("booking_amended", &amended);
    let back: BookingAmended =
        serde_json::from_value(serde_json::to_value(&amended).expect("json")).expect("reads back");
    assert_eq!(back, amended);
    pinned(
        "booking_cancelled",
        &BookingCancelled {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            cancelled_by: USER,
            previous_state: BookingState::Offering,
            reason: "Termin entfällt".into(),
            notice_minutes: Some(1440),
        },
    );
    pinned(
        "booking_offering",
        &BookingOffering {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
        },
    );
    pinned(
        "booking_assigned",
        &BookingAssigned {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            assigned_by: Some(USER),
        },
    );
    pinned(
        "booking_session_started",
        &BookingSessionStarted {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            started_at: at("2026-10-25T08:02:00Z"),
        },
    );
    pinned(
        "booking_completed",
        &BookingCompleted {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            worked_minutes: 93,
        },
    );
    pinned(
        "booking_unfilled",
        &BookingUnfilled {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            reason: "nobody accepted before the start".into(),
            unfilled_by: None,
        },
    );
}

#[test]
fn time_record_events() {
    pinned(
        "time_claimed",
        &TimeClaimed {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            source: RecordSource::Session,
            outcome: Outcome::Done,
            worked_minutes: 47,
            confirms_at: at("2026-11-02T09:00:00Z"),
        },
    );
    pinned(
        "time_disputed",
        &TimeDisputed {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            reason: "Termin endete um 10:30".into(),
        },
    );
    pinned(
        "time_confirmed",
        &TimeConfirmed {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            confirmed_by: ConfirmedBy::Rule,
            outcome: Outcome::ClientNoShow,
            worked_minutes: 30,
        },
    );
    pinned(
        "dispatch_still_open",
        &DispatchStillOpen {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            start: at("2026-10-25T08:00:00Z"),
            minutes_left: 240,
        },
    );
}

#[test]
fn offer_dispatch_and_assignment_events() {
    pinned(
        "offer_made",
        &OfferMade {
            offer_id: OFFER,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            wave: 1,
            expires_at: at("2026-10-25T01:30:00Z"),
        },
    );
    pinned(
        "offer_accepted",
        &OfferAccepted {
            offer_id: OFFER,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
        },
    );
    pinned(
        "offer_declined",
        &OfferDeclined {
            offer_id: OFFER,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
        },
    );
    pinned(
        "offer_expired",
        &OfferExpired {
            offer_id: OFFER,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
        },
    );
    pinned(
        "offer_withdrawn",
        &OfferWithdrawn {
            offer_id: OFFER,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            reason: "someone else took the booking".into(),
            because: None,
        },
    );
    pinned(
        "offer_withdrawn_because",
        &OfferWithdrawn {
            offer_id: OFFER,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            reason: "another mediator took the booking".into(),
            because: Some(Withdrawal::Taken),
        },
    );
    pinned(
        "dispatch_escalated",
        &DispatchEscalated {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            reason: "nobody accepted in 3 waves".into(),
        },
    );
    pinned(
        "assignment_returned",
        &AssignmentReturned {
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            mediator_id: MEDIATOR,
            reason: "krank".into(),
            by: None,
        },
    );
}

#[test]
fn availability_events() {
    pinned(
        "calendar_changed",
        &CalendarChanged {
            mediator_id: MEDIATOR,
        },
    );
    pinned(
        "profile_changed",
        &ProfileChanged {
            mediator_id: MEDIATOR,
            active: false,
            serving: None,
        },
    );
    pinned(
        "profile_changed_in_pools",
        &ProfileChanged {
            mediator_id: MEDIATOR,
            active: true,
            serving: Some(vec![ORGANISATION]),
        },
    );
    pinned(
        "reservation_made",
        &ReservationMade {
            reservation_id: RESERVATION,
            mediator_id: MEDIATOR,
            booking_id: BOOKING,
            start: at("2027-03-28T07:00:00Z"),
            end: at("2027-03-28T08:00:00Z"),
        },
    );
    pinned(
        "reservation_released",
        &ReservationReleased {
            reservation_id: RESERVATION,
            mediator_id: MEDIATOR,
            booking_id: BOOKING,
        },
    );
    pinned(
        "presence_changed",
        &PresenceChanged {
            mediator_id: MEDIATOR,
            online: true,
        },
    );
}

#[test]
fn session_events() {
    let link = |role, user_id, mediator_id, url: &str| JoinLink {
        role,
        user_id,
        mediator_id,
        url: url.into(),
        valid_from: at("2027-03-28T06:45:00Z"),
        valid_until: at("2027-03-28T09:00:00Z"),
    };
    pinned(
        "room_opened",
        &RoomOpened {
            room_id: ROOM,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            provider: "builtin".into(),
            links: vec![
                link(
                    ParticipantRole::Requester,
                    Some(USER),
                    None,
                    "https://m.example/room/r",
                ),
                link(
                    ParticipantRole::Mediator,
                    None,
                    Some(MEDIATOR),
                    "https://m.example/room/m",
                ),
                link(
                    ParticipantRole::Client,
                    None,
                    None,
                    "https://m.example/room/c",
                ),
            ],
        },
    );
    pinned(
        "room_closed",
        &RoomClosed {
            room_id: ROOM,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            reason: "cancelled".into(),
        },
    );
    let at_nine = at("2027-03-28T07:00:00Z");
    pinned(
        "participant_joined",
        &ParticipantJoined {
            room_id: ROOM,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            peer_id: PEER,
            role: ParticipantRole::Mediator,
            at: at_nine,
        },
    );
    pinned(
        "participant_left",
        &ParticipantLeft {
            room_id: ROOM,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            peer_id: PEER,
            role: ParticipantRole::Client,
            at: at("2027-03-28T07:41:00Z"),
        },
    );
    pinned(
        "session_started",
        &SessionStarted {
            room_id: ROOM,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            started_at: at_nine,
        },
    );
    pinned(
        "session_ended",
        &SessionEnded {
            room_id: ROOM,
            booking_id: BOOKING,
            organisation_id: ORGANISATION,
            started_at: at_nine,
            ended_at: at("2027-03-28T07:41:00Z"),
            minutes: 41,
        },
    );
}

#[test]
fn notification_events() {
    pinned(
        "feed_item_added",
        &FeedItemAdded {
            organisation_id: Some(ORGANISATION),
            user_id: USER,
            item: FeedItem {
                id: Uuid::from_u128(9),
                booking_id: Some(BOOKING),
                kind: "offer".into(),
                title: "Anfrage: Arabisch (Levante)".into(),
                body: "Bitte bis 10:30 antworten.".into(),
                link: Some("/offers/00000000-0000-0000-0000-000000000005".into()),
                created_at: at("2026-12-31T22:50:00Z"),
                read_at: None,
                closed: None,
            },
        },
    );
    pinned(
        "feed_item_closed",
        &FeedItemClosed {
            organisation_id: Some(ORGANISATION),
            user_id: USER,
            item: FeedItem {
                id: Uuid::from_u128(9),
                booking_id: Some(BOOKING),
                kind: "offer".into(),
                title: "Anfrage: Arabisch (Levante)".into(),
                body: "Bitte bis 10:30 antworten.".into(),
                link: Some("/offers/00000000-0000-0000-0000-000000000005".into()),
                created_at: at("2026-12-31T22:50:00Z"),
                read_at: Some(at("2026-12-31T22:58:00Z")),
                closed: Some("taken".into()),
            },
        },
    );
    pinned(
        "delivery_failed",
        &DeliveryFailed {
            organisation_id: None,
            message_id: Uuid::from_u128(10),
            booking_id: Some(BOOKING),
            recipient: "team@jobcenter.example".into(),
            error: "550 mailbox unavailable".into(),
        },
    );
}

#[test]
fn directory_events() {
    pinned(
        "account_link_issued",
        &AccountLinkIssued {
            user_id: USER,
            organisation_id: ORGANISATION,
            email: "neu@erzgebirgskreis.example".into(),
            name: "Nora Neumann".into(),
            locale: "de".into(),
            purpose: LinkPurpose::Invitation,
            token: "s3cr3t".into(),
            expires_at: at("2027-03-28T01:30:00Z"),
        },
    );
}

#[test]
fn billing_events() {
    use mittler_contracts::billing::{DocumentIssued, DocumentKind, MonthClosed};
    pinned(
        "month_closed",
        &MonthClosed {
            organisation_id: ORGANISATION,
            month: "2026-11".into(),
            closed_by: USER,
            statements: 2,
            invoices: 2,
            net_cents: 14_125,
        },
    );
    pinned(
        "document_issued",
        &DocumentIssued {
            organisation_id: ORGANISATION,
            document_id: Uuid::from_u128(9),
            kind: DocumentKind::Statement,
            number: "G-2026-0001".into(),
            month: "2026-11".into(),
            mediator_id: Some(MEDIATOR),
            recipient_organisation_id: None,
            net_cents: 9625,
            vat_cents: 1829,
            total_cents: 11_454,
        },
    );
}
