//! The end of a booking through the service: a booking nobody takes becomes
//! `unfilled` at its start (or when a coordinator gives up), the coordinators are
//! alerted again as the start nears, and every assigned booking closes with a time
//! record — claimed, confirmed or disputed and settled, or confirmed by rule after a
//! restart — that completes it. Bad claims are refused and change nothing.

mod common;

use chrono::{Duration, Utc};
use common::*;
use mittler_booking::records::store as records;
use mittler_booking::settings::{DispatchConfig, RecordsConfig};
use mittler_contracts::FaultCode;
use mittler_contracts::availability::GeoPoint;
use mittler_contracts::booking::{
    ConfirmTime, DisputeTime, DisputeTimeRequest, GetBooking, GetBookingRequest, GiveUp,
    GiveUpRequest, RecordActor, Scope, TimeClaim, TimeRecordRequest,
};
use mittler_contracts::examples::location;
use mittler_testkit::{TestEnv, eventually};
use mittler_types::{
    BookingState, ConfirmedBy, LanguageTag, MediatorId, Modality, OrganisationId, Outcome,
    RecordSource, RecordState, UserId,
};
use std::time::Duration as StdDuration;

#[tokio::test]
async fn a_booking_nobody_takes_is_unfilled_at_its_start_and_a_coordinator_may_give_one_up() {
    let env = TestEnv::start().await;
    let speakers = mediators(&env, 2, "ar").await;
    let app = Services::spawn(config(&env, 3, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let organisation = OrganisationId::new();

    // Nobody speaks Tigrinya: the coordinators hear of it at once, and at the start
    // the booking ends unfilled.
    let mut details = mittler_contracts::examples::booking_details();
    details.language = LanguageTag::parse("ti").expect("tag");
    details.start = Utc::now() + Duration::seconds(4);
    details.end = details.start + Duration::minutes(60);
    let lonely = create(&client, organisation, details).await;
    let unfilled = eventually(StdDuration::from_secs(20), "unfilled at the start", || {
        let client = client.clone();
        async move {
            let view = get(&client, lonely.id).await;
            (view.state == BookingState::Unfilled).then_some(view)
        }
    })
    .await;
    let why = unfilled.unfilled.expect("why and when");
    assert_eq!(why.reason, mittler_booking::dispatch::start_passed_reason());
    assert_eq!(why.unfilled_by, None);
    assert!(why.unfilled_at >= lonely.details.start);
    assert_eq!(subjects(&env, "booking.booking.unfilled").await.len(), 1);
    assert!(pending_timers(&env, lonely.id).await.is_empty());

    // Arabic speakers are asked; the coordinator gives up on it anyway.
    let asked = create(&client, organisation, details_at("ar", 3, 0)).await;
    eventually(StdDuration::from_secs(20), "offers", || async {
        (offers_of(&env, asked.id, "open").await.len() == 2).then_some(())
    })
    .await;
    let coordinator = UserId::new();
    let give_up = |id, scope, reason: &str| GiveUpRequest {
        id,
        scope,
        by: coordinator,
        reason: reason.into(),
    };
    let empty = call::<GiveUp>(&client, &give_up(asked.id, Scope::all(), "  "))
        .await
        .expect_err("no reason");
    assert_eq!(
        code(&empty),
        Some((FaultCode::Invalid, Some("reason".into())))
    );
    let foreign = Scope::only(vec![OrganisationId::new()]);
    let hidden = call::<GiveUp>(&client, &give_up(asked.id, foreign, "zu spät"))
        .await
        .expect_err("not in scope");
    assert_eq!(code(&hidden).map(|c| c.0), Some(FaultCode::NotFound));
    assert_eq!(get(&client, asked.id).await.state, BookingState::Offering);

    let given_up = call::<GiveUp>(
        &client,
        &give_up(
            asked.id,
            Scope::only(vec![organisation]),
            "Termin nicht haltbar",
        ),
    )
    .await
    .expect("given up");
    assert_eq!(given_up.state, BookingState::Unfilled);
    let why = given_up.unfilled.expect("why");
    assert_eq!(
        (why.reason.as_str(), why.unfilled_by),
        ("Termin nicht haltbar", Some(coordinator))
    );
    assert_eq!(offers_of(&env, asked.id, "withdrawn").await.len(), 2);
    assert!(pending_timers(&env, asked.id).await.is_empty());
    let again = call::<GiveUp>(&client, &give_up(asked.id, Scope::all(), "noch mal"))
        .await
        .expect_err("once");
    assert_eq!(
        code(&again).map(|c| c.0),
        Some(FaultCode::IllegalTransition)
    );
    assert_eq!(subjects(&env, "booking.booking.unfilled").await.len(), 2);

    // An assigned booking is not given up.
    let taken = create(&client, organisation, details_at("ar", 5, 0)).await;
    assign(&client, taken.id, speakers[0]).await;
    let refused = call::<GiveUp>(&client, &give_up(taken.id, Scope::all(), "egal"))
        .await
        .expect_err("assigned");
    assert_eq!(
        code(&refused).map(|c| c.0),
        Some(FaultCode::IllegalTransition)
    );
    app.stop().await.expect("stop");
}

#[tokio::test]
async fn the_coordinators_are_alerted_again_as_the_start_nears() {
    let env = TestEnv::start().await;
    let mut settings = config(&env, 3, 900, 3600);
    // Three hours ahead, escalated at once (48 h before has passed); the next
    // alert falls due in two seconds.
    settings.update(|s: &mut DispatchConfig| s.escalate_before_start_secs = 48 * 3600);
    settings.update(|s: &mut DispatchConfig| s.alert_before_start_secs = vec![3 * 3600 - 2]);
    let app = Services::spawn(settings).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let mut details = mittler_contracts::examples::booking_details();
    details.language = LanguageTag::parse("ti").expect("tag");
    details.start = Utc::now() + Duration::hours(3);
    details.end = details.start + Duration::minutes(60);
    let booking = create(&client, OrganisationId::new(), details).await;
    eventually(StdDuration::from_secs(20), "the alert", || async {
        (subjects(&env, "booking.dispatch.still_open").await.len() == 1).then_some(())
    })
    .await;
    assert_eq!(subjects(&env, "booking.dispatch.escalated").await.len(), 1);
    assert_eq!(
        get(&client, booking.id).await.state,
        BookingState::Requested
    );
    app.stop().await.expect("stop");
}

/// Two mediators who also work on site, near Leipzig.
async fn on_site_mediators(env: &TestEnv) -> Vec<MediatorId> {
    let service =
        mittler_availability::requests::Availability::new(env.db.pool.clone(), Default::default());
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut p = profile("fa");
        p.modalities.push(Modality::OnSite);
        p.home = GeoPoint {
            lat: 51.34,
            lon: 12.37,
        };
        ids.push(p.id);
        service.put_profile(p.clone()).await.expect("profile");
        service
            .put_calendar(mittler_contracts::availability::PutCalendarRequest {
                mediator_id: p.id,
                calendar: always(),
            })
            .await
            .expect("calendar");
    }
    ids
}

#[tokio::test]
async fn an_on_site_job_is_claimed_confirmed_and_completed_and_bad_claims_change_nothing() {
    let env = TestEnv::start().await;
    let ids = on_site_mediators(&env).await;
    let app = Services::spawn(config(&env, 1, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let mut details = details_at("fa", 2, 0);
    details.modality = Modality::OnSite;
    details.location = Some(mittler_contracts::booking::Location {
        latitude: 51.33,
        longitude: 12.38,
        postal_code: "04103".into(),
        ..location()
    });
    let booking = create(&client, OrganisationId::new(), details).await;
    assign(&client, booking.id, ids[0]).await;
    let mediator = RecordActor::Mediator(ids[0]);
    let open = record(&client, booking.id, mediator).await.expect("open");
    assert_eq!(
        (open.state, open.mediator_id),
        (RecordState::Open, Some(ids[0]))
    );

    // Before the job: nothing can be claimed.
    let (start, end) = (booking.details.start, booking.details.end);
    let early = claim_as(
        &client,
        booking.id,
        mediator,
        claim(start, end, Outcome::Done),
    )
    .await
    .expect_err("not begun");
    assert_eq!(
        code(&early),
        Some((FaultCode::Invalid, Some("start".into())))
    );

    // The day came and went (three days back: yesterday at 10:00).
    let back = Duration::days(3);
    into_the_past(&env, booking.id, back).await;
    let (start, end) = (start - back, end - back);
    let now = Utc::now();
    /// Who claims what, and the fault (with its field) that comes back.
    type Refusal = (RecordActor, TimeClaim, (FaultCode, Option<&'static str>));
    let refusals: Vec<Refusal> = vec![
        (
            mediator,
            claim(start, now + Duration::hours(1), Outcome::Done),
            (FaultCode::Invalid, Some("end")),
        ),
        (
            mediator,
            claim(end, start, Outcome::Done),
            (FaultCode::Invalid, Some("end")),
        ),
        (
            mediator,
            claim(
                start - Duration::days(2),
                end - Duration::days(2),
                Outcome::Done,
            ),
            (FaultCode::Invalid, Some("start")),
        ),
        (
            mediator,
            TimeClaim {
                travel_km: 5000,
                ..claim(start, end, Outcome::Done)
            },
            (FaultCode::Invalid, Some("travel_km")),
        ),
        (
            RecordActor::Mediator(ids[1]),
            claim(start, end, Outcome::Done),
            (FaultCode::Forbidden, None),
        ),
        (
            RecordActor::Requester(booking.requested_by),
            claim(start, end, Outcome::Done),
            (FaultCode::Forbidden, None),
        ),
    ];
    for (by, bad, expected) in refusals {
        let refused = claim_as(&client, booking.id, by, bad)
            .await
            .expect_err("refused");
        assert_eq!(
            code(&refused),
            Some((expected.0, expected.1.map(str::to_owned))),
            "{by:?}"
        );
    }
    assert_eq!(
        record(&client, booking.id, mediator)
            .await
            .expect("record")
            .state,
        RecordState::Open,
        "nothing changed"
    );
    assert!(subjects(&env, "booking.booking.time_%").await.is_empty());

    // The mediator claims; the requester confirms; the booking is completed.
    let claimed = claim_as(
        &client,
        booking.id,
        mediator,
        TimeClaim {
            travel_minutes: 40,
            travel_km: 25,
            ..claim(
                start + Duration::minutes(5),
                end + Duration::minutes(10),
                Outcome::Done,
            )
        },
    )
    .await
    .expect("claimed");
    assert_eq!(
        (claimed.state, claimed.worked_minutes, claimed.source),
        (RecordState::Claimed, 65, Some(RecordSource::Mediator))
    );
    assert!(claimed.mediator_confirmed_at.is_some());
    assert_eq!(
        claimed.confirms_by_rule_at,
        claimed.claimed_at.map(|at| at + Duration::days(7))
    );
    let requester = RecordActor::Requester(booking.requested_by);
    let confirmed = call::<ConfirmTime>(
        &client,
        &TimeRecordRequest {
            id: booking.id,
            scope: Scope::only(vec![booking.organisation_id]),
            by: requester,
        },
    )
    .await
    .expect("confirmed");
    assert_eq!(
        (confirmed.state, confirmed.confirmed_by),
        (RecordState::Confirmed, Some(ConfirmedBy::Requester))
    );
    assert!(confirmed.requester_confirmed_at.is_some());
    let done = get(&client, booking.id).await;
    assert_eq!(
        (done.state, done.worked_minutes),
        (BookingState::Completed, Some(65))
    );
    assert_eq!(
        subjects(&env, "booking.booking.time_%").await,
        [
            "booking.booking.time_claimed",
            "booking.booking.time_confirmed"
        ]
    );
    assert_eq!(subjects(&env, "booking.booking.completed").await.len(), 1);

    // Final: neither the requester nor the mediator can change it.
    let twice = call::<ConfirmTime>(
        &client,
        &TimeRecordRequest {
            id: booking.id,
            scope: Scope::all(),
            by: requester,
        },
    )
    .await
    .expect_err("confirmed already");
    assert_eq!(
        code(&twice).map(|c| c.0),
        Some(FaultCode::IllegalTransition)
    );
    let late = claim_as(
        &client,
        booking.id,
        mediator,
        claim(start, end, Outcome::Done),
    )
    .await
    .expect_err("final");
    assert_eq!(code(&late).map(|c| c.0), Some(FaultCode::IllegalTransition));
    app.stop().await.expect("stop");
}

#[tokio::test]
async fn a_dispute_is_settled_by_a_coordinator_and_an_unanswered_claim_confirms_by_rule_across_a_restart()
 {
    let env = TestEnv::start().await;
    let ids = mediators(&env, 2, "ru").await;
    let mut settings = config(&env, 1, 900, 3600);
    settings.update(|s: &mut RecordsConfig| s.confirm_after_secs = 3);
    let app = Services::spawn(settings.clone()).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let organisation = OrganisationId::new();
    let disputed = create(&client, organisation, details_at("ru", 2, 0)).await;
    let quiet = create(&client, organisation, details_at("ru", 2, 120)).await;
    assign(&client, disputed.id, ids[0]).await;
    assign(&client, quiet.id, ids[1]).await;
    let back = Duration::days(3);
    for id in [disputed.id, quiet.id] {
        into_the_past(&env, id, back).await;
    }

    // The mediator says the client did not come; the requester disputes it.
    let start = disputed.details.start - back;
    claim_as(
        &client,
        disputed.id,
        RecordActor::Mediator(ids[0]),
        claim(start, start + Duration::minutes(20), Outcome::ClientNoShow),
    )
    .await
    .expect("claimed");
    let reason = "Die Klientin war da; der Termin dauerte 45 Minuten";
    let blank = call::<DisputeTime>(
        &client,
        &DisputeTimeRequest {
            id: disputed.id,
            scope: Scope::all(),
            by: disputed.requested_by,
            reason: " ".into(),
        },
    )
    .await
    .expect_err("no reason");
    assert_eq!(code(&blank).map(|c| c.0), Some(FaultCode::Invalid));
    let open = call::<DisputeTime>(
        &client,
        &DisputeTimeRequest {
            id: disputed.id,
            scope: Scope::only(vec![organisation]),
            by: disputed.requested_by,
            reason: reason.into(),
        },
    )
    .await
    .expect("disputed");
    assert_eq!(
        (open.state, open.dispute_reason.as_deref()),
        (RecordState::Disputed, Some(reason))
    );
    let mediator_again = claim_as(
        &client,
        disputed.id,
        RecordActor::Mediator(ids[0]),
        claim(start, start + Duration::minutes(30), Outcome::Done),
    )
    .await
    .expect_err("a coordinator settles");
    assert_eq!(
        code(&mediator_again).map(|c| c.0),
        Some(FaultCode::IllegalTransition)
    );
    let settled = claim_as(
        &client,
        disputed.id,
        RecordActor::Coordinator(UserId::new()),
        claim(start, start + Duration::minutes(45), Outcome::Done),
    )
    .await
    .expect("settled");
    assert_eq!(
        (
            settled.state,
            settled.confirmed_by,
            settled.source,
            settled.worked_minutes
        ),
        (
            RecordState::Confirmed,
            Some(ConfirmedBy::Coordinator),
            Some(RecordSource::Coordinator),
            45
        )
    );
    assert_eq!(
        settled.dispute_reason.as_deref(),
        Some(reason),
        "kept for the record"
    );
    assert_eq!(
        get(&client, disputed.id).await.state,
        BookingState::Completed
    );

    // The other claim stays unanswered while the service is down past its rule.
    let quiet_start = quiet.details.start - back;
    let claimed = claim_as(
        &client,
        quiet.id,
        RecordActor::Mediator(ids[1]),
        claim(
            quiet_start,
            quiet_start + Duration::minutes(60),
            Outcome::Done,
        ),
    )
    .await
    .expect("claimed");
    let due = claimed.confirms_by_rule_at.expect("a rule date");
    app.stop().await.expect("stop");
    eventually(
        StdDuration::from_secs(10),
        "the rule date passed",
        || async { (Utc::now() > due).then_some(()) },
    )
    .await;
    let row = records::get(&env.db.pool, quiet.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        row.state,
        RecordState::Claimed,
        "nothing happened while down"
    );

    let app = Services::spawn(settings).await;
    booking_ready(&client).await;
    eventually(StdDuration::from_secs(20), "confirmed by rule", || {
        let client = client.clone();
        async move {
            // While the restarted service subscribes, a request may find nobody.
            let view = call::<GetBooking>(
                &client,
                &GetBookingRequest {
                    id: quiet.id,
                    scope: Scope::all(),
                },
            )
            .await
            .ok()?;
            (view.state == BookingState::Completed).then_some(())
        }
    })
    .await;
    let row = records::get(&env.db.pool, quiet.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        (row.state, row.confirmed_by, row.worked_minutes),
        (RecordState::Confirmed, Some(ConfirmedBy::Rule), 60)
    );
    // The disputed record's rule timer found it settled and left it alone.
    let settled = records::get(&env.db.pool, disputed.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(settled.confirmed_by, Some(ConfirmedBy::Coordinator));
    app.stop().await.expect("stop");
}

/// Deliver a session event to the booking's consumer, in a transaction of its own.
async fn deliver<E: mittler_contracts::Event + serde::Serialize>(env: &TestEnv, event: E) {
    use mittler_platform::consumer::{Handler, IncomingEvent};
    let envelope = mittler_contracts::Envelope::new(event, mittler_platform::outbox::root_meta());
    let raw =
        mittler_contracts::RawEnvelope::from_slice(&serde_json::to_vec(&envelope).expect("json"))
            .expect("envelope");
    let incoming = IncomingEvent {
        subject: raw.event_type.clone(),
        envelope: raw,
        delivered: 1,
        stream_sequence: 1,
    };
    let handler = mittler_booking::sessions::SessionEvents {
        records: RecordsConfig::default(),
    };
    let mut tx = env.db.pool.begin().await.expect("begin");
    handler.handle(&mut tx, &incoming).await.expect("handled");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_video_room_s_summed_time_is_the_first_claim_until_the_mediator_speaks() {
    use mittler_contracts::session::{SessionEnded, SessionStarted};
    let env = TestEnv::start().await;
    let ids = mediators(&env, 1, "uk").await;
    let app = Services::spawn(config(&env, 1, 900, 3600)).await;
    let client = env.nats.client().await;
    booking_ready(&client).await;
    let booking = create(&client, OrganisationId::new(), details_at("uk", 2, 0)).await;
    assign(&client, booking.id, ids[0]).await;
    let room = uuid::Uuid::now_v7();
    let first = booking.details.start + Duration::minutes(1);
    let started = |at| SessionStarted {
        room_id: room,
        booking_id: booking.id,
        organisation_id: booking.organisation_id,
        started_at: at,
    };
    let ended = |at, minutes| SessionEnded {
        room_id: room,
        booking_id: booking.id,
        organisation_id: booking.organisation_id,
        started_at: first,
        ended_at: at,
        minutes,
    };
    let state = |client: async_nats::Client| async move { get(&client, booking.id).await.state };

    // The connection drops twice; the room's sum after each stretch is the claim.
    deliver(&env, started(first)).await;
    assert_eq!(state(client.clone()).await, BookingState::InSession);
    deliver(&env, ended(first + Duration::minutes(10), 10)).await;
    assert_eq!(
        state(client.clone()).await,
        BookingState::Assigned,
        "an empty room does not end the booking"
    );
    deliver(&env, started(first + Duration::minutes(12))).await;
    deliver(&env, ended(first + Duration::minutes(30), 28)).await;
    deliver(&env, started(first + Duration::minutes(31))).await;
    deliver(&env, ended(first + Duration::minutes(50), 47)).await;
    let measured = record(&client, booking.id, RecordActor::Mediator(ids[0]))
        .await
        .expect("record");
    assert_eq!(
        (
            measured.state,
            measured.source,
            measured.worked_minutes,
            measured.start,
            measured.end
        ),
        (
            RecordState::Claimed,
            Some(RecordSource::Session),
            47,
            Some(first),
            Some(first + Duration::minutes(50))
        )
    );
    assert!(measured.mediator_confirmed_at.is_none());
    assert_eq!(
        subjects(&env, "booking.booking.time_claimed").await.len(),
        3
    );
    assert_eq!(state(client.clone()).await, BookingState::Assigned);

    // The mediator corrects it; a late measurement no longer overrides them.
    into_the_past(&env, booking.id, Duration::days(3)).await;
    let start = booking.details.start - Duration::days(3);
    claim_as(
        &client,
        booking.id,
        RecordActor::Mediator(ids[0]),
        claim(start, start + Duration::minutes(55), Outcome::Done),
    )
    .await
    .expect("claimed");
    deliver(&env, ended(first + Duration::minutes(52), 49)).await;
    let kept = record(&client, booking.id, RecordActor::Mediator(ids[0]))
        .await
        .expect("record");
    assert_eq!(
        (kept.source, kept.worked_minutes),
        (Some(RecordSource::Mediator), 55)
    );
    app.stop().await.expect("stop");
}
