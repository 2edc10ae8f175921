//! Answers to `booking.rpc.*`: create (idempotent), list, get, cancel, reschedule.
//! Every state change and its event are written in one transaction.

use crate::lifecycle;
use crate::store::{self, Cursor};
use chrono::{Duration, Utc};
use mittler_contracts::booking::{
    BookingCancelled, BookingPage, BookingRequested, BookingRescheduled, BookingView,
    CancelBooking, CancelBookingRequest, CreateBooking, CreateBookingRequest,
    CreateBookingResponse, GetBooking, GetBookingRequest, ListBookings, ListBookingsRequest,
    RescheduleBooking, RescheduleBookingRequest, Scope, fault,
};
use mittler_contracts::{Envelope, Event, RpcFault};
use mittler_platform::{CancellationToken, Platform, Schema, Tasks, outbox};
use mittler_types::{BookingId, BookingState, Modality};
use sqlx::PgPool;

/// How far in the past a start may lie (clock skew between client and server).
const START_TOLERANCE: Duration = Duration::minutes(1);
/// The largest page a list returns.
pub const MAX_PAGE: u32 = 200;

/// The booking service's request handlers.
#[derive(Clone, Debug)]
pub struct Bookings {
    pool: PgPool,
}

fn internal(error: impl Into<anyhow::Error>) -> RpcFault {
    let error = error.into();
    tracing::error!(error = %format!("{error:#}"), "booking request failed");
    RpcFault::internal()
}

fn not_found() -> RpcFault {
    RpcFault::new(fault::NOT_FOUND, "no such booking")
}

impl Bookings {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
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
            ]
        );
    }

    #[tracing::instrument(skip_all, fields(organisation_id = %request.organisation_id))]
    pub async fn create(
        &self,
        request: CreateBookingRequest,
    ) -> Result<CreateBookingResponse, RpcFault> {
        let mut details = request.details;
        if details.start < Utc::now() - START_TOLERANCE {
            return Err(RpcFault::new(fault::INVALID, "start lies in the past"));
        }
        if details.modality == Modality::OnSite && details.location.is_none() {
            return Err(RpcFault::new(
                fault::INVALID,
                "an on-site booking needs a location",
            ));
        }
        if let Some((field, message)) = request.policy.problems().into_iter().next() {
            return Err(RpcFault::new(
                fault::INVALID,
                format!("policy.{field}: {message}"),
            ));
        }
        details.end = details.start + details.duration_minutes.as_duration();

        let mut tx = self.pool.begin().await.map_err(internal)?;
        let id = BookingId::new();
        if let Some(key) = &request.idempotency_key {
            let claimed = store::claim_idempotency_key(
                &mut tx,
                request.requested_by,
                key,
                &request.fingerprint,
                id,
            )
            .await
            .map_err(internal)?;
            if !claimed {
                let (fingerprint, existing) =
                    store::find_idempotent(&mut tx, request.requested_by, key)
                        .await
                        .map_err(internal)?
                        .ok_or_else(|| internal(anyhow::anyhow!("idempotency key vanished")))?;
                if fingerprint != request.fingerprint {
                    return Err(RpcFault::new(
                        fault::IDEMPOTENCY_MISMATCH,
                        "this Idempotency-Key was used for a different request",
                    ));
                }
                let row = store::get(&mut tx, existing)
                    .await
                    .map_err(internal)?
                    .ok_or_else(not_found)?;
                return Ok(CreateBookingResponse {
                    booking: row.into_view().map_err(internal)?,
                    replayed: true,
                });
            }
        }
        let row = store::insert(
            &mut tx,
            id,
            request.organisation_id,
            request.requested_by,
            &details,
            &request.policy,
        )
        .await
        .map_err(internal)?;
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
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        tracing::info!(booking_id = %id, "booking requested");
        Ok(CreateBookingResponse {
            booking: row.into_view().map_err(internal)?,
            replayed: false,
        })
    }

    pub async fn list(&self, request: ListBookingsRequest) -> Result<BookingPage, RpcFault> {
        let after = match &request.cursor {
            Some(text) => Some(
                Cursor::decode(text)
                    .ok_or_else(|| RpcFault::new(fault::INVALID, "cursor is not valid"))?,
            ),
            None => None,
        };
        let limit = i64::from(request.limit.clamp(1, MAX_PAGE));
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let mut rows = store::list(&mut conn, &request, after, limit)
            .await
            .map_err(internal)?;
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
            .collect::<Result<_, _>>()
            .map_err(internal)?;
        crate::dispatch::attach(&self.pool, &mut items)
            .await
            .map_err(internal)?;
        Ok(BookingPage { items, next })
    }

    pub async fn get(&self, request: GetBookingRequest) -> Result<BookingView, RpcFault> {
        let mut conn = self.pool.acquire().await.map_err(internal)?;
        let row = store::get(&mut conn, request.id)
            .await
            .map_err(internal)?
            .ok_or_else(not_found)?;
        visible(&request.scope, &row)?;
        drop(conn);
        let mut view = row.into_view().map_err(internal)?;
        crate::dispatch::attach(&self.pool, std::slice::from_mut(&mut view))
            .await
            .map_err(internal)?;
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(booking_id = %request.id))]
    pub async fn cancel(&self, request: CancelBookingRequest) -> Result<BookingView, RpcFault> {
        let reason = request.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(RpcFault::new(
                fault::INVALID,
                "a reason of 1 to 1000 characters is required",
            ));
        }
        let by = request.by;
        self.transition(
            request.id,
            &request.scope,
            BookingState::Cancelled,
            Some(&reason),
            |view, from| BookingCancelled {
                booking_id: view.id,
                organisation_id: view.organisation_id,
                cancelled_by: by,
                previous_state: from,
                reason: reason.clone(),
            },
        )
        .await
    }

    /// Move a booking to `to` and write the event `make_event` builds from the
    /// changed booking and its previous state, in one transaction. Refuses a
    /// transition the state machine does not allow, and a booking outside `scope`.
    #[tracing::instrument(skip_all, fields(booking_id = %id, to = to.as_str()))]
    pub async fn transition<E: Event>(
        &self,
        id: BookingId,
        scope: &Scope,
        to: BookingState,
        cancel_reason: Option<&str>,
        make_event: impl FnOnce(&BookingView, BookingState) -> E,
    ) -> Result<BookingView, RpcFault> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let row = store::get_for_update(&mut tx, id)
            .await
            .map_err(internal)?
            .ok_or_else(not_found)?;
        visible(scope, &row)?;
        let from = row.state().map_err(internal)?;
        lifecycle::check(from, to).map_err(illegal)?;
        let row = store::set_state(&mut tx, id, from, to, cancel_reason)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal(anyhow::anyhow!("locked booking changed state")))?;
        let view = row.into_view().map_err(internal)?;
        let event = make_event(&view, from);
        outbox::enqueue(
            &mut tx,
            Schema::BOOKING,
            &Envelope::new(event, outbox::root_meta()),
        )
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        tracing::info!(from = from.as_str(), "booking state changed");
        Ok(view)
    }

    #[tracing::instrument(skip_all, fields(booking_id = %request.id))]
    pub async fn reschedule(
        &self,
        request: RescheduleBookingRequest,
    ) -> Result<BookingView, RpcFault> {
        if request.start < Utc::now() - START_TOLERANCE {
            return Err(RpcFault::new(fault::INVALID, "start lies in the past"));
        }
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let row = store::get_for_update(&mut tx, request.id)
            .await
            .map_err(internal)?
            .ok_or_else(not_found)?;
        visible(&request.scope, &row)?;
        let from = row.state().map_err(internal)?;
        let previous = row.into_view().map_err(internal)?;
        lifecycle::check(from, BookingState::Requested).map_err(illegal)?;
        let row = store::reschedule(
            &mut tx,
            request.id,
            from,
            request.start,
            request.duration_minutes,
            request.time_zone,
        )
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(anyhow::anyhow!("locked booking changed state")))?;
        let view = row.into_view().map_err(internal)?;
        let event = BookingRescheduled {
            booking_id: view.id,
            organisation_id: view.organisation_id,
            rescheduled_by: request.by,
            previous_state: from,
            previous_start: previous.details.start,
            details: view.details.clone(),
        };
        outbox::enqueue(
            &mut tx,
            Schema::BOOKING,
            &Envelope::new(event, outbox::root_meta()),
        )
        .await
        .map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        tracing::info!(previous = from.as_str(), "booking rescheduled");
        Ok(view)
    }
}

/// A booking outside the caller's scope does not exist for the caller.
fn visible(scope: &Scope, row: &store::BookingRow) -> Result<(), RpcFault> {
    if scope.allows(row.organisation_id()) {
        Ok(())
    } else {
        Err(not_found())
    }
}

fn illegal(error: lifecycle::IllegalTransition) -> RpcFault {
    RpcFault::new(fault::ILLEGAL_TRANSITION, error.to_string())
}
