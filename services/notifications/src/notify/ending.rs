//! The end of a booking, told: a booking nobody took (the requester), a booking
//! still open as its start nears (the coordinators, again), a claimed time (the
//! requester confirms or disputes), a disputed time (the coordinators settle).
//! The recipient functions are pure; the handlers queue what they decide.

use super::Notifier;
use super::recipients::{Recipient, ask, requester_and};
use crate::compose::{Facts, Kind};
use crate::store::BookingFacts;
use chrono::{DateTime, Utc};
use mittler_contracts::booking::{BookingUnfilled, DispatchStillOpen, TimeClaimed, TimeDisputed};
use mittler_contracts::directory::ContactsResponse;
use mittler_platform::consumer::HandleError;
use mittler_types::{BookingState, MediatorId, Outcome, Role};
use sqlx::PgConnection;

/// The requester learns nobody could be found.
pub fn unfilled<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    reason: &str,
    link: &str,
) -> Vec<Recipient<'a>> {
    super::recipients::requester_only(booking, contacts, Kind::Unfilled, |contact| Facts {
        reason: Some(mittler_contracts::text::Text::say(
            "dispatch",
            reason,
            &contact.locale,
        )),
        link: Some(link.to_owned()),
        ..Facts::default()
    })
}

/// The coordinators, each time an alert falls due.
pub fn still_open<'a>(
    contacts: &'a ContactsResponse,
    minutes_left: i64,
    link: &str,
) -> Vec<Recipient<'a>> {
    coordinators(contacts, Kind::StillOpen, |name| Facts {
        name,
        minutes: Some(minutes_left),
        link: Some(link.to_owned()),
        ..Facts::default()
    })
}

/// The requester is asked to confirm or dispute the claimed time.
pub fn time_claimed<'a>(
    booking: &BookingFacts,
    contacts: &'a ContactsResponse,
    mediator: MediatorId,
    claim: (i64, Outcome, DateTime<Utc>),
    link: &str,
) -> Vec<Recipient<'a>> {
    let (minutes, outcome, confirms_at) = claim;
    let mediator_name = super::recipients::mediators(contacts, mediator)
        .next()
        .map(|c| c.name.clone());
    contacts
        .people
        .iter()
        .filter(|c| c.user_id == booking.requested_by)
        .map(|contact| Recipient {
            contact,
            kind: Kind::TimeClaimed,
            facts: Facts {
                name: contact.name.clone(),
                mediator: mediator_name.clone(),
                minutes: Some(minutes),
                outcome: Some(outcome.as_str()),
                expires: Some(confirms_at),
                link: Some(link.to_owned()),
                ..Facts::default()
            },
            ics: None,
        })
        .collect()
}

/// The coordinators settle a disputed time.
pub fn time_disputed<'a>(
    contacts: &'a ContactsResponse,
    reason: &str,
    link: &str,
) -> Vec<Recipient<'a>> {
    coordinators(contacts, Kind::TimeDisputed, |name| Facts {
        name,
        reason: Some(reason.to_owned()),
        link: Some(link.to_owned()),
        ..Facts::default()
    })
}

fn coordinators(
    contacts: &ContactsResponse,
    kind: Kind,
    facts: impl Fn(String) -> Facts,
) -> Vec<Recipient<'_>> {
    contacts
        .people
        .iter()
        .filter(|c| c.role == Role::Coordinator)
        .map(|contact| Recipient {
            contact,
            kind,
            facts: facts(contact.name.clone()),
            ics: None,
        })
        .collect()
}

impl Notifier {
    pub(super) async fn unfilled(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        unfilled: BookingUnfilled,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, unfilled.booking_id).await?;
        self.advance(tx, &mut booking, BookingState::Unfilled)
            .await?;
        let contacts = self.contacts(requester_and(&booking, [])).await?;
        let link = self.booking_link(&booking);
        let to = self::unfilled(&booking, &contacts, &unfilled.reason, &link);
        self.send(tx, cause, &booking, &contacts, to).await
    }

    pub(super) async fn still_open(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        alert: DispatchStillOpen,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, alert.booking_id).await?;
        let contacts = self.contacts(ask(&booking, vec![], vec![], true)).await?;
        let link = self.link(&format!("/queue?booking={}", booking.booking_id));
        let to = still_open(&contacts, alert.minutes_left, &link);
        self.send(tx, cause, &booking, &contacts, to).await
    }

    pub(super) async fn time_claimed(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        claimed: TimeClaimed,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, claimed.booking_id).await?;
        let contacts = self
            .contacts(requester_and(&booking, [claimed.mediator_id]))
            .await?;
        let link = self.booking_link(&booking);
        let to = time_claimed(
            &booking,
            &contacts,
            claimed.mediator_id,
            (claimed.worked_minutes, claimed.outcome, claimed.confirms_at),
            &link,
        );
        self.send(tx, cause, &booking, &contacts, to).await
    }

    pub(super) async fn time_disputed(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        disputed: TimeDisputed,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, disputed.booking_id).await?;
        let contacts = self.contacts(ask(&booking, vec![], vec![], true)).await?;
        let link = self.link(&format!("/disputes?booking={}", booking.booking_id));
        let to = time_disputed(&contacts, &disputed.reason, &link);
        self.send(tx, cause, &booking, &contacts, to).await
    }
}
