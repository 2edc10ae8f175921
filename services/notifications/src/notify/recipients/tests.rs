//! Who is told what, for each cause, without servers.

use super::*;
use chrono::TimeZone;
use mittler_contracts::booking::BookingDetails;
use mittler_types::{BookingId, OrganisationId};

fn person(n: u128, role: Role, mediator: Option<u128>) -> Contact {
    Contact {
        user_id: UserId(uuid::Uuid::from_u128(n)),
        mediator_id: mediator.map(|m| MediatorId(uuid::Uuid::from_u128(m))),
        organisation_id: OrganisationId(uuid::Uuid::from_u128(1)),
        email: format!("p{n}@example.org"),
        name: format!("Person {n}"),
        role,
        locale: "de".into(),
    }
}

fn booking_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 28, 8, 0, 0).unwrap()
}

fn mediator(m: u128) -> MediatorId {
    MediatorId(uuid::Uuid::from_u128(m))
}

/// Given: requester 10, mediators 20 (account 21) and 30 (account 31),
/// coordinator 40.
fn given() -> (BookingFacts, ContactsResponse) {
    let booking = BookingFacts {
        booking_id: BookingId(uuid::Uuid::from_u128(99)),
        organisation_id: OrganisationId(uuid::Uuid::from_u128(1)),
        requested_by: UserId(uuid::Uuid::from_u128(10)),
        details: serde_json::from_value::<BookingDetails>(serde_json::json!({
            "language": "ar",
            "modality": "video",
            "kind": "scheduled",
            "start": "2027-03-28T08:00:00Z",
            "end": "2027-03-28T09:00:00Z",
            "time_zone": "Europe/Berlin",
            "duration_minutes": 60,
            "location": null,
            "subject_area": "health",
            "min_qualification": "trained",
            "mediator_gender": "any",
            "client": null,
            "notes": null,
        }))
        .expect("details"),
        mediator_id: Some(mediator(20)),
        state: BookingState::Assigned,
        sequence: 2,
    };
    let contacts = ContactsResponse {
        organisation: None,
        people: vec![
            person(10, Role::Requester, None),
            person(21, Role::Mediator, Some(20)),
            person(31, Role::Mediator, Some(30)),
            person(40, Role::Coordinator, None),
        ],
    };
    (booking, contacts)
}

fn who(recipients: &[Recipient<'_>]) -> Vec<(String, Kind, Option<Method>, bool)> {
    recipients
        .iter()
        .map(|r| (r.contact.name.clone(), r.kind, r.ics, r.facts.for_mediator))
        .collect()
}

#[test]
fn an_offer_goes_only_to_its_mediator() {
    let (_, contacts) = given();
    let expires = Utc.with_ymd_and_hms(2027, 3, 27, 10, 0, 0).unwrap();
    let to = offer(&contacts, mediator(30), "/offers/1", expires);
    assert_eq!(who(&to), [("Person 31".into(), Kind::Offer, None, true)]);
    assert_eq!(to[0].facts.expires, Some(expires));
}

#[test]
fn a_confirmation_with_the_calendar_goes_to_requester_and_mediator() {
    let (booking, contacts) = given();
    let to = assigned(&booking, &contacts, mediator(20), "/bookings/99");
    assert_eq!(
        who(&to),
        [
            (
                "Person 10".into(),
                Kind::Confirmed,
                Some(Method::Request),
                false
            ),
            (
                "Person 21".into(),
                Kind::Confirmed,
                Some(Method::Request),
                true
            ),
        ]
    );
    assert!(
        to.iter()
            .all(|r| r.facts.mediator.as_deref() == Some("Person 21"))
    );
}

#[test]
fn a_cancellation_takes_the_calendar_entry_only_where_there_was_one() {
    let (booking, contacts) = given();
    let held = cancelled(&booking, &contacts, Some(mediator(20)), "ill");
    assert_eq!(
        who(&held),
        [
            (
                "Person 10".into(),
                Kind::Cancelled,
                Some(Method::Cancel),
                false
            ),
            (
                "Person 21".into(),
                Kind::Cancelled,
                Some(Method::Cancel),
                true
            ),
        ]
    );
    let open = cancelled(&booking, &contacts, None, "ill");
    assert_eq!(
        who(&open),
        [("Person 10".into(), Kind::Cancelled, None, false)]
    );
}

#[test]
fn a_new_time_releases_the_mediator_from_their_calendar() {
    let (mut booking, contacts) = given();
    // Not free at the new time: the booking has no mediator any more.
    booking.mediator_id = None;
    let to = rescheduled(&booking, &contacts, Some(mediator(20)), "/bookings/99");
    assert_eq!(
        who(&to),
        [
            (
                "Person 10".into(),
                Kind::Rescheduled,
                Some(Method::Request),
                false
            ),
            (
                "Person 21".into(),
                Kind::Rescheduled,
                Some(Method::Cancel),
                true
            ),
        ]
    );
    // Nobody held it: nobody had it in their calendar.
    let to = rescheduled(&booking, &contacts, None, "/bookings/99");
    assert_eq!(
        who(&to),
        [("Person 10".into(), Kind::Rescheduled, None, false)]
    );
}

#[test]
fn a_mediator_free_at_the_new_time_keeps_the_job_and_their_calendar_entry_moves() {
    let (booking, contacts) = given();
    let to = rescheduled(&booking, &contacts, Some(mediator(20)), "/bookings/99");
    assert_eq!(
        who(&to),
        [
            (
                "Person 10".into(),
                Kind::Rescheduled,
                Some(Method::Request),
                false
            ),
            (
                "Person 21".into(),
                Kind::Rescheduled,
                Some(Method::Request),
                true
            ),
        ]
    );
    assert!(to.iter().all(|r| r.facts.kept));
    assert_eq!(to[0].facts.mediator.as_deref(), Some("Person 21"));
}

#[test]
fn an_escalation_goes_to_the_coordinators_only() {
    let (_, contacts) = given();
    let to = escalated(&contacts, "nobody accepted", "/queue");
    assert_eq!(
        who(&to),
        [("Person 40".into(), Kind::Escalated, None, false)]
    );
    // A reason dispatch names is said in the coordinator's language.
    let to = escalated(&contacts, "no mediator can take this booking", "/queue");
    assert_eq!(
        to[0].facts.reason.as_deref(),
        Some("Keine Sprachmittlung kann diese Buchung übernehmen.")
    );
}

#[test]
fn a_returned_booking_tells_the_requester_and_clears_the_mediators_calendar() {
    let (booking, contacts) = given();
    let to = returned(
        &booking,
        &contacts,
        mediator(20),
        "ill",
        "/bookings/99",
        false,
    );
    assert_eq!(
        who(&to),
        [
            (
                "Person 10".into(),
                Kind::Returned,
                Some(Method::Request),
                false
            ),
            (
                "Person 21".into(),
                Kind::Cancelled,
                Some(Method::Cancel),
                true
            ),
        ]
    );
    assert!(to.iter().all(|r| r.facts.relieved == Some("gave_back")));
    // Taken off by a coordinator: the same people, told so.
    let to = returned(
        &booking,
        &contacts,
        mediator(20),
        "Wunsch der Klientin",
        "/bookings/99",
        true,
    );
    assert_eq!(to.len(), 2);
    assert!(to.iter().all(|r| r.facts.relieved == Some("unassigned")));
}

#[test]
fn a_room_link_goes_to_each_participant_with_an_account() {
    let (_, contacts) = given();
    let link = |role, user: Option<u128>, m: Option<u128>, url: &str| JoinLink {
        role,
        user_id: user.map(|u| UserId(uuid::Uuid::from_u128(u))),
        mediator_id: m.map(mediator),
        url: url.into(),
        valid_from: booking_start(),
        valid_until: booking_start(),
    };
    let links = [
        link(ParticipantRole::Requester, Some(10), None, "r"),
        link(ParticipantRole::Mediator, None, Some(20), "m"),
        link(ParticipantRole::Client, None, None, "c"),
    ];
    let to = room(&contacts, &links);
    let urls: Vec<_> = to.iter().filter_map(|r| r.facts.link.clone()).collect();
    assert_eq!(urls, ["r", "m"]);
    assert_eq!(client_link(&links).as_deref(), Some("c"));
}

#[test]
fn reminders_lie_ahead_and_go_out_only_for_the_version_they_were_planned_for() {
    let (mut booking, _) = given();
    let start = booking.details.start;
    let now = start - Duration::minutes(90);
    assert_eq!(
        reminders(start, &[1440, 60], now),
        [(60, start - Duration::minutes(60))]
    );
    assert_eq!(reminder_holds(&booking, 2), Some(mediator(20)));
    assert_eq!(reminder_holds(&booking, 1), None);
    booking.state = BookingState::Cancelled;
    assert_eq!(reminder_holds(&booking, 2), None);
}

#[test]
fn the_calendar_entry_lists_requester_and_mediator() {
    let (booking, contacts) = given();
    let names: Vec<_> = attendees(&booking, &contacts)
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Person 10", "Person 21"]);
}

#[test]
fn word_of_a_request_goes_to_its_requester_alone_without_a_calendar_entry() {
    let (booking, contacts) = given();
    let to = received(&booking, &contacts, "/bookings/99");
    assert_eq!(
        who(&to),
        [("Person 10".into(), Kind::Received, None, false)]
    );
    assert_eq!(to[0].facts.link.as_deref(), Some("/bookings/99"));
    assert_eq!(to[0].facts.name, "Person 10");
}
