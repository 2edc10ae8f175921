//! Dispatch, the booking service's behaviour with the availability service it asks:
//! offers in waves, the race-safe accept, deadlines that survive a restart,
//! escalation, explanations, the reconciliation of reservations. Both services run
//! as their own processes' work on the test's NATS and database.

use chrono::Utc;
use mittler_availability::requests::Availability;
use mittler_booking::settings::DispatchConfig;
use mittler_contracts::FaultCode;
use mittler_contracts::booking::{
    AcceptOffer, CancelBooking, CancelBookingRequest, CreateBooking, CreateBookingRequest,
    DispatchExplanation, GetBookingRequest, OfferAnswer, Scope,
};
use mittler_platform::rpc::{self, RpcError};
use mittler_testkit::{TestApp, TestEnv, eventually};
use mittler_types::{BookingState, MediatorId, OrganisationId, UserId};
use std::time::Duration as StdDuration;

mod common;
#[path = "dispatch/moved.rs"]
mod moved;

use common::*;

#[tokio::test]
async fn fifty_concurrent_accepts_of_one_booking_give_exactly_one_assignment() {
    let env = TestEnv::start().await;
    let ids = mediators(&env, 50, "uk").await;
    let app = Services::spawn(config(&env, 50, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let booking = book(&client).await;
    let offers = eventually(StdDuration::from_secs(20), "fifty offers", || async {
        let offers = offers_of(&env, booking, "open").await;
        (offers.len() == 50).then_some(offers)
    })
    .await;
    assert!(
        ids.iter()
            .all(|m| offers.iter().any(|o| o.1 == m.as_uuid()))
    );

    let accepts = offers.iter().map(|(offer, mediator, _)| {
        let client = client.clone();
        let answer = OfferAnswer {
            offer_id: (*offer).into(),
            mediator_id: (*mediator).into(),
        };
        tokio::spawn(async move {
            rpc::call::<AcceptOffer>(&client, &answer, StdDuration::from_secs(20)).await
        })
    });
    let results: Vec<_> = futures::future::join_all(accepts)
        .await
        .into_iter()
        .map(|r| r.expect("join"))
        .collect();
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one accept wins");
    assert_eq!(winners[0].state, BookingState::Assigned);
    for loser in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(loser, RpcError::Fault(f) if f.code == FaultCode::Taken),
            "{loser}"
        );
    }
    let winner = winners[0]
        .assignment
        .as_ref()
        .expect("assignment")
        .mediator_id;

    let live: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT mediator_id FROM availability.reservations WHERE booking_id = $1 AND released_at IS NULL",
    )
    .bind(booking.as_uuid())
    .fetch_all(&env.db.pool)
    .await
    .expect("reservations");
    assert_eq!(
        live,
        [winner.as_uuid()],
        "the losers' reservations were released"
    );
    assert_eq!(offers_of(&env, booking, "accepted").await.len(), 1);
    assert_eq!(
        offers_of(&env, booking, "withdrawn").await.len(),
        49,
        "everyone else is told"
    );
    assert_eq!(subjects(&env, "booking.offer.withdrawn").await.len(), 49);
    assert_eq!(subjects(&env, "booking.booking.assigned").await.len(), 1);
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn deadlines_survive_a_restart_then_the_broadcast_follows_and_then_escalation() {
    let env = TestEnv::start().await;
    mediators(&env, 5, "ar").await;
    let excluded = mediators(&env, 1, "ti").await[0];
    let settings = config(&env, 2, 2, 2);
    let app = Services::spawn(settings.clone()).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let details = details_at("ar", 2, 0);
    let request = CreateBookingRequest {
        organisation_id: OrganisationId::new(),
        pool_id: POOL,
        requested_by: UserId::new(),
        idempotency_key: None,
        fingerprint: "y".into(),
        details,
        policy: Default::default(),
    };
    let booking = rpc::call::<CreateBooking>(&client, &request, StdDuration::from_secs(5))
        .await
        .expect("created")
        .booking
        .id;
    let cascade = eventually(
        StdDuration::from_secs(20),
        "the cascade's two offers",
        || async {
            let open = offers_of(&env, booking, "open").await;
            (open.len() == 2).then_some(open)
        },
    )
    .await;
    assert!(cascade.iter().all(|o| o.2 == 1));

    // Down while the deadline passes.
    app.stop().await.expect("stop");
    let expires: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT max(expires_at) FROM booking.offers WHERE booking_id = $1")
            .bind(booking.as_uuid())
            .fetch_one(&env.db.pool)
            .await
            .expect("expiry");
    eventually(
        StdDuration::from_secs(10),
        "the deadline passed while down",
        || async { (Utc::now() > expires).then_some(()) },
    )
    .await;
    assert_eq!(
        offers_of(&env, booking, "open").await.len(),
        2,
        "nothing happened while down"
    );

    let app = Services::spawn(settings).await;
    eventually(
        StdDuration::from_secs(20),
        "the broadcast to the other three",
        || async {
            let open = offers_of(&env, booking, "open").await;
            (open.len() == 3 && open.iter().all(|o| o.2 == 2)).then_some(())
        },
    )
    .await;
    assert_eq!(offers_of(&env, booking, "expired").await.len(), 2);
    eventually(
        StdDuration::from_secs(20),
        "escalation after the broadcast",
        || async { (subjects(&env, "booking.dispatch.escalated").await.len() == 1).then_some(()) },
    )
    .await;
    assert_eq!(offers_of(&env, booking, "expired").await.len(), 5);

    let explanation = rpc::call::<DispatchExplanation>(
        &client,
        &GetBookingRequest {
            id: booking,
            scope: Scope::all(),
        },
        StdDuration::from_secs(5),
    )
    .await
    .expect("explanation");
    assert_eq!(explanation.rounds.len(), 2);
    let first = &explanation.rounds[0];
    assert_eq!(first.ranked.len(), 5);
    assert_eq!(first.ranked.iter().filter(|r| r.offered).count(), 2);
    assert!(
        first.ranked[0]
            .why
            .iter()
            .any(|w| w.contains("assigned in 30 days"))
    );
    // The Tigrinya speaker is counted among those without the language, not listed.
    assert!(first.excluded.iter().all(|e| e.mediator_id != excluded));
    assert!(first.other_languages >= 1);
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn cancelling_withdraws_open_offers_and_a_booking_nobody_can_take_escalates_at_once() {
    let env = TestEnv::start().await;
    mediators(&env, 3, "uk").await;
    let app = Services::spawn(config(&env, 3, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let booking = book(&client).await;
    eventually(StdDuration::from_secs(20), "three offers", || async {
        (offers_of(&env, booking, "open").await.len() == 3).then_some(())
    })
    .await;
    rpc::call::<CancelBooking>(
        &client,
        &CancelBookingRequest {
            id: booking,
            scope: Scope::all(),
            by: UserId::new(),
            reason: "Termin entfällt".into(),
        },
        StdDuration::from_secs(5),
    )
    .await
    .expect("cancelled");
    eventually(StdDuration::from_secs(20), "offers withdrawn", || async {
        (offers_of(&env, booking, "withdrawn").await.len() == 3).then_some(())
    })
    .await;

    let details = details_at("gsg", 2, 0);
    let request = CreateBookingRequest {
        organisation_id: OrganisationId::new(),
        pool_id: POOL,
        requested_by: UserId::new(),
        idempotency_key: None,
        fingerprint: "z".into(),
        details,
        policy: Default::default(),
    };
    rpc::call::<CreateBooking>(&client, &request, StdDuration::from_secs(5))
        .await
        .expect("created");
    eventually(
        StdDuration::from_secs(20),
        "escalated: nobody signs",
        || async { (subjects(&env, "booking.dispatch.escalated").await.len() == 1).then_some(()) },
    )
    .await;
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn manual_assignment_refuses_a_double_booking_and_a_give_back_redispatches_without_the_giver()
{
    use mittler_contracts::booking::{
        AssignBooking, AssignBookingRequest, GiveBack, GiveBackRequest,
    };
    let env = TestEnv::start().await;
    let ids = mediators(&env, 3, "tr").await;
    let app = Services::spawn(config(&env, 1, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let timeout = StdDuration::from_secs(10);
    let details = details_at("tr", 4, 0);
    let create = |fingerprint: &str| CreateBookingRequest {
        organisation_id: OrganisationId::new(),
        pool_id: POOL,
        requested_by: UserId::new(),
        idempotency_key: None,
        fingerprint: fingerprint.into(),
        details: details.clone(),
        policy: Default::default(),
    };
    let first = rpc::call::<CreateBooking>(&client, &create("a"), timeout)
        .await
        .expect("first")
        .booking
        .id;
    let second = rpc::call::<CreateBooking>(&client, &create("b"), timeout)
        .await
        .expect("second")
        .booking
        .id;
    for booking in [first, second] {
        eventually(
            StdDuration::from_secs(20),
            "the cascade's offer",
            || async { (offers_of(&env, booking, "open").await.len() == 1).then_some(()) },
        )
        .await;
    }

    // The coordinator assigns the first booking to a mediator by hand…
    let coordinator = UserId::new();
    let assigned = rpc::call::<AssignBooking>(
        &client,
        &AssignBookingRequest {
            id: first,
            scope: Scope::all(),
            mediator_id: ids[0],
            by: coordinator,
        },
        timeout,
    )
    .await
    .expect("assigned");
    assert_eq!(assigned.state, BookingState::Assigned);
    assert_eq!(
        offers_of(&env, first, "withdrawn").await.len(),
        1,
        "the open offer is withdrawn"
    );
    // …and cannot give the same mediator the overlapping second one.
    let refused = rpc::call::<AssignBooking>(
        &client,
        &AssignBookingRequest {
            id: second,
            scope: Scope::all(),
            mediator_id: ids[0],
            by: coordinator,
        },
        timeout,
    )
    .await
    .expect_err("double booking");
    assert!(
        matches!(&refused, RpcError::Fault(f) if f.code == FaultCode::Taken),
        "{refused}"
    );
    let unknown = rpc::call::<AssignBooking>(
        &client,
        &AssignBookingRequest {
            id: second,
            scope: Scope::all(),
            mediator_id: MediatorId::new(),
            by: coordinator,
        },
        timeout,
    )
    .await
    .expect_err("unknown mediator");
    assert!(
        matches!(&unknown, RpcError::Fault(f) if f.code == FaultCode::Invalid),
        "{unknown}"
    );

    // The mediator gives the first job back: slot released, dispatch again without them.
    let wrong = rpc::call::<GiveBack>(
        &client,
        &GiveBackRequest {
            id: first,
            mediator_id: ids[1],
            reason: "x".into(),
            by: None,
        },
        timeout,
    )
    .await
    .expect_err("not theirs");
    assert!(matches!(&wrong, RpcError::Fault(f) if f.code == FaultCode::NotFound));
    let returned = rpc::call::<GiveBack>(
        &client,
        &GiveBackRequest {
            id: first,
            mediator_id: ids[0],
            reason: "krank".into(),
            by: None,
        },
        timeout,
    )
    .await
    .expect("given back");
    assert_eq!(returned.state, BookingState::Requested);
    let reoffered = eventually(StdDuration::from_secs(20), "a new offer", || async {
        let open = offers_of(&env, first, "open").await;
        (open.len() == 1).then_some(open)
    })
    .await;
    assert_ne!(
        reoffered[0].1,
        ids[0].as_uuid(),
        "not offered to the one who gave it back"
    );
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM availability.reservations WHERE booking_id = $1 AND released_at IS NULL")
        .bind(first.as_uuid())
        .fetch_one(&env.db.pool)
        .await
        .expect("reservations");
    assert_eq!(live, 0, "the returned slot is free again");
    assert_eq!(subjects(&env, "booking.assignment.returned").await.len(), 1);
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn one_mediators_two_overlapping_accepts_give_at_most_one_assignment() {
    let env = TestEnv::start().await;
    let only = mediators(&env, 1, "ps").await[0];
    let app = Services::spawn(config(&env, 3, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let timeout = StdDuration::from_secs(10);
    let mut bookings = Vec::new();
    for (offset, fingerprint) in [(0, "p"), (30, "q")] {
        let details = details_at("ps", 5, offset);
        let request = CreateBookingRequest {
            organisation_id: OrganisationId::new(),
            pool_id: POOL,
            requested_by: UserId::new(),
            idempotency_key: None,
            fingerprint: fingerprint.into(),
            details,
            policy: Default::default(),
        };
        bookings.push(
            rpc::call::<CreateBooking>(&client, &request, timeout)
                .await
                .expect("created")
                .booking
                .id,
        );
    }
    let mut offers = Vec::new();
    for booking in &bookings {
        let open = eventually(
            StdDuration::from_secs(20),
            "the one mediator's offer",
            || async {
                let open = offers_of(&env, *booking, "open").await;
                (open.len() == 1).then_some(open)
            },
        )
        .await;
        offers.push(open[0].0);
    }
    let accepts = offers.iter().map(|offer| {
        let client = client.clone();
        let answer = OfferAnswer {
            offer_id: (*offer).into(),
            mediator_id: only,
        };
        tokio::spawn(async move {
            rpc::call::<AcceptOffer>(&client, &answer, StdDuration::from_secs(20)).await
        })
    });
    let results: Vec<_> = futures::future::join_all(accepts)
        .await
        .into_iter()
        .map(|r| r.expect("join"))
        .collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "the slots overlap: at most one"
    );
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM availability.reservations WHERE mediator_id = $1 AND released_at IS NULL",
    )
    .bind(only.as_uuid())
    .fetch_one(&env.db.pool)
    .await
    .expect("reservations");
    assert_eq!(live, 1);
    app.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_booking_nobody_accepts_by_its_escalation_point_goes_to_the_coordinators_once() {
    let env = TestEnv::start().await;
    mediators(&env, 3, "fr").await;
    let details = details_at("fr", 4, 0);
    let mut settings = config(&env, 3, 900, 3600);
    // The escalation point lies two seconds from now; the offers' deadline much later.
    settings.update(|s: &mut DispatchConfig| {
        s.escalate_before_start_secs = (details.start - Utc::now()).num_seconds() - 2
    });
    let app = Services::spawn(settings).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let request = CreateBookingRequest {
        organisation_id: OrganisationId::new(),
        pool_id: POOL,
        requested_by: UserId::new(),
        idempotency_key: None,
        fingerprint: "e".into(),
        details,
        policy: Default::default(),
    };
    let booking = rpc::call::<CreateBooking>(&client, &request, StdDuration::from_secs(5))
        .await
        .expect("created")
        .booking
        .id;
    eventually(StdDuration::from_secs(20), "three offers", || async {
        (offers_of(&env, booking, "open").await.len() == 3).then_some(())
    })
    .await;
    eventually(
        StdDuration::from_secs(20),
        "escalated at the escalation point",
        || async { (subjects(&env, "booking.dispatch.escalated").await.len() == 1).then_some(()) },
    )
    .await;
    assert_eq!(
        offers_of(&env, booking, "open").await.len(),
        3,
        "the offers stay open: anyone may still accept"
    );
    let done: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM booking.timers WHERE kind = 'escalation' AND done_at IS NOT NULL",
    )
    .fetch_one(&env.db.pool)
    .await
    .expect("timers");
    assert_eq!(done, 1);
    app.stop().await.expect("clean stop");
}

async fn live_reservation(env: &TestEnv, id: uuid::Uuid) -> bool {
    sqlx::query_scalar("SELECT released_at IS NULL FROM availability.reservations WHERE id = $1")
        .bind(id)
        .fetch_one(&env.db.pool)
        .await
        .expect("reservation")
}

async fn guard(env: &TestEnv, id: uuid::Uuid) -> (Option<String>, i32, Option<String>) {
    sqlx::query_as(
        "SELECT outcome, attempts, last_error FROM booking.reservation_guards WHERE reservation_id = $1",
    )
    .bind(id)
    .fetch_one(&env.db.pool)
    .await
    .expect("guard")
}

/// A reservation that availability made but booking never recorded (the answer was
/// lost, or the process died before its commit) is given back by the reconciler,
/// and while availability does not answer it keeps trying.
#[tokio::test]
async fn a_reservation_nobody_recorded_is_given_back_once_availability_answers() {
    let env = TestEnv::start().await;
    let ids = mediators(&env, 1, "uk").await;
    let mut config = config(&env, 3, 900, 3600);
    config.update(|s: &mut DispatchConfig| s.escalate_before_start_secs = 0);
    // Only the booking service runs: availability is down.
    let booking_app = TestApp::spawn(config.clone(), mittler_booking::run_on).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let booking = book(&client).await;

    // The crash: a guard written, the reservation made, then nothing.
    let reservation = mittler_types::ReservationId::new();
    mittler_booking::dispatch::store::open_guard(
        &env.db.pool,
        reservation,
        booking,
        ids[0],
        Utc::now(),
    )
    .await
    .expect("guard");
    let details = details_at("uk", 3, 0);
    Availability::new(env.db.pool.clone(), Default::default())
        .reserve(mittler_contracts::availability::ReserveRequest {
            reservation_id: Some(reservation),
            mediator_id: ids[0],
            booking_id: booking,
            start: details.start,
            end: details.end,
            modality: details.modality,
            location: None,
            pool_id: Some(POOL),
        })
        .await
        .expect("reserved");

    let (_, _, error) = eventually(
        StdDuration::from_secs(20),
        "a failed attempt is recorded",
        || async {
            let g = guard(&env, reservation.as_uuid()).await;
            (g.1 >= 1).then_some(g)
        },
    )
    .await;
    assert!(error.is_some_and(|e| !e.is_empty()));
    assert!(
        live_reservation(&env, reservation.as_uuid()).await,
        "kept while availability is away"
    );

    let availability_app = TestApp::spawn(config, mittler_availability::run_on).await;
    eventually(StdDuration::from_secs(30), "given back", || async {
        let (outcome, _, _) = guard(&env, reservation.as_uuid()).await;
        (outcome.as_deref() == Some("released")
            && !live_reservation(&env, reservation.as_uuid()).await)
            .then_some(())
    })
    .await;
    availability_app.stop().await.expect("clean stop");
    booking_app.stop().await.expect("clean stop");
}

/// A double tap on "accept": both requests reserve the same slot; one wins, the
/// other is told the booking is taken, and the winner's reservation stays.
#[tokio::test]
async fn a_repeated_accept_never_gives_back_the_winners_slot() {
    let env = TestEnv::start().await;
    let ids = mediators(&env, 1, "uk").await;
    let app = Services::spawn(config(&env, 3, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let booking = book(&client).await;
    let (offer, _, _) = eventually(StdDuration::from_secs(20), "an offer", || async {
        offers_of(&env, booking, "open").await.into_iter().next()
    })
    .await;
    let answer = OfferAnswer {
        offer_id: offer.into(),
        mediator_id: ids[0],
    };
    let (a, b) = tokio::join!(
        rpc::call::<AcceptOffer>(&client, &answer, StdDuration::from_secs(20)),
        rpc::call::<AcceptOffer>(&client, &answer, StdDuration::from_secs(20)),
    );
    assert_eq!(
        usize::from(a.is_ok()) + usize::from(b.is_ok()),
        1,
        "{a:?} {b:?}"
    );
    let view = a.or(b).expect("one won");
    let held: uuid::Uuid =
        sqlx::query_scalar("SELECT reservation_id FROM booking.assignments WHERE booking_id = $1")
            .bind(view.id.as_uuid())
            .fetch_one(&env.db.pool)
            .await
            .expect("assignment");
    assert!(live_reservation(&env, held).await);
    assert_eq!(guard(&env, held).await.0.as_deref(), Some("kept"));
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM booking.reservation_guards WHERE booking_id = $1 AND done_at IS NULL",
    )
    .bind(booking.as_uuid())
    .fetch_one(&env.db.pool)
    .await
    .expect("guards");
    assert_eq!(open, 0, "every guard is settled");
    app.stop().await.expect("clean stop");
}
