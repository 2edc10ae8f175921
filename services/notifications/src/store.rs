//! The `notifications` schema: the booking projection, messages and their delivery
//! log, reminders, the feed.

use chrono::{DateTime, Utc};
use mittler_contracts::booking::BookingDetails;
use mittler_contracts::notification::{Delivery, FeedItem};
use mittler_types::{BookingId, MediatorId, OrganisationId, UserId};
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

/// What notifications knows of a booking.
#[derive(Clone, Debug)]
pub struct BookingFacts {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub requested_by: UserId,
    pub details: BookingDetails,
    pub mediator_id: Option<MediatorId>,
    pub state: String,
    pub sequence: i32,
}

#[derive(FromRow)]
struct BookingRow {
    booking_id: Uuid,
    organisation_id: Uuid,
    requested_by: Uuid,
    details: serde_json::Value,
    mediator_id: Option<Uuid>,
    state: String,
    sequence: i32,
}

impl TryFrom<BookingRow> for BookingFacts {
    type Error = serde_json::Error;

    fn try_from(row: BookingRow) -> Result<Self, Self::Error> {
        Ok(Self {
            booking_id: BookingId(row.booking_id),
            organisation_id: OrganisationId(row.organisation_id),
            requested_by: UserId(row.requested_by),
            details: serde_json::from_value(row.details)?,
            mediator_id: row.mediator_id.map(MediatorId),
            state: row.state,
            sequence: row.sequence,
        })
    }
}

/// Record a new booking (a redelivery changes nothing).
pub async fn insert_booking(
    db: impl PgExecutor<'_>,
    id: BookingId,
    organisation: OrganisationId,
    requested_by: UserId,
    details: &BookingDetails,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO notifications.bookings (booking_id, organisation_id, requested_by, details, state) \
         VALUES ($1, $2, $3, $4, 'requested') ON CONFLICT (booking_id) DO NOTHING",
    )
    .bind(id.as_uuid())
    .bind(organisation.as_uuid())
    .bind(requested_by.as_uuid())
    .bind(serde_json::to_value(details)?)
    .execute(db)
    .await?;
    Ok(())
}

/// The booking, locked for this transaction.
pub async fn booking_for_update(
    conn: &mut PgConnection,
    id: BookingId,
) -> anyhow::Result<Option<BookingFacts>> {
    let row: Option<BookingRow> = sqlx::query_as(
        "SELECT booking_id, organisation_id, requested_by, details, mediator_id, state, sequence \
         FROM notifications.bookings WHERE booking_id = $1 FOR NO KEY UPDATE",
    )
    .bind(id.as_uuid())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(BookingFacts::try_from).transpose()?)
}

/// Store a changed booking; `bump` raises the calendar sequence.
pub async fn update_booking(db: impl PgExecutor<'_>, facts: &BookingFacts) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE notifications.bookings SET details = $2, mediator_id = $3, state = $4, sequence = $5, \
         updated_at = now() WHERE booking_id = $1",
    )
    .bind(facts.booking_id.as_uuid())
    .bind(serde_json::to_value(&facts.details)?)
    .bind(facts.mediator_id.map(|m| m.as_uuid()))
    .bind(&facts.state)
    .bind(facts.sequence)
    .execute(db)
    .await?;
    Ok(())
}

/// A message to send.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub dedupe_key: String,
    pub organisation_id: Option<OrganisationId>,
    pub booking_id: Option<BookingId>,
    pub user_id: Option<UserId>,
    pub recipient: String,
    pub kind: &'static str,
    pub locale: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub ics: Option<(String, &'static str)>,
}

/// Queue a message; false if its cause queued it before.
pub async fn queue_message(db: impl PgExecutor<'_>, m: &NewMessage) -> anyhow::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO notifications.messages (id, dedupe_key, organisation_id, booking_id, user_id, recipient, \
         kind, locale, subject, text_body, html_body, ics, ics_method) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(&m.dedupe_key)
    .bind(m.organisation_id.map(|o| o.as_uuid()))
    .bind(m.booking_id.map(|b| b.as_uuid()))
    .bind(m.user_id.map(|u| u.as_uuid()))
    .bind(&m.recipient)
    .bind(m.kind)
    .bind(&m.locale)
    .bind(&m.subject)
    .bind(&m.text)
    .bind(&m.html)
    .bind(m.ics.as_ref().map(|(text, _)| text))
    .bind(m.ics.as_ref().map(|(_, method)| *method))
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A queued message, claimed for sending.
#[derive(Clone, Debug, FromRow)]
pub struct Outgoing {
    pub id: Uuid,
    pub organisation_id: Option<Uuid>,
    pub booking_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub ics: Option<String>,
    pub ics_method: Option<String>,
    pub attempts: i32,
}

/// Claim the next message due (others skip it while this transaction lives).
pub async fn claim_message(conn: &mut PgConnection) -> Result<Option<Outgoing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, organisation_id, booking_id, recipient, subject, text_body, html_body, ics, ics_method, attempts \
         FROM notifications.messages WHERE state IN ('queued', 'failed') AND next_attempt_at <= now() \
         ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *conn)
    .await
}

pub async fn mark_sent(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications.messages SET state = 'sent', sent_at = now(), attempts = attempts + 1, \
         last_error = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    log(conn, id, "sent", None).await
}

/// A failed try: again at `retry_at`, or given up (`None`).
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications.messages SET state = $2, attempts = attempts + 1, last_error = $3, \
         next_attempt_at = coalesce($4, next_attempt_at) WHERE id = $1",
    )
    .bind(id)
    .bind(if retry_at.is_some() { "failed" } else { "dead" })
    .bind(error)
    .bind(retry_at)
    .execute(&mut *conn)
    .await?;
    log(
        conn,
        id,
        if retry_at.is_some() { "failed" } else { "dead" },
        Some(error),
    )
    .await
}

async fn log(
    conn: &mut PgConnection,
    id: Uuid,
    state: &str,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications.delivery_log (message_id, state, detail) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(state)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct DeliveryRow {
    id: Uuid,
    booking_id: Option<Uuid>,
    recipient: String,
    kind: String,
    subject: String,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

/// The delivery log of these organisations (`None`: all), newest first.
pub async fn deliveries(
    db: impl PgExecutor<'_>,
    organisations: Option<&[OrganisationId]>,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let ids: Option<Vec<Uuid>> = organisations.map(|o| o.iter().map(|id| id.as_uuid()).collect());
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, booking_id, recipient, kind, subject, state, attempts, last_error, created_at, sent_at \
         FROM notifications.messages WHERE ($1::uuid[] IS NULL OR organisation_id = ANY($1)) \
         AND ($2::text IS NULL OR state = $2) ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(ids)
    .bind(state)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            id: r.id,
            booking_id: r.booking_id.map(BookingId),
            recipient: r.recipient,
            kind: r.kind,
            subject: r.subject,
            state: r.state,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
        .collect())
}

/// Plan reminders for the booking's current sequence (a redelivery adds none).
pub async fn plan_reminder(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    sequence: i32,
    lead_minutes: i64,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notifications.reminders (id, booking_id, sequence, lead_minutes, due_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (booking_id, sequence, lead_minutes) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(booking.as_uuid())
    .bind(sequence)
    .bind(lead_minutes as i32)
    .bind(due_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Cancel a booking's pending reminders (cancelled, moved, given back).
pub async fn cancel_reminders(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE notifications.reminders SET done_at = now(), outcome = 'cancelled' \
         WHERE booking_id = $1 AND done_at IS NULL",
    )
    .bind(booking.as_uuid())
    .execute(db)
    .await?
    .rows_affected())
}

/// A due reminder, claimed.
#[derive(Clone, Copy, Debug, FromRow)]
pub struct DueReminder {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub sequence: i32,
    pub lead_minutes: i32,
}

pub async fn claim_reminder(conn: &mut PgConnection) -> Result<Option<DueReminder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, booking_id, sequence, lead_minutes FROM notifications.reminders \
         WHERE done_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *conn)
    .await
}

pub async fn finish_reminder(
    db: impl PgExecutor<'_>,
    id: Uuid,
    outcome: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications.reminders SET done_at = now(), outcome = $2 WHERE id = $1")
        .bind(id)
        .bind(outcome)
        .execute(db)
        .await?;
    Ok(())
}

/// Add a feed item; `None` if its cause added it before.
#[allow(clippy::too_many_arguments)]
pub async fn add_feed_item(
    db: impl PgExecutor<'_>,
    dedupe_key: &str,
    user: UserId,
    organisation: Option<OrganisationId>,
    booking: Option<BookingId>,
    kind: &str,
    title: &str,
    body: &str,
    link: Option<&str>,
) -> Result<Option<FeedItem>, sqlx::Error> {
    let row: Option<FeedRow> = sqlx::query_as(
        "INSERT INTO notifications.feed (id, dedupe_key, user_id, organisation_id, booking_id, kind, title, body, link) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING \
         RETURNING id, booking_id, kind, title, body, link, created_at, read_at",
    )
    .bind(Uuid::now_v7())
    .bind(dedupe_key)
    .bind(user.as_uuid())
    .bind(organisation.map(|o| o.as_uuid()))
    .bind(booking.map(|b| b.as_uuid()))
    .bind(kind)
    .bind(title)
    .bind(body)
    .bind(link)
    .fetch_optional(db)
    .await?;
    Ok(row.map(FeedItem::from))
}

#[derive(FromRow)]
struct FeedRow {
    id: Uuid,
    booking_id: Option<Uuid>,
    kind: String,
    title: String,
    body: String,
    link: Option<String>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl From<FeedRow> for FeedItem {
    fn from(r: FeedRow) -> Self {
        FeedItem {
            id: r.id,
            booking_id: r.booking_id.map(BookingId),
            kind: r.kind,
            title: r.title,
            body: r.body,
            link: r.link,
            created_at: r.created_at,
            read_at: r.read_at,
        }
    }
}

/// A user's feed, newest first, and how many are unread.
pub async fn feed(
    conn: &mut PgConnection,
    user: UserId,
    unread_only: bool,
    limit: i64,
) -> Result<(Vec<FeedItem>, i64), sqlx::Error> {
    let rows: Vec<FeedRow> = sqlx::query_as(
        "SELECT id, booking_id, kind, title, body, link, created_at, read_at FROM notifications.feed \
         WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(user.as_uuid())
    .bind(unread_only)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let unread: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications.feed WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user.as_uuid())
    .fetch_one(&mut *conn)
    .await?;
    Ok((rows.into_iter().map(FeedItem::from).collect(), unread))
}

/// Mark one item (or all) of a user's feed read; returns how many changed.
pub async fn mark_read(
    db: impl PgExecutor<'_>,
    user: UserId,
    id: Option<Uuid>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE notifications.feed SET read_at = now() WHERE user_id = $1 AND read_at IS NULL \
         AND ($2::uuid IS NULL OR id = $2)",
    )
    .bind(user.as_uuid())
    .bind(id)
    .execute(db)
    .await?
    .rows_affected())
}
