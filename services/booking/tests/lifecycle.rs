//! The booking state machine through the service: every transition writes its
//! event; illegal ones are refused and change nothing.

use chrono::Utc;
use mittler_booking::requests::Bookings;
use mittler_contracts::FaultCode;
use mittler_contracts::booking::{
    BookingAssigned, BookingCompleted, BookingOffering, BookingSessionStarted, BookingUnfilled,
    CancelBookingRequest, CreateBookingRequest, Scope,
};
use mittler_contracts::examples::booking_details;
use mittler_testkit::TestDb;
use mittler_types::{BookingId, BookingState, MediatorId, OrganisationId, UserId};

async fn outbox_subjects(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar("SELECT subject FROM booking.outbox ORDER BY created_at, id")
        .fetch_all(&db.pool)
        .await
        .expect("outbox")
}

async fn create(bookings: &Bookings, organisation_id: OrganisationId) -> BookingId {
    let request = CreateBookingRequest {
        organisation_id,
        pool_id: organisation_id,
        requested_by: UserId::new(),
        idempotency_key: None,
        fingerprint: "f".into(),
        details: booking_details(),
        policy: Default::default(),
    };
    bookings.create(request).await.expect("created").booking.id
}

#[tokio::test]
async fn the_happy_path_writes_one_event_per_transition() {
    let db = TestDb::create().await.expect("db");
    let bookings = Bookings::new(db.pool.clone());
    let org = OrganisationId::new();
    let id = create(&bookings, org).await;
    let all = Scope::all();
    let mediator = MediatorId::new();

    let view = bookings
        .transition(id, &all, BookingState::Offering, None, None, |v, _| {
            BookingOffering {
                booking_id: v.id,
                organisation_id: v.organisation_id,
            }
        })
        .await
        .expect("offering");
    assert_eq!(view.state, BookingState::Offering);
    bookings
        .transition(id, &all, BookingState::Assigned, None, None, |v, _| {
            BookingAssigned {
                booking_id: v.id,
                organisation_id: v.organisation_id,
                mediator_id: mediator,
                assigned_by: None,
            }
        })
        .await
        .expect("assigned");
    bookings
        .transition(id, &all, BookingState::InSession, None, None, |v, _| {
            BookingSessionStarted {
                booking_id: v.id,
                organisation_id: v.organisation_id,
                started_at: Utc::now(),
            }
        })
        .await
        .expect("in session");
    let done = bookings
        .transition(id, &all, BookingState::Completed, None, None, |v, _| {
            BookingCompleted {
                booking_id: v.id,
                organisation_id: v.organisation_id,
                worked_minutes: 55,
            }
        })
        .await
        .expect("completed");
    assert_eq!(done.state, BookingState::Completed);
    assert_eq!(
        outbox_subjects(&db).await,
        [
            "booking.booking.requested",
            "booking.booking.offering",
            "booking.booking.assigned",
            "booking.booking.session_started",
            "booking.booking.completed"
        ]
    );

    // A completed booking cannot be cancelled; nothing is written.
    let refused = bookings
        .cancel(CancelBookingRequest {
            id,
            scope: all.clone(),
            by: UserId::new(),
            reason: "zu spät".into(),
        })
        .await
        .expect_err("illegal");
    assert_eq!(refused.code(), FaultCode::IllegalTransition);
    assert_eq!(
        refused.to_string(),
        "a booking that is completed cannot become cancelled"
    );
    assert_eq!(outbox_subjects(&db).await.len(), 5);
}

#[tokio::test]
async fn unfilled_bookings_can_be_cancelled_but_not_offered_and_scope_is_enforced() {
    let db = TestDb::create().await.expect("db");
    let bookings = Bookings::new(db.pool.clone());
    let org = OrganisationId::new();
    let id = create(&bookings, org).await;
    let unfilled = |v: &mittler_contracts::booking::BookingView, _| BookingUnfilled {
        booking_id: v.id,
        organisation_id: v.organisation_id,
        reason: "niemand verfügbar".into(),
        unfilled_by: None,
    };

    // Another organisation's scope: as if it did not exist.
    let foreign = Scope::only(vec![OrganisationId::new()]);
    let hidden = bookings
        .transition(id, &foreign, BookingState::Unfilled, None, None, unfilled)
        .await
        .expect_err("hidden");
    assert_eq!(hidden.code(), FaultCode::NotFound);

    bookings
        .transition(
            id,
            &Scope::only(vec![org]),
            BookingState::Unfilled,
            Some("niemand verfügbar"),
            None,
            unfilled,
        )
        .await
        .expect("unfilled");
    let offering = bookings
        .transition(
            id,
            &Scope::all(),
            BookingState::Offering,
            None,
            None,
            |v, _| BookingOffering {
                booking_id: v.id,
                organisation_id: v.organisation_id,
            },
        )
        .await
        .expect_err("illegal");
    assert_eq!(offering.code(), FaultCode::IllegalTransition);
    let cancelled = bookings
        .cancel(CancelBookingRequest {
            id,
            scope: Scope::all(),
            by: UserId::new(),
            reason: "erledigt".into(),
        })
        .await
        .expect("cancel");
    assert_eq!(cancelled.state, BookingState::Cancelled);
    assert_eq!(
        outbox_subjects(&db).await,
        [
            "booking.booking.requested",
            "booking.booking.unfilled",
            "booking.booking.cancelled"
        ]
    );
}

#[tokio::test]
async fn concurrent_cancels_cancel_once() {
    let db = TestDb::create().await.expect("db");
    let bookings = Bookings::new(db.pool.clone());
    let id = create(&bookings, OrganisationId::new()).await;
    let attempts = (0..10).map(|_| {
        bookings.cancel(CancelBookingRequest {
            id,
            scope: Scope::all(),
            by: UserId::new(),
            reason: "doppelt".into(),
        })
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|f| f.code() == FaultCode::IllegalTransition)
    );
    assert_eq!(
        outbox_subjects(&db)
            .await
            .iter()
            .filter(|s| s.ends_with("cancelled"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_cancellation_records_who_when_and_its_notice() {
    let db = TestDb::create().await.expect("db");
    let bookings = Bookings::new(db.pool.clone());
    let org = OrganisationId::new();
    let timely = create(&bookings, org).await;
    let late = create(&bookings, org).await;
    // The late one starts in half an hour.
    sqlx::query(
        "UPDATE booking.bookings SET start_at = now() + interval '30 minutes', \
         end_at = now() + interval '90 minutes' WHERE id = $1",
    )
    .bind(late.as_uuid())
    .execute(&db.pool)
    .await
    .expect("moved");
    let by = UserId::new();
    let mut notices = Vec::new();
    for id in [timely, late] {
        let before = Utc::now();
        let view = bookings
            .cancel(CancelBookingRequest {
                id,
                scope: Scope::all(),
                by,
                reason: "Termin entfällt".into(),
            })
            .await
            .expect("cancelled");
        let cancellation = view.cancellation.expect("recorded");
        assert_eq!(cancellation.cancelled_by, Some(by));
        assert!(cancellation.cancelled_at >= before - chrono::Duration::seconds(1));
        notices.push(cancellation.notice_minutes);
    }
    // Two days ahead (the example booking) and half an hour ahead.
    assert!((2878..=2880).contains(&notices[0]), "{notices:?}");
    assert!((28..=30).contains(&notices[1]), "{notices:?}");
    let in_events: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT (payload -> 'data' ->> 'notice_minutes')::bigint FROM booking.outbox \
         WHERE subject = 'booking.booking.cancelled' ORDER BY created_at, id",
    )
    .fetch_all(&db.pool)
    .await
    .expect("events");
    assert_eq!(
        in_events,
        notices.into_iter().map(Some).collect::<Vec<_>>(),
        "the events carry the notice"
    );
}
