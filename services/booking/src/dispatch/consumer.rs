//! The booking events that start and stop a dispatch: requested, rescheduled, a job
//! given back (dispatched again without the giver), cancelled.

use super::Dispatcher;
use mittler_contracts::Event as _;
use mittler_contracts::booking::{
    AssignmentReturned, BookingCancelled, BookingRequested, BookingRescheduled,
};
use mittler_platform::consumer::{HandleError, Handler, IncomingEvent};
use sqlx::PgConnection;

/// The consumer of booking lifecycle events.
#[derive(Clone, Debug)]
pub(super) struct DispatchHandler(pub(super) Dispatcher);

impl Handler for DispatchHandler {
    fn handles(&self, event_type: &str) -> bool {
        [
            BookingRequested::TYPE,
            BookingRescheduled::TYPE,
            AssignmentReturned::TYPE,
            BookingCancelled::TYPE,
        ]
        .contains(&event_type)
    }

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        let envelope = &event.envelope;
        if envelope.is::<BookingRequested>() {
            let requested = envelope
                .decode::<BookingRequested>()
                .map_err(HandleError::reject)?;
            self.0.start(tx, requested.data.booking_id, &[]).await
        } else if envelope.is::<BookingRescheduled>() {
            let moved = envelope
                .decode::<BookingRescheduled>()
                .map_err(HandleError::reject)?;
            self.0.start(tx, moved.data.booking_id, &[]).await
        } else if envelope.is::<AssignmentReturned>() {
            let returned = envelope
                .decode::<AssignmentReturned>()
                .map_err(HandleError::reject)?;
            self.0
                .start(tx, returned.data.booking_id, &[returned.data.mediator_id])
                .await
        } else if envelope.is::<BookingCancelled>() {
            let cancelled = envelope
                .decode::<BookingCancelled>()
                .map_err(HandleError::reject)?;
            self.0.cancelled(tx, cancelled.data.booking_id).await
        } else {
            Ok(())
        }
    }
}
