//! The `booking.time_records` table: one row per booking once something was
//! claimed; no row is an `open` record.

use chrono::{DateTime, Duration, Utc};
use mittler_contracts::booking::TimeRecordView;
use mittler_types::{
    BookingId, ConfirmedBy, MediatorId, OrganisationId, Outcome, RecordSource, RecordState, UserId,
};
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, FromRow)]
pub struct RecordRow {
    pub booking_id: BookingId,
    pub mediator_id: MediatorId,
    pub start_at: Option<DateTime<Utc>>,
    pub end_at: Option<DateTime<Utc>>,
    pub worked_minutes: i32,
    pub travel_minutes: i32,
    pub travel_km: i32,
    pub outcome: Outcome,
    pub source: RecordSource,
    pub state: RecordState,
    pub claimed_at: DateTime<Utc>,
    pub mediator_confirmed_at: Option<DateTime<Utc>>,
    pub requester_confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_by: Option<ConfirmedBy>,
    pub disputed_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
}

impl RecordRow {
    /// As the API shows it; `confirm_after` says when a claim confirms by rule.
    pub fn view(self, confirm_after: Duration) -> TimeRecordView {
        TimeRecordView {
            booking_id: self.booking_id,
            mediator_id: Some(self.mediator_id),
            start: self.start_at,
            end: self.end_at,
            worked_minutes: i64::from(self.worked_minutes),
            travel_minutes: i64::from(self.travel_minutes),
            travel_km: i64::from(self.travel_km),
            outcome: Some(self.outcome),
            source: Some(self.source),
            state: self.state,
            claimed_at: Some(self.claimed_at),
            mediator_confirmed_at: self.mediator_confirmed_at,
            requester_confirmed_at: self.requester_confirmed_at,
            confirmed_at: self.confirmed_at,
            confirmed_by: self.confirmed_by,
            confirms_by_rule_at: (self.state == RecordState::Claimed)
                .then(|| self.claimed_at + confirm_after),
            disputed_at: self.disputed_at,
            dispute_reason: self.dispute_reason,
        }
    }
}

/// The booking's record, locked for a change in this transaction.
pub async fn get_for_update(
    conn: &mut PgConnection,
    booking: BookingId,
) -> Result<Option<RecordRow>, sqlx::Error> {
    sqlx::query_as!(
        RecordRow,
        r#"SELECT booking_id AS "booking_id: BookingId", mediator_id AS "mediator_id: MediatorId", start_at, end_at,
           worked_minutes, travel_minutes, travel_km, outcome AS "outcome: Outcome", source AS "source: RecordSource",
           state AS "state: RecordState", claimed_at, mediator_confirmed_at, requester_confirmed_at, confirmed_at,
           confirmed_by AS "confirmed_by: ConfirmedBy", disputed_at, dispute_reason
           FROM booking.time_records WHERE booking_id = $1 FOR UPDATE"#,
        booking.as_uuid(),
    )
    .fetch_optional(conn)
    .await
}

pub async fn get(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<Option<RecordRow>, sqlx::Error> {
    sqlx::query_as!(
        RecordRow,
        r#"SELECT booking_id AS "booking_id: BookingId", mediator_id AS "mediator_id: MediatorId", start_at, end_at,
           worked_minutes, travel_minutes, travel_km, outcome AS "outcome: Outcome", source AS "source: RecordSource",
           state AS "state: RecordState", claimed_at, mediator_confirmed_at, requester_confirmed_at, confirmed_at,
           confirmed_by AS "confirmed_by: ConfirmedBy", disputed_at, dispute_reason
           FROM booking.time_records WHERE booking_id = $1"#,
        booking.as_uuid(),
    )
    .fetch_optional(db)
    .await
}

/// The figures of a claim or a coordinator's setting.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub worked_minutes: i64,
    pub travel_minutes: i64,
    pub travel_km: i64,
    pub outcome: Outcome,
}

fn int(value: i64) -> i32 {
    value.clamp(0, i64::from(i32::MAX)) as i32
}

/// Write the figures: claimed by `source`, or — set by a coordinator — confirmed at
/// once. A dispute's reason stays for the record.
pub async fn write(
    conn: &mut PgConnection,
    booking: BookingId,
    mediator: MediatorId,
    figures: &Figures,
    source: RecordSource,
    settled_by: Option<UserId>,
) -> Result<RecordRow, sqlx::Error> {
    let state = if settled_by.is_some() {
        RecordState::Confirmed
    } else {
        RecordState::Claimed
    };
    sqlx::query_as!(
        RecordRow,
        "INSERT INTO booking.time_records (booking_id, mediator_id, start_at, end_at, worked_minutes, \
         travel_minutes, travel_km, outcome, source, state, claimed_at, mediator_confirmed_at, confirmed_at, \
         confirmed_by, settled_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), \
                 CASE WHEN $9 = 'mediator' THEN now() END, CASE WHEN $10 = 'confirmed' THEN now() END, \
                 CASE WHEN $10 = 'confirmed' THEN 'coordinator' END, $11) \
         ON CONFLICT (booking_id) DO UPDATE SET mediator_id = EXCLUDED.mediator_id, start_at = EXCLUDED.start_at, \
         end_at = EXCLUDED.end_at, worked_minutes = EXCLUDED.worked_minutes, \
         travel_minutes = EXCLUDED.travel_minutes, travel_km = EXCLUDED.travel_km, outcome = EXCLUDED.outcome, \
         source = EXCLUDED.source, state = EXCLUDED.state, claimed_at = EXCLUDED.claimed_at, \
         mediator_confirmed_at = COALESCE(EXCLUDED.mediator_confirmed_at, time_records.mediator_confirmed_at), \
         confirmed_at = EXCLUDED.confirmed_at, confirmed_by = EXCLUDED.confirmed_by, \
         settled_by = EXCLUDED.settled_by, updated_at = now() \
         RETURNING booking_id AS \"booking_id: BookingId\", mediator_id AS \"mediator_id: MediatorId\", start_at, end_at,
           worked_minutes, travel_minutes, travel_km, outcome AS \"outcome: Outcome\", source AS \"source: RecordSource\",
           state AS \"state: RecordState\", claimed_at, mediator_confirmed_at, requester_confirmed_at, confirmed_at,
           confirmed_by AS \"confirmed_by: ConfirmedBy\", disputed_at, dispute_reason",
        booking.as_uuid(),
        mediator.as_uuid(),
        figures.start,
        figures.end,
        int(figures.worked_minutes),
        int(figures.travel_minutes),
        int(figures.travel_km),
        figures.outcome as Outcome,
        source as RecordSource,
        state as RecordState,
        settled_by.map(|u| u.as_uuid()),
    )
    .fetch_one(conn)
    .await
}

/// A claimed record becomes final.
pub async fn confirm(
    conn: &mut PgConnection,
    booking: BookingId,
    by: ConfirmedBy,
) -> Result<RecordRow, sqlx::Error> {
    sqlx::query_as!(
        RecordRow,
        "UPDATE booking.time_records SET state = 'confirmed', confirmed_at = now(), confirmed_by = $2, \
         requester_confirmed_at = CASE WHEN $2 = 'requester' THEN now() ELSE requester_confirmed_at END, \
         updated_at = now() WHERE booking_id = $1 RETURNING booking_id AS \"booking_id: BookingId\", mediator_id AS \"mediator_id: MediatorId\", start_at, end_at,
           worked_minutes, travel_minutes, travel_km, outcome AS \"outcome: Outcome\", source AS \"source: RecordSource\",
           state AS \"state: RecordState\", claimed_at, mediator_confirmed_at, requester_confirmed_at, confirmed_at,
           confirmed_by AS \"confirmed_by: ConfirmedBy\", disputed_at, dispute_reason",
        booking.as_uuid(),
        by as ConfirmedBy,
    )
    .fetch_one(conn)
    .await
}

/// The requester does not agree.
pub async fn dispute(
    conn: &mut PgConnection,
    booking: BookingId,
    by: UserId,
    reason: &str,
) -> Result<RecordRow, sqlx::Error> {
    sqlx::query_as!(
        RecordRow,
        "UPDATE booking.time_records SET state = 'disputed', disputed_at = now(), disputed_by = $2, \
         dispute_reason = $3, updated_at = now() WHERE booking_id = $1 RETURNING booking_id AS \"booking_id: BookingId\", mediator_id AS \"mediator_id: MediatorId\", start_at, end_at,
           worked_minutes, travel_minutes, travel_km, outcome AS \"outcome: Outcome\", source AS \"source: RecordSource\",
           state AS \"state: RecordState\", claimed_at, mediator_confirmed_at, requester_confirmed_at, confirmed_at,
           confirmed_by AS \"confirmed_by: ConfirmedBy\", disputed_at, dispute_reason",
        booking.as_uuid(),
        by.as_uuid(),
        reason,
    )
    .fetch_one(conn)
    .await
}

/// The bookings whose records wait for someone, by start: ended assigned jobs
/// with nothing claimed (`open`) and records in `states`, within `organisations`
/// (all when `None`) and of `mediator` (all when `None`).
pub async fn waiting(
    db: impl PgExecutor<'_>,
    organisations: Option<&[Uuid]>,
    mediator: Option<MediatorId>,
    states: &[String],
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<BookingId>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT b.id AS "id!: BookingId" FROM booking.bookings b
           JOIN booking.assignments a ON a.booking_id = b.id
           LEFT JOIN booking.time_records r ON r.booking_id = b.id
           WHERE ($1::uuid[] IS NULL OR b.organisation_id = ANY($1))
             AND ($2::uuid IS NULL OR a.mediator_id = $2)
             AND ((r.booking_id IS NULL AND 'open' = ANY($3) AND b.end_at <= $4
                   AND b.state IN ('assigned', 'in_session'))
                  OR r.state = ANY($3))
           ORDER BY b.start_at DESC, b.id LIMIT $5"#,
        organisations,
        mediator.map(|m| m.as_uuid()),
        states,
        now,
        limit,
    )
    .fetch_all(db)
    .await
}

/// A booking the month close may bill: a confirmed record, or a cancellation of an
/// assigned booking with less notice than the card's widest late step.
#[derive(Debug)]
pub struct BillableRow {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub mediator_id: Uuid,
    pub language: String,
    pub modality: String,
    pub min_qualification: String,
    pub time_zone: String,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub worked_start: Option<DateTime<Utc>>,
    pub worked_end: Option<DateTime<Utc>>,
    pub travel_minutes: Option<i32>,
    pub travel_km: Option<i32>,
    pub outcome: Option<String>,
    pub notice_minutes: Option<i32>,
}

/// The pool's billable bookings that began before `end`.
pub async fn billable(
    db: impl PgExecutor<'_>,
    pool: OrganisationId,
    end: DateTime<Utc>,
    late_minutes: i64,
) -> Result<Vec<BillableRow>, sqlx::Error> {
    sqlx::query_as!(
        BillableRow,
        r#"SELECT b.id, b.organisation_id,
                  COALESCE(r.mediator_id, b.cancelled_mediator_id) AS "mediator_id!",
                  b.language, b.modality, b.min_qualification, b.time_zone, b.start_at, b.end_at,
                  r.start_at AS "worked_start?", r.end_at AS "worked_end?",
                  r.travel_minutes AS "travel_minutes?", r.travel_km AS "travel_km?",
                  r.outcome AS "outcome?", b.notice_minutes
           FROM booking.bookings b
           LEFT JOIN booking.time_records r ON r.booking_id = b.id AND r.state = 'confirmed'
           WHERE b.pool_id = $1 AND b.start_at < $2
             AND (r.booking_id IS NOT NULL
                  OR (b.state = 'cancelled' AND b.cancelled_mediator_id IS NOT NULL
                      AND b.notice_minutes < $3))
           ORDER BY b.start_at, b.id"#,
        pool.as_uuid(),
        end,
        late_minutes as i32,
    )
    .fetch_all(db)
    .await
}

/// The pool's bookings of the month whose record is not confirmed yet.
pub async fn unconfirmed(
    db: impl PgExecutor<'_>,
    pool: OrganisationId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT b.id FROM booking.bookings b \
         LEFT JOIN booking.time_records r ON r.booking_id = b.id \
         WHERE b.pool_id = $1 AND b.start_at >= $2 AND b.start_at < $3 \
           AND b.state IN ('assigned', 'in_session') \
           AND (r.state IS NULL OR r.state <> 'confirmed') \
         ORDER BY b.start_at, b.id",
        pool.as_uuid(),
        start,
        end,
    )
    .fetch_all(db)
    .await
}
