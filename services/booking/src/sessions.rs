//! The booking follows its video session: `session.session.started` moves it to
//! `in_session`; `session.session.ended` (the room emptied) back to `assigned`, with
//! the room's measured time as the claim of its time record (`records`). A
//! reconnect starts the session again; the booking is `completed` once the record
//! is confirmed.

use crate::lifecycle;
use crate::store;
use mittler_contracts::booking::BookingSessionStarted;
use mittler_contracts::session::{SessionEnded, SessionStarted};
use mittler_contracts::{Envelope, Event};
use mittler_platform::consumer::{HandleError, Handler, IncomingEvent};
use mittler_platform::{Schema, outbox};
use mittler_types::{BookingId, BookingState};
use sqlx::PgConnection;

#[derive(Clone, Debug, Default)]
pub struct SessionEvents {
    pub records: crate::settings::RecordsConfig,
}

async fn move_to<E: Event>(
    tx: &mut PgConnection,
    id: BookingId,
    to: BookingState,
    event: impl FnOnce() -> E,
) -> Result<bool, HandleError> {
    let Some(row) = store::get_for_update(tx, id).await? else {
        return Ok(false);
    };
    let from = row.state();
    if lifecycle::check(from, to).is_err() {
        // Cancelled meanwhile, or a late duplicate: nothing to follow.
        tracing::info!(booking_id = %id, from = from.as_str(), to = to.as_str(), "session event ignored");
        return Ok(false);
    }
    store::set_state(tx, id, from, to, None, None).await?;
    outbox::enqueue(
        tx,
        Schema::BOOKING,
        &Envelope::new(event(), outbox::root_meta()),
    )
    .await?;
    Ok(true)
}

impl Handler for SessionEvents {
    fn handles(&self, event_type: &str) -> bool {
        [SessionStarted::TYPE, SessionEnded::TYPE].contains(&event_type)
    }

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        let envelope = &event.envelope;
        if envelope.is::<SessionStarted>() {
            let s = envelope
                .decode::<SessionStarted>()
                .map_err(HandleError::reject)?
                .data;
            store::session_began(tx, s.booking_id, s.started_at).await?;
            move_to(tx, s.booking_id, BookingState::InSession, || {
                BookingSessionStarted {
                    booking_id: s.booking_id,
                    organisation_id: s.organisation_id,
                    started_at: s.started_at,
                }
            })
            .await
            .map(|_| ())
        } else if envelope.is::<SessionEnded>() {
            let s = envelope
                .decode::<SessionEnded>()
                .map_err(HandleError::reject)?
                .data;
            store::session_began(tx, s.booking_id, s.started_at).await?;
            if let Some(row) = store::get_for_update(tx, s.booking_id).await?
                && row.state() == BookingState::InSession
            {
                store::set_state(
                    tx,
                    s.booking_id,
                    BookingState::InSession,
                    BookingState::Assigned,
                    None,
                    None,
                )
                .await?;
            }
            crate::records::claim_from_session(tx, &s, &self.records).await
        } else {
            Ok(())
        }
    }
}
