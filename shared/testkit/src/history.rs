//! Bookings that already happened, written straight into the booking service's tables
//! as its own code would have left them: for tests of what reads history (the report
//! for funders) without living through months of dispatch.

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, TimeZone as _, Utc};
use mittler_types::OrganisationId;
use sqlx::PgPool;
use uuid::Uuid;

/// One booking of the past and what became of it.
#[derive(Clone, Debug)]
pub struct PastBooking {
    pub organisation: OrganisationId,
    pub pool: OrganisationId,
    pub language: String,
    /// `video`, `phone` or `on_site`.
    pub modality: &'static str,
    /// A subject area's wire name (`health`, `school`, …).
    pub subject: &'static str,
    pub on_demand: bool,
    pub start: DateTime<Utc>,
    /// The booking's state (`completed`, `unfilled`, `cancelled`, `offering`, …).
    pub state: &'static str,
    /// Minutes from the request to the assignment.
    pub assigned_after: Option<i64>,
    /// Minutes of notice of a cancellation.
    pub notice: Option<i64>,
    /// Seconds from the request to the first offer (a call's ring) and to both
    /// parties in the room.
    pub ring_after: Option<i64>,
    pub connect_after: Option<i64>,
    /// Minutes of a confirmed time record of a job that took place.
    pub worked: Option<i32>,
}

impl PastBooking {
    /// A video appointment in health matters, requested two days before `start` and
    /// still waiting; the fields say what became of it.
    pub fn new(
        organisation: OrganisationId,
        pool: OrganisationId,
        language: &str,
        start: DateTime<Utc>,
    ) -> Self {
        Self {
            organisation,
            pool,
            language: language.to_owned(),
            modality: "video",
            subject: "health",
            on_demand: false,
            start,
            state: "requested",
            assigned_after: None,
            notice: None,
            ring_after: None,
            connect_after: None,
            worked: None,
        }
    }

    /// Filled `after` minutes, with an hour confirmed.
    pub fn filled(mut self, after: i64) -> Self {
        self.state = "completed";
        self.assigned_after = Some(after);
        self.worked = Some(60);
        self
    }

    pub fn unfilled(mut self) -> Self {
        self.state = "unfilled";
        self
    }

    /// Cancelled `notice` minutes before the start.
    pub fn cancelled(mut self, notice: i64) -> Self {
        self.state = "cancelled";
        self.notice = Some(notice);
        self
    }

    /// An on-demand call rung after `ring` seconds and, if `connect`, with both in
    /// the room after that many seconds (filled); otherwise nobody took it.
    pub fn call(mut self, ring: i64, connect: Option<i64>) -> Self {
        self.on_demand = true;
        self.ring_after = Some(ring);
        self.connect_after = connect;
        match connect {
            Some(_) => self.filled(1),
            None => self.unfilled(),
        }
    }
}

/// Write `b` as the booking service keeps it: the booking, its offers (the first
/// ring), its assignment and its confirmed time record.
pub async fn insert(db: &PgPool, b: &PastBooking) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    let created = b.start - Duration::days(2);
    sqlx::query(
        "INSERT INTO booking.bookings (id, organisation_id, requested_by, state, language, modality,
             kind, start_at, end_at, time_zone, duration_minutes, subject_area, min_qualification,
             mediator_gender, created_at, pool_id, cancelled_at, notice_minutes, session_started_at,
             location)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8 + interval '1 hour', 'Europe/Berlin', 60, $9,
             'trained', 'any', $10, $11, $12, $13, $14,
             CASE WHEN $6 = 'on_site' THEN jsonb_build_object('address', 'Markt 1',
                 'postal_code', '02826', 'latitude', 51.15, 'longitude', 14.99) END)",
    )
    .bind(id)
    .bind(b.organisation.as_uuid())
    .bind(Uuid::new_v4())
    .bind(b.state)
    .bind(&b.language)
    .bind(b.modality)
    .bind(if b.on_demand { "on_demand" } else { "scheduled" })
    .bind(b.start)
    .bind(b.subject)
    .bind(created)
    .bind(b.pool.as_uuid())
    .bind(b.notice.map(|n| b.start - Duration::minutes(n)))
    .bind(b.notice.map(|n| n as i32))
    .bind(b.connect_after.map(|s| created + Duration::seconds(s)))
    .execute(db)
    .await?;
    let mediator = Uuid::new_v4();
    if let Some(ring) = b.ring_after {
        for (n, after) in [ring, ring + 5].into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO booking.offers (id, booking_id, mediator_id, wave, state, expires_at, created_at)
                 VALUES ($1, $2, $3, 1, 'expired', $4, $4)",
            )
            .bind(Uuid::new_v4())
            .bind(id)
            .bind(if n == 0 { mediator } else { Uuid::new_v4() })
            .bind(created + Duration::seconds(after))
            .execute(db)
            .await?;
        }
    }
    if let Some(after) = b.assigned_after {
        sqlx::query(
            "INSERT INTO booking.assignments (booking_id, mediator_id, reservation_id, assigned_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(mediator)
        .bind(Uuid::new_v4())
        .bind(created + Duration::minutes(after))
        .execute(db)
        .await?;
    }
    if let Some(minutes) = b.worked {
        sqlx::query(
            "INSERT INTO booking.time_records (booking_id, mediator_id, start_at, end_at, worked_minutes,
                 outcome, source, state, claimed_at, confirmed_at, confirmed_by)
             VALUES ($1, $2, $3, $3 + make_interval(mins => $4), $4, 'done', 'mediator', 'confirmed',
                 $3, $3, 'requester')",
        )
        .bind(id)
        .bind(mediator)
        .bind(b.start)
        .bind(minutes)
        .execute(db)
        .await?;
    }
    Ok(id)
}

/// 10:00 Berlin time on `day` (1 to 28) of `month`.
pub fn berlin_ten(month: NaiveDate, day: u32) -> DateTime<Utc> {
    let local = month
        .with_day(day.clamp(1, 28))
        .unwrap_or(month)
        .and_hms_opt(10, 0, 0)
        .unwrap_or_default();
    mittler_types::TimeZone::BERLIN
        .resolve(local)
        .unwrap_or_else(|_| Utc.from_utc_datetime(&local))
}

/// A pool's year of bookings for its organisations, ending with `last` month: each
/// month some Ukrainian, Arabic, Farsi, Russian and Turkish requests, most filled,
/// some unfilled or cancelled, and a few on-demand calls, varying from month to month
/// so that charts have something to show. Deterministic.
pub async fn a_year(
    db: &PgPool,
    pool: OrganisationId,
    organisations: &[OrganisationId],
    last: NaiveDate,
) -> Result<usize, sqlx::Error> {
    let mut written = 0;
    for back in 0..12u32 {
        let month = last
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(11 - back)))
            .unwrap_or(last);
        let wave = i64::from(back % 4);
        for (l, (language, many)) in [("uk", 14), ("ar", 9), ("fa", 6), ("ru", 5), ("tr", 3)]
            .into_iter()
            .enumerate()
        {
            let count = many + (wave + l as i64) % 3;
            for n in 0..count {
                let organisation = organisations[(n as usize + l) % organisations.len()];
                let start = berlin_ten(month, (1 + n * 2 % 27) as u32);
                let mut b = PastBooking::new(organisation, pool, language, start);
                b.subject =
                    ["health", "residence_asylum", "school", "youth_welfare"][(n as usize + l) % 4];
                b.modality = ["video", "on_site", "phone"][(n as usize) % 3];
                b = match (n + wave) % 7 {
                    0 | 5 => b.unfilled(),
                    4 if n > 2 => b.cancelled(if n % 2 == 0 { 600 } else { 4000 }),
                    _ => b.filled(15 + (n * 37 + wave * 11) % 240),
                };
                insert(db, &b).await?;
                written += 1;
            }
        }
        for n in 0..(3 + wave) {
            let start = berlin_ten(month, (3 + n * 5) as u32) + Duration::hours(n);
            let b = PastBooking::new(organisations[0], pool, "uk", start)
                .call(8 + n * 7, (n != 2).then_some(70 + n * 25 + wave * 10));
            insert(db, &b).await?;
            written += 1;
        }
    }
    Ok(written)
}
