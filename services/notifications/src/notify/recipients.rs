//! Who is told what: for each cause, the recipients among the people directory
//! returned, the kind of message each gets, what it mentions and whether it carries
//! a calendar entry. Pure functions of the booking copy, the contacts and the event;
//! composing and queueing the messages is `deliver`'s work.

use crate::compose::{Facts, Kind};
use crate::ics::{Method, Person};
use crate::store::BookingFacts;
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::directory::{Contact, ContactsRequest, ContactsResponse};
use mittler_contracts::session::{JoinLink, ParticipantRole};
use mittler_types::{BookingState, MediatorId, Role, UserId};

/// The reminder lead (minutes before the start) at which the client is reminded
/// as well: the day before.
pub const CLIENT_REMINDER_MINUTES: i64 = 1440;

/// One recipient of one message.
#[derive(Debug)]
pub struct Recipient<'a> {
    pub contact: &'a Contact,
    pub kind: Kind,
    pub facts: Facts,
    pub ics: Option<Method>,
}

/// Whom to ask directory about for one booking.
pub fn ask(
    booking: &BookingFacts,
    users: Vec<UserId>,
    mediators: Vec<MediatorId>,
    coordinators: bool,
) -> ContactsRequest {
    ContactsRequest {
        organisation_id: Some(booking.organisation_id),
        users,
        mediators,
        coordinators,
    }
}

/// The requester of the booking and these mediators (the usual question).
pub fn requester_and(
    booking: &BookingFacts,
    mediators: impl IntoIterator<Item = MediatorId>,
) -> ContactsRequest {
    ask(
        booking,
        vec![booking.requested_by],
        mediators.into_iter().collect(),
        false,
    )
}

/// The accounts of one mediator.
pub fn mediators(contacts: &ContactsResponse, id: MediatorId) -> impl Iterator<Item = &Contact> {
    contacts
        .people
        .iter()
        .filter(move |c| c.mediator_id == Some(id))
}

fn mediator_name(contacts: &ContactsResponse, id: MediatorId) -> Option<String> {
    mediators(contacts, id).next().map(|c| c.name.clone())
}

fn is_mediator(contact: &Contact, mediator: Option<MediatorId>) -> bool {
    contact.mediator_id.is_some() && contact.mediator_id == mediator
}

/// The attendees of the booking's calendar entry: its requester and its mediator.
pub fn attendees(booking: &BookingFacts, contacts: &ContactsResponse) -> Vec<Person> {
    contacts
        .people
        .iter()
        .filter(|p| p.user_id == booking.requested_by || is_mediator(p, booking.mediator_id))
        .map(|p| Person {
            name: p.name.clone(),
            email: p.email.clone(),
        })
        .collect()
}

/// An offer goes to the mediator it was made to, with its link and deadline.
pub fn offer<'a>(
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    link: &str,
    expires: DateTime<Utc>,
) -> Vec<Recipient<'a>> {
    mediators(contacts, mediator)
        .map(|contact| Recipient {
            contact,
            kind: Kind::Offer,
            facts: Facts {
                name: contact.name.clone(),
                link: Some(link.to_owned()),
                expires: Some(expires),
                for_mediator: true,
                ..Facts::default()
            },
            ics: None,
        })
        .collect()
}

/// A confirmation with the calendar entry goes to the requester and the mediator.
pub fn assigned<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    link: &str,
) -> Vec<Recipient<'a>> {
    let name = mediator_name(contacts, mediator);
    contacts
        .people
        .iter()
        .filter_map(|contact| {
            let for_mediator = contact.mediator_id == Some(mediator);
            (for_mediator || contact.user_id == booking.requested_by).then(|| Recipient {
                contact,
                kind: Kind::Confirmed,
                facts: Facts {
                    name: contact.name.clone(),
                    mediator: name.clone(),
                    link: Some(link.to_owned()),
                    for_mediator,
                    ..Facts::default()
                },
                ics: Some(Method::Request),
            })
        })
        .collect()
}

/// A cancellation goes to the requester and to the mediator who held the booking;
/// only a booking that had a mediator is in anyone's calendar.
pub fn cancelled<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    had_mediator: Option<MediatorId>,
    reason: &str,
) -> Vec<Recipient<'a>> {
    contacts
        .people
        .iter()
        .filter(|c| c.user_id == booking.requested_by || is_mediator(c, had_mediator))
        .map(|contact| Recipient {
            contact,
            kind: Kind::Cancelled,
            facts: Facts {
                name: contact.name.clone(),
                reason: Some(reason.to_owned()),
                for_mediator: contact.mediator_id.is_some(),
                ..Facts::default()
            },
            ics: had_mediator.map(|_| Method::Cancel),
        })
        .collect()
}

/// A new time goes to the requester, whose calendar entry (if the booking had one)
/// moves to the new time, and to the mediator it released, whose entry goes.
pub fn rescheduled<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    had_mediator: Option<MediatorId>,
    link: &str,
) -> Vec<Recipient<'a>> {
    contacts
        .people
        .iter()
        .filter(|c| c.user_id == booking.requested_by || is_mediator(c, had_mediator))
        .map(|contact| {
            let for_mediator = is_mediator(contact, had_mediator);
            Recipient {
                contact,
                kind: Kind::Rescheduled,
                facts: Facts {
                    name: contact.name.clone(),
                    link: Some(link.to_owned()),
                    for_mediator,
                    ..Facts::default()
                },
                ics: if for_mediator {
                    Some(Method::Cancel)
                } else {
                    had_mediator.map(|_| Method::Request)
                },
            }
        })
        .collect()
}

/// An escalation goes to the coordinators, with the queue's link.
pub fn escalated<'a>(
    contacts: &'a ContactsResponse,
    reason: &str,
    link: &str,
) -> Vec<Recipient<'a>> {
    contacts
        .people
        .iter()
        .filter(|c| c.role == Role::Coordinator)
        .map(|contact| Recipient {
            contact,
            kind: Kind::Escalated,
            facts: Facts {
                name: contact.name.clone(),
                reason: Some(reason.to_owned()),
                link: Some(link.to_owned()),
                ..Facts::default()
            },
            ics: None,
        })
        .collect()
}

/// A booking given back: the requester learns it is offered again; the entry
/// leaves the calendar of the mediator who gave it back.
pub fn returned<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    reason: &str,
    link: &str,
) -> Vec<Recipient<'a>> {
    let name = mediator_name(contacts, mediator);
    contacts
        .people
        .iter()
        .filter_map(|contact| {
            if contact.user_id == booking.requested_by {
                Some(Recipient {
                    contact,
                    kind: Kind::Returned,
                    facts: Facts {
                        name: contact.name.clone(),
                        mediator: name.clone(),
                        reason: Some(reason.to_owned()),
                        link: Some(link.to_owned()),
                        ..Facts::default()
                    },
                    ics: None,
                })
            } else if contact.mediator_id == Some(mediator) {
                Some(Recipient {
                    contact,
                    kind: Kind::Cancelled,
                    facts: Facts {
                        name: contact.name.clone(),
                        reason: Some(reason.to_owned()),
                        for_mediator: true,
                        ..Facts::default()
                    },
                    ics: Some(Method::Cancel),
                })
            } else {
                None
            }
        })
        .collect()
}

/// A video room: every participant with an account gets their own link. The
/// client's link goes out separately (see [`client_link`]).
pub fn room<'a>(contacts: &'a ContactsResponse, links: &[JoinLink]) -> Vec<Recipient<'a>> {
    links
        .iter()
        .filter_map(|link| {
            let contact = contacts.people.iter().find(|c| match link.role {
                ParticipantRole::Requester => Some(c.user_id) == link.user_id,
                ParticipantRole::Mediator => is_mediator(c, link.mediator_id),
                ParticipantRole::Client => false,
            })?;
            Some(Recipient {
                contact,
                kind: Kind::SessionLink,
                facts: Facts {
                    name: contact.name.clone(),
                    link: Some(link.url.clone()),
                    for_mediator: link.role == ParticipantRole::Mediator,
                    ..Facts::default()
                },
                ics: None,
            })
        })
        .collect()
}

/// The client's own link into a video room, if the room has one.
pub fn client_link(links: &[JoinLink]) -> Option<String> {
    links
        .iter()
        .find(|l| l.role == ParticipantRole::Client)
        .map(|l| l.url.clone())
}

/// A reminder goes to the requester and the mediator of an assigned booking.
pub fn reminder<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    lead_minutes: i64,
    link: &str,
) -> Vec<Recipient<'a>> {
    let name = mediator_name(contacts, mediator);
    contacts
        .people
        .iter()
        .filter(|c| c.user_id == booking.requested_by || c.mediator_id == Some(mediator))
        .map(|contact| Recipient {
            contact,
            kind: Kind::Reminder,
            facts: Facts {
                name: contact.name.clone(),
                mediator: name.clone(),
                link: Some(link.to_owned()),
                for_mediator: contact.mediator_id == Some(mediator),
                lead_minutes: Some(lead_minutes),
                ..Facts::default()
            },
            ics: None,
        })
        .collect()
}

/// The reminders to plan for a booking starting at `start`: one per lead time that
/// still lies ahead of `now`, as `(lead minutes, due)`.
pub fn reminders(
    start: DateTime<Utc>,
    leads: &[i64],
    now: DateTime<Utc>,
) -> Vec<(i64, DateTime<Utc>)> {
    leads
        .iter()
        .map(|lead| (*lead, start - Duration::minutes(*lead)))
        .filter(|(_, due)| *due > now)
        .collect()
}

/// Whether a reminder planned for version `sequence` of the booking still goes out:
/// the booking is unchanged since and still held by a mediator.
pub fn reminder_holds(booking: &BookingFacts, sequence: i32) -> Option<MediatorId> {
    let current = booking.sequence == sequence
        && matches!(
            booking.state,
            BookingState::Assigned | BookingState::InSession
        );
    booking.mediator_id.filter(|_| current)
}

#[cfg(test)]
mod tests {
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
    fn an_escalation_goes_to_the_coordinators_only() {
        let (_, contacts) = given();
        let to = escalated(&contacts, "nobody accepted", "/queue");
        assert_eq!(
            who(&to),
            [("Person 40".into(), Kind::Escalated, None, false)]
        );
    }

    #[test]
    fn a_returned_booking_tells_the_requester_and_clears_the_mediators_calendar() {
        let (booking, contacts) = given();
        let to = returned(&booking, &contacts, mediator(20), "ill", "/bookings/99");
        assert_eq!(
            who(&to),
            [
                ("Person 10".into(), Kind::Returned, None, false),
                (
                    "Person 21".into(),
                    Kind::Cancelled,
                    Some(Method::Cancel),
                    true
                ),
            ]
        );
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
}
