//! How people are told: contacts and preferences asked of directory and
//! availability, messages composed from templates with their calendar entries, and
//! each queued in the consumer's transaction together with its feed item. Who is
//! told is `recipients`' decision.

use super::Notifier;
use super::recipients::{self, Recipient};
use crate::compose::{Appointment, Composed, Facts, Kind};
use crate::ics::{self, Invite, Person};
use crate::store::{self, BookingFacts, NewMessage};
use chrono::Utc;
use mittler_contracts::Envelope;
use mittler_contracts::directory::{Contacts, ContactsRequest, ContactsResponse};
use mittler_contracts::notification::FeedItemAdded;
use mittler_platform::consumer::HandleError;
use mittler_platform::rpc;
use mittler_platform::{Schema, outbox};
use mittler_types::{BookingId, MediatorId, Modality, UserId};
use sqlx::PgConnection;

impl Notifier {
    pub(super) async fn contacts(
        &self,
        request: ContactsRequest,
    ) -> Result<ContactsResponse, HandleError> {
        rpc::call::<Contacts>(&self.nats, &request, self.timeout)
            .await
            .map_err(HandleError::retry)
    }

    /// Whether a mediator wants mail besides the feed (`notify_by_email` of their
    /// profile in availability; yes when the profile is unknown).
    pub(super) async fn wants_mail(&self, mediator_id: MediatorId) -> Result<bool, HandleError> {
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

    pub(super) fn link(&self, path: &str) -> String {
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
    pub(super) async fn send(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        booking: &BookingFacts,
        contacts: &ContactsResponse,
        to: Vec<Recipient<'_>>,
    ) -> Result<(), HandleError> {
        let appointment = self.appointment(booking, contacts);
        let attendees = recipients::attendees(booking, contacts);
        for r in to {
            let composed = self
                .templates
                .compose(r.kind, &r.contact.locale, &appointment, &r.facts)
                .map_err(HandleError::reject)?;
            let ics = r.ics.map(|method| {
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
                    attendees: attendees.clone(),
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
        composed: &Composed,
        link: Option<&str>,
    ) -> Result<(), HandleError> {
        let body = crate::compose::feed_body(&composed.text);
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
        .await?
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
            .await?;
        }
        Ok(())
    }

    /// The client's message in their language and Leichte Sprache, if they gave an address.
    pub(super) async fn client(
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

    pub(super) async fn client_with(
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

    pub(super) async fn booking(
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
}

/// `noreply@host` out of `Name <noreply@host>`.
fn sender_address(from: &str) -> String {
    from.rsplit_once('<')
        .and_then(|(_, rest)| rest.strip_suffix('>'))
        .unwrap_or(from)
        .trim()
        .to_owned()
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
