//! The persisted timers (wave deadlines, escalation points), the escalation mark, and
//! the reservation guards that settle a reservation whose assignment was never
//! recorded.

use chrono::{DateTime, Utc};
use mittler_types::{BookingId, MediatorId, ReservationId};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// What a timer does when it is due (`booking.timers.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum TimerKind {
    /// The wave's offers expire; the next wave or escalation follows.
    WaveDeadline,
    /// The escalation point before the start.
    Escalation,
    /// The start (an on-demand call: its end): a booking nobody took is unfilled.
    StartPassed,
    /// A repeated alert to the coordinators of a booking nobody took yet.
    Alert,
    /// A claimed time record nobody disputed is confirmed by rule.
    ConfirmRecord,
}

pub async fn insert_timer(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    kind: TimerKind,
    wave: i32,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO booking.timers (id, booking_id, kind, wave, due_at) VALUES ($1, $2, $3, $4, $5)",
        Uuid::now_v7(),
        booking.as_uuid(),
        kind as TimerKind,
        wave,
        due_at,
    )
        .execute(db)
        .await?;
    Ok(())
}

/// Mark a booking escalated; false if this dispatch escalated it already.
pub async fn mark_escalated(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE booking.bookings SET escalated_at = now() WHERE id = $1 AND escalated_at IS NULL",
        booking.as_uuid(),
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A new dispatch may escalate again.
pub async fn clear_escalation(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE booking.bookings SET escalated_at = NULL WHERE id = $1",
        booking.as_uuid(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Mark a booking's pending dispatch timers done (it was assigned, cancelled or
/// given up); a time record's timer stays.
pub async fn cancel_timers(db: impl PgExecutor<'_>, booking: BookingId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE booking.timers SET done_at = now() \
         WHERE booking_id = $1 AND done_at IS NULL AND kind <> 'confirm_record'",
        booking.as_uuid(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Claim due timers in this transaction (other workers skip them).
pub async fn due_timers(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<(Uuid, BookingId, TimerKind, i32)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, booking_id AS "booking_id: BookingId", kind AS "kind: TimerKind", wave
           FROM booking.timers WHERE done_at IS NULL AND due_at <= now()
           ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED"#,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.booking_id, r.kind, r.wave))
        .collect())
}

pub async fn finish_timer(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE booking.timers SET done_at = now() WHERE id = $1",
        id,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// How a reservation guard ended (`booking.reservation_guards.outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum GuardOutcome {
    /// The reservation is the booking's assignment.
    Kept,
    /// Given back to availability.
    Released,
    /// Availability refused the reservation: nothing to give back.
    NotReserved,
}

/// An open reservation guard.
#[derive(Clone, Copy, Debug)]
pub struct Guard {
    pub reservation_id: ReservationId,
    pub booking_id: BookingId,
    pub attempts: i32,
}

/// Record, before asking availability, that `reservation` may come to exist (or,
/// for one that exists, that it is to be settled again: a guard closed before is
/// reopened).
pub async fn open_guard(
    db: impl PgExecutor<'_>,
    reservation: ReservationId,
    booking: BookingId,
    mediator: MediatorId,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO booking.reservation_guards (reservation_id, booking_id, mediator_id, due_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (reservation_id) DO UPDATE \
         SET due_at = EXCLUDED.due_at, done_at = NULL, outcome = NULL, attempts = 0, last_error = NULL",
        reservation.as_uuid(),
        booking.as_uuid(),
        mediator.as_uuid(),
        due_at,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Close an open guard; false if it was closed before (e.g. reconciled meanwhile).
pub async fn close_guard(
    db: impl PgExecutor<'_>,
    reservation: ReservationId,
    outcome: GuardOutcome,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE booking.reservation_guards SET done_at = now(), outcome = $2 \
         WHERE reservation_id = $1 AND done_at IS NULL",
        reservation.as_uuid(),
        outcome as GuardOutcome,
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Lock one open guard: `reservation` (waiting for it), or else the next one due
/// (skipping those another worker holds).
pub async fn lock_guard(
    conn: &mut PgConnection,
    reservation: Option<ReservationId>,
) -> Result<Option<Guard>, sqlx::Error> {
    match reservation {
        Some(id) => {
            sqlx::query_as!(
        Guard,
        r#"SELECT reservation_id AS "reservation_id: ReservationId", booking_id AS "booking_id: BookingId", attempts FROM booking.reservation_guards
           WHERE reservation_id = $1 AND done_at IS NULL FOR UPDATE"#,
        id.as_uuid(),
    )
            .fetch_optional(&mut *conn)
            .await
        }
        None => {
            sqlx::query_as!(
        Guard,
        r#"SELECT reservation_id AS "reservation_id: ReservationId", booking_id AS "booking_id: BookingId", attempts FROM booking.reservation_guards
           WHERE done_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED"#,
    )
            .fetch_optional(&mut *conn)
            .await
        }
    }
}

/// Try a guard again at `due_at`, remembering why it failed.
pub async fn postpone_guard(
    db: impl PgExecutor<'_>,
    reservation: ReservationId,
    due_at: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE booking.reservation_guards SET attempts = attempts + 1, due_at = $2, last_error = $3 \
         WHERE reservation_id = $1",
        reservation.as_uuid(),
        due_at,
        error,
    )
    .execute(db)
    .await?;
    Ok(())
}
