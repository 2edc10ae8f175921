//! Deadlines that fall due: a wave's offers expire (then the broadcast follows or the
//! coordinators are told), a scheduled booking's escalation point passes, the
//! coordinators are alerted again, a booking's start passes unassigned (`unfilled`,
//! in `unfilled`), a claimed time record is confirmed by rule (`records`). Rows
//! in `booking.timers`, drained with `FOR UPDATE SKIP LOCKED`, so that a restart
//! loses none and replicas share the work.

use super::plan::{self, AfterDeadline};
use super::{Dispatcher, emit, store};
use crate::store as bookings;
use chrono::Utc;
use mittler_contracts::booking::OfferExpired;
use mittler_contracts::text;
use mittler_platform::CancellationToken;
use mittler_platform::consumer::HandleError;
use mittler_types::{BookingId, BookingState};
use sqlx::PgConnection;

impl Dispatcher {
    /// Drain due deadlines until `shutdown`: each in its own transaction, claimed with
    /// `FOR UPDATE SKIP LOCKED` so that several replicas share the work.
    pub async fn run_timers(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let poll = std::time::Duration::from_millis(self.config.timer_poll_ms);
        loop {
            if let Err(error) = self.reconcile_due().await {
                tracing::warn!(error = %format!("{error:#}"), "reconciliation pass failed; retrying");
            }
            match self.fire_due().await {
                Ok(fired) if fired > 0 => continue,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "timer pass failed; retrying")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Fire the deadlines that are due; returns how many.
    pub async fn fire_due(&self) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let due = store::due_timers(&mut tx, 8).await?;
        for (timer, booking_id, kind, wave) in &due {
            match kind {
                store::TimerKind::WaveDeadline => {
                    self.wave_deadline(&mut tx, *booking_id, *wave).await
                }
                store::TimerKind::Escalation => self.escalation_due(&mut tx, *booking_id).await,
                store::TimerKind::StartPassed => self.start_passed(&mut tx, *booking_id).await,
                store::TimerKind::Alert => self.alert_due(&mut tx, *booking_id).await,
                store::TimerKind::ConfirmRecord => {
                    crate::records::confirm_by_rule(&mut tx, *booking_id, &self.records).await
                }
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            store::finish_timer(&mut *tx, *timer).await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }

    pub(super) async fn wave_deadline(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
        wave: i32,
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get_for_update(tx, id).await? else {
            return Ok(());
        };
        if row.state() != BookingState::Offering {
            return Ok(());
        }
        let settings = self.settings(&row)?;
        let view = row.into_view().map_err(HandleError::reject)?;
        for offer in
            store::close_open_offers(&mut *tx, id, Some(wave), store::OfferState::Expired).await?
        {
            emit(
                tx,
                OfferExpired {
                    offer_id: offer.id,
                    booking_id: id,
                    organisation_id: view.organisation_id,
                    mediator_id: offer.mediator_id,
                },
            )
            .await?;
        }
        let (kind, start) = (view.details.kind, view.details.start);
        if plan::after_deadline(kind, wave) == AfterDeadline::Broadcast
            && self.offer_wave(tx, &view, &settings, 2, &[]).await? > 0
        {
            // Came in after its escalation point: the coordinators hear of it now.
            if plan::escalation_point(kind, start, &settings)
                .is_some_and(|point| point <= Utc::now())
            {
                self.escalate(tx, &view, &text!("dispatch.start_near").english())
                    .await?;
            }
            return Ok(());
        }
        self.escalate(tx, &view, &text!("dispatch.nobody_in_time").english())
            .await
    }

    /// The escalation point passed: a booking still open goes to the coordinators.
    pub(super) async fn escalation_due(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get_for_update(tx, id).await? else {
            return Ok(());
        };
        if !matches!(
            row.state(),
            BookingState::Requested | BookingState::Offering
        ) {
            return Ok(());
        }
        let view = row.into_view().map_err(HandleError::reject)?;
        self.escalate(tx, &view, &text!("dispatch.escalation_point").english())
            .await
    }
}
