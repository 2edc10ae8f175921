//! A rescheduled booking whose mediator is free at the new time stays theirs: their
//! reservation moves with it (the old slot given back, the new one taken through the
//! reservation guard). Should someone else have taken that slot in the meantime, the
//! job goes back to dispatch as if they had given it back.

use super::{Dispatcher, emit, store};
use crate::store as bookings;
use mittler_contracts::booking::{AssignmentReturned, BookingRescheduled};
use mittler_contracts::text;
use mittler_platform::consumer::HandleError;
use mittler_types::{BookingState, MediatorId};
use sqlx::PgConnection;

impl Dispatcher {
    /// Move the kept mediator's reservation to the booking's new time. Runs in the
    /// consumer's transaction: a crash anywhere repeats it (the old slot's release
    /// and the new slot's reservation are both idempotent).
    pub(super) async fn keep(
        &self,
        tx: &mut PgConnection,
        moved: &BookingRescheduled,
        mediator: MediatorId,
    ) -> Result<(), HandleError> {
        let id = moved.booking_id;
        let Some(row) = bookings::get_for_update(tx, id).await? else {
            return Err(HandleError::reject(anyhow::anyhow!(
                "booking {id} does not exist"
            )));
        };
        let Some((holder, old)) = store::assignment(&mut *tx, id).await? else {
            return Ok(()); // given back or cancelled since
        };
        if row.state() != BookingState::Assigned || holder != mediator {
            return Ok(());
        }
        let view = row.into_view().map_err(HandleError::reject)?;
        if view.details.start != moved.details.start || view.details.end != moved.details.end {
            return Ok(()); // moved again since: that event moves the slot
        }
        // Released already if an earlier attempt crashed after this.
        self.release(old).await?;
        let taken = self
            .reserve_guarded(&view, mediator)
            .await
            .map_err(|e| HandleError::retry(anyhow::anyhow!("{e}")))?;
        match taken {
            Ok(reservation) => {
                store::move_assignment(&mut *tx, id, reservation.id).await?;
                store::close_guard(&mut *tx, reservation.id, store::GuardOutcome::Kept).await?;
                tracing::info!(booking_id = %id, %mediator, "the mediator keeps the moved booking");
                Ok(())
            }
            Err(fault) => {
                // Someone else took the slot since availability said it was free.
                tracing::info!(booking_id = %id, %mediator, reason = %fault.message, "the mediator could not keep the moved booking");
                store::remove_assignment(&mut *tx, id).await?;
                bookings::set_state(
                    tx,
                    id,
                    BookingState::Assigned,
                    BookingState::Requested,
                    None,
                    None,
                )
                .await?;
                emit(
                    tx,
                    AssignmentReturned {
                        booking_id: id,
                        organisation_id: view.organisation_id,
                        mediator_id: mediator,
                        // The pool works in German; the mails quote the reason as it is.
                        reason: text!("offer.not_free_after_move").render("de"),
                        by: None,
                    },
                )
                .await?;
                self.start(tx, id, &[mediator]).await
            }
        }
    }
}
