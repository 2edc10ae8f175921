//! Booking → first offer, the whole system in one process at a steady rate.
//!
//! 200 mediators (20 languages, available every day), bookings for random languages
//! and days sent over `booking.rpc.create` at a fixed rate. Latency: from sending the
//! create request to receiving the booking's first `booking.offer.made` on NATS,
//! i.e. create + outbox relay + dispatch consumer + candidates + ranking + offers +
//! relay again.

use chrono::{Duration, NaiveTime, TimeZone as _, Utc};
use futures::StreamExt;
use hdrhistogram::Histogram;
use mittler_availability::requests::Availability;
use mittler_contracts::availability::{
    Calendar, GeoPoint, LanguageSkill, MediatorProfile, PutCalendarRequest, WeeklyRule,
};
use mittler_contracts::booking::{CreateBooking, CreateBookingRequest, OfferMade};
use mittler_contracts::{Event, RawEnvelope};
use mittler_platform::rpc;
use mittler_testkit::{TestApp, TestEnv};
use mittler_types::{
    Gender, LanguageTag, MediatorId, Modality, OrganisationId, Qualification, TimeZone, UserId,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

/// The one pool every booking and mediator of the benchmark belongs to.
const BENCH_POOL: OrganisationId = OrganisationId(uuid::Uuid::from_u128(1));

const LANGUAGES: &[&str] = &[
    "ar", "uk", "ru", "prs", "fa", "tr", "apc", "kmr", "ti", "so", "ps", "ckb", "en", "fr", "ro",
    "bg", "pl", "sq", "sr", "ka",
];

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let rate = arg("--rate", 20);
    let seconds = arg("--seconds", 15);

    let env = TestEnv::start().await;
    let availability = Availability::new(env.db.pool.clone(), Default::default());
    let always = Calendar {
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
    };
    for i in 0..200usize {
        let profile = MediatorProfile {
            id: MediatorId::new(),
            display_name: format!("Mediator {i}"),
            email: format!("m{i}@example.org"),
            phone: None,
            gender: if i % 2 == 0 {
                Gender::Female
            } else {
                Gender::Male
            },
            languages: vec![LanguageSkill {
                code: LanguageTag::parse(LANGUAGES[i % LANGUAGES.len()]).expect("tag"),
                qualification: Qualification::Trained,
            }],
            modalities: vec![Modality::Video, Modality::Phone],
            subject_areas: vec![],
            home: GeoPoint {
                lat: 51.05,
                lon: 13.74,
            },
            postal_code: "01067".into(),
            max_travel_km: 50.0,
            max_minutes_per_week: 10_080,
            accepts_same_day: true,
            time_zone: TimeZone::BERLIN,
            notify_by_email: false,
            active: true,
            pools: vec![mittler_contracts::availability::PoolMembership {
                pool_id: BENCH_POOL,
                active: true,
            }],
        };
        availability
            .put_profile(profile.clone())
            .await
            .expect("profile");
        availability
            .put_calendar(PutCalendarRequest {
                mediator_id: profile.id,
                calendar: always.clone(),
            })
            .await
            .expect("calendar");
    }
    let mut config = env.config();
    config.database.max_connections = 24;
    config.telemetry.filter = "warn".into();
    let app = TestApp::spawn(config, mittler::run_on).await;
    let client = env.nats.client().await;

    // First offer per booking, as it arrives.
    let first: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut offers = client.subscribe(OfferMade::TYPE).await.expect("subscribe");
    let seen = first.clone();
    tokio::spawn(async move {
        while let Some(message) = offers.next().await {
            if let Ok(envelope) = RawEnvelope::from_slice(&message.payload)
                && let Ok(made) = envelope.decode::<OfferMade>()
            {
                seen.lock()
                    .expect("lock")
                    .entry(made.data.booking_id.to_string())
                    .or_insert_with(Instant::now);
            }
        }
    });
    let timeout = StdDuration::from_secs(10);
    // Warm up: one booking through the whole path.
    let mut rng = StdRng::seed_from_u64(11);
    let booking = |rng: &mut StdRng| {
        let today = Utc::now()
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive();
        let local = (today + Duration::days(rng.random_range(2..30)))
            .and_hms_opt(rng.random_range(8..17), 0, 0)
            .expect("t");
        let start = chrono_tz::Europe::Berlin
            .from_local_datetime(&local)
            .earliest()
            .expect("exists")
            .with_timezone(&Utc);
        let mut details = mittler_contracts::examples::booking_details();
        details.language =
            LanguageTag::parse(LANGUAGES[rng.random_range(0..LANGUAGES.len())]).expect("tag");
        details.start = start;
        details.end = start + Duration::minutes(45);
        CreateBookingRequest {
            organisation_id: OrganisationId::new(),
            pool_id: BENCH_POOL,
            requested_by: UserId::new(),
            idempotency_key: None,
            fingerprint: "bench".into(),
            details,
            policy: Default::default(),
        }
    };
    rpc::call::<CreateBooking>(&client, &booking(&mut rng), timeout)
        .await
        .expect("warm-up");
    tokio::time::sleep(StdDuration::from_millis(500)).await;

    let total = rate * seconds;
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut ticker = tokio::time::interval(StdDuration::from_secs_f64(1.0 / rate as f64));
    let mut handles = Vec::new();
    for _ in 0..total {
        ticker.tick().await;
        let request = booking(&mut rng);
        let client = client.clone();
        let sent = sent.clone();
        handles.push(tokio::spawn(async move {
            let at = Instant::now();
            let created = rpc::call::<CreateBooking>(&client, &request, timeout)
                .await
                .expect("created");
            sent.lock()
                .expect("lock")
                .insert(created.booking.id.to_string(), at);
        }));
    }
    for handle in handles {
        handle.await.expect("join");
    }
    let deadline = Instant::now() + StdDuration::from_secs(60);
    loop {
        let done = {
            let sent = sent.lock().expect("lock");
            let first = first.lock().expect("lock");
            sent.keys().filter(|id| first.contains_key(*id)).count()
        };
        if done as u64 == total || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    // The locks end with this block, before the awaits below.
    let histogram = {
        let mut histogram = Histogram::<u64>::new(3).expect("hdr");
        let (sent, first) = (sent.lock().expect("lock"), first.lock().expect("lock"));
        for (id, at) in sent.iter() {
            if let Some(offered) = first.get(id) {
                histogram
                    .record(offered.duration_since(*at).as_micros() as u64)
                    .ok();
            }
        }
        histogram
    };
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| booking -> first offer | rate | bookings | with offer | p50 ms | p95 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| whole system, one process | {rate}/s | {total} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
        histogram.len(),
        ms(0.5),
        ms(0.95),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );
    app.stop().await.expect("stop");
}
