//! The `notifications` schema: the booking projection, messages and their delivery
//! log, reminders, the feed.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use mittler_contracts::booking::BookingDetails;
use mittler_contracts::notification::{Delivery, FeedItem};
use mittler_types::{BookingId, BookingState, MediatorId, OrganisationId, UserId};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Where a queued message stands (`notifications.messages.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MessageState {
    Queued,
    Sent,
    /// A try failed; another follows.
    Failed,
    /// Given up.
    Dead,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Failed, Self::Dead]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// How a reminder ended (`notifications.reminders.outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ReminderOutcome {
    Sent,
    /// The booking was cancelled, moved or given back since.
    Cancelled,
}

/// What notifications knows of a booking.
#[derive(Clone, Debug)]
pub struct BookingFacts {
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub requested_by: UserId,
    pub details: BookingDetails,
    pub mediator_id: Option<MediatorId>,
    pub state: BookingState,
    pub sequence: i32,
}

struct BookingRow {
    booking_id: BookingId,
    organisation_id: OrganisationId,
    requested_by: UserId,
    details: serde_json::Value,
    mediator_id: Option<MediatorId>,
    state: BookingState,
    sequence: i32,
}

impl TryFrom<BookingRow> for BookingFacts {
    type Error = serde_json::Error;

    fn try_from(row: BookingRow) -> Result<Self, Self::Error> {
        Ok(Self {
            booking_id: row.booking_id,
            organisation_id: row.organisation_id,
            requested_by: row.requested_by,
            details: serde_json::from_value(row.details)?,
            mediator_id: row.mediator_id,
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
    sqlx::query!(
        "INSERT INTO notifications.bookings (booking_id, organisation_id, requested_by, details, state) \
         VALUES ($1, $2, $3, $4, 'requested') ON CONFLICT (booking_id) DO NOTHING",
        id as BookingId,
        organisation as OrganisationId,
        requested_by as UserId,
        serde_json::to_value(details)?,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The booking, locked for this transaction.
pub async fn booking_for_update(
    conn: &mut PgConnection,
    id: BookingId,
) -> anyhow::Result<Option<BookingFacts>> {
    let row = sqlx::query_as!(
        BookingRow,
        r#"SELECT booking_id AS "booking_id: BookingId", organisation_id AS "organisation_id: OrganisationId",
                  requested_by AS "requested_by: UserId", details,
                  mediator_id AS "mediator_id: MediatorId", state AS "state: BookingState", sequence
           FROM notifications.bookings WHERE booking_id = $1 FOR NO KEY UPDATE"#,
        id as BookingId,
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(BookingFacts::try_from)
        .transpose()
        .with_context(|| format!("booking {id}: the stored copy does not read"))
}

/// Store a changed booking; `bump` raises the calendar sequence.
pub async fn update_booking(db: impl PgExecutor<'_>, facts: &BookingFacts) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE notifications.bookings SET details = $2, mediator_id = $3, state = $4, sequence = $5, \
         updated_at = now() WHERE booking_id = $1",
        facts.booking_id as BookingId,
        serde_json::to_value(&facts.details)?,
        facts.mediator_id as Option<MediatorId>,
        facts.state as BookingState,
        facts.sequence,
    )
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
    let inserted = sqlx::query!(
        "INSERT INTO notifications.messages (id, dedupe_key, organisation_id, booking_id, user_id, recipient, \
         kind, locale, subject, text_body, html_body, ics, ics_method) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (dedupe_key) DO NOTHING",
        Uuid::now_v7(),
        m.dedupe_key,
        m.organisation_id as Option<OrganisationId>,
        m.booking_id as Option<BookingId>,
        m.user_id as Option<UserId>,
        m.recipient,
        m.kind,
        m.locale,
        m.subject,
        m.text,
        m.html,
        m.ics.as_ref().map(|(text, _)| text.as_str()),
        m.ics.as_ref().map(|(_, method)| *method),
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A queued message, claimed for sending.
#[derive(Clone, Debug)]
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
    sqlx::query_as!(
        Outgoing,
        "SELECT id, organisation_id, booking_id, recipient, subject, text_body, html_body, ics, ics_method, attempts \
         FROM notifications.messages WHERE state IN ('queued', 'failed') AND next_attempt_at <= now() \
         ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *conn)
    .await
}

pub async fn mark_sent(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE notifications.messages SET state = 'sent', sent_at = now(), attempts = attempts + 1, \
         last_error = NULL, \
         text_body = CASE WHEN kind = ANY($2) THEN '' ELSE text_body END, \
         html_body = CASE WHEN kind = ANY($2) THEN '' ELSE html_body END \
         WHERE id = $1",
        id,
        &crate::compose::Kind::HOLDING_SECRETS.map(|k| k.as_str().to_owned()) as &[String],
    )
    .execute(&mut *conn)
    .await?;
    log(conn, id, MessageState::Sent, None).await
}

/// A failed try: again at `retry_at`, or given up (`None`).
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let state = if retry_at.is_some() {
        MessageState::Failed
    } else {
        MessageState::Dead
    };
    sqlx::query!(
        "UPDATE notifications.messages SET state = $2, attempts = attempts + 1, last_error = $3, \
         next_attempt_at = coalesce($4, next_attempt_at) WHERE id = $1",
        id,
        state as MessageState,
        error,
        retry_at,
    )
    .execute(&mut *conn)
    .await?;
    log(conn, id, state, Some(error)).await
}

async fn log(
    conn: &mut PgConnection,
    id: Uuid,
    state: MessageState,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO notifications.delivery_log (message_id, state, detail) VALUES ($1, $2, $3)",
        id,
        state as MessageState,
        detail,
    )
    .execute(conn)
    .await?;
    Ok(())
}

struct DeliveryRow {
    id: Uuid,
    booking_id: Option<BookingId>,
    recipient: String,
    kind: String,
    subject: String,
    state: MessageState,
    attempts: i32,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

/// The delivery log of these organisations (`None`: all), newest first.
pub async fn deliveries(
    db: impl PgExecutor<'_>,
    organisations: Option<&[OrganisationId]>,
    state: Option<MessageState>,
    limit: i64,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let ids: Option<Vec<Uuid>> = organisations.map(|o| o.iter().map(|id| id.as_uuid()).collect());
    let rows = sqlx::query_as!(
        DeliveryRow,
        r#"SELECT id, booking_id AS "booking_id: BookingId", recipient, kind, subject,
                  state AS "state: MessageState", attempts, last_error, created_at, sent_at
           FROM notifications.messages WHERE ($1::uuid[] IS NULL OR organisation_id = ANY($1))
           AND ($2::text IS NULL OR state = $2) ORDER BY created_at DESC, id DESC LIMIT $3"#,
        ids.as_deref(),
        state as Option<MessageState>,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            id: r.id,
            booking_id: r.booking_id,
            recipient: r.recipient,
            kind: r.kind,
            subject: r.subject,
            state: r.state.as_str().to_owned(),
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
    sqlx::query!(
        "INSERT INTO notifications.reminders (id, booking_id, sequence, lead_minutes, due_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (booking_id, sequence, lead_minutes) DO NOTHING",
        Uuid::now_v7(),
        booking as BookingId,
        sequence,
        lead_minutes as i32,
        due_at,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Cancel a booking's pending reminders (cancelled, moved, given back).
pub async fn cancel_reminders(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "UPDATE notifications.reminders SET done_at = now(), outcome = 'cancelled' \
         WHERE booking_id = $1 AND done_at IS NULL",
        booking as BookingId,
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// A due reminder, claimed.
#[derive(Clone, Copy, Debug)]
pub struct DueReminder {
    pub id: Uuid,
    pub booking_id: BookingId,
    pub sequence: i32,
    pub lead_minutes: i32,
}

pub async fn claim_reminder(conn: &mut PgConnection) -> Result<Option<DueReminder>, sqlx::Error> {
    sqlx::query_as!(
        DueReminder,
        r#"SELECT id, booking_id AS "booking_id: BookingId", sequence, lead_minutes
           FROM notifications.reminders
           WHERE done_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED"#,
    )
    .fetch_optional(&mut *conn)
    .await
}

pub async fn finish_reminder(
    db: impl PgExecutor<'_>,
    id: Uuid,
    outcome: ReminderOutcome,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE notifications.reminders SET done_at = now(), outcome = $2 WHERE id = $1",
        id,
        outcome as ReminderOutcome,
    )
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
    let row = sqlx::query_as!(
        FeedRow,
        r#"INSERT INTO notifications.feed (id, dedupe_key, user_id, organisation_id, booking_id, kind, title, body, link)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING
           RETURNING id, booking_id AS "booking_id: BookingId", kind, title, body, link, created_at, read_at, closed"#,
        Uuid::now_v7(),
        dedupe_key,
        user as UserId,
        organisation as Option<OrganisationId>,
        booking as Option<BookingId>,
        kind,
        title,
        body,
        link,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(FeedItem::from))
}

struct FeedRow {
    id: Uuid,
    booking_id: Option<BookingId>,
    kind: String,
    title: String,
    body: String,
    link: Option<String>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
    closed: Option<String>,
}

impl From<FeedRow> for FeedItem {
    fn from(r: FeedRow) -> Self {
        FeedItem {
            id: r.id,
            booking_id: r.booking_id,
            kind: r.kind,
            title: r.title,
            body: r.body,
            link: r.link,
            created_at: r.created_at,
            read_at: r.read_at,
            closed: r.closed,
        }
    }
}

/// Close the feed item of the offer at `link` (read, and why it needs nothing
/// more); `None` if there is none or it was closed before.
pub async fn close_offer_item(
    db: impl PgExecutor<'_>,
    link: &str,
    closed: &str,
) -> Result<Option<(UserId, Option<OrganisationId>, FeedItem)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"UPDATE notifications.feed SET read_at = coalesce(read_at, now()), closed = $2
           WHERE kind = 'offer' AND link = $1 AND closed IS NULL
           RETURNING id, user_id AS "user_id: UserId", organisation_id AS "organisation_id: OrganisationId",
                     booking_id AS "booking_id: BookingId", kind, title, body, link, created_at, read_at, closed"#,
        link,
        closed,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        (
            r.user_id,
            r.organisation_id,
            FeedItem {
                id: r.id,
                booking_id: r.booking_id,
                kind: r.kind,
                title: r.title,
                body: r.body,
                link: r.link,
                created_at: r.created_at,
                read_at: r.read_at,
                closed: r.closed,
            },
        )
    }))
}

/// A user's feed, newest first, and how many are unread.
pub async fn feed(
    conn: &mut PgConnection,
    user: UserId,
    unread_only: bool,
    limit: i64,
) -> Result<(Vec<FeedItem>, i64), sqlx::Error> {
    let rows = sqlx::query_as!(
        FeedRow,
        r#"SELECT id, booking_id AS "booking_id: BookingId", kind, title, body, link, created_at, read_at, closed
           FROM notifications.feed
           WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT $3"#,
        user as UserId,
        unread_only,
        limit,
    )
    .fetch_all(&mut *conn)
    .await?;
    let unread = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM notifications.feed WHERE user_id = $1 AND read_at IS NULL"#,
        user as UserId,
    )
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
    Ok(sqlx::query!(
        "UPDATE notifications.feed SET read_at = now() WHERE user_id = $1 AND read_at IS NULL \
         AND ($2::uuid IS NULL OR id = $2)",
        user as UserId,
        id,
    )
    .execute(db)
    .await?
    .rows_affected())
}
