//! The booking events that start and stop a dispatch: requested, rescheduled, a new
//! place before anyone accepted, a job given back (dispatched again without the
//! giver), cancelled.

use super::Dispatcher;
use mittler_contracts::availability::ProfileChanged;
use mittler_contracts::booking::{
    AssignmentReturned, BookingAmended, BookingCancelled, BookingRequested, BookingRescheduled,
};
use mittler_platform::consumer::{EventHandler, HandleError, IncomingEvent};
use mittler_types::BookingState;
use sqlx::PgConnection;

mittler_contracts::consumer_events! {
    /// What dispatch acts on.
    pub(super) enum Input {
        Requested(BookingRequested),
        Rescheduled(BookingRescheduled),
        Amended(BookingAmended),
        Returned(AssignmentReturned),
        Cancelled(BookingCancelled),
    }
}

mittler_contracts::consumer_events! {
    /// What dispatch acts on from availability.
    pub(super) enum Profiles {
        Changed(ProfileChanged),
    }
}

/// The consumer of availability's profile changes: a deactivated mediator's open
/// offers are withdrawn at once, and so are a mediator's offers of a pool that
/// paused or dropped them.
#[derive(Clone, Debug)]
pub(super) struct ProfilesHandler;

impl EventHandler for ProfilesHandler {
    type Events = Profiles;

    async fn handle_event(
        &self,
        tx: &mut PgConnection,
        _event: &IncomingEvent,
        input: Profiles,
    ) -> Result<(), HandleError> {
        match input {
            Profiles::Changed(e) => {
                let data = e.data;
                // Deactivated: every offer ends; else those of pools no longer served.
                let serving: Option<Vec<uuid::Uuid>> = if data.active {
                    match data.serving {
                        Some(pools) => Some(pools.iter().map(|p| p.as_uuid()).collect()),
                        None => return Ok(()),
                    }
                } else {
                    None
                };
                let withdrawn =
                    super::offers::withdraw_offers_of(tx, data.mediator_id, serving.as_deref())
                        .await
                        .map_err(HandleError::retry)?;
                if withdrawn > 0 {
                    tracing::info!(mediator_id = %data.mediator_id, withdrawn, "offers the mediator may no longer take withdrawn");
                }
                Ok(())
            }
        }
    }
}

/// The consumer of booking lifecycle events.
#[derive(Clone, Debug)]
pub(super) struct DispatchHandler(pub(super) Dispatcher);

impl EventHandler for DispatchHandler {
    type Events = Input;

    async fn handle_event(
        &self,
        tx: &mut PgConnection,
        _event: &IncomingEvent,
        input: Input,
    ) -> Result<(), HandleError> {
        match input {
            Input::Requested(e) => self.0.start(tx, e.data.booking_id, &[]).await,
            Input::Rescheduled(e) => match e.data.kept {
                Some(mediator) => self.0.keep(tx, &e.data, mediator).await,
                None => self.0.start(tx, e.data.booking_id, &[]).await,
            },
            // Distances were measured from the old place: ask again from the new one.
            Input::Amended(e)
                if e.data.state == BookingState::Requested
                    && e.data.changed.iter().any(|c| c == "location") =>
            {
                self.0.start(tx, e.data.booking_id, &[]).await
            }
            Input::Amended(_) => Ok(()),
            Input::Returned(e) => {
                self.0
                    .start(tx, e.data.booking_id, &[e.data.mediator_id])
                    .await
            }
            Input::Cancelled(e) => self.0.cancelled(tx, e.data.booking_id).await,
        }
    }
}
