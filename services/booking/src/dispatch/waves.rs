//! Carrying a dispatch out: candidates from availability, the ranking, a wave's
//! offers with their events and timer, escalation to the coordinators, and what a
//! cancellation stops. The decisions themselves are in `plan`.

use super::offers::withdraw_open_offers;
use super::plan::{self, WaveBooking};
use super::{Dispatcher, emit, ranking, store};
use crate::settings::DispatchConfig;
use crate::store as bookings;
use chrono::Utc;
use mittler_contracts::Envelope;
use mittler_contracts::availability::{Candidates, Needs, Release, ReleaseRequest};
use mittler_contracts::booking::{
    BookingOffering, BookingView, DispatchEscalated, ExcludedMediator, OfferMade, Withdrawal,
};
use mittler_contracts::text;
use mittler_platform::consumer::HandleError;
use mittler_platform::rpc::{self, RpcError};
use mittler_platform::{Schema, outbox};
use mittler_types::{BookingId, BookingKind, BookingState, MediatorId, ReservationId};
use serde_json::json;
use sqlx::PgConnection;

impl Dispatcher {
    /// Start (or restart) dispatch of a booking that is `requested`.
    pub(super) async fn start(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
        exclude: &[MediatorId],
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get_for_update(tx, id).await? else {
            return Err(HandleError::reject(anyhow::anyhow!(
                "booking {id} does not exist"
            )));
        };
        if row.state() != BookingState::Requested {
            return Ok(()); // already dispatched, assigned or cancelled
        }
        self.release_assignment(tx, id).await?;
        withdraw_open_offers(
            tx,
            id,
            row.organisation_id(),
            Withdrawal::Changed,
            "the booking changed",
            outbox::Batch::default(),
        )
        .await
        .map_err(HandleError::retry)?;
        store::clear_escalation(&mut *tx, id).await?;
        // A dispatch starting over (a new time, a give-back) plans its own end.
        store::cancel_timers(&mut *tx, id).await?;
        let settings = self.settings(&row)?;
        let view = row.into_view().map_err(HandleError::reject)?;
        let (kind, start) = (view.details.kind, view.details.start);
        let end_at = plan::unfilled_at(kind, start, view.details.end);
        store::insert_timer(&mut *tx, id, store::TimerKind::StartPassed, 0, end_at).await?;
        for point in plan::alert_points(kind, start, &settings, Utc::now()) {
            store::insert_timer(&mut *tx, id, store::TimerKind::Alert, 0, point).await?;
        }
        let offered = self.offer_wave(tx, &view, &settings, 1, exclude).await?;
        if offered == 0 {
            self.escalate(tx, &view, &text!("dispatch.no_candidates").english())
                .await?;
        } else if let Some(point) =
            plan::escalation_timer(view.details.kind, view.details.start, &settings, Utc::now())
        {
            store::insert_timer(&mut *tx, id, store::TimerKind::Escalation, 0, point).await?;
        }
        Ok(())
    }

    /// The configuration with the booking's own dispatch policy laid over it.
    pub(super) fn settings(
        &self,
        row: &bookings::BookingRow,
    ) -> Result<DispatchConfig, HandleError> {
        Ok(plan::effective(
            &self.config,
            row.policy().map_err(HandleError::reject)?,
        ))
    }

    /// Offer the booking to the next wave; returns how many were asked.
    pub(super) async fn offer_wave(
        &self,
        tx: &mut PgConnection,
        booking: &BookingView,
        settings: &DispatchConfig,
        wave: i32,
        exclude: &[MediatorId],
    ) -> Result<usize, HandleError> {
        let details = &booking.details;
        let on_demand = details.kind == BookingKind::OnDemand;
        let needs = Needs::of_booking(details, Some(booking.id), booking.pool_id);
        let answer = match rpc::call::<Candidates>(&self.nats, &needs, self.timeout).await {
            Ok(answer) => answer,
            Err(RpcError::Fault(fault)) => return Err(HandleError::reject(fault)),
            Err(other) => return Err(HandleError::retry(other)),
        };
        // A new dispatch (wave 1) may ask anyone but those excluded; later waves skip
        // whoever this dispatch asked already.
        let mut already: Vec<MediatorId> = exclude.to_vec();
        if wave > 1
            && let Some(since) = store::dispatch_started(&mut *tx, booking.id).await?
        {
            already.extend(store::offered_since(&mut *tx, booking.id, since).await?);
        }
        let ids: Vec<uuid::Uuid> = answer
            .eligible
            .iter()
            .map(|c| c.mediator_id.as_uuid())
            .collect();
        let workload = store::workload(&mut *tx, &ids).await?;
        let previous = match &details.client {
            Some(client) => {
                store::previous_mediator(
                    &mut *tx,
                    booking.organisation_id,
                    &client.reference,
                    booking.id,
                )
                .await?
            }
            None => None,
        };
        let ranked = ranking::rank(
            answer.eligible,
            details.min_qualification,
            previous,
            &workload,
        );
        let plan = plan::plan_wave(
            WaveBooking {
                kind: details.kind,
                start: details.start,
            },
            &ranked,
            &already,
            settings,
            wave,
            Utc::now(),
        );
        let excluded_json: Vec<ExcludedMediator> = answer
            .excluded
            .iter()
            .map(|e| ExcludedMediator {
                mediator_id: e.mediator_id,
                reasons: e
                    .reasons
                    .iter()
                    .map(|r| {
                        serde_json::to_value(r)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    })
                    .collect(),
                distance_km: e.distance_km,
                max_travel_km: e.max_travel_km,
            })
            .collect();
        store::insert_round(
            &mut *tx,
            booking.id,
            wave,
            &json!(plan.ranked),
            &json!(excluded_json),
            answer.other_languages,
        )
        .await?;
        if plan.offers.is_empty() {
            return Ok(0);
        }
        let expires_at = plan.expires_at;
        let made =
            store::insert_offers(&mut *tx, booking.id, &plan.offers, wave, expires_at).await?;
        let mut events = outbox::Batch::default();
        for (offer_id, mediator_id) in made {
            events.add(&Envelope::new(
                OfferMade {
                    offer_id,
                    booking_id: booking.id,
                    organisation_id: booking.organisation_id,
                    mediator_id,
                    wave,
                    expires_at,
                },
                outbox::root_meta(),
            ))?;
        }
        events.write(tx, Schema::BOOKING).await?;
        if on_demand {
            let waited =
                (Utc::now() - booking.created_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("dispatch_on_demand_ring_seconds").record(waited);
        }
        store::insert_timer(
            &mut *tx,
            booking.id,
            store::TimerKind::WaveDeadline,
            wave,
            expires_at,
        )
        .await?;
        if booking.state == BookingState::Requested {
            bookings::set_state(
                &mut *tx,
                booking.id,
                BookingState::Requested,
                BookingState::Offering,
                None,
                None,
            )
            .await?;
            emit(
                tx,
                BookingOffering {
                    booking_id: booking.id,
                    organisation_id: booking.organisation_id,
                },
            )
            .await?;
        }
        tracing::info!(booking_id = %booking.id, wave, offers = plan.offers.len(), "offers made");
        Ok(plan.offers.len())
    }

    pub(super) async fn escalate(
        &self,
        tx: &mut PgConnection,
        booking: &BookingView,
        reason: &str,
    ) -> Result<(), HandleError> {
        if !store::mark_escalated(&mut *tx, booking.id).await? {
            return Ok(()); // this dispatch already went to the coordinators
        }
        emit(
            tx,
            DispatchEscalated {
                booking_id: booking.id,
                organisation_id: booking.organisation_id,
                reason: reason.to_owned(),
            },
        )
        .await?;
        tracing::warn!(booking_id = %booking.id, reason, "escalated to coordinators");
        Ok(())
    }

    /// Give back the slot of a booking that is no longer assigned (rescheduled or cancelled).
    pub(super) async fn release_assignment(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<(), HandleError> {
        match store::remove_assignment(&mut *tx, id).await? {
            Some(reservation_id) => self.release(reservation_id).await,
            None => Ok(()),
        }
    }

    /// Give a slot back to availability; a fault means there is nothing to give back
    /// (released already), a silence is tried again.
    pub(super) async fn release(&self, reservation_id: ReservationId) -> Result<(), HandleError> {
        match rpc::call::<Release>(&self.nats, &ReleaseRequest { reservation_id }, self.timeout)
            .await
        {
            Ok(_) | Err(RpcError::Fault(_)) => Ok(()),
            Err(other) => Err(HandleError::retry(other)),
        }
    }

    pub(super) async fn cancelled(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get(tx, id).await? else {
            return Ok(());
        };
        let organisation = row.organisation_id();
        withdraw_open_offers(
            tx,
            id,
            organisation,
            Withdrawal::Cancelled,
            "the booking was cancelled",
            outbox::Batch::default(),
        )
        .await
        .map_err(HandleError::retry)?;
        store::cancel_timers(&mut *tx, id).await?;
        self.release_assignment(tx, id).await
    }
}
