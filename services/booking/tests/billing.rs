//! The month close through the service: last month's confirmed records and late
//! cancellations become pay statements (the pool's card) and invoices (an
//! organisation's own card where it has one), numbered without gaps; VAT, and a
//! volunteer's year crossing the allowance; jobs still waiting are named; a second
//! close changes nothing, the tables refuse changes, and a record confirmed after
//! the close lands in the next month.

mod common;

use chrono::{Datelike, Duration, Months, NaiveDate, TimeZone as _, Utc};
use common::*;
use mittler_booking::billing::month_bounds;
use mittler_contracts::FaultCode;
use mittler_contracts::billing::{
    BillingParty, CloseMonth, CloseMonthRequest, CorrectLine, CorrectLineRequest, Document,
    MonthClose, PartyId, PutBillingParty, PutBillingPartyRequest, PutRateCard, PutRateCardRequest,
    RateCard,
};
use mittler_contracts::booking::{
    CancelBooking, CancelBookingRequest, ConfirmTime, RecordActor, Scope, TimeRecordRequest,
};
use mittler_contracts::examples::booking_details;
use mittler_testkit::TestEnv;
use mittler_types::{
    BookingId, MediatorId, Modality, OrganisationId, Outcome, Qualification, TimeZone, UserId,
};

fn party(name: &str) -> BillingParty {
    BillingParty {
        name: name.into(),
        street: "Hauptstraße 1".into(),
        postal_code: "04109".into(),
        city: "Leipzig".into(),
        ..BillingParty::default()
    }
}

async fn put_party(client: &async_nats::Client, party_id: PartyId, details: BillingParty) {
    call::<PutBillingParty>(
        client,
        &PutBillingPartyRequest {
            party: party_id,
            details,
            by: UserId::new(),
        },
    )
    .await
    .expect("party");
}

/// The first weekday of `month` that is no Saxon holiday, at 10:00 Berlin time.
fn ordinary_day(month: NaiveDate) -> chrono::DateTime<Utc> {
    let mut day = month;
    while day.weekday().number_from_monday() > 5 || mittler_billing::is_holiday("DE-SN", day) {
        day += Duration::days(1);
    }
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("10:00"))
        .single()
        .expect("10:00 exists")
        .with_timezone(&Utc)
}

/// A booking of `organisation`, held by `mediator`, moved to `start`.
async fn job(
    env: &TestEnv,
    client: &async_nats::Client,
    organisation: OrganisationId,
    mediator: MediatorId,
    modality: Modality,
    qualification: Qualification,
    start: chrono::DateTime<Utc>,
) -> BookingId {
    // Each on its own day ahead, so that one mediator's reservations never overlap.
    let ahead = 3 + (start - chrono::DateTime::<Utc>::UNIX_EPOCH).num_hours() % 24;
    let mut details = booking_details();
    details.start = at_ten(ahead, 0);
    details.end = details.start + Duration::minutes(60);
    details.modality = modality;
    details.min_qualification = qualification;
    let booking = create(client, organisation, details).await.id;
    assign(client, booking, mediator).await;
    sqlx::query(
        "UPDATE booking.bookings SET start_at = $2, end_at = $2 + interval '60 minutes' WHERE id = $1",
    )
    .bind(booking.as_uuid())
    .bind(start)
    .execute(&env.db.pool)
    .await
    .expect("moved");
    booking
}

async fn worked(
    client: &async_nats::Client,
    booking: BookingId,
    mediator: MediatorId,
    start: chrono::DateTime<Utc>,
    minutes: i64,
) {
    claim_as(
        client,
        booking,
        RecordActor::Mediator(mediator),
        claim(start, start + Duration::minutes(minutes), Outcome::Done),
    )
    .await
    .expect("claimed");
    call::<ConfirmTime>(
        client,
        &TimeRecordRequest {
            id: booking,
            scope: Scope::all(),
            by: RecordActor::Requester(UserId::new()),
        },
    )
    .await
    .expect("confirmed");
}

fn close(month: NaiveDate, preview: bool) -> CloseMonthRequest {
    CloseMonthRequest {
        pool: POOL,
        month: month.format("%Y-%m").to_string(),
        by: UserId::new(),
        preview,
    }
}

fn summary(documents: &[Document]) -> Vec<(String, Vec<i64>, i64, i64, i64)> {
    documents
        .iter()
        .map(|d| {
            (
                d.recipient.name.clone(),
                d.lines.iter().map(|l| l.line.amount_cents).collect(),
                d.net_cents,
                d.vat_cents,
                d.total_cents,
            )
        })
        .collect()
}

#[tokio::test]
async fn last_month_closes_into_statements_and_invoices_once_and_for_good() {
    let env = TestEnv::start().await;
    let ids = mediators(&env, 2, "uk").await;
    let app = Services::spawn(config(&env, 2, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let (org_a, org_b, org_c) = (
        OrganisationId::new(),
        OrganisationId::new(),
        OrganisationId::new(),
    );
    let by = UserId::new();
    // A small volunteer allowance (40,00 €), so that this month's 45,00 € cross it.
    for (owner, card) in [
        (
            POOL,
            RateCard {
                volunteer_allowance_cents_per_year: 4000,
                ..RateCard::default()
            },
        ),
        (org_b, {
            let mut card = RateCard::default();
            card.hourly_cents.trained = 5000;
            card
        }),
    ] {
        call::<PutRateCard>(
            &client,
            &PutRateCardRequest {
                owner,
                pool: POOL,
                card,
                by,
            },
        )
        .await
        .expect("card");
    }
    put_party(
        &client,
        PartyId::Organisation(POOL),
        party("Sprachmittlerpool Sachsen e.V."),
    )
    .await;
    put_party(
        &client,
        PartyId::Organisation(org_a),
        party("Jobcenter Leipzig"),
    )
    .await;
    put_party(
        &client,
        PartyId::Organisation(org_b),
        party("Klinikum Chemnitz"),
    )
    .await;
    put_party(&client, PartyId::Mediator(ids[0]), party("Olena Koval")).await;
    put_party(
        &client,
        PartyId::Mediator(ids[1]),
        BillingParty {
            volunteer: true,
            ..party("Ivan Petrenko")
        },
    )
    .await;

    // Last month (Berlin time), on an ordinary weekday at 10:00.
    let this_month = {
        let today = Utc::now()
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive();
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("first")
    };
    let month = this_month - Months::new(1);
    let day = ordinary_day(month);
    let video = Modality::Video;
    let trained = Qualification::Trained;
    // 47 minutes on video, trained: 60 billed at 45,00 € (org B's own card: 50,00 €).
    let b1 = job(&env, &client, org_a, ids[0], video, trained, day).await;
    worked(&client, b1, ids[0], day, 47).await;
    let b2 = job(
        &env,
        &client,
        org_b,
        ids[1],
        video,
        trained,
        day + Duration::hours(2),
    )
    .await;
    worked(&client, b2, ids[1], day + Duration::hours(2), 47).await;
    // Cancelled 20 hours ahead: the booked hour at 100 %.
    let b3 = job(
        &env,
        &client,
        org_a,
        ids[0],
        video,
        trained,
        day + Duration::hours(4),
    )
    .await;
    call::<CancelBooking>(
        &client,
        &CancelBookingRequest {
            id: b3,
            scope: Scope::all(),
            by: UserId::new(),
            reason: "Termin entfällt".into(),
        },
    )
    .await
    .expect("cancelled");
    sqlx::query("UPDATE booking.bookings SET notice_minutes = 1200 WHERE id = $1")
        .bind(b3.as_uuid())
        .execute(&env.db.pool)
        .await
        .expect("notice");
    // 10 minutes by phone, lay: 15 billed at 25,00 €; org C has no billing data.
    let b4 = job(
        &env,
        &client,
        org_c,
        ids[0],
        Modality::Phone,
        Qualification::Lay,
        day + Duration::hours(6),
    )
    .await;
    worked(&client, b4, ids[0], day + Duration::hours(6), 10).await;
    // Claimed but not confirmed: named, not billed.
    let b5 = job(
        &env,
        &client,
        org_a,
        ids[0],
        video,
        trained,
        day + Duration::hours(8),
    )
    .await;
    claim_as(
        &client,
        b5,
        RecordActor::Mediator(ids[0]),
        claim(
            day + Duration::hours(8),
            day + Duration::hours(9),
            Outcome::Done,
        ),
    )
    .await
    .expect("claimed");

    let preview: MonthClose = call::<CloseMonth>(&client, &close(month, true))
        .await
        .expect("preview");
    assert_eq!(preview.closed_at, None);
    let expected_statements = vec![
        // 4500 + 4500 + 625 = 9625; VAT 19 %: 1828,75 → 1829.
        (
            "Olena Koval".to_string(),
            vec![4500, 4500, 625],
            9625,
            1829,
            11454,
        ),
        ("Ivan Petrenko".to_string(), vec![4500], 4500, 0, 4500),
    ];
    let mut got = summary(&preview.statements);
    got.sort();
    let mut want = expected_statements.clone();
    want.sort();
    assert_eq!(got, want);
    let mut invoices = summary(&preview.invoices);
    invoices.sort();
    assert_eq!(
        invoices,
        vec![
            (
                "Jobcenter Leipzig".to_string(),
                vec![4500, 4500],
                9000,
                1710,
                10710
            ),
            ("Klinikum Chemnitz".to_string(), vec![5000], 5000, 950, 5950),
        ]
    );
    assert_eq!(
        preview
            .blocked
            .iter()
            .map(|b| b.booking_id)
            .collect::<Vec<_>>(),
        [b5]
    );
    let count = |table: &'static str| {
        let pool = env.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM billing.{table}"))
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    assert_eq!(count("documents").await, 0, "a preview writes nothing");

    let closed = call::<CloseMonth>(&client, &close(month, false))
        .await
        .expect("closed");
    assert!(closed.closed_at.is_some());
    let year = month.year();
    let mut numbers: Vec<String> = closed
        .statements
        .iter()
        .chain(&closed.invoices)
        .map(|d| d.number.clone())
        .collect();
    numbers.sort();
    assert_eq!(
        numbers,
        [
            format!("G-{year}-0001"),
            format!("G-{year}-0002"),
            format!("R-{year}-0001"),
            format!("R-{year}-0002")
        ]
    );
    let volunteer = closed
        .statements
        .iter()
        .find(|d| d.mediator_id == Some(ids[1]))
        .and_then(|d| d.volunteer.clone())
        .expect("the volunteer's year");
    assert_eq!(
        (
            volunteer.year_cents,
            volunteer.allowance_cents,
            volunteer.crossed,
            volunteer.near
        ),
        (4500, 4000, true, true),
        "the year's 45,00 € cross the 40,00 € allowance"
    );
    assert_eq!(count("documents").await, 4);
    assert_eq!(count("lines").await, 7);

    // A second close answers the same documents and writes nothing.
    let again = call::<CloseMonth>(&client, &close(month, false))
        .await
        .expect("closed again");
    assert_eq!(again.closed_at, closed.closed_at);
    let mut first: Vec<_> = closed.statements.iter().map(|d| d.id).collect();
    let mut second: Vec<_> = again.statements.iter().map(|d| d.id).collect();
    first.sort();
    second.sort();
    assert_eq!(first, second);
    assert_eq!(count("documents").await, 4);
    // The tables refuse changes to what a close wrote.
    for statement in [
        "UPDATE billing.documents SET net_cents = 0",
        "DELETE FROM billing.lines",
        "DELETE FROM billing.months",
    ] {
        let refused = sqlx::query(statement).execute(&env.db.pool).await;
        assert!(refused.is_err(), "{statement} must be refused");
    }

    // Confirmed after the close: the job lands in the next month, not in the closed one.
    call::<ConfirmTime>(
        &client,
        &TimeRecordRequest {
            id: b5,
            scope: Scope::all(),
            by: RecordActor::Requester(UserId::new()),
        },
    )
    .await
    .expect("confirmed");
    let next = call::<CloseMonth>(&client, &close(this_month, true))
        .await
        .expect("next month's preview");
    let lines: Vec<BookingId> = next
        .statements
        .iter()
        .flat_map(|d| d.lines.iter().map(|l| l.booking_id))
        .collect();
    assert_eq!(lines, [b5]);

    // A correction of a closed line: refused when it adds nothing or names no line of
    // the pool; else a new line of the next month, referring to the old one.
    let original = closed
        .statements
        .iter()
        .flat_map(|d| d.lines.iter())
        .find(|l| l.booking_id == b1)
        .expect("b1's line")
        .clone();
    let correct = |line_id: uuid::Uuid, amount_cents: i64| CorrectLineRequest {
        pool: POOL,
        line_id,
        amount_cents,
        reason: "Der Termin dauerte nur 30 Minuten.".into(),
        by: UserId::new(),
    };
    let zero = call::<CorrectLine>(&client, &correct(original.id, 0)).await;
    assert_eq!(
        code(&zero.expect_err("refused")),
        Some((FaultCode::Invalid, Some("amount_cents".into())))
    );
    let unknown = call::<CorrectLine>(&client, &correct(uuid::Uuid::new_v4(), -1500)).await;
    assert_eq!(
        code(&unknown.expect_err("refused")).map(|c| c.0),
        Some(FaultCode::NotFound)
    );
    let correction = call::<CorrectLine>(&client, &correct(original.id, -1500))
        .await
        .expect("corrected");
    let corrected_on = closed
        .statements
        .iter()
        .find(|d| d.lines.iter().any(|l| l.id == original.id))
        .expect("the document of the line");
    assert_eq!(correction.number, corrected_on.number);
    let next = call::<CloseMonth>(&client, &close(this_month, true))
        .await
        .expect("next month's preview");
    let koval = next
        .statements
        .iter()
        .find(|d| d.mediator_id == Some(ids[0]))
        .expect("her next statement");
    let amounts: Vec<(BookingId, i64, Option<uuid::Uuid>)> = koval
        .lines
        .iter()
        .map(|l| (l.booking_id, l.line.amount_cents, l.corrects))
        .collect();
    assert_eq!(amounts, [(b5, 4500, None), (b1, -1500, Some(original.id))]);
    // 4500 - 1500 = 3000; VAT 19 %: 570.
    assert_eq!((koval.net_cents, koval.vat_cents), (3000, 570));
    // The current month cannot be closed before it is over.
    let early = call::<CloseMonth>(&client, &close(this_month, false)).await;
    assert_eq!(
        code(&early.expect_err("refused")).map(|c| c.1),
        Some(Some("month".into()))
    );
    // Each closed month and issued document is an event.
    let events = subjects(&env, "booking.billing.%").await;
    assert_eq!(
        events
            .iter()
            .filter(|s| s.ends_with("document_issued"))
            .count(),
        4
    );
    assert_eq!(
        events
            .iter()
            .filter(|s| s.ends_with("month_closed"))
            .count(),
        1
    );
    // Months end at local midnight.
    let (_, end) = month_bounds(month, TimeZone::BERLIN);
    assert!(day < end);
    app.stop().await.expect("clean stop");
}
