//! Offers, assignments and dispatch rounds in the `booking` schema; `timers` has
//! the persisted timers, the escalation mark and the reservation guards.

mod timers;

pub use timers::*;

use super::ranking::Workload;
use chrono::{DateTime, Utc};
use mittler_contracts::booking::{AssignmentView, OfferView};
use mittler_types::{BookingId, MediatorId, OfferId, OrganisationId, ReservationId, UserId};
use sqlx::{PgConnection, PgExecutor};
use std::collections::HashMap;
use uuid::Uuid;

/// Where an offer stands (`booking.offers.state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum OfferState {
    Open,
    Accepted,
    Declined,
    /// Its wave's deadline passed.
    Expired,
    /// Someone else took the booking, or it was cancelled or moved.
    Withdrawn,
}

impl OfferState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }
}

#[derive(Clone, Debug)]
pub struct OfferRow {
    pub id: OfferId,
    pub booking_id: BookingId,
    pub mediator_id: MediatorId,
    pub wave: i32,
    pub state: OfferState,
    pub expires_at: DateTime<Utc>,
}

impl OfferRow {
    pub fn view(&self) -> OfferView {
        OfferView {
            id: self.id,
            mediator_id: self.mediator_id,
            state: self.state.as_str().to_owned(),
            expires_at: self.expires_at,
        }
    }
}

/// Open an offer for each of `mediators` in one statement; returns the offers made
/// (a mediator who holds an open offer for the booking already gets none).
pub async fn insert_offers(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    mediators: &[MediatorId],
    wave: i32,
    expires_at: DateTime<Utc>,
) -> Result<Vec<(OfferId, MediatorId)>, sqlx::Error> {
    let ids: Vec<Uuid> = mediators.iter().map(|_| OfferId::new().as_uuid()).collect();
    let mediators: Vec<Uuid> = mediators.iter().map(|m| m.as_uuid()).collect();
    let rows: Vec<(Uuid, Uuid)> = sqlx::query!(
        r#"INSERT INTO booking.offers (id, booking_id, mediator_id, wave, state, expires_at)
           SELECT o.id, $3, o.mediator_id, $4, 'open', $5
           FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS o(id, mediator_id, n) ORDER BY o.n
           ON CONFLICT (booking_id, mediator_id) WHERE state = 'open' DO NOTHING
           RETURNING id, mediator_id"#,
        &ids,
        &mediators,
        booking.as_uuid(),
        wave,
        expires_at,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.id, r.mediator_id))
    .collect();
    // In the order asked (the ranking's), whatever order the rows came back in.
    let made: HashMap<Uuid, Uuid> = rows.into_iter().map(|(id, m)| (m, id)).collect();
    Ok(mediators
        .iter()
        .filter_map(|m| made.get(m).map(|id| (OfferId(*id), MediatorId(*m))))
        .collect())
}

pub async fn offer(db: impl PgExecutor<'_>, id: OfferId) -> Result<Option<OfferRow>, sqlx::Error> {
    sqlx::query_as!(
        OfferRow,
        r#"SELECT id AS "id: OfferId", booking_id AS "booking_id: BookingId", mediator_id AS "mediator_id: MediatorId", wave, state AS "state: OfferState", expires_at FROM booking.offers WHERE id = $1"#,
        id.as_uuid(),
    )
        .fetch_optional(db)
        .await
}

/// The mediators asked since `since` (the start of the current dispatch).
pub async fn offered_since(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    since: DateTime<Utc>,
) -> Result<Vec<MediatorId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT mediator_id FROM booking.offers WHERE booking_id = $1 AND created_at >= $2",
        booking.as_uuid(),
        since,
    )
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().map(MediatorId).collect())
}

/// When the current dispatch of a booking began (its latest first wave).
pub async fn dispatch_started(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT max(at) FROM booking.dispatch_rounds WHERE booking_id = $1 AND wave = 1",
        booking.as_uuid(),
    )
    .fetch_one(db)
    .await
}

/// The mediator a booking is assigned to.
pub async fn assigned_mediator(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<Option<MediatorId>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar!(
        "SELECT mediator_id FROM booking.assignments WHERE booking_id = $1",
        booking.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(id.map(MediatorId))
}

/// Compare-and-set an open, unexpired offer to `to` (`accepted`, `declined`).
pub async fn decide_offer(
    db: impl PgExecutor<'_>,
    id: OfferId,
    to: OfferState,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query!(
        "UPDATE booking.offers SET state = $2, decided_at = now() \
         WHERE id = $1 AND state = 'open' AND expires_at > now()",
        id.as_uuid(),
        to as OfferState,
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Close the open offers of a booking (of one wave, or all) as `to`; returns them.
pub async fn close_open_offers(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    wave: Option<i32>,
    to: OfferState,
) -> Result<Vec<OfferRow>, sqlx::Error> {
    sqlx::query_as!(
        OfferRow,
        r#"UPDATE booking.offers SET state = $3, decided_at = now()
           WHERE booking_id = $1 AND state = 'open' AND ($2::int IS NULL OR wave = $2)
           RETURNING id AS "id: OfferId", booking_id AS "booking_id: BookingId", mediator_id AS "mediator_id: MediatorId", wave, state AS "state: OfferState", expires_at"#,
        booking.as_uuid(),
        wave,
        to as OfferState,
    )
    .fetch_all(db)
    .await
}

/// Close the open offers of `mediator` as `to` — all of them, or (`serving` given)
/// those of bookings whose pool is not among `serving`; returns them with their
/// bookings' organisations.
pub async fn close_open_offers_of(
    db: impl PgExecutor<'_>,
    mediator: MediatorId,
    serving: Option<&[uuid::Uuid]>,
    to: OfferState,
) -> Result<Vec<(OfferRow, OrganisationId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"UPDATE booking.offers o SET state = $2, decided_at = now()
           FROM booking.bookings b
           WHERE o.mediator_id = $1 AND o.state = 'open' AND b.id = o.booking_id
             AND ($3::uuid[] IS NULL OR (b.pool_id IS NOT NULL AND NOT b.pool_id = ANY($3)))
           RETURNING o.id AS "id: OfferId", o.booking_id AS "booking_id: BookingId",
                     o.mediator_id AS "mediator_id: MediatorId", o.wave,
                     o.state AS "state: OfferState", o.expires_at,
                     b.organisation_id AS "organisation_id: OrganisationId""#,
        mediator.as_uuid(),
        to as OfferState,
        serving,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                OfferRow {
                    id: r.id,
                    booking_id: r.booking_id,
                    mediator_id: r.mediator_id,
                    wave: r.wave,
                    state: r.state,
                    expires_at: r.expires_at,
                },
                r.organisation_id,
            )
        })
        .collect())
}

/// A mediator's open, unexpired offers with their bookings' ids.
pub async fn open_offers_of(
    db: impl PgExecutor<'_>,
    mediator: MediatorId,
) -> Result<Vec<OfferRow>, sqlx::Error> {
    sqlx::query_as!(
        OfferRow,
        r#"SELECT id AS "id: OfferId", booking_id AS "booking_id: BookingId", mediator_id AS "mediator_id: MediatorId", wave, state AS "state: OfferState", expires_at FROM booking.offers
           WHERE mediator_id = $1 AND state = 'open' AND expires_at > now() ORDER BY expires_at"#,
        mediator.as_uuid(),
    )
    .fetch_all(db)
    .await
}

/// Offers of these bookings, for the booking views.
pub async fn offers_of(
    db: impl PgExecutor<'_>,
    bookings: &[Uuid],
) -> Result<HashMap<BookingId, Vec<OfferView>>, sqlx::Error> {
    let rows: Vec<OfferRow> = sqlx::query_as!(
        OfferRow,
        r#"SELECT id AS "id: OfferId", booking_id AS "booking_id: BookingId", mediator_id AS "mediator_id: MediatorId", wave, state AS "state: OfferState", expires_at FROM booking.offers
           WHERE booking_id = ANY($1) ORDER BY created_at, id"#,
        bookings,
    )
    .fetch_all(db)
    .await?;
    let mut by_booking: HashMap<BookingId, Vec<OfferView>> = HashMap::new();
    for row in rows {
        by_booking
            .entry(row.booking_id)
            .or_default()
            .push(row.view());
    }
    Ok(by_booking)
}

pub async fn assignments_of(
    db: impl PgExecutor<'_>,
    bookings: &[Uuid],
) -> Result<HashMap<BookingId, AssignmentView>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, DateTime<Utc>)> = sqlx::query!(
        "SELECT booking_id, mediator_id, assigned_at FROM booking.assignments WHERE booking_id = ANY($1)",
        bookings,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.booking_id, r.mediator_id, r.assigned_at))
    .collect();
    Ok(rows
        .into_iter()
        .map(|(b, m, at)| {
            (
                BookingId(b),
                AssignmentView {
                    mediator_id: MediatorId(m),
                    assigned_at: at,
                },
            )
        })
        .collect())
}

pub async fn insert_assignment(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    mediator: MediatorId,
    reservation: ReservationId,
    offer: Option<OfferId>,
    by: Option<UserId>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO booking.assignments (booking_id, mediator_id, reservation_id, offer_id, assigned_by) \
         VALUES ($1, $2, $3, $4, $5)",
        booking.as_uuid(),
        mediator.as_uuid(),
        reservation.as_uuid(),
        offer.map(|o| o.as_uuid()),
        by.map(|u| u.as_uuid()),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The mediator and reservation of a booking's assignment.
pub async fn assignment(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<Option<(MediatorId, ReservationId)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT mediator_id, reservation_id FROM booking.assignments WHERE booking_id = $1",
        booking.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (MediatorId(r.mediator_id), ReservationId(r.reservation_id))))
}

/// The assignment holds another reservation (its slot moved with the booking).
pub async fn move_assignment(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    reservation: ReservationId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE booking.assignments SET reservation_id = $2 WHERE booking_id = $1",
        booking.as_uuid(),
        reservation.as_uuid(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The mediator lets go of the booking: the assignment is removed and its slot put
/// under a guard due now, which gives it back (at once by whoever settles it, or by
/// the reconciler). Returns what was held.
pub async fn let_go(
    conn: &mut PgConnection,
    booking: BookingId,
) -> Result<Option<(MediatorId, ReservationId)>, sqlx::Error> {
    let row = sqlx::query!(
        "DELETE FROM booking.assignments WHERE booking_id = $1 RETURNING mediator_id, reservation_id",
        booking.as_uuid(),
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (mediator, reservation) = (
        MediatorId(row.mediator_id),
        ReservationId(row.reservation_id),
    );
    open_guard(&mut *conn, reservation, booking, mediator, Utc::now()).await?;
    Ok(Some((mediator, reservation)))
}

/// Remove a booking's assignment; returns the reservation it held.
pub async fn remove_assignment(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<Option<ReservationId>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar!(
        "DELETE FROM booking.assignments WHERE booking_id = $1 RETURNING reservation_id",
        booking.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(id.map(ReservationId))
}

/// The mediator who last served this client of this organisation.
pub async fn previous_mediator(
    db: impl PgExecutor<'_>,
    organisation: OrganisationId,
    client_reference: &str,
    except: BookingId,
) -> Result<Option<MediatorId>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar!(
        "SELECT a.mediator_id FROM booking.assignments a JOIN booking.bookings b ON b.id = a.booking_id \
         WHERE b.organisation_id = $1 AND b.client->>'reference' = $2 AND b.id <> $3 \
         AND b.state IN ('assigned', 'in_session', 'completed') ORDER BY b.start_at DESC LIMIT 1",
        organisation.as_uuid(),
        client_reference,
        except.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(id.map(MediatorId))
}

/// Assigned minutes in the last 30 days and the last assignment, per mediator.
pub async fn workload(
    db: impl PgExecutor<'_>,
    mediators: &[Uuid],
) -> Result<HashMap<MediatorId, Workload>, sqlx::Error> {
    let rows: Vec<(Uuid, i64, Option<DateTime<Utc>>)> = sqlx::query!(
        r#"SELECT a.mediator_id,
                  coalesce(sum(b.duration_minutes) FILTER (WHERE b.start_at > now() - interval '30 days'), 0)::bigint
                    AS "minutes!",
                  max(a.assigned_at) AS last_assigned
           FROM booking.assignments a JOIN booking.bookings b ON b.id = a.booking_id
           WHERE a.mediator_id = ANY($1) GROUP BY a.mediator_id"#,
        mediators,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.mediator_id, r.minutes, r.last_assigned))
    .collect();
    Ok(rows
        .into_iter()
        .map(|(m, minutes, last)| {
            (
                MediatorId(m),
                Workload {
                    minutes_30_days: minutes,
                    last_assigned: last,
                },
            )
        })
        .collect())
}

pub async fn insert_round(
    db: impl PgExecutor<'_>,
    booking: BookingId,
    wave: i32,
    ranked: &serde_json::Value,
    excluded: &serde_json::Value,
    other_languages: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO booking.dispatch_rounds (booking_id, wave, ranked, excluded, other_languages) VALUES ($1, $2, $3, $4, $5)",
        booking.as_uuid(),
        wave,
        ranked,
        excluded,
        other_languages as i32,
    )
        .execute(db)
        .await?;
    Ok(())
}

#[derive(Debug)]
pub struct RoundRow {
    pub wave: i32,
    pub at: DateTime<Utc>,
    pub ranked: serde_json::Value,
    pub excluded: serde_json::Value,
    pub other_languages: i32,
}

pub async fn rounds(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<Vec<RoundRow>, sqlx::Error> {
    sqlx::query_as!(
        RoundRow,
        "SELECT wave, at, ranked, excluded, other_languages FROM booking.dispatch_rounds WHERE booking_id = $1 ORDER BY at, wave",
        booking.as_uuid(),
    )
        .fetch_all(db)
        .await
}

/// Whether `reservation` is the one an assignment holds.
pub async fn assignment_holds(
    db: impl PgExecutor<'_>,
    reservation: ReservationId,
) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!" FROM booking.assignments WHERE reservation_id = $1"#,
        reservation.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}
