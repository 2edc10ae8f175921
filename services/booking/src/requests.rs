//! Answers to `booking.rpc.*`: create (idempotent), list, get, cancel, reschedule
//! (amend: `amend`).
//! Every state change and its event are written in one transaction.

use crate::error::BookingError;
use crate::lifecycle;
use crate::store::{self, Cursor};
use chrono::{Duration, Utc};
use mittler_contracts::FaultCode;
use mittler_contracts::availability::{Candidates, Needs};
use mittler_contracts::booking::{
    AmendBooking, BookingCancelled, BookingPage, BookingRequested, BookingRescheduled, BookingView,
    CancelBooking, CancelBookingRequest, CreateBooking, CreateBookingRequest,
    CreateBookingResponse, GetBooking, GetBookingRequest, ListBookings, ListBookingsRequest,
    RescheduleBooking, RescheduleBookingRequest, Scope,
};
use mittler_contracts::text;
use mittler_contracts::{Envelope, Event, RpcFault};
use mittler_platform::rpc;
use mittler_platform::{CancellationToken, Platform, Schema, Tasks, outbox};
use mittler_types::{BookingId, BookingState, MediatorId, Modality, UserId};
use sqlx::PgPool;

/// How far in the past a start may lie (clock skew between client and server).
const START_TOLERANCE: Duration = Duration::minutes(1);
/// The largest page a list returns.
pub const MAX_PAGE: u32 = 200;

/// The booking service's request handlers.
#[derive(Clone, Debug)]
pub struct Bookings {
    pub(crate) pool: PgPool,
    /// Availability, asked whether a mediator is free at a new time (none: nobody
    /// keeps a rescheduled booking).
    availability: Option<(async_nats::Client, std::time::Duration)>,
}

impl Bookings {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            availability: None,
        }
    }

    /// Handlers that ask availability whether a mediator keeps a moved booking.
    pub fn with_availability(
        mut self,
        nats: async_nats::Client,
        timeout: std::time::Duration,
    ) -> Self {
        self.availability = Some((nats, timeout));
        self
    }

    /// Serve every `booking.rpc.*` request in `tasks`.
    pub fn serve(self, platform: &Platform, tasks: &mut Tasks, shutdown: &CancellationToken) {
        mittler_platform::serve_methods!(
            tasks,
            platform.nats.client,
            shutdown,
            self,
            32,
            [
                (CreateBooking, create),
                (ListBookings, list),
                (GetBooking, get),
                (CancelBooking, cancel),
                (RescheduleBooking, reschedule),
                (AmendBooking, amend),
            ]
        );
    }

    #[tracing::instrument(skip_all, fields(organisation_id = %request.organisation_id))]
    pub async fn create(
        &self,
        request: CreateBookingRequest,
    ) -> Result<CreateBookingResponse, BookingError> {
        let mut details = request.details;
        if details.start < Utc::now() - START_TOLERANCE {
            return Err(RpcFault::invalid(text!("appointment.start_in_past")).into());
        }
        if details.modality == Modality::OnSite && details.location.is_none() {
            return Err(
                RpcFault::new(FaultCode::Invalid, text!("appointment.location_required")).into(),
            );
        }
        if let Some((field, message)) = request.policy.problems().into_iter().next() {
            return Err(RpcFault::invalid_field(format!("policy.{field}"), message).into());
        }
        details.end = details.start + details.duration_minutes.as_duration();

        let mut tx = self.pool.begin().await?;
        let id = BookingId::new();
        if let Some(key) = &request.idempotency_key {
            let claimed = store::claim_idempotency_key(
                &mut tx,
                request.requested_by,
                key,
                &request.fingerprint,
                id,
            )
            .await?;
            if !claimed {
                let (fingerprint, existing) =
                    store::find_idempotent(&mut tx, request.requested_by, key)
                        .await?
                        .ok_or_else(|| {
                            BookingError::Internal(anyhow::anyhow!("idempotency key vanished"))
                        })?;
                if fingerprint != request.fingerprint {
                    return Err(RpcFault::new(
                        FaultCode::IdempotencyMismatch,
                        text!("appointment.idempotency_mismatch"),
                    )
                    .into());
                }
                let row = store::get(&mut tx, existing)
                    .await?
                    .ok_or(BookingError::NotFound)?;
                return Ok(CreateBookingResponse {
                    booking: row.into_view()?,
                    replayed: true,
                });
            }
        }
        let row = store::insert(
            &mut tx,
            id,
            request.organisation_id,
            request.pool_id,
            request.requested_by,
            &details,
            &request.policy,
        )
        .await?;
        let event = BookingRequested {
            booking_id: id,
            organisation_id: request.organisation_id,
            requested_by: request.requested_by,
            details,
        };
        outbox::enqueue(
            &mut tx,
            Schema::BOOKING,
            &Envelope::new(event, outbox::root_meta()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(booking_id = %id, "booking requested");
        Ok(CreateBookingResponse {
            booking: row.into_view()?,
            replayed: false,
        })
    }

    pub async fn list(&self, request: ListBookingsRequest) -> Result<BookingPage, BookingError> {
        let after = match &request.cursor {
            Some(text) => Some(
                Cursor::decode(text)
                    .ok_or_else(|| RpcFault::invalid_field("cursor", text!("field.cursor")))?,
            ),
            None => None,
        };
        let limit = i64::from(request.limit.clamp(1, MAX_PAGE));
        let mut conn = self.pool.acquire().await?;
        let mut rows = store::list(&mut conn, &request, after, limit).await?;
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|row| {
                Cursor {
                    start: row.start(),
                    id: row.id().as_uuid(),
                }
                .encode()
            })
        } else {
            None
        };
        drop(conn);
        let mut items: Vec<BookingView> = rows
            .into_iter()
            .map(store::BookingRow::into_view)
            .collect::<Result<_, _>>()?;
        crate::dispatch::attach(&self.pool, &mut items).await?;
        Ok(BookingPage { items, next })
    }

    pub async fn get(&self, request: GetBookingRequest) -> Result<BookingView, BookingError> {
        let mut conn = self.pool.acquire().await?;
        let row = store::get(&mut conn, request.id)
            .await?
            .ok_or(BookingError::NotFound)?;
        visible(&request.scope, &row)?;
        drop(conn);
        let mut view = row.into_view()?;
        crate::dispatch::attach(&self.pool, std::slice::from_mut(&mut view)).await?;
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(booking_id = %request.id))]
    pub async fn cancel(&self, request: CancelBookingRequest) -> Result<BookingView, BookingError> {
        let reason = request.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(
                RpcFault::new(FaultCode::Invalid, text!("appointment.reason_required")).into(),
            );
        }
        let by = request.by;
        self.transition(
            request.id,
            &request.scope,
            BookingState::Cancelled,
            Some(&reason),
            Some(by),
            |view, from| BookingCancelled {
                booking_id: view.id,
                organisation_id: view.organisation_id,
                cancelled_by: by,
                previous_state: from,
                reason: reason.clone(),
                notice_minutes: view.cancellation.as_ref().map(|c| c.notice_minutes),
            },
        )
        .await
    }

    /// Move a booking to `to` and write the event `make_event` builds from the
    /// changed booking and its previous state, in one transaction. Refuses a
    /// transition the state machine does not allow, and a booking outside `scope`.
    /// `reason` and `by` are recorded with a cancellation or a give-up.
    #[tracing::instrument(skip_all, fields(booking_id = %id, to = to.as_str()))]
    pub async fn transition<E: Event>(
        &self,
        id: BookingId,
        scope: &Scope,
        to: BookingState,
        reason: Option<&str>,
        by: Option<UserId>,
        make_event: impl FnOnce(&BookingView, BookingState) -> E,
    ) -> Result<BookingView, BookingError> {
        let mut tx = self.pool.begin().await?;
        let row = store::get_for_update(&mut tx, id)
            .await?
            .ok_or(BookingError::NotFound)?;
        visible(scope, &row)?;
        let from = row.state();
        lifecycle::check(from, to)?;
        let row = store::set_state(&mut tx, id, from, to, reason, by)
            .await?
            .ok_or_else(|| {
                BookingError::Internal(anyhow::anyhow!("locked booking changed state"))
            })?;
        let view = row.into_view()?;
        let event = make_event(&view, from);
        outbox::enqueue(
            &mut tx,
            Schema::BOOKING,
            &Envelope::new(event, outbox::root_meta()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(from = from.as_str(), "booking state changed");
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(booking_id = %request.id))]
    pub async fn reschedule(
        &self,
        request: RescheduleBookingRequest,
    ) -> Result<BookingView, BookingError> {
        if request.start < Utc::now() - START_TOLERANCE {
            return Err(RpcFault::invalid(text!("appointment.start_in_past")).into());
        }
        let keeper = self.free_keeper(&request).await?;
        let mut tx = self.pool.begin().await?;
        let row = store::get_for_update(&mut tx, request.id)
            .await?
            .ok_or(BookingError::NotFound)?;
        visible(&request.scope, &row)?;
        let from = row.state();
        let previous = row.into_view()?;
        lifecycle::check(from, BookingState::Requested)?;
        // Kept only if the mediator availability judged free still holds it; one
        // busy at the new time lets go at once (the reconciler gives the slot back).
        let held = crate::dispatch::store::assigned_mediator(&mut *tx, request.id).await?;
        let kept = held.filter(|m| from == BookingState::Assigned && keeper == Some(*m));
        if held.is_some() && kept.is_none() {
            crate::dispatch::store::let_go(&mut tx, request.id).await?;
        }
        let to = if kept.is_some() {
            BookingState::Assigned
        } else {
            BookingState::Requested
        };
        let row = store::reschedule(
            &mut tx,
            request.id,
            from,
            to,
            request.start,
            request.duration_minutes,
            request.time_zone,
        )
        .await?
        .ok_or_else(|| BookingError::Internal(anyhow::anyhow!("locked booking changed state")))?;
        let view = row.into_view()?;
        let event = BookingRescheduled {
            booking_id: view.id,
            organisation_id: view.organisation_id,
            rescheduled_by: request.by,
            previous_state: from,
            previous_start: previous.details.start,
            kept,
            details: view.details.clone(),
        };
        outbox::enqueue(
            &mut tx,
            Schema::BOOKING,
            &Envelope::new(event, outbox::root_meta()),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            previous = from.as_str(),
            kept = kept.is_some(),
            "booking rescheduled"
        );
        Ok(view)
    }

    /// The mediator who holds the booking, if they are free at the new time
    /// (availability's judgement, which leaves the booking's own reservation aside).
    /// If availability does not answer, nothing changes: the caller may try again.
    async fn free_keeper(
        &self,
        request: &RescheduleBookingRequest,
    ) -> Result<Option<MediatorId>, BookingError> {
        let Some((nats, timeout)) = &self.availability else {
            return Ok(None);
        };
        let mut conn = self.pool.acquire().await?;
        let Some(row) = store::get(&mut conn, request.id).await? else {
            return Ok(None);
        };
        if row.state() != BookingState::Assigned || !request.scope.allows(row.organisation_id()) {
            return Ok(None);
        }
        let Some(mediator) =
            crate::dispatch::store::assigned_mediator(&mut *conn, request.id).await?
        else {
            return Ok(None);
        };
        drop(conn);
        let mut view = row.into_view()?;
        view.details.start = request.start;
        view.details.end = request.start + request.duration_minutes.as_duration();
        view.details.duration_minutes = request.duration_minutes;
        view.details.time_zone = request.time_zone;
        let needs = Needs::of_booking(&view.details, Some(view.id), view.pool_id);
        match rpc::call::<Candidates>(nats, &needs, *timeout).await {
            Ok(answer) => Ok(answer
                .eligible
                .iter()
                .any(|c| c.mediator_id == mediator)
                .then_some(mediator)),
            Err(error) => {
                tracing::warn!(%error, "availability did not say whether the mediator is free");
                Err(
                    RpcFault::new(FaultCode::Unavailable, text!("offer.availability_silent"))
                        .into(),
                )
            }
        }
    }
}

/// A booking outside the caller's scope does not exist for the caller.
fn visible(scope: &Scope, row: &store::BookingRow) -> Result<(), BookingError> {
    if scope.allows(row.organisation_id()) {
        Ok(())
    } else {
        Err(BookingError::NotFound)
    }
}
