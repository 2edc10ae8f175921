//! `candidates` with 2,000 mediators and 50,000 live reservations: latency of the
//! service function, and of the round trip over NATS request/reply.
//!
//! Mediators speak one to three of 20 languages (skewed like the pool's demand), are
//! available Monday to Friday 08:00-18:00 Europe/Berlin, and hold 25 reservations
//! each over five weeks. Queries ask for random languages, modalities and times.

use chrono::{Duration, TimeZone as _, Utc};
use hdrhistogram::Histogram;
use mittler_availability::requests::Availability;
use mittler_availability::settings::AvailabilityConfig;
use mittler_contracts::availability::{Candidates, GeoPoint, Needs};
use mittler_platform::rpc;
use mittler_testkit::{TestDb, TestNats};
use mittler_types::{GenderPreference, LanguageTag, Modality, Qualification};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

const LANGUAGES: &[&str] = &[
    "ar", "uk", "ru", "prs", "fa", "tr", "apc", "kmr", "ti", "so", "ps", "ckb", "en", "fr", "ro",
    "bg", "pl", "sq", "sr", "gsg",
];

fn report(name: &str, h: &Histogram<u64>) {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
        h.len(),
        ms(0.5),
        ms(0.95),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
}

#[tokio::main]
async fn main() {
    let mediators: i64 = 2_000;
    let per_mediator: i64 = 25;
    let queries = 400;
    let db = TestDb::create().await.expect("db");
    let started = Instant::now();
    // Profiles: languages skewed towards the first entries of LANGUAGES.
    sqlx::query(
        "INSERT INTO availability.mediators (id, display_name, email, gender, languages, modalities, home_lat, home_lon, \
         postal_code, max_travel_km, max_minutes_per_week, accepts_same_day, calendar) \
         SELECT gen_random_uuid(), 'Mediator ' || i, 'm' || i || '@example.org', \
                (ARRAY['female','male','diverse'])[1 + i % 3], \
                (SELECT jsonb_agg(DISTINCT jsonb_build_object('code', ($1::text[])[1 + ((i * k * 7919) % (3 + i % 18))], \
                        'qualification', (ARRAY['lay','trained','certified'])[1 + (i + k) % 3])) \
                 FROM generate_series(1, 1 + i % 3) k), \
                ARRAY['on_site','video','phone'], 50.8 + (i % 100) / 100.0, 12.3 + (i % 170) / 100.0, '04109', 60, 2400, true, \
                '{\"weekly_rules\": [{\"weekday\":1,\"start\":\"08:00\",\"end\":\"18:00\"},{\"weekday\":2,\"start\":\"08:00\",\"end\":\"18:00\"},\
{\"weekday\":3,\"start\":\"08:00\",\"end\":\"18:00\"},{\"weekday\":4,\"start\":\"08:00\",\"end\":\"18:00\"},\
{\"weekday\":5,\"start\":\"08:00\",\"end\":\"18:00\"}], \"overrides\": []}'::jsonb \
         FROM generate_series(1, $2) i",
    )
    .bind(LANGUAGES)
    .bind(mediators)
    .execute(&db.pool)
    .await
    .expect("profiles");
    // Reservations: one per mediator and day, at a mediator-specific hour, over five weeks.
    let base = Utc
        .with_ymd_and_hms(2026, 11, 30, 7, 0, 0)
        .single()
        .expect("time");
    sqlx::query(
        "INSERT INTO availability.reservations (id, mediator_id, booking_id, slot, modality) \
         SELECT gen_random_uuid(), m.id, gen_random_uuid(), \
                tstzrange($1 + make_interval(days => d, hours => (m.n % 9)), \
                          $1 + make_interval(days => d, hours => (m.n % 9), mins => 60 + (m.n % 4) * 15)), \
                (ARRAY['on_site','video','phone'])[1 + (m.n + d) % 3] \
         FROM (SELECT id, (row_number() OVER (ORDER BY id))::int AS n FROM availability.mediators) m, \
              generate_series(0, $2 - 1) d",
    )
    .bind(base)
    .bind(per_mediator as i32)
    .execute(&db.pool)
    .await
    .expect("reservations");
    sqlx::query("ANALYZE")
        .execute(&db.pool)
        .await
        .expect("analyze");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM availability.reservations")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    eprintln!(
        "set-up: {mediators} mediators, {count} reservations in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let service = Availability::new(db.pool.clone(), AvailabilityConfig::default());
    let mut rng = StdRng::seed_from_u64(7);
    let mut needs = Vec::new();
    for _ in 0..queries {
        let day = rng.random_range(0..30);
        let start = base + Duration::days(day) + Duration::minutes(rng.random_range(0..9 * 4) * 15);
        let modality = [Modality::OnSite, Modality::Video, Modality::Phone][rng.random_range(0..3)];
        // Demand is skewed like supply: most requests are for the common languages.
        let language =
            LANGUAGES[(rng.random_range(0.0f64..1.0).powi(2) * LANGUAGES.len() as f64) as usize];
        needs.push(Needs {
            language: LanguageTag::parse(language).expect("tag"),
            min_qualification: Qualification::Trained,
            modality,
            start,
            end: start + Duration::minutes(60),
            location: (modality == Modality::OnSite).then_some(GeoPoint {
                lat: 51.1,
                lon: 13.0,
            }),
            mediator_gender: GenderPreference::Any,
            online_now: false,
            booking_id: None,
            pool_id: None,
        });
    }

    // Warm up, then measure the service function.
    for n in needs.iter().take(20) {
        service.candidates(n.clone()).await.expect("candidates");
    }
    let mut direct = Histogram::<u64>::new(3).expect("hdr");
    let mut eligible_total = 0usize;
    for n in &needs {
        let t = Instant::now();
        let answer = service.candidates(n.clone()).await.expect("candidates");
        direct.record(t.elapsed().as_micros() as u64).ok();
        eligible_total += answer.eligible.len();
        assert_eq!(
            answer.eligible.len() + answer.excluded.len(),
            mediators as usize
        );
    }

    // Over NATS: the same handler behind `availability.rpc.candidates`.
    let nats = TestNats::start().await.expect("nats");
    let client = nats.client().await;
    let shutdown = CancellationToken::new();
    let served = service.clone();
    tokio::spawn(rpc::serve::<Candidates, _, _, _>(
        client.clone(),
        8,
        move |n| {
            let s = served.clone();
            async move { s.candidates(n).await }
        },
        shutdown.clone(),
    ));
    let timeout = std::time::Duration::from_secs(10);
    loop {
        if rpc::call::<Candidates>(&client, &needs[0], timeout)
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut over_nats = Histogram::<u64>::new(3).expect("hdr");
    for n in &needs {
        let t = Instant::now();
        rpc::call::<Candidates>(&client, n, timeout)
            .await
            .expect("rpc");
        over_nats.record(t.elapsed().as_micros() as u64).ok();
    }
    shutdown.cancel();

    println!(
        "| candidates, {mediators} mediators, {count} reservations | queries | p50 ms | p95 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|");
    report("service function", &direct);
    report("request/reply over NATS", &over_nats);
    println!(
        "(mean eligible mediators per query: {:.1})",
        eligible_total as f64 / queries as f64
    );
}
