//! Taking a booking: a mediator's accept and a coordinator's assignment by hand go
//! through the same reservation guard and compare-and-set; a give-back returns the
//! job; reservations taken but never recorded are given back (reconciliation).

use super::offers::{attach, withdraw_open_offers};
use super::{Dispatcher, emit, store};
use crate::error::BookingError;
use crate::lifecycle;
use crate::store as bookings;
use chrono::{Duration, Utc};
use mittler_contracts::Envelope;
use mittler_contracts::FaultCode;
use mittler_contracts::RpcFault;
use mittler_contracts::availability::{
    GeoPoint, Release, ReleaseRequest, Reservation, Reserve, ReserveRequest,
};
use mittler_contracts::booking::{
    AssignBookingRequest, AssignmentReturned, BookingAssigned, BookingView, GiveBackRequest,
    OfferAccepted, OfferAnswer, Withdrawal,
};
use mittler_contracts::text;
use mittler_contracts::text::Text;
use mittler_platform::outbox;
use mittler_platform::rpc::{self, RpcError};
use mittler_types::{
    BookingKind, BookingState, MediatorId, Modality, OfferId, ReservationId, UserId,
};

/// Who takes a booking.
#[derive(Clone, Copy, Debug)]
enum Taker {
    /// The mediator, by accepting this offer.
    Offer(OfferId),
    /// A coordinator, by assigning by hand.
    Coordinator(UserId),
}

impl Dispatcher {
    /// Accept: reserve the slot, then compare-and-set offer and booking; on failure
    /// give the slot back. Exactly one of any number of concurrent accepts wins.
    #[tracing::instrument(skip_all, fields(offer_id = %request.offer_id, mediator_id = %request.mediator_id))]
    pub async fn accept(&self, request: OfferAnswer) -> Result<BookingView, BookingError> {
        let taken = |why: Text| BookingError::from(RpcFault::new(FaultCode::Taken, why));
        let offer = store::offer(&self.pool, request.offer_id).await?;
        let Some(offer) = offer.filter(|o| o.mediator_id == request.mediator_id) else {
            return Err(RpcFault::new(FaultCode::NotFound, text!("offer.not_found")).into());
        };
        if offer.state != store::OfferState::Open || offer.expires_at <= Utc::now() {
            return Err(taken(text!("offer.not_open")));
        }
        let booking_id = offer.booking_id;
        let mut conn = self.pool.acquire().await?;
        let booking = bookings::get(&mut conn, booking_id)
            .await?
            .ok_or_else(|| taken(text!("offer.booking_gone")))?;
        drop(conn);
        let view = booking.into_view()?;
        if view.state != BookingState::Offering {
            return Err(taken(text!("offer.booking_not_open")));
        }
        let reservation = match self.reserve_guarded(&view, request.mediator_id).await? {
            Ok(reservation) => reservation,
            // Deactivated since the offer was made.
            Err(fault) if fault.code == FaultCode::Invalid => return Err(taken(fault.text())),
            Err(fault) => {
                return Err(taken(text!("offer.busy", reason = fault.message)));
            }
        };
        let committed = self
            .commit_assignment(
                &view,
                request.mediator_id,
                reservation.id,
                Taker::Offer(request.offer_id),
            )
            .await;
        self.settle_outcome(reservation.id, committed)
            .await?
            .ok_or_else(|| taken(text!("offer.taken")))
    }

    /// The one compare-and-set that makes a booking `assigned`, for an accepted offer
    /// and for an assignment by hand: under the booking's row lock, the state still
    /// allows it (an offer also needs the booking `offering` and the offer still
    /// open), the reservation guard is still open (not reconciled meanwhile), then
    /// the assignment, the events (`OfferAccepted` for an offer, `BookingAssigned`)
    /// and the withdrawal of every other open offer, in one transaction. `None`:
    /// the booking changed meanwhile, and nothing was written.
    async fn commit_assignment(
        &self,
        view: &BookingView,
        mediator_id: MediatorId,
        reservation: ReservationId,
        taker: Taker,
    ) -> Result<Option<BookingView>, BookingError> {
        let mut tx = self.pool.begin().await?;
        let Some(row) = bookings::get_for_update(&mut tx, view.id).await? else {
            return Ok(None);
        };
        let from = row.state();
        if lifecycle::check(from, BookingState::Assigned).is_err() {
            return Ok(None);
        }
        if let Taker::Offer(offer_id) = taker
            && (from != BookingState::Offering
                || !store::decide_offer(&mut *tx, offer_id, store::OfferState::Accepted).await?)
        {
            return Ok(None);
        }
        if !store::close_guard(&mut *tx, reservation, store::GuardOutcome::Kept).await? {
            return Ok(None); // reconciled meanwhile: the slot was given back
        }
        let Some(row) =
            bookings::set_state(&mut tx, view.id, from, BookingState::Assigned, None, None).await?
        else {
            return Ok(None);
        };
        let (offer_id, assigned_by) = match taker {
            Taker::Offer(offer_id) => (Some(offer_id), None),
            Taker::Coordinator(by) => (None, Some(by)),
        };
        store::insert_assignment(
            &mut *tx,
            view.id,
            mediator_id,
            reservation,
            offer_id,
            assigned_by,
        )
        .await?;
        let organisation_id = view.organisation_id;
        let mut events = outbox::Batch::default();
        if let Some(offer_id) = offer_id {
            events.add(&Envelope::new(
                OfferAccepted {
                    offer_id,
                    booking_id: view.id,
                    organisation_id,
                    mediator_id,
                },
                outbox::root_meta(),
            ))?;
        }
        events.add(&Envelope::new(
            BookingAssigned {
                booking_id: view.id,
                organisation_id,
                mediator_id,
                assigned_by,
            },
            outbox::root_meta(),
        ))?;
        let (because, why) = match taker {
            Taker::Offer(_) => (Withdrawal::Taken, "another mediator took the booking"),
            Taker::Coordinator(_) => (Withdrawal::Assigned, "a coordinator assigned the booking"),
        };
        withdraw_open_offers(&mut tx, view.id, organisation_id, because, why, events).await?;
        store::cancel_timers(&mut *tx, view.id).await?;
        tx.commit().await?;
        tracing::info!(booking_id = %view.id, "booking assigned");
        if offer_id.is_some() && view.details.kind == BookingKind::OnDemand {
            let waited = (Utc::now() - view.created_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::histogram!("dispatch_on_demand_accept_seconds").record(waited);
        }
        Ok(Some(row.into_view()?))
    }

    /// A coordinator assigns by hand: through the same reservation guard as an accept.
    #[tracing::instrument(skip_all, fields(booking_id = %request.id, mediator_id = %request.mediator_id))]
    pub async fn assign(&self, request: AssignBookingRequest) -> Result<BookingView, BookingError> {
        let mut conn = self.pool.acquire().await?;
        let row = bookings::get(&mut conn, request.id).await?;
        drop(conn);
        let Some(row) = row.filter(|r| request.scope.allows(r.organisation_id())) else {
            return Err(RpcFault::new(FaultCode::NotFound, text!("appointment.not_found")).into());
        };
        let view = row.into_view()?;
        lifecycle::check(view.state, BookingState::Assigned).map_err(BookingError::from)?;
        let reservation = match self.reserve_guarded(&view, request.mediator_id).await? {
            Ok(reservation) => reservation,
            Err(fault) if fault.code == FaultCode::NotFound => {
                return Err(RpcFault::invalid_field(
                    "mediator_id",
                    text!("offer.no_such_mediator"),
                )
                .into());
            }
            Err(fault) if fault.code == FaultCode::Invalid => {
                return Err(RpcFault::invalid_field("mediator_id", fault.text()).into());
            }
            Err(fault) => {
                return Err(RpcFault::new(
                    FaultCode::Taken,
                    text!("offer.mediator_busy", reason = fault.message),
                )
                .into());
            }
        };
        let committed = self
            .commit_assignment(
                &view,
                request.mediator_id,
                reservation.id,
                Taker::Coordinator(request.by),
            )
            .await;
        self.settle_outcome(reservation.id, committed)
            .await?
            .ok_or_else(|| {
                RpcFault::new(FaultCode::IllegalTransition, text!("appointment.changed")).into()
            })
    }

    /// Reserve `mediator`'s slot for `view` under a guard written first, so that a
    /// crash or a lost answer leaves a record the reconciler settles. The inner
    /// error is availability's refusal; the outer one a failure to ask.
    pub(super) async fn reserve_guarded(
        &self,
        view: &BookingView,
        mediator: MediatorId,
    ) -> Result<Result<Reservation, RpcFault>, BookingError> {
        let id = ReservationId::new();
        let due = Utc::now() + Duration::seconds(self.config.reservation_guard_secs);
        store::open_guard(&self.pool, id, view.id, mediator, due).await?;
        let mut request = reserve_request(view, mediator);
        request.reservation_id = Some(id);
        match rpc::call::<Reserve>(&self.nats, &request, self.timeout).await {
            Ok(reservation) => {
                if reservation.id != id {
                    // The mediator held this slot for the booking already (a repeated
                    // accept): guard that reservation instead.
                    store::open_guard(&self.pool, reservation.id, view.id, mediator, due).await?;
                    store::close_guard(&self.pool, id, store::GuardOutcome::NotReserved).await?;
                }
                Ok(Ok(reservation))
            }
            Err(RpcError::Fault(fault)) => {
                store::close_guard(&self.pool, id, store::GuardOutcome::NotReserved).await?;
                Ok(Err(fault))
            }
            Err(other) => {
                // Maybe reserved, maybe not: the guard comes due and tells.
                tracing::warn!(error = %other, "reserve failed");
                Err(
                    RpcFault::new(FaultCode::Unavailable, text!("offer.availability_silent"))
                        .into(),
                )
            }
        }
    }

    /// After the compare-and-set: a commit keeps the reservation; anything else gives
    /// it back unless an assignment holds it (a repeated accept of the winner).
    async fn settle_outcome(
        &self,
        reservation: ReservationId,
        committed: Result<Option<BookingView>, BookingError>,
    ) -> Result<Option<BookingView>, BookingError> {
        match committed {
            Ok(Some(mut view)) => {
                attach(&self.pool, std::slice::from_mut(&mut view)).await?;
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
        let id = guard.reservation_id;
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
    pub async fn give_back(&self, request: GiveBackRequest) -> Result<BookingView, BookingError> {
        let reason = request.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(
                RpcFault::invalid_field("reason", text!("field.length", max = 1000)).into(),
            );
        }
        let mut tx = self.pool.begin().await?;
        let Some(row) = bookings::get_for_update(&mut tx, request.id).await? else {
            return Err(RpcFault::new(FaultCode::NotFound, text!("appointment.not_found")).into());
        };
        if store::assigned_mediator(&mut *tx, request.id).await? != Some(request.mediator_id) {
            return Err(RpcFault::new(FaultCode::NotFound, text!("offer.no_such_job")).into());
        }
        let from = row.state();
        lifecycle::check(from, BookingState::Requested).map_err(BookingError::from)?;
        let reservation = store::let_go(&mut tx, request.id)
            .await?
            .map(|(_, reservation)| reservation);
        let row = bookings::set_state(
            &mut tx,
            request.id,
            from,
            BookingState::Requested,
            None,
            None,
        )
        .await?
        .ok_or_else(|| BookingError::Internal(anyhow::anyhow!("locked booking changed state")))?;
        emit(
            &mut tx,
            AssignmentReturned {
                booking_id: request.id,
                organisation_id: row.organisation_id(),
                mediator_id: request.mediator_id,
                reason,
                by: request.by,
            },
        )
        .await?;
        tx.commit().await?;
        if let Some(reservation_id) = reservation
            && let Err(error) = self.settle(Some(reservation_id)).await
        {
            // The guard is due already: the reconciler gives the slot back.
            tracing::error!(error = %format!("{error:#}"), "could not release a returned job's slot");
        }
        let mut view = row.into_view()?;
        attach(&self.pool, std::slice::from_mut(&mut view)).await?;
        Ok(view)
    }
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
        pool_id: view.pool_id,
    }
}
