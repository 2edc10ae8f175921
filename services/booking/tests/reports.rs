//! The report for funders through the service, on a generated March 2026 of bookings
//! with known figures: filled, unfilled, late and timely cancellations (by the pool's
//! own card and by the default one), bookings still open, on-demand calls with their
//! rings and connections, confirmed hours; months in Berlin time across the spring
//! clock change; the breakdowns by organisation; and the statistics as a view of it.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use mittler_contracts::billing::{LateStep, RateCard};
use mittler_contracts::booking::{
    OrganisationKey, Report, ReportBy, ReportCell, ReportData, ReportFigures, ReportRequest, Scope,
    Statistics, StatisticsRequest,
};
use mittler_testkit::TestEnv;
use mittler_testkit::history::{PastBooking, insert};
use mittler_types::{OrganisationId, TimeZone};
use sqlx::PgPool;
use uuid::Uuid;

const OTHER_POOL: OrganisationId = OrganisationId(Uuid::from_u128(0x9002));

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("instant")
        .with_timezone(&Utc)
}

/// The generated month. Organisation A (Leipzig) and B (Görlitz) book through the
/// pool, whose card counts a cancellation late within 24 hours; C books through
/// another pool without a card (the default: 48 hours) and D lies outside the scope.
async fn generate(db: &PgPool) -> [OrganisationId; 4] {
    let [a, b, c, d] = [(); 4].map(|_| OrganisationId::new());
    let card = RateCard {
        late_cancellation: vec![LateStep {
            within_hours: 24,
            percent: 100,
        }],
        ..RateCard::default()
    };
    sqlx::query("INSERT INTO billing.rate_cards (owner_id, pool_id, card) VALUES ($1, $1, $2)")
        .bind(POOL.as_uuid())
        .bind(serde_json::to_value(&card).expect("card"))
        .execute(db)
        .await
        .expect("card");
    let march = at("2026-03-10T09:00:00Z");
    let new = |org, language, start| PastBooking::new(org, POOL, language, start);
    let mut all = Vec::new();
    // Ukrainian at A: 8 filled (assigned after 10, 20, …, 80 minutes, each with an hour
    // confirmed), 2 unfilled, one cancelled 10 h ahead (late), one 30 h ahead (timely
    // by the pool's card), one still offered.
    for n in 1..=8 {
        all.push(new(a, "uk", march + Duration::days(n)).filled(10 * n));
    }
    all.push(new(a, "uk", march).unfilled());
    all.push(new(a, "uk", march).unfilled());
    all.push(new(a, "uk", march).cancelled(600));
    all.push(new(a, "uk", march).cancelled(1800));
    let mut offered = new(a, "uk", march);
    offered.state = "offering";
    all.push(offered);
    // Arabic at B, on site in school matters: 3 filled, 1 unfilled — small cells.
    for n in 0..4 {
        let mut b = new(b, "ar", march + Duration::days(3));
        b = if n < 3 { b.filled(30) } else { b.unfilled() };
        b.state = if n < 3 { "assigned" } else { b.state };
        b.worked = None;
        b.modality = "on_site";
        b.subject = "school";
        all.push(b);
    }
    // Farsi calls at A: rung after 10 … 60 s; five connected after 60 … 180 s, the
    // last nobody took.
    for n in 0..6 {
        let call = new(a, "fa", march + Duration::hours(n));
        all.push(call.call(10 * (n + 1), (n < 5).then_some(60 + 30 * n)));
    }
    for call in all.iter_mut().filter(|b| b.on_demand) {
        call.worked = None;
    }
    // C, another pool without a card: cancelled 30 h ahead is late by the default.
    let mut other = new(c, "uk", march).cancelled(1800);
    other.pool = OTHER_POOL;
    all.push(other);
    // The edges of March in Berlin: 1 March 00:30 (still winter time, UTC+1) is March;
    // 1 April 00:30 (summer time, UTC+2) is April.
    for start in ["2026-02-28T23:30:00Z", "2026-03-31T22:30:00Z"] {
        let mut b = new(b, "ru", at(start)).filled(5);
        b.state = "assigned";
        b.worked = None;
        all.push(b);
    }
    // D is not in the scope.
    all.push(new(d, "uk", march));
    for booking in &all {
        insert(db, booking).await.expect("booking");
    }
    [a, b, c, d]
}

fn cell<'a>(data: &'a ReportData, month: Option<&str>, key: Option<&str>) -> &'a ReportFigures {
    &data
        .cells
        .iter()
        .find(|c: &&ReportCell| c.month.as_deref() == month && c.key.as_deref() == key)
        .unwrap_or_else(|| panic!("no cell {month:?} {key:?} in {:#?}", data.cells))
        .figures
}

fn close(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() < 1e-6)
}

#[tokio::test]
async fn a_generated_month_gives_every_figure_of_the_report() {
    let env = TestEnv::start().await;
    let _app = Services::spawn(config(&env, 2, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let [a, b, c, _d] = generate(&env.db.pool).await;
    let scope = Scope {
        organisation_ids: Some(vec![a, b, c]),
    };
    let request = |by, keys: Vec<OrganisationKey>| ReportRequest {
        scope: scope.clone(),
        // March and April in Berlin.
        from: at("2026-02-28T23:00:00Z"),
        to: at("2026-04-30T22:00:00Z"),
        time_zone: TimeZone::BERLIN,
        by,
        organisation_keys: keys,
    };
    let data = call::<Report>(&client, &request(ReportBy::Language, vec![]))
        .await
        .expect("report");

    let uk = cell(&data, Some("2026-03"), Some("uk"));
    assert_eq!(
        (
            uk.bookings,
            uk.filled,
            uk.unfilled,
            uk.cancelled_late,
            uk.cancelled_timely,
            uk.open
        ),
        (14, 8, 2, 2, 1, 1),
        "{uk:?}"
    );
    // 10 … 80 minutes: median 45, p90 at 6.3 of 7 steps, 73.
    assert!(close(uk.median_minutes_to_assign, 45.0), "{uk:?}");
    assert!(close(uk.p90_minutes_to_assign, 73.0), "{uk:?}");
    assert_eq!((uk.records, uk.worked_minutes, uk.calls), (8, 480, 0));
    assert_eq!(uk.fill_rate(), Some(0.8));

    let fa = cell(&data, Some("2026-03"), Some("fa"));
    assert_eq!((fa.bookings, fa.calls, fa.connected), (6, 6, 5));
    assert_eq!((fa.filled, fa.unfilled), (5, 1));
    // Rings after 10 … 60 s: median 35, p90 55; connections after 60 … 180 s:
    // median 120, p90 168.
    assert!(close(fa.median_seconds_to_ring, 35.0), "{fa:?}");
    assert!(close(fa.p90_seconds_to_ring, 55.0), "{fa:?}");
    assert!(close(fa.median_seconds_to_connect, 120.0), "{fa:?}");
    assert!(close(fa.p90_seconds_to_connect, 168.0), "{fa:?}");

    let ar = cell(&data, Some("2026-03"), Some("ar"));
    assert_eq!((ar.bookings, ar.filled, ar.unfilled), (4, 3, 1));
    assert!(close(ar.median_minutes_to_assign, 30.0));
    // 1 March 00:30 in Berlin is March, 1 April 00:30 is April.
    assert_eq!(cell(&data, Some("2026-03"), Some("ru")).bookings, 1);
    assert_eq!(cell(&data, Some("2026-04"), Some("ru")).bookings, 1);

    let march = cell(&data, Some("2026-03"), None);
    assert_eq!(march.bookings, 14 + 6 + 4 + 1);
    assert_eq!(
        (march.filled, march.unfilled, march.calls),
        (8 + 5 + 3 + 1, 4, 6)
    );
    let total = data.total();
    assert_eq!(total.bookings, 26, "D's booking is outside the scope");
    assert_eq!(
        (total.cancelled_late, total.cancelled_timely, total.open),
        (2, 1, 1)
    );
    assert_eq!(total.worked_minutes, 480);
    let uk_all = cell(&data, None, Some("uk"));
    assert_eq!(uk_all.bookings, 14);

    // By region: the keys the gateway sends from the directory; C has none.
    let keys = vec![
        OrganisationKey {
            organisation_id: a,
            key: "Kreisfreie Stadt Leipzig".into(),
        },
        OrganisationKey {
            organisation_id: b,
            key: "Landkreis Görlitz".into(),
        },
    ];
    let regions = call::<Report>(&client, &request(ReportBy::Region, keys))
        .await
        .expect("by region");
    assert_eq!(
        cell(&regions, None, Some("Kreisfreie Stadt Leipzig")).bookings,
        19
    );
    assert_eq!(cell(&regions, None, Some("Landkreis Görlitz")).bookings, 6);
    assert_eq!(cell(&regions, None, Some("")).bookings, 1);

    let subjects = call::<Report>(&client, &request(ReportBy::SubjectArea, vec![]))
        .await
        .expect("by subject");
    assert_eq!(cell(&subjects, None, Some("school")).bookings, 4);
    let modalities = call::<Report>(&client, &request(ReportBy::Modality, vec![]))
        .await
        .expect("by modality");
    assert_eq!(cell(&modalities, None, Some("on_site")).bookings, 4);
    assert_eq!(cell(&modalities, None, Some("video")).bookings, 22);

    // The statistics are the same figures by language.
    let statistics = call::<Statistics>(
        &client,
        &StatisticsRequest {
            scope: scope.clone(),
            from: at("2026-02-28T23:00:00Z"),
            to: at("2026-04-30T22:00:00Z"),
            time_zone: TimeZone::BERLIN,
        },
    )
    .await
    .expect("statistics");
    assert_eq!(statistics.total.bookings, 26);
    assert_eq!(statistics.total.cancelled, 3);
    assert_eq!(statistics.by_language[0].key, "uk");
    assert_eq!(statistics.by_language[0].bookings, 14);
    assert_eq!(statistics.by_month.len(), 2);

    // A period that ends before it begins is refused.
    let mut backwards = request(ReportBy::Language, vec![]);
    backwards.to = backwards.from;
    assert!(call::<Report>(&client, &backwards).await.is_err());
    // An empty period still has its total.
    let mut empty = request(ReportBy::Language, vec![]);
    empty.from = at("2020-01-01T00:00:00Z");
    empty.to = at("2020-02-01T00:00:00Z");
    let nothing = call::<Report>(&client, &empty).await.expect("empty");
    assert_eq!(nothing.cells.len(), 1);
    assert_eq!(nothing.total(), ReportFigures::default());
}
