//! From events to messages: the booking stream's events (and the reminders that fall
//! due) become mails, calendar entries and feed items, each queued in the same
//! transaction that marks the event handled, so a redelivery queues nothing twice.

use crate::compose::{Appointment, Facts, Kind, Templates};
use crate::ics::{self, Invite, Method, Person};
use crate::store::{self, BookingFacts, NewMessage};
use chrono::Utc;
use mittler_contracts::Envelope;
use mittler_contracts::booking::{
    AssignmentReturned, BookingAssigned, BookingCancelled, BookingRequested, BookingRescheduled,
    DispatchEscalated, OfferMade,
};
use mittler_contracts::directory::{Contact, Contacts, ContactsRequest, ContactsResponse};
use mittler_contracts::notification::FeedItemAdded;
use mittler_contracts::session::{ParticipantRole, RoomOpened};
use mittler_platform::config::NotificationsConfig;
use mittler_platform::consumer::{HandleError, Handler, IncomingEvent};
use mittler_platform::rpc;
use mittler_platform::{CancellationToken, Schema, outbox};
use mittler_types::{BookingId, MediatorId, Modality, Role, UserId};
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use std::time::Duration as StdDuration;

/// Who gets what for one cause.
#[derive(Clone, Debug)]
pub struct Notifier {
    pub pool: PgPool,
    pub nats: async_nats::Client,
    pub config: NotificationsConfig,
    pub templates: Arc<Templates>,
    pub timeout: StdDuration,
}

/// One recipient of one message.
struct Recipient<'a> {
    contact: &'a Contact,
    kind: Kind,
    facts: Facts,
    ics: Option<Method>,
}

impl Notifier {
    async fn contacts(&self, request: ContactsRequest) -> Result<ContactsResponse, HandleError> {
        rpc::call::<Contacts>(&self.nats, &request, self.timeout)
            .await
            .map_err(HandleError::retry)
    }

    /// Whether a mediator wants mail besides the feed (`notify_by_email` of their
    /// profile in availability; yes when the profile is unknown).
    async fn wants_mail(&self, mediator_id: MediatorId) -> Result<bool, HandleError> {
        let request = mittler_contracts::availability::MediatorRef { mediator_id };
        match rpc::call::<mittler_contracts::availability::GetProfile>(
            &self.nats,
            &request,
            self.timeout,
        )
        .await
        {
            Ok(profile) => Ok(profile.notify_by_email),
            Err(rpc::RpcError::Fault(_)) => Ok(true),
            Err(other) => Err(HandleError::retry(other)),
        }
    }

    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.config.public_url.trim_end_matches('/'))
    }

    fn appointment(&self, booking: &BookingFacts, contacts: &ContactsResponse) -> Appointment {
        let details = &booking.details;
        let (organisation, zone) = contacts
            .organisation
            .as_ref()
            .map(|o| (o.name.clone(), o.time_zone.tz()))
            .unwrap_or_else(|| (String::new(), details.time_zone.tz()));
        Appointment {
            start: details.start,
            end: details.end,
            zone,
            language: details.language.clone(),
            modality: details.modality,
            place: details.location.as_ref().map(|l| {
                [l.address.as_str(), l.postal_code.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            organisation,
        }
    }

    /// Compose and queue one message per recipient, with a feed item for each user.
    async fn send(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        booking: &BookingFacts,
        contacts: &ContactsResponse,
        recipients: Vec<Recipient<'_>>,
    ) -> Result<(), HandleError> {
        let appointment = self.appointment(booking, contacts);
        for r in recipients {
            let composed = self
                .templates
                .compose(r.kind, &r.contact.locale, &appointment, &r.facts)
                .map_err(HandleError::reject)?;
            let ics = r.ics.map(|method| {
                let attendees = contacts
                    .people
                    .iter()
                    .filter(|p| {
                        p.user_id == booking.requested_by
                            || (p.mediator_id.is_some() && p.mediator_id == booking.mediator_id)
                    })
                    .map(|p| Person {
                        name: p.name.clone(),
                        email: p.email.clone(),
                    })
                    .collect();
                let text = ics::render(&Invite {
                    uid: format!("{}@mittler", booking.booking_id),
                    sequence: booking.sequence.max(0) as u32,
                    method,
                    start: booking.details.start,
                    end: booking.details.end,
                    zone: appointment.zone,
                    summary: composed.subject.clone(),
                    description: composed.text.clone(),
                    location: appointment
                        .place
                        .clone()
                        .filter(|_| booking.details.modality == Modality::OnSite),
                    organizer: Person {
                        name: "Mittler".into(),
                        email: sender_address(&self.config.from),
                    },
                    attendees,
                    stamp: Utc::now(),
                });
                (text, method.as_str())
            });
            let message = NewMessage {
                dedupe_key: format!("{cause}/{}/{}", r.kind.as_str(), r.contact.email),
                organisation_id: Some(booking.organisation_id),
                booking_id: Some(booking.booking_id),
                user_id: Some(r.contact.user_id),
                recipient: r.contact.email.clone(),
                kind: r.kind.as_str(),
                locale: composed.locale.clone(),
                subject: composed.subject.clone(),
                text: composed.text.clone(),
                html: composed.html.clone(),
                ics,
            };
            // Mediators may take offers in the in-app feed only; what concerns work
            // they hold (confirmations with the calendar, changes, links) is mailed.
            let by_mail = match (r.kind, r.contact.mediator_id) {
                (Kind::Offer, Some(mediator_id)) => self.wants_mail(mediator_id).await?,
                _ => true,
            };
            if by_mail {
                store::queue_message(&mut *tx, &message)
                    .await
                    .map_err(HandleError::retry)?;
            }
            self.feed(
                tx,
                cause,
                booking,
                r.contact.user_id,
                r.kind,
                &composed,
                r.facts.link.as_deref(),
            )
            .await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn feed(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        booking: &BookingFacts,
        user: UserId,
        kind: Kind,
        composed: &crate::compose::Composed,
        link: Option<&str>,
    ) -> Result<(), HandleError> {
        let body = composed
            .text
            .split("\n\n")
            .nth(1)
            .unwrap_or(&composed.text)
            .to_owned();
        if let Some(item) = store::add_feed_item(
            &mut *tx,
            &format!("{cause}/{}/{user}", kind.as_str()),
            user,
            Some(booking.organisation_id),
            Some(booking.booking_id),
            kind.as_str(),
            &composed.subject,
            &body,
            link,
        )
        .await
        .map_err(HandleError::retry)?
        {
            outbox::enqueue(
                tx,
                Schema::NOTIFICATIONS,
                &Envelope::new(
                    FeedItemAdded {
                        organisation_id: Some(booking.organisation_id),
                        user_id: user,
                        item,
                    },
                    outbox::root_meta(),
                ),
            )
            .await
            .map_err(HandleError::retry)?;
        }
        Ok(())
    }

    /// The client's message in their language and Leichte Sprache, if they gave an address.
    async fn client(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        booking: &BookingFacts,
        contacts: &ContactsResponse,
        kind: Kind,
    ) -> Result<(), HandleError> {
        self.client_with(tx, cause, booking, contacts, kind, None)
            .await
    }

    async fn client_with(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        booking: &BookingFacts,
        contacts: &ContactsResponse,
        kind: Kind,
        link: Option<String>,
    ) -> Result<(), HandleError> {
        let Some(client) = &booking.details.client else {
            return Ok(());
        };
        let Some(email) = client.email.as_deref().filter(|e| !e.is_empty()) else {
            return Ok(());
        };
        let locale = self
            .templates
            .client_locale(client.language.as_ref())
            .unwrap_or(crate::compose::SIMPLE_GERMAN);
        let appointment = self.appointment(booking, contacts);
        let composed = self
            .templates
            .compose(
                kind,
                locale,
                &appointment,
                &Facts {
                    link,
                    ..Facts::default()
                },
            )
            .map_err(HandleError::reject)?;
        store::queue_message(
            &mut *tx,
            &NewMessage {
                dedupe_key: format!("{cause}/{}/client", kind.as_str()),
                organisation_id: Some(booking.organisation_id),
                booking_id: Some(booking.booking_id),
                user_id: None,
                recipient: email.to_owned(),
                kind: kind.as_str(),
                locale: composed.locale,
                subject: composed.subject,
                text: composed.text,
                html: composed.html,
                ics: None,
            },
        )
        .await
        .map_err(HandleError::retry)?;
        Ok(())
    }

    async fn booking(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<BookingFacts, HandleError> {
        store::booking_for_update(tx, id)
            .await
            .map_err(HandleError::retry)?
            .ok_or_else(|| {
                // Its `requested` event comes first in the stream; wait for it.
                HandleError::retry(anyhow::anyhow!("booking {id} not known yet"))
            })
    }

    fn request(
        &self,
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

    async fn offer_made(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        offer: OfferMade,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, offer.booking_id).await?;
        let contacts = self
            .contacts(self.request(&booking, vec![], vec![offer.mediator_id], false))
            .await?;
        let recipients = mediators(&contacts, offer.mediator_id)
            .map(|contact| Recipient {
                contact,
                kind: Kind::Offer,
                facts: Facts {
                    name: contact.name.clone(),
                    link: Some(self.link(&format!("/offers/{}", offer.offer_id))),
                    expires: Some(offer.expires_at),
                    for_mediator: true,
                    ..Facts::default()
                },
                ics: None,
            })
            .collect();
        self.send(tx, cause, &booking, &contacts, recipients).await
    }

    async fn assigned(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        assigned: BookingAssigned,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, assigned.booking_id).await?;
        booking.mediator_id = Some(assigned.mediator_id);
        booking.state = "assigned".into();
        booking.sequence += 1;
        store::update_booking(&mut *tx, &booking)
            .await
            .map_err(HandleError::retry)?;
        let contacts = self
            .contacts(self.request(
                &booking,
                vec![booking.requested_by],
                vec![assigned.mediator_id],
                false,
            ))
            .await?;
        let mediator_name = mediators(&contacts, assigned.mediator_id)
            .next()
            .map(|c| c.name.clone());
        let link = self.link(&format!("/bookings/{}", booking.booking_id));
        let mut recipients = Vec::new();
        for contact in &contacts.people {
            let for_mediator = contact.mediator_id == Some(assigned.mediator_id);
            if !for_mediator && contact.user_id != booking.requested_by {
                continue;
            }
            recipients.push(Recipient {
                contact,
                kind: Kind::Confirmed,
                facts: Facts {
                    name: contact.name.clone(),
                    mediator: mediator_name.clone(),
                    link: Some(link.clone()),
                    for_mediator,
                    ..Facts::default()
                },
                ics: Some(Method::Request),
            });
        }
        self.send(tx, cause, &booking, &contacts, recipients)
            .await?;
        self.client(tx, cause, &booking, &contacts, Kind::ClientInvitation)
            .await?;
        // Reminders for this version of the booking.
        store::cancel_reminders(&mut *tx, booking.booking_id)
            .await
            .map_err(HandleError::retry)?;
        for lead in &self.config.reminder_minutes {
            let due = booking.details.start - chrono::Duration::minutes(*lead);
            if due > Utc::now() {
                store::plan_reminder(&mut *tx, booking.booking_id, booking.sequence, *lead, due)
                    .await
                    .map_err(HandleError::retry)?;
            }
        }
        Ok(())
    }

    async fn cancelled(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        cancelled: BookingCancelled,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, cancelled.booking_id).await?;
        let had_mediator = booking.mediator_id;
        booking.state = "cancelled".into();
        booking.sequence += 1;
        store::update_booking(&mut *tx, &booking)
            .await
            .map_err(HandleError::retry)?;
        store::cancel_reminders(&mut *tx, booking.booking_id)
            .await
            .map_err(HandleError::retry)?;
        let contacts = self
            .contacts(self.request(
                &booking,
                vec![booking.requested_by],
                had_mediator.into_iter().collect(),
                false,
            ))
            .await?;
        let recipients = contacts
            .people
            .iter()
            .filter(|c| {
                c.user_id == booking.requested_by
                    || (c.mediator_id.is_some() && c.mediator_id == had_mediator)
            })
            .map(|contact| Recipient {
                contact,
                kind: Kind::Cancelled,
                facts: Facts {
                    name: contact.name.clone(),
                    reason: Some(cancelled.reason.clone()),
                    for_mediator: contact.mediator_id.is_some(),
                    ..Facts::default()
                },
                // Only a confirmed booking is in anyone's calendar.
                ics: had_mediator.map(|_| Method::Cancel),
            })
            .collect();
        self.send(tx, cause, &booking, &contacts, recipients)
            .await?;
        if had_mediator.is_some() {
            self.client(tx, cause, &booking, &contacts, Kind::ClientCancelled)
                .await?;
        }
        Ok(())
    }

    async fn rescheduled(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        moved: BookingRescheduled,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, moved.booking_id).await?;
        let had_mediator = booking.mediator_id.take();
        booking.details = moved.details;
        booking.state = "requested".into();
        booking.sequence += 1;
        store::update_booking(&mut *tx, &booking)
            .await
            .map_err(HandleError::retry)?;
        store::cancel_reminders(&mut *tx, booking.booking_id)
            .await
            .map_err(HandleError::retry)?;
        let contacts = self
            .contacts(self.request(
                &booking,
                vec![booking.requested_by],
                had_mediator.into_iter().collect(),
                false,
            ))
            .await?;
        let link = self.link(&format!("/bookings/{}", booking.booking_id));
        let recipients = contacts
            .people
            .iter()
            .filter(|c| {
                c.user_id == booking.requested_by
                    || (c.mediator_id.is_some() && c.mediator_id == had_mediator)
            })
            .map(|contact| {
                let for_mediator =
                    contact.mediator_id.is_some() && contact.mediator_id == had_mediator;
                Recipient {
                    contact,
                    kind: Kind::Rescheduled,
                    facts: Facts {
                        name: contact.name.clone(),
                        link: Some(link.clone()),
                        for_mediator,
                        ..Facts::default()
                    },
                    // The released mediator's calendar entry goes.
                    ics: for_mediator.then_some(Method::Cancel),
                }
            })
            .collect();
        self.send(tx, cause, &booking, &contacts, recipients).await
    }

    async fn escalated(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        escalated: DispatchEscalated,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, escalated.booking_id).await?;
        let contacts = self
            .contacts(self.request(&booking, vec![], vec![], true))
            .await?;
        let link = self.link(&format!("/queue?booking={}", booking.booking_id));
        let recipients = contacts
            .people
            .iter()
            .filter(|c| c.role == Role::Coordinator)
            .map(|contact| Recipient {
                contact,
                kind: Kind::Escalated,
                facts: Facts {
                    name: contact.name.clone(),
                    reason: Some(escalated.reason.clone()),
                    link: Some(link.clone()),
                    ..Facts::default()
                },
                ics: None,
            })
            .collect();
        self.send(tx, cause, &booking, &contacts, recipients).await
    }

    async fn returned(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        returned: AssignmentReturned,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, returned.booking_id).await?;
        booking.mediator_id = None;
        booking.state = "requested".into();
        booking.sequence += 1;
        store::update_booking(&mut *tx, &booking)
            .await
            .map_err(HandleError::retry)?;
        store::cancel_reminders(&mut *tx, booking.booking_id)
            .await
            .map_err(HandleError::retry)?;
        let contacts = self
            .contacts(self.request(
                &booking,
                vec![booking.requested_by],
                vec![returned.mediator_id],
                false,
            ))
            .await?;
        let mediator_name = mediators(&contacts, returned.mediator_id)
            .next()
            .map(|c| c.name.clone());
        let link = self.link(&format!("/bookings/{}", booking.booking_id));
        let recipients = contacts
            .people
            .iter()
            .filter_map(|contact| {
                if contact.user_id == booking.requested_by {
                    Some(Recipient {
                        contact,
                        kind: Kind::Returned,
                        facts: Facts {
                            name: contact.name.clone(),
                            mediator: mediator_name.clone(),
                            reason: Some(returned.reason.clone()),
                            link: Some(link.clone()),
                            ..Facts::default()
                        },
                        ics: None,
                    })
                } else if contact.mediator_id == Some(returned.mediator_id) {
                    // The one who gave it back: the entry leaves their calendar.
                    Some(Recipient {
                        contact,
                        kind: Kind::Cancelled,
                        facts: Facts {
                            name: contact.name.clone(),
                            reason: Some(returned.reason.clone()),
                            for_mediator: true,
                            ..Facts::default()
                        },
                        ics: Some(Method::Cancel),
                    })
                } else {
                    None
                }
            })
            .collect();
        self.send(tx, cause, &booking, &contacts, recipients).await
    }

    /// A video room opened: everyone gets their own link.
    async fn room_opened(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        opened: RoomOpened,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, opened.booking_id).await?;
        let users: Vec<UserId> = opened.links.iter().filter_map(|l| l.user_id).collect();
        let mediators: Vec<MediatorId> =
            opened.links.iter().filter_map(|l| l.mediator_id).collect();
        let contacts = self
            .contacts(self.request(&booking, users, mediators, false))
            .await?;
        let mut recipients = Vec::new();
        for link in &opened.links {
            let contact = contacts.people.iter().find(|c| match link.role {
                ParticipantRole::Requester => Some(c.user_id) == link.user_id,
                ParticipantRole::Mediator => {
                    c.mediator_id.is_some() && c.mediator_id == link.mediator_id
                }
                ParticipantRole::Client => false,
            });
            if let Some(contact) = contact {
                recipients.push(Recipient {
                    contact,
                    kind: Kind::SessionLink,
                    facts: Facts {
                        name: contact.name.clone(),
                        link: Some(link.url.clone()),
                        for_mediator: link.role == ParticipantRole::Mediator,
                        ..Facts::default()
                    },
                    ics: None,
                });
            }
        }
        self.send(tx, cause, &booking, &contacts, recipients)
            .await?;
        if let Some(link) = opened
            .links
            .iter()
            .find(|l| l.role == ParticipantRole::Client)
        {
            self.client_with(
                tx,
                cause,
                &booking,
                &contacts,
                Kind::ClientSessionLink,
                Some(link.url.clone()),
            )
            .await?;
        }
        Ok(())
    }

    /// Send the reminders that are due, until `shutdown`.
    pub async fn run_reminders(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let poll = StdDuration::from_millis(self.config.poll_ms);
        loop {
            match self.remind_next().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "reminder failed; retrying")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Queue the next due reminder; false when none is due. A booking that was
    /// cancelled or moved since gets none.
    pub async fn remind_next(&self) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(due) = store::claim_reminder(&mut tx).await? else {
            return Ok(false);
        };
        let booking = store::booking_for_update(&mut tx, BookingId(due.booking_id)).await?;
        let Some(booking) = booking.filter(|b| {
            b.sequence == due.sequence && matches!(b.state.as_str(), "assigned" | "in_session")
        }) else {
            store::finish_reminder(&mut *tx, due.id, "cancelled").await?;
            tx.commit().await?;
            return Ok(true);
        };
        let Some(mediator) = booking.mediator_id else {
            store::finish_reminder(&mut *tx, due.id, "cancelled").await?;
            tx.commit().await?;
            return Ok(true);
        };
        let contacts = self
            .contacts(self.request(&booking, vec![booking.requested_by], vec![mediator], false))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mediator_name = mediators(&contacts, mediator)
            .next()
            .map(|c| c.name.clone());
        let link = self.link(&format!("/bookings/{}", booking.booking_id));
        let recipients = contacts
            .people
            .iter()
            .filter(|c| c.user_id == booking.requested_by || c.mediator_id == Some(mediator))
            .map(|contact| Recipient {
                contact,
                kind: Kind::Reminder,
                facts: Facts {
                    name: contact.name.clone(),
                    mediator: mediator_name.clone(),
                    link: Some(link.clone()),
                    for_mediator: contact.mediator_id == Some(mediator),
                    lead_minutes: Some(i64::from(due.lead_minutes)),
                    ..Facts::default()
                },
                ics: None,
            })
            .collect();
        self.send(
            &mut tx,
            &format!("reminder/{}", due.id),
            &booking,
            &contacts,
            recipients,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        store::finish_reminder(&mut *tx, due.id, "sent").await?;
        tx.commit().await?;
        Ok(true)
    }
}

fn mediators(contacts: &ContactsResponse, id: MediatorId) -> impl Iterator<Item = &Contact> {
    contacts
        .people
        .iter()
        .filter(move |c| c.mediator_id == Some(id))
}

/// `noreply@host` out of `Name <noreply@host>`.
fn sender_address(from: &str) -> String {
    from.rsplit_once('<')
        .and_then(|(_, rest)| rest.strip_suffix('>'))
        .unwrap_or(from)
        .trim()
        .to_owned()
}

/// The consumer of the booking stream.
#[derive(Clone, Debug)]
pub struct NotifyHandler(pub Notifier);

mittler_contracts::consumer_events! {
    /// What notifications act on.
    enum Input {
        Requested(BookingRequested),
        OfferMade(OfferMade),
        Assigned(BookingAssigned),
        Cancelled(BookingCancelled),
        Rescheduled(BookingRescheduled),
        Escalated(DispatchEscalated),
        Returned(AssignmentReturned),
        RoomOpened(RoomOpened),
    }
}

impl Handler for NotifyHandler {
    fn handles(&self, event_type: &str) -> bool {
        Input::TYPES.contains(&event_type)
    }

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        let envelope = &event.envelope;
        let cause = envelope.id.to_string();
        let n = &self.0;
        let Some(input) = Input::decode(envelope).map_err(HandleError::reject)? else {
            return Ok(());
        };
        match input {
            Input::Requested(e) => {
                let requested = e.data;
                store::insert_booking(
                    &mut *tx,
                    requested.booking_id,
                    requested.organisation_id,
                    requested.requested_by,
                    &requested.details,
                )
                .await
                .map_err(HandleError::retry)
            }
            Input::OfferMade(e) => n.offer_made(tx, &cause, e.data).await,
            Input::Assigned(e) => n.assigned(tx, &cause, e.data).await,
            Input::Cancelled(e) => n.cancelled(tx, &cause, e.data).await,
            Input::Rescheduled(e) => n.rescheduled(tx, &cause, e.data).await,
            Input::Escalated(e) => n.escalated(tx, &cause, e.data).await,
            Input::RoomOpened(e) => n.room_opened(tx, &cause, e.data).await,
            Input::Returned(e) => n.returned(tx, &cause, e.data).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_address_is_taken_from_the_from_line() {
        assert_eq!(
            sender_address("Mittler <noreply@mittler.example>"),
            "noreply@mittler.example"
        );
        assert_eq!(
            sender_address("noreply@mittler.example"),
            "noreply@mittler.example"
        );
    }
}
