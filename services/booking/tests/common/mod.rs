//! What the booking service's tests share: mediators with a calendar that is always
//! open, bookings at 10:00 Berlin time some days ahead, the settings, and the
//! booking and availability services on the test's NATS and database.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveTime, Utc};
use mittler_availability::requests::Availability;
use mittler_booking::settings::DispatchConfig;
use mittler_contracts::availability::{
    Calendar, GeoPoint, LanguageSkill, MediatorProfile, PoolMembership, PutCalendarRequest,
    WeeklyRule,
};
use mittler_contracts::booking::{
    AssignBooking, AssignBookingRequest, BookingView, ClaimTime, ClaimTimeRequest, CreateBooking,
    CreateBookingRequest, GetBooking, GetBookingRequest, GetTimeRecord, MyOffers, MyOffersRequest,
    RecordActor, Scope, TimeClaim, TimeRecordRequest, TimeRecordView,
};
use mittler_contracts::examples::booking_details;
use mittler_contracts::{FaultCode, Rpc};
use mittler_platform::Config;
use mittler_platform::rpc::{self, RpcError};
use mittler_testkit::{TestApp, TestEnv, eventually};
use mittler_types::{
    BookingId, BookingState, Gender, LanguageTag, MediatorId, Modality, OrganisationId, Outcome,
    Qualification, TimeZone, UserId,
};
use std::time::Duration as StdDuration;

/// The pool of every booking and mediator here, unless a test says otherwise.
pub const POOL: OrganisationId = OrganisationId(uuid::Uuid::from_u128(0x9001));

pub fn profile(language: &str) -> MediatorProfile {
    MediatorProfile {
        id: MediatorId::new(),
        display_name: format!("Mediator {}", uuid::Uuid::new_v4().simple()),
        email: "m@example.org".into(),
        phone: None,
        gender: Gender::Female,
        languages: vec![LanguageSkill {
            code: LanguageTag::parse(language).expect("tag"),
            qualification: Qualification::Trained,
        }],
        modalities: vec![Modality::Video, Modality::Phone],
        subject_areas: vec![],
        home: GeoPoint {
            lat: 51.34,
            lon: 12.37,
        },
        postal_code: "04109".into(),
        max_travel_km: 50.0,
        max_minutes_per_week: 2400,
        accepts_same_day: true,
        time_zone: TimeZone::BERLIN,
        notify_by_email: true,
        active: true,
        pools: vec![PoolMembership {
            pool_id: POOL,
            active: true,
        }],
    }
}

pub fn always() -> Calendar {
    Calendar {
        time_zone: TimeZone::BERLIN,
        weekly_rules: (1..=7)
            .map(|weekday| WeeklyRule {
                weekday,
                start: NaiveTime::MIN,
                end: NaiveTime::from_hms_opt(23, 59, 0).expect("t"),
            })
            .collect(),
        overrides: vec![],
        absences: vec![],
    }
}

pub async fn mediators(env: &TestEnv, n: usize, language: &str) -> Vec<MediatorId> {
    let service = Availability::new(env.db.pool.clone(), Default::default());
    let mut ids = Vec::new();
    for _ in 0..n {
        let p = profile(language);
        ids.push(p.id);
        service.put_profile(p.clone()).await.expect("profile");
        service
            .put_calendar(PutCalendarRequest {
                mediator_id: p.id,
                calendar: always(),
            })
            .await
            .expect("calendar");
    }
    ids
}

/// 10:00 Berlin time, `days` from today (plus `minutes`): the same hours whenever
/// the tests run, so a booking never crosses midnight.
pub fn at_ten(days: i64, minutes: i64) -> chrono::DateTime<Utc> {
    use chrono::TimeZone as _;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let local = (today + Duration::days(days))
        .and_hms_opt(10, 0, 0)
        .expect("time");
    chrono_tz::Europe::Berlin
        .from_local_datetime(&local)
        .single()
        .expect("10:00 exists")
        .with_timezone(&Utc)
        + Duration::minutes(minutes)
}

/// The example booking, at `at_ten(days, minutes)` for an hour.
pub fn details_at(
    language: &str,
    days: i64,
    minutes: i64,
) -> mittler_contracts::booking::BookingDetails {
    let mut details = booking_details();
    details.language = LanguageTag::parse(language).expect("tag");
    details.start = at_ten(days, minutes);
    details.end = details.start + Duration::minutes(60);
    details
}

pub async fn book(client: &async_nats::Client) -> BookingId {
    let details = details_at("uk", 3, 0);
    let request = CreateBookingRequest {
        organisation_id: OrganisationId::new(),
        pool_id: POOL,
        requested_by: UserId::new(),
        idempotency_key: None,
        fingerprint: "x".into(),
        details,
        policy: Default::default(),
    };
    rpc::call::<CreateBooking>(client, &request, StdDuration::from_secs(5))
        .await
        .expect("created")
        .booking
        .id
}

pub async fn offers_of(
    env: &TestEnv,
    booking: BookingId,
    state: &str,
) -> Vec<(uuid::Uuid, uuid::Uuid, i32)> {
    sqlx::query_as("SELECT id, mediator_id, wave FROM booking.offers WHERE booking_id = $1 AND state = $2 ORDER BY wave, id")
        .bind(booking.as_uuid())
        .bind(state)
        .fetch_all(&env.db.pool)
        .await
        .expect("offers")
}

pub async fn subjects(env: &TestEnv, like: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT subject FROM booking.outbox WHERE subject LIKE $1 ORDER BY created_at, id",
    )
    .bind(like)
    .fetch_all(&env.db.pool)
    .await
    .expect("outbox")
}

pub fn config(
    env: &TestEnv,
    cascade_size: usize,
    cascade_secs: i64,
    broadcast_secs: i64,
) -> Config {
    let mut config = env.config();
    config.update(|s: &mut DispatchConfig| s.cascade_size = cascade_size);
    config.update(|s: &mut DispatchConfig| s.cascade_secs = cascade_secs);
    config.update(|s: &mut DispatchConfig| s.broadcast_secs = broadcast_secs);
    config.update(|s: &mut DispatchConfig| s.timer_poll_ms = 100);
    // Escalation follows the broadcast unless a test sets the point itself; the
    // default (48 h) would depend on the hour the tests run at.
    config.update(|s: &mut DispatchConfig| s.escalate_before_start_secs = 60);
    config
}

pub async fn booking_ready(client: &async_nats::Client) {
    eventually(
        StdDuration::from_secs(20),
        "booking service answers",
        || async {
            rpc::call::<MyOffers>(
                client,
                &MyOffersRequest {
                    mediator_id: MediatorId::new(),
                },
                StdDuration::from_secs(2),
            )
            .await
            .ok()
            .map(|_| ())
        },
    )
    .await;
}

/// Booking (with dispatch) and availability, each on its own listener.
pub struct Services {
    pub booking: TestApp,
    pub availability: TestApp,
}

impl Services {
    pub async fn spawn(config: Config) -> Self {
        let availability = TestApp::spawn(config.clone(), mittler_availability::run_on).await;
        let booking = TestApp::spawn(config, mittler_booking::run_on).await;
        Self {
            booking,
            availability,
        }
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.booking.stop().await?;
        self.availability.stop().await
    }
}

// ---------------------------------------------------------------- calls

pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);

pub async fn call<R: Rpc>(
    client: &async_nats::Client,
    request: &R::Request,
) -> Result<R::Response, RpcError> {
    rpc::call::<R>(client, request, TIMEOUT).await
}

pub fn code(error: &RpcError) -> Option<(FaultCode, Option<String>)> {
    match error {
        RpcError::Fault(fault) => Some((fault.code, fault.field.clone())),
        _ => None,
    }
}

pub async fn create(
    client: &async_nats::Client,
    organisation: OrganisationId,
    details: mittler_contracts::booking::BookingDetails,
) -> BookingView {
    let request = CreateBookingRequest {
        organisation_id: organisation,
        pool_id: POOL,
        requested_by: UserId::new(),
        idempotency_key: None,
        fingerprint: uuid::Uuid::new_v4().to_string(),
        details,
        policy: Default::default(),
    };
    call::<CreateBooking>(client, &request)
        .await
        .expect("created")
        .booking
}

pub async fn get(client: &async_nats::Client, id: BookingId) -> BookingView {
    call::<GetBooking>(
        client,
        &GetBookingRequest {
            id,
            scope: Scope::all(),
        },
    )
    .await
    .expect("booking")
}

pub async fn pending_timers(env: &TestEnv, id: BookingId) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM booking.timers WHERE booking_id = $1 AND done_at IS NULL ORDER BY kind",
    )
    .bind(id.as_uuid())
    .fetch_all(&env.db.pool)
    .await
    .expect("timers")
}

/// The job lies in the past now: as if its day had come and gone.
pub async fn into_the_past(env: &TestEnv, id: BookingId, by: Duration) {
    sqlx::query(
        "UPDATE booking.bookings SET start_at = start_at - $2, end_at = end_at - $2 WHERE id = $1",
    )
    .bind(id.as_uuid())
    .bind(by)
    .execute(&env.db.pool)
    .await
    .expect("moved");
}

pub fn claim(start: DateTime<Utc>, end: DateTime<Utc>, outcome: Outcome) -> TimeClaim {
    TimeClaim {
        start: Some(start),
        end: Some(end),
        travel_minutes: 0,
        travel_km: 0,
        outcome,
    }
}

pub async fn assign(client: &async_nats::Client, id: BookingId, mediator: MediatorId) {
    let assigned = call::<AssignBooking>(
        client,
        &AssignBookingRequest {
            id,
            scope: Scope::all(),
            mediator_id: mediator,
            by: UserId::new(),
        },
    )
    .await
    .expect("assigned");
    assert_eq!(assigned.state, BookingState::Assigned);
}

pub async fn record(
    client: &async_nats::Client,
    id: BookingId,
    by: RecordActor,
) -> Result<TimeRecordView, RpcError> {
    call::<GetTimeRecord>(
        client,
        &TimeRecordRequest {
            id,
            scope: Scope::all(),
            by,
        },
    )
    .await
}

pub async fn claim_as(
    client: &async_nats::Client,
    id: BookingId,
    by: RecordActor,
    claim: TimeClaim,
) -> Result<TimeRecordView, RpcError> {
    call::<ClaimTime>(
        client,
        &ClaimTimeRequest {
            id,
            scope: Scope::all(),
            by,
            claim,
        },
    )
    .await
}
