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
    confirmation(booking, contacts, mediator, link, Kind::Confirmed)
}

/// Notes, client or place changed on a booking someone holds: requester and
/// mediator get the booking as it is now, and their calendar entries follow.
pub fn amended<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    link: &str,
) -> Vec<Recipient<'a>> {
    confirmation(booking, contacts, mediator, link, Kind::Amended)
}

fn confirmation<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    link: &str,
    kind: Kind,
) -> Vec<Recipient<'a>> {
    let name = mediator_name(contacts, mediator);
    contacts
        .people
        .iter()
        .filter_map(|contact| {
            let for_mediator = contact.mediator_id == Some(mediator);
            (for_mediator || contact.user_id == booking.requested_by).then(|| Recipient {
                contact,
                kind,
                facts: Facts {
                    name: contact.name.clone(),
                    mediator: name.clone(),
                    link: Some(link.to_owned()),
                    for_mediator,
                    // What the requester asked the mediator to know.
                    notes: booking.details.notes.clone().filter(|_| for_mediator),
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
    // The booking's mediator now: the one who had it, if they keep it.
    let kept = booking.mediator_id.filter(|m| had_mediator == Some(*m));
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
                    // Named to the requester: who stays, or who is not free then.
                    mediator: had_mediator.and_then(|m| mediator_name(contacts, m)),
                    link: Some(link.to_owned()),
                    for_mediator,
                    kept: kept.is_some(),
                    ..Facts::default()
                },
                // A kept job's calendar entry moves; a lost one's is removed.
                ics: if for_mediator && kept.is_none() {
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
                reason: Some(mittler_contracts::text::Text::say(
                    "dispatch",
                    reason,
                    &contact.locale,
                )),
                link: Some(link.to_owned()),
                ..Facts::default()
            },
            ics: None,
        })
        .collect()
}

/// A booking given back: the requester learns it is offered again (their calendar
/// entry stays, without the mediator); the entry leaves the calendar of the
/// mediator who gave it back.
/// A message for the requester alone, without a calendar entry, with `facts` made
/// for them (their name filled in).
pub fn requester_only<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    kind: Kind,
    facts: impl Fn(&Contact) -> Facts,
) -> Vec<Recipient<'a>> {
    contacts
        .people
        .iter()
        .filter(|c| c.user_id == booking.requested_by)
        .map(|contact| Recipient {
            contact,
            kind,
            facts: Facts {
                name: contact.name.clone(),
                ..facts(contact)
            },
            ics: None,
        })
        .collect()
}

/// The requester learns their request arrived and is being offered.
pub fn received<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    link: &str,
) -> Vec<Recipient<'a>> {
    requester_only(booking, contacts, Kind::Received, |_| Facts {
        link: Some(link.to_owned()),
        notes: booking.details.notes.clone(),
        ..Facts::default()
    })
}

pub fn returned<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    reason: &str,
    link: &str,
    by_coordinator: bool,
) -> Vec<Recipient<'a>> {
    let name = mediator_name(contacts, mediator);
    let relieved = Some(if by_coordinator {
        "unassigned"
    } else {
        "gave_back"
    });
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
                        relieved,
                        ..Facts::default()
                    },
                    ics: Some(Method::Request),
                })
            } else if contact.mediator_id == Some(mediator) {
                Some(Recipient {
                    contact,
                    kind: Kind::Cancelled,
                    facts: Facts {
                        name: contact.name.clone(),
                        reason: Some(reason.to_owned()),
                        for_mediator: true,
                        relieved,
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
mod tests;
