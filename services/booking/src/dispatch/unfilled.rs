//! A booking nobody takes ends `unfilled`: when its start passes unassigned (a
//! persisted timer), or when a coordinator gives up on it. Before that the
//! coordinators are alerted again as the start nears.

use super::offers::withdraw_open_offers;
use super::{Dispatcher, emit, store};
use crate::error::BookingError;
use crate::lifecycle;
use crate::store as bookings;
use chrono::Utc;
use mittler_contracts::RpcFault;
use mittler_contracts::booking::{
    BookingUnfilled, BookingView, DispatchStillOpen, GiveUpRequest, Withdrawal,
};
use mittler_contracts::text;
use mittler_platform::consumer::HandleError;
use mittler_platform::outbox;
use mittler_types::{BookingId, BookingState, UserId};
use sqlx::PgConnection;

/// The reason recorded when the start passed unassigned (`dispatch.start_passed`).
pub fn start_passed_reason() -> String {
    text!("dispatch.start_passed").english()
}

/// Whether a booking is still waiting for a mediator.
fn waiting(state: BookingState) -> bool {
    matches!(state, BookingState::Requested | BookingState::Offering)
}

/// Move a locked booking that is still waiting to `unfilled`: its open offers are
/// withdrawn, its dispatch timers end, and the requester is told (the event).
async fn end_unfilled(
    tx: &mut PgConnection,
    row: bookings::BookingRow,
    by: Option<UserId>,
    reason: &str,
) -> Result<BookingView, BookingError> {
    let id = row.id();
    let from = row.state();
    lifecycle::check(from, BookingState::Unfilled)?;
    let row = bookings::set_state(tx, id, from, BookingState::Unfilled, Some(reason), by)
        .await?
        .ok_or_else(|| BookingError::Internal(anyhow::anyhow!("locked booking changed state")))?;
    withdraw_open_offers(
        tx,
        id,
        row.organisation_id(),
        Withdrawal::GivenUp,
        "the booking was given up",
        outbox::Batch::default(),
    )
    .await?;
    store::cancel_timers(&mut *tx, id).await?;
    emit(
        tx,
        BookingUnfilled {
            booking_id: id,
            organisation_id: row.organisation_id(),
            reason: reason.to_owned(),
            unfilled_by: by,
        },
    )
    .await?;
    tracing::warn!(booking_id = %id, reason, "booking unfilled");
    Ok(row.into_view()?)
}

impl Dispatcher {
    /// The start (an on-demand call: its end) passed: a booking still waiting is
    /// unfilled. A booking moved to a later time since is left alone.
    pub(super) async fn start_passed(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get_for_update(tx, id).await? else {
            return Ok(());
        };
        let due = super::plan::unfilled_at(
            if row.is_on_demand() {
                mittler_types::BookingKind::OnDemand
            } else {
                mittler_types::BookingKind::Scheduled
            },
            row.start(),
            row.end(),
        );
        if !waiting(row.state()) || due > Utc::now() {
            return Ok(());
        }
        end_unfilled(tx, row, None, &start_passed_reason())
            .await
            .map(drop)
            .map_err(|e| HandleError::retry(anyhow::anyhow!("{e}")))
    }

    /// A repeated alert fell due: the coordinators hear again of a booking that still
    /// waits, with the time left.
    pub(super) async fn alert_due(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get(tx, id).await? else {
            return Ok(());
        };
        let now = Utc::now();
        if !waiting(row.state()) || row.start() <= now {
            return Ok(());
        }
        emit(
            tx,
            DispatchStillOpen {
                booking_id: id,
                organisation_id: row.organisation_id(),
                start: row.start(),
                minutes_left: (row.start() - now).num_minutes(),
            },
        )
        .await?;
        Ok(())
    }

    /// `booking.rpc.give_up`: a coordinator ends a booking nobody takes, with a
    /// reason the requester reads.
    #[tracing::instrument(skip_all, fields(booking_id = %request.id))]
    pub async fn give_up(&self, request: GiveUpRequest) -> Result<BookingView, BookingError> {
        let reason = request.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(
                RpcFault::invalid_field("reason", text!("field.length", max = 1000)).into(),
            );
        }
        let mut tx = self.pool.begin().await?;
        let row = bookings::get_for_update(&mut tx, request.id)
            .await?
            .filter(|row| request.scope.allows(row.organisation_id()))
            .ok_or(BookingError::NotFound)?;
        let view = end_unfilled(&mut tx, row, Some(request.by), &reason).await?;
        tx.commit().await?;
        let mut view = view;
        super::attach(&self.pool, std::slice::from_mut(&mut view)).await?;
        Ok(view)
    }
}
