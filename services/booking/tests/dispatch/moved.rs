//! A booking that moves keeps its mediator where they are free at the new time: the
//! booking stays assigned and their reservation moves with it. Where they are busy
//! then, the job leaves them and dispatch asks anew without them.

use super::*;
use mittler_contracts::booking::{
    AssignBooking, AssignBookingRequest, RescheduleBooking, RescheduleBookingRequest,
};
use mittler_types::{BookingId, BookingMinutes, TimeZone};

async fn live_slots(env: &TestEnv, booking: BookingId) -> Vec<(uuid::Uuid, chrono::DateTime<Utc>)> {
    sqlx::query_as(
        "SELECT mediator_id, lower(slot) FROM availability.reservations \
         WHERE booking_id = $1 AND released_at IS NULL",
    )
    .bind(booking.as_uuid())
    .fetch_all(&env.db.pool)
    .await
    .expect("reservations")
}

#[tokio::test]
async fn a_moved_booking_stays_with_a_mediator_free_then_and_leaves_a_busy_one() {
    let env = TestEnv::start().await;
    let ids = mediators(&env, 2, "fa").await;
    let app = Services::spawn(config(&env, 1, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let timeout = StdDuration::from_secs(10);
    let coordinator = UserId::new();
    let organisation = OrganisationId::new();
    // Two jobs of the first mediator, on day 4 and day 5 at 10:00.
    let mut jobs = Vec::new();
    for (day, fingerprint) in [(4, "a"), (5, "b")] {
        let booking = rpc::call::<CreateBooking>(
            &client,
            &CreateBookingRequest {
                organisation_id: organisation,
                pool_id: POOL,
                requested_by: UserId::new(),
                idempotency_key: None,
                fingerprint: fingerprint.into(),
                details: details_at("fa", day, 0),
                policy: Default::default(),
            },
            timeout,
        )
        .await
        .expect("created")
        .booking
        .id;
        eventually(StdDuration::from_secs(20), "dispatch began", || async {
            (!offers_of(&env, booking, "open").await.is_empty()).then_some(())
        })
        .await;
        let assigned = rpc::call::<AssignBooking>(
            &client,
            &AssignBookingRequest {
                id: booking,
                scope: Scope::all(),
                mediator_id: ids[0],
                by: coordinator,
            },
            timeout,
        )
        .await
        .expect("assigned");
        assert_eq!(assigned.state, BookingState::Assigned);
        jobs.push(booking);
    }
    let moved_to = |day: i64| RescheduleBookingRequest {
        id: jobs[0],
        scope: Scope::all(),
        by: UserId::new(),
        start: at_ten(day, 0),
        duration_minutes: BookingMinutes::new(60).expect("minutes"),
        time_zone: TimeZone::BERLIN,
    };

    // Day 6 is free: the booking stays hers, and her slot moves with it.
    let kept = rpc::call::<RescheduleBooking>(&client, &moved_to(6), timeout)
        .await
        .expect("moved");
    assert_eq!(kept.state, BookingState::Assigned, "{kept:?}");
    // The slot moves in availability first and the assignment follows in the same
    // step of dispatch: wait until both show it.
    let slots = eventually(StdDuration::from_secs(20), "the slot moved", || async {
        let slots = live_slots(&env, jobs[0]).await;
        let held: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT r.id FROM booking.assignments a \
             JOIN availability.reservations r ON r.id = a.reservation_id \
             WHERE a.booking_id = $1 AND r.released_at IS NULL",
        )
        .bind(jobs[0].as_uuid())
        .fetch_optional(&env.db.pool)
        .await
        .expect("assignment");
        (slots.len() == 1 && slots[0].1 == at_ten(6, 0) && held.is_some()).then_some(slots)
    })
    .await;
    assert_eq!(slots[0].0, ids[0].as_uuid());
    assert!(
        offers_of(&env, jobs[0], "open").await.is_empty(),
        "nobody else is asked"
    );

    // Day 5 at 10:00 she works already: the job leaves her, others are asked.
    let lost = rpc::call::<RescheduleBooking>(&client, &moved_to(5), timeout)
        .await
        .expect("moved");
    assert_eq!(lost.state, BookingState::Requested, "{lost:?}");
    let offered = eventually(StdDuration::from_secs(20), "asked anew", || async {
        let open = offers_of(&env, jobs[0], "open").await;
        (!open.is_empty()).then_some(open)
    })
    .await;
    assert!(offered.iter().all(|(_, m, _)| *m != ids[0].as_uuid()));
    assert_eq!(lost.assignment, None, "she lets go at once");
    eventually(
        StdDuration::from_secs(20),
        "her slot is free again",
        || async { live_slots(&env, jobs[0]).await.is_empty().then_some(()) },
    )
    .await;
    let events = subjects(&env, "booking.booking.rescheduled").await;
    assert_eq!(events.len(), 2);
    let kept_field: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT payload->'data'->>'kept' FROM booking.outbox \
         WHERE subject = 'booking.booking.rescheduled' ORDER BY created_at, id",
    )
    .fetch_all(&env.db.pool)
    .await
    .expect("outbox");
    assert_eq!(kept_field, [Some(ids[0].to_string()), None]);
    // Her other job is untouched.
    assert_eq!(live_slots(&env, jobs[1]).await.len(), 1);
    app.stop().await.expect("clean stop");
}
