//! The `booking.bookings` table: reads, the idempotent insert, and compare-and-set
//! state changes. Each function is one statement (or one short transaction step).

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use mittler_contracts::booking::{
    BookingDetails, BookingView, CancellationView, ClientInfo, DispatchPolicy, ListBookingsRequest,
    Location, UnfilledView,
};
use mittler_types::{
    BookingId, BookingMinutes, BookingState, LanguageTag, OrganisationId, TimeZone, UserId,
};
use sqlx::{FromRow, PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// The columns of [`BookingRow`], for the list's runtime query (the checked queries
/// name them themselves).
const COLUMNS: &str = "id, organisation_id, requested_by, state, language, modality, kind, start_at, end_at, \
    time_zone, duration_minutes, location, subject_area, min_qualification, mediator_gender, client, notes, \
    cancel_reason, created_at, updated_at, dispatch_policy, worked_minutes, pool_id, cancelled_at, cancelled_by, \
    notice_minutes, unfilled_at, unfilled_by, unfilled_reason, escalated_at";

#[derive(Debug, FromRow)]
pub struct BookingRow {
    id: BookingId,
    organisation_id: OrganisationId,
    requested_by: UserId,
    state: BookingState,
    language: String,
    modality: String,
    kind: String,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    time_zone: String,
    duration_minutes: i32,
    location: Option<serde_json::Value>,
    subject_area: String,
    min_qualification: String,
    mediator_gender: String,
    client: Option<serde_json::Value>,
    notes: Option<String>,
    cancel_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    dispatch_policy: serde_json::Value,
    worked_minutes: Option<i32>,
    pool_id: Option<OrganisationId>,
    cancelled_at: Option<DateTime<Utc>>,
    cancelled_by: Option<UserId>,
    notice_minutes: Option<i32>,
    unfilled_at: Option<DateTime<Utc>>,
    unfilled_by: Option<UserId>,
    unfilled_reason: Option<String>,
    escalated_at: Option<DateTime<Utc>>,
}

impl BookingRow {
    pub fn id(&self) -> BookingId {
        self.id
    }

    pub fn organisation_id(&self) -> OrganisationId {
        self.organisation_id
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start_at
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.end_at
    }

    pub fn requested_by(&self) -> UserId {
        self.requested_by
    }

    pub fn is_on_demand(&self) -> bool {
        self.kind == "on_demand"
    }

    /// When dispatch handed the booking to the coordinators.
    pub fn escalated_at(&self) -> Option<DateTime<Utc>> {
        self.escalated_at
    }

    /// The dispatch policy stored with the booking (empty: the configuration's).
    pub fn policy(&self) -> anyhow::Result<DispatchPolicy> {
        Ok(serde_json::from_value(self.dispatch_policy.clone())?)
    }

    pub fn state(&self) -> BookingState {
        self.state
    }

    /// The row as the API shows it; a row that does not parse is a bug, not input.
    pub fn into_view(self) -> anyhow::Result<BookingView> {
        let id = self.id;
        self.read_view()
            .with_context(|| format!("booking {id}: its stored row does not read"))
    }

    fn read_view(self) -> anyhow::Result<BookingView> {
        let location: Option<Location> = self.location.map(serde_json::from_value).transpose()?;
        let client: Option<ClientInfo> = self.client.map(serde_json::from_value).transpose()?;
        Ok(BookingView {
            id: self.id,
            organisation_id: self.organisation_id,
            pool_id: self.pool_id,
            requested_by: self.requested_by,
            state: self.state,
            details: BookingDetails {
                language: LanguageTag::parse(&self.language)?,
                modality: self.modality.parse()?,
                kind: self.kind.parse()?,
                start: self.start_at,
                end: self.end_at,
                time_zone: TimeZone::parse(&self.time_zone)?,
                duration_minutes: BookingMinutes::new(i64::from(self.duration_minutes))?,
                location,
                subject_area: self.subject_area.parse()?,
                min_qualification: self.min_qualification.parse()?,
                mediator_gender: self.mediator_gender.parse()?,
                client,
                notes: self.notes,
            },
            offers: Vec::new(),
            assignment: None,
            cancel_reason: self.cancel_reason,
            cancellation: self.cancelled_at.map(|cancelled_at| CancellationView {
                cancelled_at,
                cancelled_by: self.cancelled_by,
                notice_minutes: i64::from(self.notice_minutes.unwrap_or(0)),
            }),
            escalated_at: self.escalated_at,
            unfilled: self.unfilled_at.map(|unfilled_at| UnfilledView {
                unfilled_at,
                unfilled_by: self.unfilled_by,
                reason: self.unfilled_reason.unwrap_or_default(),
            }),
            worked_minutes: self.worked_minutes.map(i64::from),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    id: BookingId,
    organisation_id: OrganisationId,
    pool_id: OrganisationId,
    requested_by: UserId,
    details: &BookingDetails,
    policy: &DispatchPolicy,
) -> Result<BookingRow, sqlx::Error> {
    sqlx::query_as!(
        BookingRow,
        r#"INSERT INTO booking.bookings (id, organisation_id, requested_by, state, language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, dispatch_policy, pool_id)
           VALUES ($1, $2, $3, 'requested', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
           RETURNING id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at"#,
        id.as_uuid(),
        organisation_id.as_uuid(),
        requested_by.as_uuid(),
        details.language.as_str(),
        details.modality.as_str(),
        details.kind.as_str(),
        details.start,
        details.end,
        details.time_zone.name(),
        details.duration_minutes.minutes() as i32,
        details.location.as_ref().map(serde_json::to_value).transpose().map_err(encode_error)?,
        details.subject_area.as_str(),
        details.min_qualification.as_str(),
        details.mediator_gender.as_str(),
        details.client.as_ref().map(serde_json::to_value).transpose().map_err(encode_error)?,
        details.notes.as_deref(),
        serde_json::to_value(policy).map_err(encode_error)?,
        pool_id.as_uuid(),
    )
    .fetch_one(conn)
    .await
}

fn encode_error(error: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Encode(Box::new(error))
}

/// Claim `key` for a new booking. `None` if the key was taken before: then
/// [`find_idempotent`] tells by whom. Waits for a concurrent claim of the same key.
pub async fn claim_idempotency_key(
    conn: &mut PgConnection,
    requested_by: UserId,
    key: &str,
    fingerprint: &str,
    booking_id: BookingId,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO booking.idempotency_keys (requested_by, key, fingerprint, booking_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        requested_by.as_uuid(),
        key,
        fingerprint,
        booking_id.as_uuid(),
    )
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The fingerprint and booking of an earlier use of `key`.
pub async fn find_idempotent(
    conn: &mut PgConnection,
    requested_by: UserId,
    key: &str,
) -> Result<Option<(String, BookingId)>, sqlx::Error> {
    let row: Option<(String, Uuid)> = sqlx::query!(
        "SELECT fingerprint, booking_id FROM booking.idempotency_keys WHERE requested_by = $1 AND key = $2",
        requested_by.as_uuid(),
        key,
    )
    .fetch_optional(conn)
    .await?
    .map(|r| (r.fingerprint, r.booking_id));
    Ok(row.map(|(fingerprint, id)| (fingerprint, BookingId(id))))
}

pub async fn get(
    conn: &mut PgConnection,
    id: BookingId,
) -> Result<Option<BookingRow>, sqlx::Error> {
    sqlx::query_as!(
        BookingRow,
        r#"SELECT id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at FROM booking.bookings WHERE id = $1"#,
        id.as_uuid(),
    )
    .fetch_optional(conn)
    .await
}

/// Lock the row for a state change in this transaction.
pub async fn get_for_update(
    conn: &mut PgConnection,
    id: BookingId,
) -> Result<Option<BookingRow>, sqlx::Error> {
    sqlx::query_as!(
        BookingRow,
        r#"SELECT id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at FROM booking.bookings WHERE id = $1 FOR NO KEY UPDATE"#,
        id.as_uuid(),
    )
    .fetch_optional(conn)
    .await
}

/// Note when the booking's session first began (both parties in the room), for the
/// time to connect in the report; the earliest start wins, so a late or repeated
/// event changes nothing.
pub async fn session_began(
    tx: &mut PgConnection,
    id: BookingId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE booking.bookings SET session_started_at = LEAST(COALESCE(session_started_at, $2), $2)
         WHERE id = $1",
        id.as_uuid(),
        at,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Compare-and-set: move to `to` only if the booking is still in `from`. A
/// cancellation records when, by whom (`by`) and its notice; a booking given up
/// records when, by whom and why (`reason`, which is also a cancellation's reason).
pub async fn set_state(
    conn: &mut PgConnection,
    id: BookingId,
    from: BookingState,
    to: BookingState,
    reason: Option<&str>,
    by: Option<UserId>,
) -> Result<Option<BookingRow>, sqlx::Error> {
    sqlx::query_as!(
        BookingRow,
        r#"UPDATE booking.bookings SET state = $3,
           cancel_reason = CASE WHEN $3 = 'cancelled' THEN COALESCE($4, cancel_reason) ELSE cancel_reason END,
           cancelled_at = CASE WHEN $3 = 'cancelled' THEN now() ELSE cancelled_at END,
           cancelled_by = CASE WHEN $3 = 'cancelled' THEN $5 ELSE cancelled_by END,
           cancelled_mediator_id = CASE WHEN $3 = 'cancelled'
               THEN (SELECT a.mediator_id FROM booking.assignments a WHERE a.booking_id = $1)
               ELSE cancelled_mediator_id END,
           notice_minutes = CASE WHEN $3 = 'cancelled'
               THEN floor(extract(epoch FROM (start_at - now())) / 60)::integer ELSE notice_minutes END,
           unfilled_at = CASE WHEN $3 = 'unfilled' THEN now() ELSE unfilled_at END,
           unfilled_by = CASE WHEN $3 = 'unfilled' THEN $5 ELSE unfilled_by END,
           unfilled_reason = CASE WHEN $3 = 'unfilled' THEN $4 ELSE unfilled_reason END,
           version = version + 1, updated_at = now() WHERE id = $1 AND state = $2 RETURNING id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at"#,
        id.as_uuid(),
        from.as_str(),
        to.as_str(),
        reason,
        by.map(|u| u.as_uuid()),
    )
    .fetch_optional(conn)
    .await
}

/// The booking's time record.
pub async fn record_worked(
    conn: &mut PgConnection,
    id: BookingId,
    minutes: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE booking.bookings SET worked_minutes = $2 WHERE id = $1",
        id.as_uuid(),
        minutes.clamp(0, i64::from(i32::MAX)) as i32,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Compare-and-set: a new time, and the state it leads to (`requested`, or
/// `assigned` when the mediator keeps it).
#[allow(clippy::too_many_arguments)]
pub async fn reschedule(
    conn: &mut PgConnection,
    id: BookingId,
    from: BookingState,
    to: BookingState,
    start: DateTime<Utc>,
    minutes: BookingMinutes,
    time_zone: TimeZone,
) -> Result<Option<BookingRow>, sqlx::Error> {
    sqlx::query_as!(
        BookingRow,
        r#"UPDATE booking.bookings SET state = $7, start_at = $3, end_at = $4, duration_minutes = $5,
           time_zone = $6, version = version + 1, updated_at = now()
           WHERE id = $1 AND state = $2 RETURNING id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at"#,
        id.as_uuid(),
        from.as_str(),
        start,
        start + minutes.as_duration(),
        minutes.minutes() as i32,
        time_zone.name(),
        to.as_str(),
    )
    .fetch_optional(conn)
    .await
}

/// New notes, client and place, and the state they lead to.
#[allow(clippy::too_many_arguments)]
pub async fn amend(
    conn: &mut PgConnection,
    id: BookingId,
    from: BookingState,
    to: BookingState,
    notes: Option<&str>,
    client: Option<&ClientInfo>,
    location: Option<&Location>,
) -> Result<Option<BookingRow>, anyhow::Error> {
    let client = client.map(serde_json::to_value).transpose()?;
    let location = location.map(serde_json::to_value).transpose()?;
    Ok(sqlx::query_as!(
        BookingRow,
        r#"UPDATE booking.bookings SET state = $3, notes = $4, client = $5, location = $6,
           version = version + 1, updated_at = now()
           WHERE id = $1 AND state = $2 RETURNING id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at"#,
        id.as_uuid(),
        from.as_str(),
        to.as_str(),
        notes,
        client,
        location,
    )
    .fetch_optional(conn)
    .await?)
}

/// Where a page ends: the last row's start and id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub start: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.start.timestamp_micros(), self.id))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once('|')?;
        Some(Self {
            start: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

/// One page of bookings by start time; `limit + 1` rows tell whether more follow.
pub async fn list(
    conn: &mut PgConnection,
    request: &ListBookingsRequest,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<BookingRow>, sqlx::Error> {
    // The one runtime query here: which filters apply is known only per request.
    let mut query: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM booking.bookings WHERE true"));
    if let Some(ids) = &request.scope.organisation_ids {
        let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
        query
            .push(" AND organisation_id = ANY(")
            .push_bind(ids)
            .push(")");
    }
    if let Some(state) = request.state {
        query.push(" AND state = ").push_bind(state.as_str());
    }
    if let Some(from) = request.from {
        query.push(" AND end_at > ").push_bind(from);
    }
    if let Some(to) = request.to {
        query.push(" AND start_at < ").push_bind(to);
    }
    if let Some(language) = &request.language {
        query
            .push(" AND language = ")
            .push_bind(language.as_str().to_owned());
    }
    if let Some(reference) = request.reference.as_deref().filter(|r| !r.is_empty()) {
        let escaped = reference
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query
            .push(" AND client ->> 'reference' ILIKE ")
            .push_bind(format!("%{escaped}%"));
    }
    if let Some(after) = after {
        query
            .push(" AND (start_at, id) > (")
            .push_bind(after.start)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    query
        .push(" ORDER BY start_at, id LIMIT ")
        .push_bind(limit + 1);
    query.build_query_as().fetch_all(conn).await
}

/// Bookings not yet assigned that have not ended, escalated first, then by start.
/// (Once its start passes, a scheduled booking nobody took becomes `unfilled`.)
pub async fn unassigned(
    db: impl sqlx::PgExecutor<'_>,
    organisations: Option<Vec<Uuid>>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<BookingRow>, sqlx::Error> {
    sqlx::query_as!(
        BookingRow,
        r#"SELECT id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at FROM booking.bookings
           WHERE state IN ('requested', 'offering') AND end_at > $1
           AND ($2::uuid[] IS NULL OR organisation_id = ANY($2))
           ORDER BY escalated_at IS NULL, start_at, id LIMIT $3"#,
        now,
        organisations.as_deref(),
        limit,
    )
    .fetch_all(db)
    .await
}

/// The bookings a mediator holds (or held and worked) that end after `since`.
pub async fn assigned_to(
    db: impl sqlx::PgExecutor<'_>,
    mediator: mittler_types::MediatorId,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<BookingRow>, sqlx::Error> {
    sqlx::query_as!(
        BookingRow,
        r#"SELECT id AS "id: BookingId", organisation_id AS "organisation_id: OrganisationId",
           requested_by AS "requested_by: UserId", state AS "state: BookingState", language, modality, kind,
           start_at, end_at, time_zone, duration_minutes, location, subject_area, min_qualification,
           mediator_gender, client, notes, cancel_reason, created_at, updated_at, dispatch_policy,
           worked_minutes, pool_id AS "pool_id: OrganisationId", cancelled_at,
           cancelled_by AS "cancelled_by: UserId", notice_minutes, unfilled_at, unfilled_by AS "unfilled_by: UserId",
           unfilled_reason, escalated_at FROM booking.bookings
           WHERE id IN (SELECT booking_id FROM booking.assignments WHERE mediator_id = $1)
           AND state IN ('assigned', 'in_session', 'completed') AND end_at > $2
           ORDER BY start_at, id LIMIT $3"#,
        mediator.as_uuid(),
        since,
        limit,
    )
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            start: DateTime::from_timestamp_micros(1_790_000_000_123_456).expect("time"),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
