//! Dispatch: the right mediator gets the job fast, fairly, and never twice.
//!
//! On `booking.booking.requested` (and `rescheduled`) the dispatcher asks
//! availability for candidates, ranks them (`ranking`), records why (`explanation`),
//! and offers in waves: the mediator who served the client before and the best few
//! first (cascade), then everyone eligible (broadcast), then the coordinators
//! (escalation). On-demand calls ring every eligible mediator who is online at
//! once. Deadlines are rows in `booking.timers`, drained with `SKIP LOCKED`, so a
//! restart loses none. Accepting is the saga of the design: reserve the slot,
//! compare-and-set the booking to `assigned`, release the slot if that fails.
//!
//! Layout: `ranking` (pure), `store` (offers, assignments, rounds, timers), this
//! module (the dispatcher, the consumer, the timer worker, the accept saga).

pub mod ranking;
pub mod store;

use crate::lifecycle;
use crate::store as bookings;
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::availability::{
    Candidates, GeoPoint, Needs, Release, ReleaseRequest, Reservation, Reserve, ReserveRequest,
};
use mittler_contracts::booking::{
    AcceptOffer, AssignBooking, AssignBookingRequest, AssignmentReturned, BookingAssigned,
    BookingCancelled, BookingOffering, BookingRequested, BookingRescheduled, BookingView,
    DeclineOffer, DispatchEscalated, DispatchExplanation, DispatchPolicy, DispatchRound,
    ExcludedMediator, Explanation, GetBookingRequest, GiveBack, GiveBackRequest, MediatorOffer,
    MyOffers, MyOffersRequest, OfferAccepted, OfferAnswer, OfferDeclined, OfferExpired, OfferMade,
    OfferWithdrawn, RankedMediator, fault,
};
use mittler_contracts::{Envelope, Event, RpcFault, streams};
use mittler_platform::config::DispatchConfig;
use mittler_platform::consumer::{ConsumerSpec, HandleError, Handler, IncomingEvent};
use mittler_platform::rpc::{self, RpcError};
use mittler_platform::{CancellationToken, Platform, Schema, Tasks, outbox};
use mittler_types::{
    BookingId, BookingKind, BookingState, MediatorId, Modality, OfferId, ReservationId,
};
use serde_json::json;
use sqlx::{PgConnection, PgPool};

/// The dispatcher and what it needs.
#[derive(Clone, Debug)]
pub struct Dispatcher {
    pool: PgPool,
    nats: async_nats::Client,
    config: DispatchConfig,
    timeout: std::time::Duration,
}

fn internal(error: impl Into<anyhow::Error>) -> RpcFault {
    let error = error.into();
    tracing::error!(error = %format!("{error:#}"), "dispatch request failed");
    RpcFault::internal()
}

async fn emit<E: Event>(tx: &mut PgConnection, event: E) -> Result<(), outbox::OutboxError> {
    outbox::enqueue(
        tx,
        Schema::BOOKING,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await
}

/// A wave's deadline: the configured wait, shortened when the start is near (never
/// more than a quarter of the time left, but not under 30 seconds unless configured
/// shorter).
/// When a scheduled booking nobody has accepted goes to the coordinators.
fn escalation_point(booking: &BookingView, settings: &DispatchConfig) -> Option<DateTime<Utc>> {
    (booking.details.kind == BookingKind::Scheduled)
        .then(|| booking.details.start - Duration::seconds(settings.escalate_before_start_secs))
}

/// `base` with what `policy` sets laid over it.
pub fn effective(base: &DispatchConfig, policy: DispatchPolicy) -> DispatchConfig {
    DispatchConfig {
        cascade_size: policy
            .cascade_size
            .map_or(base.cascade_size, |n| n as usize),
        cascade_secs: policy.cascade_secs.unwrap_or(base.cascade_secs),
        broadcast_secs: policy.broadcast_secs.unwrap_or(base.broadcast_secs),
        ring_secs: policy.ring_secs.unwrap_or(base.ring_secs),
        escalate_before_start_secs: policy
            .escalate_before_start_secs
            .unwrap_or(base.escalate_before_start_secs),
        ..base.clone()
    }
}

pub fn deadline(now: DateTime<Utc>, start: DateTime<Utc>, configured_secs: i64) -> DateTime<Utc> {
    let left = (start - now).num_seconds().max(0);
    now + Duration::seconds(configured_secs.min(left / 4).max(configured_secs.min(30)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_shrink_as_the_start_nears() {
        let now: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().expect("t");
        assert_eq!(
            deadline(now, now + Duration::days(3), 900),
            now + Duration::seconds(900)
        );
        assert_eq!(
            deadline(now, now + Duration::minutes(20), 900),
            now + Duration::seconds(300)
        );
        assert_eq!(
            deadline(now, now + Duration::minutes(1), 900),
            now + Duration::seconds(30)
        );
        assert_eq!(
            deadline(now, now + Duration::minutes(1), 2),
            now + Duration::seconds(2)
        );
    }
}

impl Dispatcher {
    pub fn new(platform: &Platform) -> Self {
        Self {
            pool: platform.pool.clone(),
            nats: platform.nats.client.clone(),
            config: platform.config.dispatch.clone(),
            timeout: platform.request_timeout(),
        }
    }

    /// The consumer, the timer worker and the offer requests, in `tasks`.
    pub fn spawn(self, platform: &Platform, tasks: &mut Tasks, shutdown: &CancellationToken) {
        let spec = ConsumerSpec {
            name: "booking-dispatch".into(),
            stream: &streams::BOOKING,
            // Lifecycle events and give-backs; the dispatcher's own offer events are not its input.
            filter_subject: None,
            schema: Schema::BOOKING,
            concurrency: None,
        };
        tasks.spawn(
            "dispatch-consumer",
            platform
                .consumer(spec, DispatchHandler(self.clone()))
                .run(shutdown.clone()),
        );
        tasks.spawn("dispatch-timers", self.clone().run_timers(shutdown.clone()));
        mittler_platform::serve_methods!(
            tasks,
            platform.nats.client,
            shutdown,
            self,
            64,
            [
                (MyOffers, my_offers),
                (AcceptOffer, accept),
                (DeclineOffer, decline),
                (DispatchExplanation, explanation),
                (AssignBooking, assign),
                (GiveBack, give_back),
            ]
        );
    }

    /// A coordinator assigns by hand: through the same reservation guard as an accept.
    #[tracing::instrument(skip_all, fields(booking_id = %request.id, mediator_id = %request.mediator_id))]
    pub async fn assign(&self, request: AssignBookingRequest) -> Result<BookingView, RpcFault> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let row = bookings::get(&mut conn, request.id)
            .await
            .map_err(internal)?;
        drop(conn);
        let Some(row) = row.filter(|r| request.scope.allows(r.organisation_id())) else {
            return Err(RpcFault::new(fault::NOT_FOUND, "no such booking"));
        };
        let view = row.into_view().map_err(internal)?;
        lifecycle::check(view.state, BookingState::Assigned)
            .map_err(|e| RpcFault::new(fault::ILLEGAL_TRANSITION, e.to_string()))?;
        let reservation = match self.reserve_guarded(&view, request.mediator_id).await? {
            Ok(reservation) => reservation,
            Err(fault) if fault.code == "not_found" => {
                return Err(RpcFault::new(
                    fault::INVALID,
                    "mediator_id: no such mediator",
                ));
            }
            Err(fault) => {
                return Err(RpcFault::new(
                    fault::TAKEN,
                    format!("the mediator holds other work then: {}", fault.message),
                ));
            }
        };
        let committed = async {
            let mut tx = self.pool.begin().await.map_err(internal)?;
            let Some(row) = bookings::get_for_update(&mut tx, view.id)
                .await
                .map_err(internal)?
            else {
                return Ok(None);
            };
            let from = row.state().map_err(internal)?;
            if lifecycle::check(from, BookingState::Assigned).is_err() {
                return Ok(None);
            }
            let Some(row) =
                bookings::set_state(&mut tx, view.id, from, BookingState::Assigned, None)
                    .await
                    .map_err(internal)?
            else {
                return Ok(None);
            };
            if !store::close_guard(&mut *tx, reservation.id, store::GuardOutcome::Kept)
                .await
                .map_err(internal)?
            {
                return Ok(None); // reconciled meanwhile: the slot was given back
            }
            store::insert_assignment(
                &mut *tx,
                view.id,
                request.mediator_id,
                reservation.id,
                None,
                Some(request.by),
            )
            .await
            .map_err(internal)?;
            withdraw_open_offers(
                &mut tx,
                view.id,
                view.organisation_id,
                "a coordinator assigned the booking",
                outbox::Batch::default(),
            )
            .await
            .map_err(internal)?;
            store::cancel_timers(&mut *tx, view.id)
                .await
                .map_err(internal)?;
            emit(
                &mut tx,
                BookingAssigned {
                    booking_id: view.id,
                    organisation_id: view.organisation_id,
                    mediator_id: request.mediator_id,
                    assigned_by: Some(request.by),
                },
            )
            .await
            .map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            Ok::<_, RpcFault>(Some(row))
        }
        .await;
        let committed = match committed {
            Ok(Some(row)) => Ok(Some(row.into_view().map_err(internal)?)),
            Ok(None) => Ok(None),
            Err(fault) => Err(fault),
        };
        self.settle_outcome(reservation.id, committed)
            .await?
            .ok_or_else(|| {
                RpcFault::new(fault::ILLEGAL_TRANSITION, "the booking changed meanwhile")
            })
    }

    /// Reserve `mediator`'s slot for `view` under a guard written first, so that a
    /// crash or a lost answer leaves a record the reconciler settles. The inner
    /// error is availability's refusal; the outer one a failure to ask.
    async fn reserve_guarded(
        &self,
        view: &BookingView,
        mediator: MediatorId,
    ) -> Result<Result<Reservation, RpcFault>, RpcFault> {
        let id = ReservationId::new();
        let due = Utc::now() + Duration::seconds(self.config.reservation_guard_secs);
        store::open_guard(&self.pool, id, view.id, mediator, due)
            .await
            .map_err(internal)?;
        let mut request = reserve_request(view, mediator);
        request.reservation_id = Some(id);
        match rpc::call::<Reserve>(&self.nats, &request, self.timeout).await {
            Ok(reservation) => {
                if reservation.id != id {
                    // The mediator held this slot for the booking already (a repeated
                    // accept): guard that reservation instead.
                    store::open_guard(&self.pool, reservation.id, view.id, mediator, due)
                        .await
                        .map_err(internal)?;
                    store::close_guard(&self.pool, id, store::GuardOutcome::NotReserved)
                        .await
                        .map_err(internal)?;
                }
                Ok(Ok(reservation))
            }
            Err(RpcError::Fault(fault)) => {
                store::close_guard(&self.pool, id, store::GuardOutcome::NotReserved)
                    .await
                    .map_err(internal)?;
                Ok(Err(fault))
            }
            Err(other) => {
                // Maybe reserved, maybe not: the guard comes due and tells.
                tracing::warn!(error = %other, "reserve failed");
                Err(RpcFault::new(
                    "unavailable",
                    "availability did not answer; try again",
                ))
            }
        }
    }

    /// After the compare-and-set: a commit keeps the reservation; anything else gives
    /// it back unless an assignment holds it (a repeated accept of the winner).
    async fn settle_outcome(
        &self,
        reservation: ReservationId,
        committed: Result<Option<BookingView>, RpcFault>,
    ) -> Result<Option<BookingView>, RpcFault> {
        match committed {
            Ok(Some(mut view)) => {
                attach(&self.pool, std::slice::from_mut(&mut view))
                    .await
                    .map_err(internal)?;
                Ok(Some(view))
            }
            lost => {
                if let Err(error) = self.settle(Some(reservation)).await {
                    // The guard stays open; the reconciler tries again.
                    tracing::error!(error = %format!("{error:#}"), %reservation, "could not settle a reservation");
                }
                lost
            }
        }
    }

    /// Settle one reservation guard: `reservation`, or else the next one due. Kept if
    /// an assignment holds the reservation, otherwise released; if availability does
    /// not answer, tried again later with backoff. False if there was none to settle.
    pub async fn settle(&self, reservation: Option<ReservationId>) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(guard) = store::lock_guard(&mut tx, reservation).await? else {
            return Ok(false);
        };
        let id = ReservationId(guard.reservation_id);
        if store::assignment_holds(&mut *tx, id).await? {
            store::close_guard(&mut *tx, id, store::GuardOutcome::Kept).await?;
            metrics::counter!("dispatch_reservation_guards_total", "outcome" => "kept")
                .increment(1);
        } else {
            match rpc::call::<Release>(
                &self.nats,
                &ReleaseRequest { reservation_id: id },
                self.timeout,
            )
            .await
            {
                // A fault means there is nothing to give back (never reserved, or gone).
                Ok(_) | Err(RpcError::Fault(_)) => {
                    store::close_guard(&mut *tx, id, store::GuardOutcome::Released).await?;
                    metrics::counter!("dispatch_reservation_guards_total", "outcome" => "released")
                        .increment(1);
                    if reservation.is_none() {
                        tracing::warn!(reservation_id = %id, booking_id = %guard.booking_id, "reconciled: gave back a reservation nobody recorded");
                    }
                }
                Err(error) => {
                    let wait = 5i64 << guard.attempts.clamp(0, 6);
                    store::postpone_guard(
                        &mut *tx,
                        id,
                        Utc::now() + Duration::seconds(wait.min(300)),
                        &error.to_string(),
                    )
                    .await?;
                    tracing::warn!(%error, reservation_id = %id, "could not give a reservation back; will retry");
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Settle every guard that is due; returns how many.
    pub async fn reconcile_due(&self) -> anyhow::Result<usize> {
        let mut settled = 0;
        while settled < 32 && self.settle(None).await? {
            settled += 1;
        }
        Ok(settled)
    }

    /// The assigned mediator gives the job back: the slot is released and dispatch
    /// starts again at once without them (the event carries it to the consumer).
    #[tracing::instrument(skip_all, fields(booking_id = %request.id, mediator_id = %request.mediator_id))]
    pub async fn give_back(&self, request: GiveBackRequest) -> Result<BookingView, RpcFault> {
        let reason = request.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(RpcFault::new(
                fault::INVALID,
                "reason: 1 to 1000 characters",
            ));
        }
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let Some(row) = bookings::get_for_update(&mut tx, request.id)
            .await
            .map_err(internal)?
        else {
            return Err(RpcFault::new(fault::NOT_FOUND, "no such booking"));
        };
        if store::assigned_mediator(&mut *tx, request.id)
            .await
            .map_err(internal)?
            != Some(request.mediator_id)
        {
            return Err(RpcFault::new(fault::NOT_FOUND, "no such job of yours"));
        }
        let from = row.state().map_err(internal)?;
        lifecycle::check(from, BookingState::Requested)
            .map_err(|e| RpcFault::new(fault::ILLEGAL_TRANSITION, e.to_string()))?;
        let reservation = store::remove_assignment(&mut *tx, request.id)
            .await
            .map_err(internal)?;
        if let Some(reservation_id) = reservation {
            store::open_guard(
                &mut *tx,
                reservation_id,
                request.id,
                request.mediator_id,
                Utc::now(),
            )
            .await
            .map_err(internal)?;
        }
        let row = bookings::set_state(&mut tx, request.id, from, BookingState::Requested, None)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal(anyhow::anyhow!("locked booking changed state")))?;
        emit(
            &mut tx,
            AssignmentReturned {
                booking_id: request.id,
                organisation_id: row.organisation_id(),
                mediator_id: request.mediator_id,
                reason,
            },
        )
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        if let Some(reservation_id) = reservation
            && let Err(error) = self.settle(Some(reservation_id)).await
        {
            // The guard is due already: the reconciler gives the slot back.
            tracing::error!(error = %format!("{error:#}"), "could not release a returned job's slot");
        }
        let mut view = row.into_view().map_err(internal)?;
        attach(&self.pool, std::slice::from_mut(&mut view))
            .await
            .map_err(internal)?;
        Ok(view)
    }

    /// Start (or restart) dispatch of a booking that is `requested`.
    async fn start(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
        exclude: &[MediatorId],
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get_for_update(tx, id)
            .await
            .map_err(HandleError::retry)?
        else {
            return Err(HandleError::reject(anyhow::anyhow!(
                "booking {id} does not exist"
            )));
        };
        if row.state().map_err(HandleError::reject)? != BookingState::Requested {
            return Ok(()); // already dispatched, assigned or cancelled
        }
        self.release_assignment(tx, id).await?;
        withdraw_open_offers(
            tx,
            id,
            row.organisation_id(),
            "the booking changed",
            outbox::Batch::default(),
        )
        .await
        .map_err(HandleError::retry)?;
        store::clear_escalation(&mut *tx, id)
            .await
            .map_err(HandleError::retry)?;
        let settings = self.settings(&row)?;
        let view = row.into_view().map_err(HandleError::reject)?;
        let offered = self.offer_wave(tx, &view, &settings, 1, exclude).await?;
        if offered == 0 {
            self.escalate(tx, &view, "no mediator can take this booking")
                .await?;
        } else if let Some(point) = escalation_point(&view, &settings)
            && point > Utc::now()
        {
            store::insert_timer(&mut *tx, id, store::TimerKind::Escalation, 0, point)
                .await
                .map_err(HandleError::retry)?;
        }
        Ok(())
    }

    /// The configuration with the booking's own dispatch policy laid over it.
    fn settings(&self, row: &bookings::BookingRow) -> Result<DispatchConfig, HandleError> {
        Ok(effective(
            &self.config,
            row.policy().map_err(HandleError::reject)?,
        ))
    }

    /// Offer the booking to the next wave; returns how many were asked.
    async fn offer_wave(
        &self,
        tx: &mut PgConnection,
        booking: &BookingView,
        settings: &DispatchConfig,
        wave: i32,
        exclude: &[MediatorId],
    ) -> Result<usize, HandleError> {
        let details = &booking.details;
        let on_demand = details.kind == BookingKind::OnDemand;
        let needs = Needs {
            language: details.language.clone(),
            min_qualification: details.min_qualification,
            modality: details.modality,
            start: details.start,
            end: details.end,
            location: details.location.as_ref().map(|l| GeoPoint {
                lat: l.latitude,
                lon: l.longitude,
            }),
            mediator_gender: details.mediator_gender,
            online_now: on_demand,
            booking_id: Some(booking.id),
        };
        let answer = match rpc::call::<Candidates>(&self.nats, &needs, self.timeout).await {
            Ok(answer) => answer,
            Err(RpcError::Fault(fault)) => return Err(HandleError::reject(fault)),
            Err(other) => return Err(HandleError::retry(other)),
        };
        // A new dispatch (wave 1) may ask anyone but those excluded; later waves skip
        // whoever this dispatch asked already.
        let mut already: Vec<MediatorId> = exclude.to_vec();
        if wave > 1
            && let Some(since) = store::dispatch_started(&mut *tx, booking.id)
                .await
                .map_err(HandleError::retry)?
        {
            already.extend(
                store::offered_since(&mut *tx, booking.id, since)
                    .await
                    .map_err(HandleError::retry)?,
            );
        }
        let ids: Vec<uuid::Uuid> = answer
            .eligible
            .iter()
            .map(|c| c.mediator_id.as_uuid())
            .collect();
        let workload = store::workload(&mut *tx, &ids)
            .await
            .map_err(HandleError::retry)?;
        let previous = match &details.client {
            Some(client) => store::previous_mediator(
                &mut *tx,
                booking.organisation_id,
                &client.reference,
                booking.id,
            )
            .await
            .map_err(HandleError::retry)?,
            None => None,
        };
        let ranked = ranking::rank(
            answer.eligible,
            details.min_qualification,
            previous,
            &workload,
        );
        let fresh: Vec<&ranking::Ranked> = ranked
            .iter()
            .filter(|r| !already.contains(&r.candidate.mediator_id))
            .collect();
        let take = if on_demand || wave > 1 {
            fresh.len()
        } else {
            let continuity = usize::from(fresh.first().is_some_and(|r| r.continuity));
            (settings.cascade_size + continuity).min(fresh.len())
        };
        let chosen: Vec<MediatorId> = fresh
            .iter()
            .take(take)
            .map(|r| r.candidate.mediator_id)
            .collect();

        let ranked_json: Vec<RankedMediator> = ranked
            .iter()
            .enumerate()
            .map(|(i, r)| RankedMediator {
                mediator_id: r.candidate.mediator_id,
                rank: i as i32 + 1,
                offered: chosen.contains(&r.candidate.mediator_id),
                why: r.why.clone(),
            })
            .collect();
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
            })
            .collect();
        store::insert_round(
            &mut *tx,
            booking.id,
            wave,
            &json!(ranked_json),
            &json!(excluded_json),
            answer.other_languages,
        )
        .await
        .map_err(HandleError::retry)?;
        if chosen.is_empty() {
            return Ok(0);
        }

        let now = Utc::now();
        let wait = if on_demand {
            settings.ring_secs
        } else if wave == 1 {
            settings.cascade_secs
        } else {
            settings.broadcast_secs
        };
        let expires_at = if on_demand {
            now + Duration::seconds(wait)
        } else {
            deadline(now, details.start, wait)
        };
        let made = store::insert_offers(&mut *tx, booking.id, &chosen, wave, expires_at)
            .await
            .map_err(HandleError::retry)?;
        let mut events = outbox::Batch::default();
        for (offer_id, mediator_id) in made {
            events
                .add(&Envelope::new(
                    OfferMade {
                        offer_id,
                        booking_id: booking.id,
                        organisation_id: booking.organisation_id,
                        mediator_id,
                        wave,
                        expires_at,
                    },
                    outbox::root_meta(),
                ))
                .map_err(HandleError::retry)?;
        }
        events
            .write(tx, Schema::BOOKING)
            .await
            .map_err(HandleError::retry)?;
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
        .await
        .map_err(HandleError::retry)?;
        if booking.state == BookingState::Requested {
            bookings::set_state(
                &mut *tx,
                booking.id,
                BookingState::Requested,
                BookingState::Offering,
                None,
            )
            .await
            .map_err(HandleError::retry)?;
            emit(
                tx,
                BookingOffering {
                    booking_id: booking.id,
                    organisation_id: booking.organisation_id,
                },
            )
            .await
            .map_err(HandleError::retry)?;
        }
        tracing::info!(booking_id = %booking.id, wave, offers = chosen.len(), "offers made");
        Ok(chosen.len())
    }

    async fn escalate(
        &self,
        tx: &mut PgConnection,
        booking: &BookingView,
        reason: &str,
    ) -> Result<(), HandleError> {
        if !store::mark_escalated(&mut *tx, booking.id)
            .await
            .map_err(HandleError::retry)?
        {
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
        .await
        .map_err(HandleError::retry)?;
        tracing::warn!(booking_id = %booking.id, reason, "escalated to coordinators");
        Ok(())
    }

    /// Give back the slot of a booking that is no longer assigned (rescheduled or cancelled).
    async fn release_assignment(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<(), HandleError> {
        if let Some(reservation_id) = store::remove_assignment(&mut *tx, id)
            .await
            .map_err(HandleError::retry)?
        {
            match rpc::call::<Release>(&self.nats, &ReleaseRequest { reservation_id }, self.timeout)
                .await
            {
                Ok(_) | Err(RpcError::Fault(_)) => {}
                Err(other) => return Err(HandleError::retry(other)),
            }
        }
        Ok(())
    }

    async fn cancelled(&self, tx: &mut PgConnection, id: BookingId) -> Result<(), HandleError> {
        let Some(row) = bookings::get(tx, id).await.map_err(HandleError::retry)? else {
            return Ok(());
        };
        let organisation = row.organisation_id();
        withdraw_open_offers(
            tx,
            id,
            organisation,
            "the booking was cancelled",
            outbox::Batch::default(),
        )
        .await
        .map_err(HandleError::retry)?;
        store::cancel_timers(&mut *tx, id)
            .await
            .map_err(HandleError::retry)?;
        self.release_assignment(tx, id).await
    }

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
            }
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            store::finish_timer(&mut *tx, *timer).await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }

    async fn wave_deadline(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
        wave: i32,
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get_for_update(tx, id)
            .await
            .map_err(HandleError::retry)?
        else {
            return Ok(());
        };
        if row.state().map_err(HandleError::reject)? != BookingState::Offering {
            return Ok(());
        }
        let settings = self.settings(&row)?;
        let view = row.into_view().map_err(HandleError::reject)?;
        for offer in store::close_open_offers(&mut *tx, id, Some(wave), "expired")
            .await
            .map_err(HandleError::retry)?
        {
            emit(
                tx,
                OfferExpired {
                    offer_id: OfferId(offer.id),
                    booking_id: id,
                    organisation_id: view.organisation_id,
                    mediator_id: MediatorId(offer.mediator_id),
                },
            )
            .await
            .map_err(HandleError::retry)?;
        }
        let on_demand = view.details.kind == BookingKind::OnDemand;
        if wave == 1 && !on_demand && self.offer_wave(tx, &view, &settings, 2, &[]).await? > 0 {
            // Came in after its escalation point: the coordinators hear of it now.
            if escalation_point(&view, &settings).is_some_and(|point| point <= Utc::now()) {
                self.escalate(tx, &view, "not accepted, and the start is near")
                    .await?;
            }
            return Ok(());
        }
        self.escalate(tx, &view, "nobody accepted in time").await
    }

    /// The escalation point passed: a booking still open goes to the coordinators.
    async fn escalation_due(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<(), HandleError> {
        let Some(row) = bookings::get_for_update(tx, id)
            .await
            .map_err(HandleError::retry)?
        else {
            return Ok(());
        };
        if !matches!(
            row.state().map_err(HandleError::reject)?,
            BookingState::Requested | BookingState::Offering
        ) {
            return Ok(());
        }
        let view = row.into_view().map_err(HandleError::reject)?;
        self.escalate(tx, &view, "nobody accepted by the escalation point")
            .await
    }

    pub async fn my_offers(
        &self,
        request: MyOffersRequest,
    ) -> Result<Vec<MediatorOffer>, RpcFault> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let offers = store::open_offers_of(&mut *conn, request.mediator_id)
            .await
            .map_err(internal)?;
        let mut result = Vec::with_capacity(offers.len());
        for offer in offers {
            if let Some(row) = bookings::get(&mut conn, BookingId(offer.booking_id))
                .await
                .map_err(internal)?
            {
                let view = row.into_view().map_err(internal)?;
                result.push(MediatorOffer {
                    id: OfferId(offer.id),
                    booking_id: view.id,
                    state: offer.state,
                    expires_at: offer.expires_at,
                    booking: view.details,
                });
            }
        }
        Ok(result)
    }

    /// Accept: reserve the slot, then compare-and-set offer and booking; on failure
    /// give the slot back. Exactly one of any number of concurrent accepts wins.
    #[tracing::instrument(skip_all, fields(offer_id = %request.offer_id, mediator_id = %request.mediator_id))]
    pub async fn accept(&self, request: OfferAnswer) -> Result<BookingView, RpcFault> {
        let taken = |why: &str| RpcFault::new(fault::TAKEN, why);
        let offer = store::offer(&self.pool, request.offer_id)
            .await
            .map_err(internal)?;
        let Some(offer) = offer.filter(|o| o.mediator_id == request.mediator_id.as_uuid()) else {
            return Err(RpcFault::new(fault::NOT_FOUND, "no such offer"));
        };
        if offer.state != "open" || offer.expires_at <= Utc::now() {
            return Err(taken("this offer is no longer open"));
        }
        let booking_id = BookingId(offer.booking_id);
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let booking = bookings::get(&mut conn, booking_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| taken("the booking is gone"))?;
        drop(conn);
        let view = booking.into_view().map_err(internal)?;
        if view.state != BookingState::Offering {
            return Err(taken("the booking is no longer open"));
        }
        let reservation = match self.reserve_guarded(&view, request.mediator_id).await? {
            Ok(reservation) => reservation,
            Err(fault) => {
                return Err(taken(&format!(
                    "you hold other work at that time: {}",
                    fault.message
                )));
            }
        };
        let committed = self
            .commit_acceptance(&view, &request, reservation.id)
            .await;
        self.settle_outcome(reservation.id, committed)
            .await?
            .ok_or_else(|| taken("someone else took this booking"))
    }

    async fn commit_acceptance(
        &self,
        view: &BookingView,
        request: &OfferAnswer,
        reservation: mittler_types::ReservationId,
    ) -> Result<Option<BookingView>, RpcFault> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let Some(row) = bookings::get_for_update(&mut tx, view.id)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        let from = row.state().map_err(internal)?;
        if from != BookingState::Offering || lifecycle::check(from, BookingState::Assigned).is_err()
        {
            return Ok(None);
        }
        if !store::decide_offer(&mut *tx, request.offer_id, "accepted")
            .await
            .map_err(internal)?
        {
            return Ok(None);
        }
        if !store::close_guard(&mut *tx, reservation, store::GuardOutcome::Kept)
            .await
            .map_err(internal)?
        {
            return Ok(None); // reconciled meanwhile: the slot was given back
        }
        let Some(row) = bookings::set_state(&mut tx, view.id, from, BookingState::Assigned, None)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        store::insert_assignment(
            &mut *tx,
            view.id,
            request.mediator_id,
            reservation,
            Some(request.offer_id),
            None,
        )
        .await
        .map_err(internal)?;
        let organisation_id = view.organisation_id;
        let mut events = outbox::Batch::default();
        events
            .add(&Envelope::new(
                OfferAccepted {
                    offer_id: request.offer_id,
                    booking_id: view.id,
                    organisation_id,
                    mediator_id: request.mediator_id,
                },
                outbox::root_meta(),
            ))
            .map_err(internal)?;
        events
            .add(&Envelope::new(
                BookingAssigned {
                    booking_id: view.id,
                    organisation_id,
                    mediator_id: request.mediator_id,
                    assigned_by: None,
                },
                outbox::root_meta(),
            ))
            .map_err(internal)?;
        withdraw_open_offers(
            &mut tx,
            view.id,
            organisation_id,
            "another mediator took the booking",
            events,
        )
        .await
        .map_err(internal)?;
        store::cancel_timers(&mut *tx, view.id)
            .await
            .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        tracing::info!(booking_id = %view.id, "booking assigned");
        if view.details.kind == BookingKind::OnDemand {
            let waited = (Utc::now() - view.created_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("dispatch_on_demand_accept_seconds").record(waited);
        }
        Ok(Some(row.into_view().map_err(internal)?))
    }

    pub async fn decline(&self, request: OfferAnswer) -> Result<MediatorOffer, RpcFault> {
        let offer = store::offer(&self.pool, request.offer_id)
            .await
            .map_err(internal)?;
        let Some(offer) = offer.filter(|o| o.mediator_id == request.mediator_id.as_uuid()) else {
            return Err(RpcFault::new(fault::NOT_FOUND, "no such offer"));
        };
        let mut tx = self.pool.begin().await.map_err(internal)?;
        if !store::decide_offer(&mut *tx, request.offer_id, "declined")
            .await
            .map_err(internal)?
        {
            return Err(RpcFault::new(fault::TAKEN, "this offer is no longer open"));
        }
        let booking = bookings::get(&mut tx, BookingId(offer.booking_id))
            .await
            .map_err(internal)?
            .ok_or_else(|| internal(anyhow::anyhow!("offer without booking")))?;
        let view = booking.into_view().map_err(internal)?;
        emit(
            &mut tx,
            OfferDeclined {
                offer_id: request.offer_id,
                booking_id: view.id,
                organisation_id: view.organisation_id,
                mediator_id: request.mediator_id,
            },
        )
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        Ok(MediatorOffer {
            id: request.offer_id,
            booking_id: view.id,
            state: "declined".into(),
            expires_at: offer.expires_at,
            booking: view.details,
        })
    }

    pub async fn explanation(&self, request: GetBookingRequest) -> Result<Explanation, RpcFault> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let row = bookings::get(&mut conn, request.id)
            .await
            .map_err(internal)?;
        let Some(row) = row.filter(|r| request.scope.allows(r.organisation_id())) else {
            return Err(RpcFault::new(fault::NOT_FOUND, "no such booking"));
        };
        let rounds = store::rounds(&mut *conn, row.id())
            .await
            .map_err(internal)?;
        let rounds = rounds
            .into_iter()
            .map(|r| {
                Ok(DispatchRound {
                    at: r.at,
                    wave: r.wave,
                    ranked: serde_json::from_value(r.ranked)?,
                    excluded: serde_json::from_value(r.excluded)?,
                    other_languages: r.other_languages.max(0) as u32,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(internal)?;
        Ok(Explanation {
            booking_id: row.id(),
            rounds,
        })
    }
}

/// Withdraw the booking's open offers, with one `OfferWithdrawn` each, written with
/// the `events` of the caller's own in one statement.
async fn withdraw_open_offers(
    tx: &mut PgConnection,
    booking: BookingId,
    organisation_id: mittler_types::OrganisationId,
    reason: &str,
    mut batch: outbox::Batch,
) -> anyhow::Result<()> {
    let offers = store::close_open_offers(&mut *tx, booking, None, "withdrawn").await?;
    for offer in offers {
        batch.add(&Envelope::new(
            OfferWithdrawn {
                offer_id: OfferId(offer.id),
                booking_id: BookingId(offer.booking_id),
                organisation_id,
                mediator_id: MediatorId(offer.mediator_id),
                reason: reason.to_owned(),
            },
            outbox::root_meta(),
        ))?;
    }
    batch.write(tx, Schema::BOOKING).await?;
    Ok(())
}

/// The slot a booking needs from a mediator.
fn reserve_request(view: &BookingView, mediator_id: MediatorId) -> ReserveRequest {
    ReserveRequest {
        reservation_id: None,
        mediator_id,
        booking_id: view.id,
        start: view.details.start,
        end: view.details.end,
        modality: view.details.modality,
        location: (view.details.modality == Modality::OnSite)
            .then(|| {
                view.details.location.as_ref().map(|l| GeoPoint {
                    lat: l.latitude,
                    lon: l.longitude,
                })
            })
            .flatten(),
    }
}

/// Fill in the offers and assignment of booking views.
pub async fn attach(pool: &PgPool, views: &mut [BookingView]) -> Result<(), sqlx::Error> {
    let ids: Vec<uuid::Uuid> = views.iter().map(|v| v.id.as_uuid()).collect();
    let mut offers = store::offers_of(pool, &ids).await?;
    let mut assignments = store::assignments_of(pool, &ids).await?;
    for view in views {
        view.offers = offers.remove(&view.id).unwrap_or_default();
        view.assignment = assignments.remove(&view.id);
    }
    Ok(())
}

/// The consumer of booking lifecycle events.
#[derive(Clone, Debug)]
struct DispatchHandler(Dispatcher);

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
