//! From events to messages: the booking stream's events (and the reminders that fall
//! due) become mails, calendar entries and feed items, each queued in the same
//! transaction that marks the event handled, so a redelivery queues nothing twice.
//!
//! `recipients` decides who is told what (pure); `deliver` composes and queues it;
//! this module keeps the booking copy current and runs the reminders.

pub mod accounts;
mod deliver;
pub mod ending;
mod offers;
pub mod recipients;

use crate::compose::{Kind, Templates};
use crate::settings::NotificationsConfig;
use crate::store::{self, BookingFacts, ReminderOutcome};
use chrono::Utc;
use mittler_contracts::booking::{
    AssignmentReturned, BookingAmended, BookingAssigned, BookingCancelled, BookingRequested,
    BookingRescheduled, BookingUnfilled, DispatchEscalated, DispatchStillOpen, OfferAccepted,
    OfferDeclined, OfferExpired, OfferMade, OfferWithdrawn, TimeClaimed, TimeDisputed,
};
use mittler_contracts::session::RoomOpened;
use mittler_platform::CancellationToken;
use mittler_platform::consumer::{EventHandler, HandleError, IncomingEvent};
use mittler_types::{BookingKind, BookingState};
use recipients::{ask, requester_and};
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

impl Notifier {
    /// Store a new version of the booking's copy and drop the reminders of the old one.
    async fn advance(
        &self,
        tx: &mut PgConnection,
        booking: &mut BookingFacts,
        state: BookingState,
    ) -> Result<(), HandleError> {
        booking.state = state;
        booking.sequence += 1;
        store::update_booking(&mut *tx, booking)
            .await
            .map_err(HandleError::retry)?;
        store::cancel_reminders(&mut *tx, booking.booking_id)
            .await
            .map(drop)
            .map_err(HandleError::retry)
    }

    fn booking_link(&self, booking: &BookingFacts) -> String {
        self.link(&format!("/bookings/{}", booking.booking_id))
    }

    async fn offer_made(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        offer: OfferMade,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, offer.booking_id).await?;
        let contacts = self
            .contacts(ask(&booking, vec![], vec![offer.mediator_id], false))
            .await?;
        let link = self.link(&format!("/offers/{}", offer.offer_id));
        let to = recipients::offer(&contacts, offer.mediator_id, &link, offer.expires_at);
        self.send(tx, cause, &booking, &contacts, to).await
    }

    async fn received(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        booking: mittler_types::BookingId,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, booking).await?;
        let contacts = self.contacts(requester_and(&booking, [])).await?;
        let link = self.booking_link(&booking);
        let to = recipients::received(&booking, &contacts, &link);
        self.send(tx, cause, &booking, &contacts, to).await
    }

    async fn assigned(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        assigned: BookingAssigned,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, assigned.booking_id).await?;
        booking.mediator_id = Some(assigned.mediator_id);
        self.advance(tx, &mut booking, BookingState::Assigned)
            .await?;
        let contacts = self
            .contacts(requester_and(&booking, [assigned.mediator_id]))
            .await?;
        let link = self.booking_link(&booking);
        let to = recipients::assigned(&booking, &contacts, assigned.mediator_id, &link);
        self.send(tx, cause, &booking, &contacts, to).await?;
        self.client(tx, cause, &booking, &contacts, Kind::ClientInvitation)
            .await?;
        self.plan_reminders(tx, &booking).await
    }

    /// Reminders for this version of the booking.
    async fn plan_reminders(
        &self,
        tx: &mut PgConnection,
        booking: &BookingFacts,
    ) -> Result<(), HandleError> {
        let leads = &self.config.reminder_minutes;
        for (lead, due) in recipients::reminders(booking.details.start, leads, Utc::now()) {
            store::plan_reminder(&mut *tx, booking.booking_id, booking.sequence, lead, due).await?;
        }
        Ok(())
    }

    /// Notes, client or place changed: the copy follows; a held booking's requester
    /// and mediator get it as it is now, with the calendar entry updated.
    async fn amended(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        amended: BookingAmended,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, amended.booking_id).await?;
        let client_email =
            |b: &BookingFacts| b.details.client.as_ref().and_then(|c| c.email.clone());
        let had_email = client_email(&booking);
        booking.details = amended.details;
        let Some(mediator) = booking
            .mediator_id
            .filter(|_| amended.state == BookingState::Assigned)
        else {
            booking.state = amended.state;
            return store::update_booking(&mut *tx, &booking)
                .await
                .map_err(HandleError::retry);
        };
        self.advance(tx, &mut booking, BookingState::Assigned)
            .await?;
        let contacts = self.contacts(requester_and(&booking, [mediator])).await?;
        let link = self.booking_link(&booking);
        let to = recipients::amended(&booking, &contacts, mediator, &link);
        self.send(tx, cause, &booking, &contacts, to).await?;
        // A client address given (or corrected) after the confirmation: the client's
        // invitation goes there now.
        let has_email = client_email(&booking);
        if has_email.is_some() && has_email != had_email {
            self.client(tx, cause, &booking, &contacts, Kind::ClientInvitation)
                .await?;
        }
        self.plan_reminders(tx, &booking).await
    }

    async fn cancelled(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        cancelled: BookingCancelled,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, cancelled.booking_id).await?;
        let had_mediator = booking.mediator_id;
        self.advance(tx, &mut booking, BookingState::Cancelled)
            .await?;
        let contacts = self.contacts(requester_and(&booking, had_mediator)).await?;
        let to = recipients::cancelled(&booking, &contacts, had_mediator, &cancelled.reason);
        self.send(tx, cause, &booking, &contacts, to).await?;
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
        // A mediator free at the new time keeps the job.
        booking.mediator_id = moved.kept;
        let state = if moved.kept.is_some() {
            BookingState::Assigned
        } else {
            BookingState::Requested
        };
        self.advance(tx, &mut booking, state).await?;
        let contacts = self.contacts(requester_and(&booking, had_mediator)).await?;
        let link = self.booking_link(&booking);
        let to = recipients::rescheduled(&booking, &contacts, had_mediator, &link);
        self.send(tx, cause, &booking, &contacts, to).await?;
        // The client was invited once a mediator held it: they learn the new time.
        if had_mediator.is_some() {
            self.client(tx, cause, &booking, &contacts, Kind::ClientRescheduled)
                .await?;
        }
        if moved.kept.is_some() {
            self.plan_reminders(tx, &booking).await?;
        }
        Ok(())
    }

    async fn escalated(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        escalated: DispatchEscalated,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, escalated.booking_id).await?;
        let contacts = self.contacts(ask(&booking, vec![], vec![], true)).await?;
        let link = self.link(&format!("/queue?booking={}", booking.booking_id));
        let to = recipients::escalated(&contacts, &escalated.reason, &link);
        self.send(tx, cause, &booking, &contacts, to).await
    }

    async fn returned(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        returned: AssignmentReturned,
    ) -> Result<(), HandleError> {
        let mut booking = self.booking(tx, returned.booking_id).await?;
        booking.mediator_id = None;
        self.advance(tx, &mut booking, BookingState::Requested)
            .await?;
        let contacts = self
            .contacts(requester_and(&booking, [returned.mediator_id]))
            .await?;
        let link = self.booking_link(&booking);
        let to = recipients::returned(
            &booking,
            &contacts,
            returned.mediator_id,
            &returned.reason,
            &link,
            returned.by.is_some(),
        );
        self.send(tx, cause, &booking, &contacts, to).await?;
        // The client keeps the appointment; a video link of theirs stops working.
        self.client(tx, cause, &booking, &contacts, Kind::ClientReturned)
            .await
    }

    /// A video room opened: everyone gets their own link.
    async fn room_opened(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        opened: RoomOpened,
    ) -> Result<(), HandleError> {
        let booking = self.booking(tx, opened.booking_id).await?;
        let users = opened.links.iter().filter_map(|l| l.user_id).collect();
        let mediators = opened.links.iter().filter_map(|l| l.mediator_id).collect();
        let contacts = self
            .contacts(ask(&booking, users, mediators, false))
            .await?;
        let to = recipients::room(&contacts, &opened.links);
        self.send(tx, cause, &booking, &contacts, to).await?;
        if let Some(link) = recipients::client_link(&opened.links) {
            self.client_with(
                tx,
                cause,
                &booking,
                &contacts,
                Kind::ClientSessionLink,
                Some(link),
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
        let booking = store::booking_for_update(&mut tx, due.booking_id).await?;
        let holds = booking
            .as_ref()
            .and_then(|b| recipients::reminder_holds(b, due.sequence));
        let (Some(booking), Some(mediator)) = (booking, holds) else {
            store::finish_reminder(&mut *tx, due.id, ReminderOutcome::Cancelled).await?;
            tx.commit().await?;
            return Ok(true);
        };
        let contacts = self
            .contacts(requester_and(&booking, [mediator]))
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let link = self.booking_link(&booking);
        let lead = i64::from(due.lead_minutes);
        let to = recipients::reminder(&booking, &contacts, mediator, lead, &link);
        let cause = format!("reminder/{}", due.id);
        self.send(&mut tx, &cause, &booking, &contacts, to)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // The day before, the client too, in their language and Leichte Sprache.
        if lead == recipients::CLIENT_REMINDER_MINUTES {
            self.client(&mut tx, &cause, &booking, &contacts, Kind::ClientReminder)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        store::finish_reminder(&mut *tx, due.id, ReminderOutcome::Sent).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// The consumer of the booking stream.
#[derive(Clone, Debug)]
pub struct NotifyHandler(pub Notifier);

mittler_contracts::consumer_events! {
    /// What notifications act on.
    pub enum Input {
        Requested(BookingRequested),
        OfferMade(OfferMade),
        OfferWithdrawn(OfferWithdrawn),
        OfferExpired(OfferExpired),
        OfferAccepted(OfferAccepted),
        OfferDeclined(OfferDeclined),
        Assigned(BookingAssigned),
        Cancelled(BookingCancelled),
        Rescheduled(BookingRescheduled),
        Amended(BookingAmended),
        Escalated(DispatchEscalated),
        Returned(AssignmentReturned),
        RoomOpened(RoomOpened),
        Unfilled(BookingUnfilled),
        StillOpen(DispatchStillOpen),
        TimeClaimed(TimeClaimed),
        TimeDisputed(TimeDisputed),
    }
}

impl EventHandler for NotifyHandler {
    type Events = Input;

    async fn handle_event(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        input: Input,
    ) -> Result<(), HandleError> {
        let cause = event.envelope.id.to_string();
        let n = &self.0;
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
                .map_err(HandleError::retry)?;
                // A call for right now is answered by the call; an appointment gets
                // word that it arrived.
                if requested.details.kind == BookingKind::Scheduled {
                    n.received(tx, &cause, requested.booking_id).await?;
                }
                Ok(())
            }
            Input::OfferMade(e) => n.offer_made(tx, &cause, e.data).await,
            Input::OfferWithdrawn(e) => {
                let why = e.data.because.map_or("withdrawn", |b| b.as_str());
                n.offer_closed(tx, e.data.offer_id, why).await
            }
            Input::OfferExpired(e) => n.offer_closed(tx, e.data.offer_id, "expired").await,
            Input::OfferAccepted(e) => n.offer_closed(tx, e.data.offer_id, "accepted").await,
            Input::OfferDeclined(e) => n.offer_closed(tx, e.data.offer_id, "declined").await,
            Input::Assigned(e) => n.assigned(tx, &cause, e.data).await,
            Input::Cancelled(e) => n.cancelled(tx, &cause, e.data).await,
            Input::Rescheduled(e) => n.rescheduled(tx, &cause, e.data).await,
            Input::Amended(e) => n.amended(tx, &cause, e.data).await,
            Input::Escalated(e) => n.escalated(tx, &cause, e.data).await,
            Input::RoomOpened(e) => n.room_opened(tx, &cause, e.data).await,
            Input::Returned(e) => n.returned(tx, &cause, e.data).await,
            Input::Unfilled(e) => n.unfilled(tx, &cause, e.data).await,
            Input::StillOpen(e) => n.still_open(tx, &cause, e.data).await,
            Input::TimeClaimed(e) => n.time_claimed(tx, &cause, e.data).await,
            Input::TimeDisputed(e) => n.time_disputed(tx, &cause, e.data).await,
        }
    }
}
