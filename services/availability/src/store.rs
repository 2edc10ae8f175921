//! The `availability` schema: profiles, calendars, absences, reservations, presence.

use crate::eligibility::Booked;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use mittler_contracts::availability::{
    Absence, Calendar, DateOverride, GeoPoint, LanguageSkill, MediatorProfile, PoolMembership,
    WeeklyRule,
};
use mittler_types::{BookingId, MediatorId, Modality, ReservationId, TimeZone};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use sqlx::postgres::types::PgRange;
use sqlx::types::Json;
use std::collections::HashMap;
use std::ops::Bound;
use uuid::Uuid;

/// The local-time part of a calendar, stored as one JSON value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalRules {
    pub weekly_rules: Vec<WeeklyRule>,
    #[serde(default)]
    pub overrides: Vec<DateOverride>,
}

struct ProfileRow {
    id: MediatorId,
    display_name: String,
    email: String,
    phone: Option<String>,
    gender: String,
    languages: Json<Vec<LanguageSkill>>,
    modalities: Vec<String>,
    subject_areas: Vec<String>,
    home_lat: f64,
    home_lon: f64,
    postal_code: String,
    max_travel_km: f64,
    max_minutes_per_week: i32,
    accepts_same_day: bool,
    time_zone: String,
    notify_by_email: bool,
    active: bool,
    pools: Json<Vec<PoolMembership>>,
    calendar: Json<LocalRules>,
}

impl ProfileRow {
    fn into_parts(self) -> anyhow::Result<(MediatorProfile, LocalRules)> {
        let id = self.id;
        self.read_parts()
            .with_context(|| format!("mediator {id}: the stored profile does not read"))
    }

    fn read_parts(self) -> anyhow::Result<(MediatorProfile, LocalRules)> {
        let languages: Vec<LanguageSkill> = self.languages.0;
        let modalities = self
            .modalities
            .iter()
            .map(|m| m.parse())
            .collect::<Result<_, _>>()?;
        let subject_areas = self
            .subject_areas
            .iter()
            .map(|a| a.parse())
            .collect::<Result<_, _>>()?;
        let rules: LocalRules = self.calendar.0;
        Ok((
            MediatorProfile {
                id: self.id,
                display_name: self.display_name,
                email: self.email,
                phone: self.phone,
                gender: self.gender.parse()?,
                languages,
                modalities,
                subject_areas,
                home: GeoPoint {
                    lat: self.home_lat,
                    lon: self.home_lon,
                },
                postal_code: self.postal_code,
                max_travel_km: self.max_travel_km,
                max_minutes_per_week: i64::from(self.max_minutes_per_week),
                accepts_same_day: self.accepts_same_day,
                time_zone: TimeZone::parse(&self.time_zone)?,
                notify_by_email: self.notify_by_email,
                active: self.active,
                pools: self.pools.0,
            },
            rules,
        ))
    }
}

/// Create or replace a profile; its calendar is kept.
pub async fn upsert_profile(db: impl PgExecutor<'_>, p: &MediatorProfile) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO availability.mediators (id, display_name, email, phone, gender, languages, modalities, \
         subject_areas, home_lat, home_lon, postal_code, max_travel_km, max_minutes_per_week, accepts_same_day, \
         time_zone, notify_by_email, active, pools) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, email = EXCLUDED.email, \
         phone = EXCLUDED.phone, gender = EXCLUDED.gender, languages = EXCLUDED.languages, \
         modalities = EXCLUDED.modalities, subject_areas = EXCLUDED.subject_areas, home_lat = EXCLUDED.home_lat, \
         home_lon = EXCLUDED.home_lon, postal_code = EXCLUDED.postal_code, max_travel_km = EXCLUDED.max_travel_km, \
         max_minutes_per_week = EXCLUDED.max_minutes_per_week, accepts_same_day = EXCLUDED.accepts_same_day, \
         time_zone = EXCLUDED.time_zone, notify_by_email = EXCLUDED.notify_by_email, active = EXCLUDED.active, \
         pools = EXCLUDED.pools, updated_at = now()",
        p.id.as_uuid(),
        &p.display_name,
        &p.email,
        p.phone.as_deref(),
        p.gender.as_str(),
        serde_json::to_value(&p.languages)?,
        &p.modalities
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect::<Vec<_>>(),
        &p.subject_areas
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect::<Vec<_>>(),
        p.home.lat,
        p.home.lon,
        &p.postal_code,
        p.max_travel_km,
        i32::try_from(p.max_minutes_per_week).unwrap_or(i32::MAX),
        p.accepts_same_day,
        p.time_zone.name(),
        p.notify_by_email,
        p.active,
        serde_json::to_value(&p.pools)?,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn profile(
    db: impl PgExecutor<'_>,
    id: MediatorId,
) -> anyhow::Result<Option<(MediatorProfile, LocalRules)>> {
    let row: Option<ProfileRow> = sqlx::query_as!(
        ProfileRow,
        r#"SELECT id AS "id: MediatorId", display_name, email, phone, gender,
                  languages AS "languages: Json<Vec<LanguageSkill>>", modalities, subject_areas,
                  home_lat, home_lon, postal_code, max_travel_km, max_minutes_per_week, accepts_same_day,
                  time_zone, notify_by_email, active, pools AS "pools: Json<Vec<PoolMembership>>",
                  calendar AS "calendar: Json<LocalRules>"
           FROM availability.mediators WHERE id = $1"#,
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    row.map(ProfileRow::into_parts).transpose()
}

/// Every profile with its local rules, by name.
pub async fn profiles(
    db: impl PgExecutor<'_>,
) -> anyhow::Result<Vec<(MediatorProfile, LocalRules)>> {
    let rows: Vec<ProfileRow> = sqlx::query_as!(
        ProfileRow,
        r#"SELECT id AS "id: MediatorId", display_name, email, phone, gender,
                  languages AS "languages: Json<Vec<LanguageSkill>>", modalities, subject_areas,
                  home_lat, home_lon, postal_code, max_travel_km, max_minutes_per_week, accepts_same_day,
                  time_zone, notify_by_email, active, pools AS "pools: Json<Vec<PoolMembership>>",
                  calendar AS "calendar: Json<LocalRules>"
           FROM availability.mediators ORDER BY display_name, id"#,
    )
    .fetch_all(db)
    .await?;
    rows.into_iter().map(ProfileRow::into_parts).collect()
}

/// Whether a mediator takes work, and in which pools.
#[derive(Debug)]
pub struct Standing {
    pub active: bool,
    pub pools: Vec<PoolMembership>,
}

impl Standing {
    /// Whether the mediator may take a booking of `pool` (none: any).
    pub fn may_take(&self, pool: Option<mittler_types::OrganisationId>) -> bool {
        self.active
            && pool.is_none_or(|pool| self.pools.iter().any(|m| m.pool_id == pool && m.active))
    }
}

/// Lock a mediator's row: reservations of one mediator are made one at a time.
/// Their standing; `None` when there is no such mediator.
pub async fn lock_mediator(
    db: impl PgExecutor<'_>,
    id: MediatorId,
) -> Result<Option<Standing>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT active, pools AS "pools: Json<Vec<PoolMembership>>"
           FROM availability.mediators WHERE id = $1 FOR NO KEY UPDATE"#,
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Standing {
        active: r.active,
        pools: r.pools.0,
    }))
}

pub async fn set_calendar(
    db: impl PgExecutor<'_>,
    id: MediatorId,
    time_zone: TimeZone,
    rules: &LocalRules,
) -> anyhow::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE availability.mediators SET calendar = $2, time_zone = $3, updated_at = now() WHERE id = $1",
        id.as_uuid(),
        serde_json::to_value(rules)?,
        time_zone.name(),
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

fn range(start: DateTime<Utc>, end: DateTime<Utc>) -> PgRange<DateTime<Utc>> {
    PgRange {
        start: Bound::Included(start),
        end: Bound::Excluded(end),
    }
}

fn bounds(range: &PgRange<DateTime<Utc>>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = match range.start {
        Bound::Included(at) | Bound::Excluded(at) => at,
        Bound::Unbounded => return None,
    };
    let end = match range.end {
        Bound::Included(at) | Bound::Excluded(at) => at,
        Bound::Unbounded => return None,
    };
    Some((start, end))
}

pub async fn replace_absences(
    conn: &mut sqlx::PgConnection,
    id: MediatorId,
    absences: &[Absence],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM availability.absences WHERE mediator_id = $1",
        id.as_uuid(),
    )
    .execute(&mut *conn)
    .await?;
    for absence in absences {
        sqlx::query!(
        "INSERT INTO availability.absences (id, mediator_id, during, reason) VALUES ($1, $2, $3, $4)",
        Uuid::now_v7(),
        id.as_uuid(),
        range(absence.start, absence.end),
        &absence.reason,
    )
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

struct AbsenceRow {
    mediator_id: MediatorId,
    during: PgRange<DateTime<Utc>>,
    reason: String,
}

/// Absences that touch `[from, to)`, of these mediators or of all.
pub async fn absences(
    db: impl PgExecutor<'_>,
    mediators: Option<&[Uuid]>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<MediatorId, Vec<Absence>>, sqlx::Error> {
    let rows: Vec<AbsenceRow> = sqlx::query_as!(
        AbsenceRow,
        r#"SELECT mediator_id AS "mediator_id: MediatorId", during, reason FROM availability.absences
           WHERE ($1::uuid[] IS NULL OR mediator_id = ANY($1)) AND during && $2 ORDER BY lower(during)"#,
        mediators,
        range(from, to),
    )
    .fetch_all(db)
    .await?;
    let mut by_mediator: HashMap<MediatorId, Vec<Absence>> = HashMap::new();
    for row in rows {
        if let Some((start, end)) = bounds(&row.during) {
            by_mediator
                .entry(row.mediator_id)
                .or_default()
                .push(Absence {
                    start,
                    end,
                    reason: row.reason,
                });
        }
    }
    Ok(by_mediator)
}

struct ReservationRow {
    id: ReservationId,
    mediator_id: MediatorId,
    booking_id: BookingId,
    slot: PgRange<DateTime<Utc>>,
    modality: String,
    lat: Option<f64>,
    lon: Option<f64>,
}

impl ReservationRow {
    fn booked(&self) -> Option<Booked> {
        let (start, end) = bounds(&self.slot)?;
        Some(Booked {
            booking_id: self.booking_id,
            start,
            end,
            modality: self.modality.parse().ok()?,
            location: self
                .lat
                .zip(self.lon)
                .map(|(lat, lon)| GeoPoint { lat, lon }),
        })
    }
}

/// Live reservations that touch `[from, to)`, of these mediators or of all.
pub async fn live_reservations(
    db: impl PgExecutor<'_>,
    mediators: Option<&[Uuid]>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<MediatorId, Vec<Booked>>, sqlx::Error> {
    let rows: Vec<ReservationRow> = sqlx::query_as!(
        ReservationRow,
        r#"SELECT id AS "id: ReservationId", mediator_id AS "mediator_id: MediatorId", booking_id AS "booking_id: BookingId", slot, modality, lat, lon FROM availability.reservations
           WHERE released_at IS NULL AND ($1::uuid[] IS NULL OR mediator_id = ANY($1)) AND slot && $2"#,
        mediators,
        range(from, to),
    )
    .fetch_all(db)
    .await?;
    let mut by_mediator: HashMap<MediatorId, Vec<Booked>> = HashMap::new();
    for row in &rows {
        if let Some(booked) = row.booked() {
            by_mediator.entry(row.mediator_id).or_default().push(booked);
        }
    }
    Ok(by_mediator)
}

/// Why an insert was refused.
#[derive(Debug, thiserror::Error)]
pub enum InsertReservationError {
    #[error("the slot overlaps another reservation of the mediator")]
    Overlap,
    #[error("the booking already holds a reservation")]
    BookingHeld(Option<(ReservationId, MediatorId, DateTime<Utc>, DateTime<Utc>)>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[allow(clippy::too_many_arguments)] // one per column of the reservation
pub async fn insert_reservation(
    conn: &mut sqlx::PgConnection,
    id: ReservationId,
    mediator: MediatorId,
    booking: BookingId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    modality: Modality,
    location: Option<GeoPoint>,
) -> Result<(), InsertReservationError> {
    let result = sqlx::query!(
        "INSERT INTO availability.reservations (id, mediator_id, booking_id, slot, modality, lat, lon) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id.as_uuid(),
        mediator.as_uuid(),
        booking.as_uuid(),
        range(start, end),
        modality.as_str(),
        location.map(|l| l.lat),
        location.map(|l| l.lon),
    )
    .execute(&mut *conn)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("23P01") => {
            Err(InsertReservationError::Overlap)
        }
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("23505") => {
            Err(InsertReservationError::BookingHeld(None))
        }
        Err(other) => Err(other.into()),
    }
}

/// The live reservation of a booking.
pub async fn live_reservation_of_booking(
    db: impl PgExecutor<'_>,
    booking: BookingId,
) -> Result<Option<(ReservationId, MediatorId, DateTime<Utc>, DateTime<Utc>)>, sqlx::Error> {
    let row: Option<ReservationRow> = sqlx::query_as!(
        ReservationRow,
        r#"SELECT id AS "id: ReservationId", mediator_id AS "mediator_id: MediatorId", booking_id AS "booking_id: BookingId", slot, modality, lat, lon FROM availability.reservations
           WHERE booking_id = $1 AND released_at IS NULL"#,
        booking.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        let (start, end) = bounds(&r.slot)?;
        Some((r.id, r.mediator_id, start, end))
    }))
}

/// Release; returns the reservation's mediator and booking if it was live.
pub async fn release(
    db: impl PgExecutor<'_>,
    id: ReservationId,
) -> Result<Option<(MediatorId, BookingId)>, sqlx::Error> {
    let row: Option<(Uuid, Uuid)> = sqlx::query!(
        "UPDATE availability.reservations SET released_at = now() WHERE id = $1 AND released_at IS NULL \
         RETURNING mediator_id, booking_id",
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.mediator_id, r.booking_id));
    Ok(row.map(|(m, b)| (MediatorId(m), BookingId(b))))
}

pub async fn reservation_exists(
    db: impl PgExecutor<'_>,
    id: ReservationId,
) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!" FROM availability.reservations WHERE id = $1"#,
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// Set presence; returns whether the mediator was online (unexpired) before.
pub async fn set_presence(
    conn: &mut sqlx::PgConnection,
    id: MediatorId,
    online: bool,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let before: Option<bool> = sqlx::query_scalar!(
        r#"SELECT online AND expires_at > now() AS "online!" FROM availability.presence WHERE mediator_id = $1 FOR UPDATE"#,
        id.as_uuid(),
    )
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO availability.presence (mediator_id, online, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (mediator_id) DO UPDATE SET online = EXCLUDED.online, expires_at = EXCLUDED.expires_at",
        id.as_uuid(),
        online,
        expires_at,
    )
    .execute(&mut *conn)
    .await?;
    Ok(before.unwrap_or(false))
}

/// Mediators online now (heartbeat not expired).
pub async fn online_now(db: impl PgExecutor<'_>) -> Result<Vec<MediatorId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT mediator_id FROM availability.presence WHERE online AND expires_at > now()",
    )
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().map(MediatorId).collect())
}

/// A calendar as the API shows it.
pub fn calendar_of(
    profile: &MediatorProfile,
    rules: LocalRules,
    absences: Vec<Absence>,
) -> Calendar {
    Calendar {
        time_zone: profile.time_zone,
        weekly_rules: rules.weekly_rules,
        overrides: rules.overrides,
        absences,
    }
}

/// Every profile, read in one snapshot with the version of `profiles_version` it
/// belongs to (`read_before`, a version read earlier, when there are none).
pub async fn all_profiles_versioned(
    db: impl PgExecutor<'_>,
    read_before: i64,
) -> anyhow::Result<(i64, Vec<(MediatorProfile, LocalRules)>)> {
    // One statement, so that the version belongs to exactly these rows.
    let rows = sqlx::query!(
        r#"SELECT id AS "id: MediatorId", display_name, email, phone, gender,
                  languages AS "languages: Json<Vec<LanguageSkill>>", modalities, subject_areas,
                  home_lat, home_lon, postal_code, max_travel_km, max_minutes_per_week, accepts_same_day,
                  time_zone, notify_by_email, active, pools AS "pools: Json<Vec<PoolMembership>>",
                  calendar AS "calendar: Json<LocalRules>",
                  (SELECT version FROM availability.profiles_version) AS "version!"
           FROM availability.mediators ORDER BY id"#,
    )
    .fetch_all(db)
    .await?;
    let version = rows.first().map_or(read_before, |row| row.version);
    let profiles = rows
        .into_iter()
        .map(|r| {
            ProfileRow {
                id: r.id,
                display_name: r.display_name,
                email: r.email,
                phone: r.phone,
                gender: r.gender,
                languages: r.languages,
                modalities: r.modalities,
                subject_areas: r.subject_areas,
                home_lat: r.home_lat,
                home_lon: r.home_lon,
                postal_code: r.postal_code,
                max_travel_km: r.max_travel_km,
                max_minutes_per_week: r.max_minutes_per_week,
                accepts_same_day: r.accepts_same_day,
                time_zone: r.time_zone,
                notify_by_email: r.notify_by_email,
                active: r.active,
                pools: r.pools,
                calendar: r.calendar,
            }
            .into_parts()
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((version, profiles))
}

/// The version the mediators' rows are at (moved by a trigger on every change).
pub async fn profiles_version(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("SELECT version FROM availability.profiles_version",)
        .fetch_one(db)
        .await
}

/// Reserved minutes per mediator (of this zone) of live reservations starting in
/// `[from, to)`, leaving out the reservation of `ignore`.
pub async fn week_minutes(
    db: impl PgExecutor<'_>,
    mediators: &[Uuid],
    zone: TimeZone,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    ignore: Option<BookingId>,
) -> Result<Vec<(MediatorId, i64)>, sqlx::Error> {
    let rows: Vec<(Uuid, i64)> = sqlx::query!(
        "SELECT r.mediator_id, sum(extract(epoch FROM upper(r.slot) - lower(r.slot)))::bigint / 60 AS minutes \
         FROM availability.reservations r JOIN availability.mediators m ON m.id = r.mediator_id \
         WHERE r.released_at IS NULL AND m.time_zone = $1 AND lower(r.slot) >= $2 AND lower(r.slot) < $3 \
         AND ($4::uuid IS NULL OR r.booking_id <> $4) AND r.mediator_id = ANY($5) GROUP BY r.mediator_id",
        zone.name(),
        from,
        to,
        ignore.map(|b| b.as_uuid()),
        mediators,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.mediator_id, r.minutes.unwrap_or(0)))
    .collect();
    Ok(rows
        .into_iter()
        .map(|(id, minutes)| (MediatorId(id), minutes))
        .collect())
}
