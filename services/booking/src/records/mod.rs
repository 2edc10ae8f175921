//! Time records: every assigned booking closes with the time actually worked.
//!
//! The video room's measurement is the first claim (`claim_from_session`); the
//! mediator claims start, end, travel and outcome; the requester confirms or
//! disputes; a coordinator's setting is final and settles a dispute; a claim nobody
//! disputes is confirmed by rule (`confirm_by_rule`, a persisted timer). The
//! booking becomes `completed` when its record is confirmed.
//!
//! `rules` holds the pure checks, `store` the table.

pub mod rules;
pub mod store;

use crate::dispatch::store::{self as dispatch_store, TimerKind};
use crate::error::BookingError;
use crate::settings::RecordsConfig;
use crate::store as bookings;
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::booking::{
    BookingCompleted, ClaimTime, ClaimTimeRequest, ConfirmTime, DisputeTime, DisputeTimeRequest,
    GetTimeRecord, RecordActor, RecordItem, TimeClaimed, TimeConfirmed, TimeDisputed,
    TimeRecordRequest, TimeRecordView, TimeRecords, TimeRecordsRequest,
};
use mittler_contracts::session::SessionEnded;
use mittler_contracts::{Envelope, Event, FaultCode, RpcFault, text};
use mittler_platform::consumer::HandleError;
use mittler_platform::{CancellationToken, Platform, Schema, Tasks, outbox};
use mittler_types::{
    BookingId, BookingState, ConfirmedBy, MediatorId, Modality, Outcome, RecordSource, RecordState,
};
use sqlx::{PgConnection, PgPool};

async fn emit<E: Event>(tx: &mut PgConnection, event: E) -> Result<(), outbox::OutboxError> {
    outbox::enqueue(
        tx,
        Schema::BOOKING,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await
}

/// The time record requests.
#[derive(Clone, Debug)]
pub struct Records {
    pool: PgPool,
    config: RecordsConfig,
}

/// A booking that has a record: assigned, in its session, or completed.
fn has_record(state: BookingState) -> bool {
    matches!(
        state,
        BookingState::Assigned | BookingState::InSession | BookingState::Completed
    )
}

impl Records {
    pub fn new(pool: PgPool, config: RecordsConfig) -> Self {
        Self { pool, config }
    }

    fn confirm_after(&self) -> Duration {
        Duration::seconds(self.config.confirm_after_secs)
    }

    pub fn serve(self, platform: &Platform, tasks: &mut Tasks, shutdown: &CancellationToken) {
        mittler_platform::serve_methods!(
            tasks,
            platform.nats.client,
            shutdown,
            self,
            32,
            [
                (GetTimeRecord, get),
                (ClaimTime, claim),
                (ConfirmTime, confirm),
                (DisputeTime, dispute),
                (TimeRecords, waiting),
            ]
        );
    }

    /// The booking (locked) and its mediator, if the caller may see its record.
    async fn booking(
        conn: &mut PgConnection,
        request_id: BookingId,
        scope: &mittler_contracts::booking::Scope,
        by: &RecordActor,
    ) -> Result<(bookings::BookingRow, MediatorId), BookingError> {
        let row = bookings::get_for_update(conn, request_id)
            .await?
            .filter(|row| scope.allows(row.organisation_id()))
            .ok_or(BookingError::NotFound)?;
        let mediator = dispatch_store::assigned_mediator(&mut *conn, request_id).await?;
        if let RecordActor::Mediator(me) = by
            && mediator != Some(*me)
        {
            return Err(RpcFault::new(FaultCode::Forbidden, text!("time_record.not_yours")).into());
        }
        match mediator {
            Some(mediator) if has_record(row.state()) => Ok((row, mediator)),
            _ => Err(RpcFault::new(
                FaultCode::IllegalTransition,
                text!("time_record.not_assigned"),
            )
            .into()),
        }
    }

    /// `booking.rpc.time_record`.
    pub async fn get(&self, request: TimeRecordRequest) -> Result<TimeRecordView, BookingError> {
        let mut tx = self.pool.begin().await?;
        let (_, mediator) = Self::booking(&mut tx, request.id, &request.scope, &request.by).await?;
        let record = store::get(&mut *tx, request.id).await?;
        tx.commit().await?;
        Ok(match record {
            Some(row) => row.view(self.confirm_after()),
            None => TimeRecordView::open(request.id, Some(mediator)),
        })
    }

    /// `booking.rpc.claim_time`: the mediator's claim, or a coordinator's final word.
    #[tracing::instrument(skip_all, fields(booking_id = %request.id))]
    pub async fn claim(&self, request: ClaimTimeRequest) -> Result<TimeRecordView, BookingError> {
        let mut tx = self.pool.begin().await?;
        let (row, mediator) =
            Self::booking(&mut tx, request.id, &request.scope, &request.by).await?;
        let existing = store::get_for_update(&mut tx, request.id).await?;
        let state = existing.as_ref().map_or(RecordState::Open, |r| r.state);
        if let Some(refusal) = rules::refuse_claim(&request.by, state) {
            let code = match request.by {
                RecordActor::Requester(_) => FaultCode::Forbidden,
                _ => FaultCode::IllegalTransition,
            };
            return Err(RpcFault::new(code, refusal).into());
        }
        let view = row.into_view()?;
        let booked = rules::Booked {
            start: view.details.start,
            end: view.details.end,
            on_site: view.details.modality == Modality::OnSite,
        };
        let checked = rules::check_claim(&booked, &request.claim, Utc::now())
            .map_err(|(field, message)| RpcFault::invalid_field(field, message))?;
        let figures = store::Figures {
            start: checked.start,
            end: checked.end,
            worked_minutes: checked.worked_minutes,
            travel_minutes: request.claim.travel_minutes,
            travel_km: request.claim.travel_km,
            outcome: request.claim.outcome,
        };
        let (source, settled_by) = match request.by {
            RecordActor::Coordinator(user) => (RecordSource::Coordinator, Some(user)),
            _ => (RecordSource::Mediator, None),
        };
        let record =
            store::write(&mut tx, request.id, mediator, &figures, source, settled_by).await?;
        if settled_by.is_some() {
            complete(&mut tx, &record, ConfirmedBy::Coordinator).await?;
        } else {
            claimed(&mut tx, &record, view.organisation_id, &self.config).await?;
        }
        tx.commit().await?;
        Ok(record.view(self.confirm_after()))
    }

    /// `booking.rpc.confirm_time`: the requester agrees.
    pub async fn confirm(
        &self,
        request: TimeRecordRequest,
    ) -> Result<TimeRecordView, BookingError> {
        let mut tx = self.pool.begin().await?;
        Self::booking(&mut tx, request.id, &request.scope, &request.by).await?;
        let state = store::get_for_update(&mut tx, request.id)
            .await?
            .map_or(RecordState::Open, |r| r.state);
        if let Some(refusal) = rules::refuse_answer(state) {
            return Err(RpcFault::new(FaultCode::IllegalTransition, refusal).into());
        }
        let record = store::confirm(&mut tx, request.id, ConfirmedBy::Requester).await?;
        complete(&mut tx, &record, ConfirmedBy::Requester).await?;
        tx.commit().await?;
        Ok(record.view(self.confirm_after()))
    }

    /// `booking.rpc.dispute_time`: the requester does not agree; the coordinators
    /// are told.
    pub async fn dispute(
        &self,
        request: DisputeTimeRequest,
    ) -> Result<TimeRecordView, BookingError> {
        let reason = request.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(
                RpcFault::invalid_field("reason", text!("appointment.reason_required")).into(),
            );
        }
        let mut tx = self.pool.begin().await?;
        let by = RecordActor::Requester(request.by);
        let (row, _) = Self::booking(&mut tx, request.id, &request.scope, &by).await?;
        let state = store::get_for_update(&mut tx, request.id)
            .await?
            .map_or(RecordState::Open, |r| r.state);
        if let Some(refusal) = rules::refuse_answer(state) {
            return Err(RpcFault::new(FaultCode::IllegalTransition, refusal).into());
        }
        let record = store::dispute(&mut tx, request.id, request.by, &reason).await?;
        emit(
            &mut tx,
            TimeDisputed {
                booking_id: request.id,
                organisation_id: row.organisation_id(),
                mediator_id: record.mediator_id,
                reason,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(record.view(self.confirm_after()))
    }

    /// `booking.rpc.time_records`: the bookings whose records wait for someone.
    pub async fn waiting(
        &self,
        request: TimeRecordsRequest,
    ) -> Result<Vec<RecordItem>, BookingError> {
        let organisations: Option<Vec<uuid::Uuid>> = request
            .scope
            .organisation_ids
            .as_ref()
            .map(|ids| ids.iter().map(|id| id.as_uuid()).collect());
        let states: Vec<String> = request
            .states
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        let limit = i64::from(request.limit.clamp(1, 200));
        let ids = store::waiting(
            &self.pool,
            organisations.as_deref(),
            request.mediator_id,
            &states,
            Utc::now(),
            limit,
        )
        .await?;
        let mut items = Vec::with_capacity(ids.len());
        let mut conn = self.pool.acquire().await?;
        for id in ids {
            let Some(row) = bookings::get(&mut conn, id).await? else {
                continue;
            };
            let mediator = dispatch_store::assigned_mediator(&mut *conn, id).await?;
            let record = match store::get(&mut *conn, id).await? {
                Some(record) => record.view(self.confirm_after()),
                None => TimeRecordView::open(id, mediator),
            };
            items.push(RecordItem {
                booking: row.into_view()?,
                record,
            });
        }
        drop(conn);
        let mut views: Vec<_> = items.iter().map(|i| i.booking.clone()).collect();
        crate::dispatch::attach(&self.pool, &mut views).await?;
        for (item, view) in items.iter_mut().zip(views) {
            item.booking = view;
        }
        Ok(items)
    }
}

/// A claim was written: the requester is asked (the event), and the rule's
/// timer is set.
async fn claimed(
    tx: &mut PgConnection,
    record: &store::RecordRow,
    organisation: mittler_types::OrganisationId,
    config: &RecordsConfig,
) -> Result<(), BookingError> {
    let due: DateTime<Utc> = record.claimed_at + Duration::seconds(config.confirm_after_secs);
    dispatch_store::insert_timer(
        &mut *tx,
        record.booking_id,
        TimerKind::ConfirmRecord,
        0,
        due,
    )
    .await?;
    emit(
        tx,
        TimeClaimed {
            booking_id: record.booking_id,
            organisation_id: organisation,
            mediator_id: record.mediator_id,
            source: record.source,
            outcome: record.outcome,
            worked_minutes: i64::from(record.worked_minutes),
            confirms_at: due,
        },
    )
    .await?;
    Ok(())
}

/// The record is confirmed: the booking is completed with its minutes.
async fn complete(
    tx: &mut PgConnection,
    record: &store::RecordRow,
    by: ConfirmedBy,
) -> Result<(), BookingError> {
    let id = record.booking_id;
    let row = bookings::get_for_update(tx, id)
        .await?
        .ok_or(BookingError::NotFound)?;
    let organisation = row.organisation_id();
    let worked = i64::from(record.worked_minutes);
    let from = row.state();
    if matches!(from, BookingState::Assigned | BookingState::InSession) {
        bookings::set_state(tx, id, from, BookingState::Completed, None, None).await?;
        emit(
            tx,
            BookingCompleted {
                booking_id: id,
                organisation_id: organisation,
                worked_minutes: worked,
            },
        )
        .await?;
    }
    bookings::record_worked(tx, id, worked).await?;
    emit(
        tx,
        TimeConfirmed {
            booking_id: id,
            organisation_id: organisation,
            mediator_id: record.mediator_id,
            confirmed_by: by,
            outcome: record.outcome,
            worked_minutes: worked,
        },
    )
    .await?;
    tracing::info!(booking_id = %id, worked, by = by.as_str(), "time record confirmed");
    Ok(())
}

fn retry(error: BookingError) -> HandleError {
    HandleError::retry(anyhow::anyhow!("{error}"))
}

/// The rule's timer fell due: a claim still undisputed, made long enough ago, is
/// confirmed (a newer claim has its own timer).
pub async fn confirm_by_rule(
    tx: &mut PgConnection,
    id: BookingId,
    config: &RecordsConfig,
) -> Result<(), HandleError> {
    let Some(record) = store::get_for_update(tx, id).await? else {
        return Ok(());
    };
    let due = record.claimed_at + Duration::seconds(config.confirm_after_secs);
    if record.state != RecordState::Claimed || due > Utc::now() {
        return Ok(());
    }
    let record = store::confirm(tx, id, ConfirmedBy::Rule).await?;
    complete(tx, &record, ConfirmedBy::Rule)
        .await
        .map_err(retry)
}

/// The video room emptied: its measured time (summed over every stretch someone
/// was in it) is the claim, unless the mediator or a coordinator spoke already.
pub async fn claim_from_session(
    tx: &mut PgConnection,
    ended: &SessionEnded,
    config: &RecordsConfig,
) -> Result<(), HandleError> {
    let id = ended.booking_id;
    let Some(mediator) = dispatch_store::assigned_mediator(&mut *tx, id).await? else {
        return Ok(());
    };
    if let Some(record) = store::get_for_update(tx, id).await?
        && (record.source != RecordSource::Session || record.state != RecordState::Claimed)
    {
        return Ok(());
    }
    let figures = store::Figures {
        start: Some(ended.started_at),
        end: Some(ended.ended_at),
        worked_minutes: ended.minutes,
        travel_minutes: 0,
        travel_km: 0,
        outcome: Outcome::Done,
    };
    let record = store::write(tx, id, mediator, &figures, RecordSource::Session, None).await?;
    claimed(tx, &record, ended.organisation_id, config)
        .await
        .map_err(retry)
}
