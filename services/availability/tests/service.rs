//! The availability service against a real database.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use mittler_availability::requests::Availability;
use mittler_availability::settings::AvailabilityConfig;
use mittler_contracts::availability::{
    Absence, Calendar, Exclusion, GeoPoint, LanguageSkill, ListProfilesRequest, MediatorProfile,
    MediatorRef, Needs, PoolMembership, PutCalendarRequest, ReleaseRequest, ReserveRequest,
    SetPresenceRequest, WeeklyRule,
};
use mittler_contracts::{FaultCode, RpcFault};
use mittler_testkit::{TestDb, eventually};
use mittler_types::{
    BookingId, Gender, GenderPreference, LanguageTag, MediatorId, Modality, OrganisationId,
    Qualification, TimeZone,
};
use std::collections::HashMap;

const LEIPZIG: GeoPoint = GeoPoint {
    lat: 51.3397,
    lon: 12.3731,
};

/// The pool of every profile and request here, unless a test says otherwise.
const POOL: OrganisationId = OrganisationId(uuid::Uuid::from_u128(0x9001));

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("instant")
}

fn profile(name: &str, languages: &[(&str, Qualification)]) -> MediatorProfile {
    MediatorProfile {
        id: MediatorId::new(),
        display_name: name.into(),
        email: format!("{}@example.org", name.to_lowercase()),
        phone: None,
        gender: Gender::Female,
        languages: languages
            .iter()
            .map(|(code, q)| LanguageSkill {
                code: LanguageTag::parse(code).expect("tag"),
                qualification: *q,
            })
            .collect(),
        modalities: vec![Modality::OnSite, Modality::Video, Modality::Phone],
        subject_areas: vec![],
        home: LEIPZIG,
        postal_code: "04109".into(),
        max_travel_km: 50.0,
        max_minutes_per_week: 600,
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

fn weekdays_8_to_18() -> Calendar {
    Calendar {
        time_zone: TimeZone::BERLIN,
        weekly_rules: (1..=5)
            .map(|weekday| WeeklyRule {
                weekday,
                start: NaiveTime::from_hms_opt(8, 0, 0).expect("t"),
                end: NaiveTime::from_hms_opt(18, 0, 0).expect("t"),
            })
            .collect(),
        overrides: vec![],
        absences: vec![],
    }
}

async fn service(presence_ttl_secs: i64) -> (TestDb, Availability) {
    let db = TestDb::create().await.expect("db");
    let service = Availability::new(
        db.pool.clone(),
        AvailabilityConfig {
            presence_ttl_secs,
            travel_speed_kmh: 40.0,
        },
    );
    (db, service)
}

async fn add(service: &Availability, profile: MediatorProfile, calendar: Calendar) -> MediatorId {
    let id = profile.id;
    service.put_profile(profile).await.expect("profile");
    service
        .put_calendar(PutCalendarRequest {
            mediator_id: id,
            calendar,
        })
        .await
        .expect("calendar");
    id
}

fn reserve(
    mediator_id: MediatorId,
    start: &str,
    minutes: i64,
    modality: Modality,
    location: Option<GeoPoint>,
) -> ReserveRequest {
    let start = utc(start);
    ReserveRequest {
        reservation_id: None,
        mediator_id,
        booking_id: BookingId::new(),
        start,
        end: start + Duration::minutes(minutes),
        modality,
        location,
        pool_id: Some(POOL),
    }
}

fn needs(language: &str, modality: Modality, start: &str, minutes: i64) -> Needs {
    let start = utc(start);
    Needs {
        language: LanguageTag::parse(language).expect("tag"),
        min_qualification: Qualification::Trained,
        modality,
        start,
        end: start + Duration::minutes(minutes),
        location: (modality == Modality::OnSite).then_some(LEIPZIG),
        mediator_gender: GenderPreference::Any,
        online_now: false,
        booking_id: None,
        pool_id: Some(POOL),
    }
}

#[tokio::test]
async fn fifty_concurrent_reservations_of_overlapping_slots_give_exactly_one() {
    let (db, service) = service(90).await;
    let mediator = add(
        &service,
        profile("Olena", &[("uk", Qualification::Certified)]),
        weekdays_8_to_18(),
    )
    .await;
    let attempts = (0..50).map(|i| {
        let service = service.clone();
        // Every slot overlaps every other: all start within the first 49 minutes and last an hour.
        let request = reserve(
            mediator,
            &format!("2026-12-01T09:{:02}:00Z", i % 50),
            60,
            Modality::Video,
            None,
        );
        tokio::spawn(async move { service.reserve(request).await })
    });
    let results: Vec<_> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("join"))
        .collect();
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "exactly one reservation"
    );
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|f| f.code() == FaultCode::Overlap)
    );
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM availability.reservations WHERE released_at IS NULL",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(live, 1);
    let made: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM availability.outbox WHERE subject = 'availability.reservation.made'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(made, 1, "one event for the one reservation");
}

#[tokio::test]
async fn travel_time_refuses_a_back_to_back_on_site_job_30_km_away_but_not_a_video_job() {
    let (_db, service) = service(90).await;
    let mediator = add(
        &service,
        profile("Rojda", &[("kmr", Qualification::Trained)]),
        weekdays_8_to_18(),
    )
    .await;
    let thirty_km_east = GeoPoint {
        lat: LEIPZIG.lat,
        lon: LEIPZIG.lon + 30.0 / (111.32 * LEIPZIG.lat.to_radians().cos()),
    };
    service
        .reserve(reserve(
            mediator,
            "2026-12-01T08:00:00Z",
            60,
            Modality::OnSite,
            Some(LEIPZIG),
        ))
        .await
        .expect("first on-site job");
    let refused = service
        .reserve(reserve(
            mediator,
            "2026-12-01T09:00:00Z",
            60,
            Modality::OnSite,
            Some(thirty_km_east),
        ))
        .await
        .expect_err("no time to travel 30 km");
    assert_eq!(refused.code(), FaultCode::Travel);
    service
        .reserve(reserve(
            mediator,
            "2026-12-01T09:00:00Z",
            60,
            Modality::Video,
            None,
        ))
        .await
        .expect("a video job right after is fine");
    // 45 minutes later there is time to get there (30 km at 40 km/h).
    service
        .reserve(reserve(
            mediator,
            "2026-12-01T10:45:00Z",
            60,
            Modality::OnSite,
            Some(thirty_km_east),
        ))
        .await
        .expect("enough time to travel");
}

#[tokio::test]
async fn release_is_idempotent_and_frees_the_slot() {
    let (_db, service) = service(90).await;
    let mediator = add(
        &service,
        profile("Amal", &[("ar", Qualification::Trained)]),
        weekdays_8_to_18(),
    )
    .await;
    let request = reserve(mediator, "2026-12-02T10:00:00Z", 90, Modality::Phone, None);
    let held = service.reserve(request.clone()).await.expect("reserved");
    let again = service
        .reserve(request.clone())
        .await
        .expect("same booking, same slot: the same reservation");
    assert_eq!(again.id, held.id);
    assert!(
        service
            .reserve(reserve(
                mediator,
                "2026-12-02T11:00:00Z",
                30,
                Modality::Phone,
                None
            ))
            .await
            .is_err()
    );
    assert!(
        service
            .release(ReleaseRequest {
                reservation_id: held.id
            })
            .await
            .expect("released")
            .released_now
    );
    assert!(
        !service
            .release(ReleaseRequest {
                reservation_id: held.id
            })
            .await
            .expect("again")
            .released_now
    );
    service
        .reserve(reserve(
            mediator,
            "2026-12-02T11:00:00Z",
            30,
            Modality::Phone,
            None,
        ))
        .await
        .expect("free again");
    let unknown = service
        .release(ReleaseRequest {
            reservation_id: mittler_types::ReservationId::new(),
        })
        .await;
    assert_eq!(unknown.expect_err("unknown").code(), FaultCode::NotFound);
}

#[tokio::test]
async fn candidates_name_every_excluded_mediator_with_its_reasons() {
    let (_db, service) = service(90).await;
    let at = "2026-12-01T09:00:00Z"; // Tuesday 10:00 in Berlin
    let fits = add(
        &service,
        profile("Fits", &[("uk", Qualification::Certified)]),
        weekdays_8_to_18(),
    )
    .await;
    let other_language = add(
        &service,
        profile("Arabic", &[("ar", Qualification::Certified)]),
        weekdays_8_to_18(),
    )
    .await;
    let lay = add(
        &service,
        profile("Lay", &[("uk", Qualification::Lay)]),
        weekdays_8_to_18(),
    )
    .await;
    let mut far = profile("Far", &[("uk", Qualification::Trained)]);
    far.home = GeoPoint {
        lat: 51.0504,
        lon: 13.7373,
    }; // Dresden, 100 km
    let far = add(&service, far, weekdays_8_to_18()).await;
    let mut ill_calendar = weekdays_8_to_18();
    ill_calendar.absences.push(Absence {
        start: utc("2026-11-30T00:00:00Z"),
        end: utc("2026-12-05T00:00:00Z"),
        reason: "illness".into(),
    });
    let ill = add(
        &service,
        profile("Ill", &[("uk", Qualification::Trained)]),
        ill_calendar,
    )
    .await;
    let busy = add(
        &service,
        profile("Busy", &[("uk", Qualification::Trained)]),
        weekdays_8_to_18(),
    )
    .await;
    service
        .reserve(reserve(
            busy,
            "2026-12-01T08:30:00Z",
            60,
            Modality::Video,
            None,
        ))
        .await
        .expect("busy");
    let full = add(
        &service,
        profile("Full", &[("uk", Qualification::Trained)]),
        weekdays_8_to_18(),
    )
    .await;
    service
        .reserve(reserve(
            full,
            "2026-11-30T08:00:00Z",
            300,
            Modality::Video,
            None,
        ))
        .await
        .expect("monday");
    service
        .reserve(reserve(
            full,
            "2026-12-02T08:00:00Z",
            280,
            Modality::Video,
            None,
        ))
        .await
        .expect("wednesday");
    let mut video_only = profile("VideoOnly", &[("uk", Qualification::Trained)]);
    video_only.modalities = vec![Modality::Video];
    let video_only = add(&service, video_only, weekdays_8_to_18()).await;
    let mut male = profile("Male", &[("uk", Qualification::Trained)]);
    male.gender = Gender::Male;
    let male = add(&service, male, weekdays_8_to_18()).await;
    let weekend = Calendar {
        weekly_rules: vec![WeeklyRule {
            weekday: 6,
            start: NaiveTime::MIN,
            end: NaiveTime::from_hms_opt(23, 0, 0).expect("t"),
        }],
        ..weekdays_8_to_18()
    };
    let weekend = add(
        &service,
        profile("Weekend", &[("uk", Qualification::Trained)]),
        weekend,
    )
    .await;

    let mut request = needs("uk", Modality::OnSite, at, 60);
    request.mediator_gender = GenderPreference::Female;
    let answer = service.candidates(request).await.expect("candidates");
    assert_eq!(
        answer
            .eligible
            .iter()
            .map(|c| c.mediator_id)
            .collect::<Vec<_>>(),
        [fits]
    );
    assert_eq!(answer.eligible[0].qualification, Qualification::Certified);
    // Who does not speak the language is counted, not listed.
    assert_eq!(answer.other_languages, 1);
    // Who is too far away is told how far, and how far they travel.
    let too_far = answer
        .excluded
        .iter()
        .find(|e| e.mediator_id == far)
        .expect("far is excluded");
    let km = too_far.distance_km.expect("distance of the far one");
    assert!((95.0..110.0).contains(&km), "Leipzig to Dresden: {km}");
    assert_eq!(too_far.max_travel_km, Some(50.0));
    assert!(
        answer
            .excluded
            .iter()
            .filter(|e| e.mediator_id != far)
            .all(|e| e.distance_km.is_none()),
        "only the reason distance carries a distance"
    );
    let reasons: HashMap<MediatorId, Vec<Exclusion>> = answer
        .excluded
        .into_iter()
        .map(|e| (e.mediator_id, e.reasons))
        .collect();
    assert_eq!(
        reasons.len(),
        8,
        "the eight other speakers, each with reasons"
    );
    assert!(!reasons.contains_key(&other_language));
    assert_eq!(reasons[&lay], [Exclusion::Qualification]);
    assert_eq!(reasons[&far], [Exclusion::Distance]);
    assert_eq!(reasons[&ill], [Exclusion::Absence]);
    assert_eq!(reasons[&busy], [Exclusion::Overlap]);
    assert_eq!(reasons[&full], [Exclusion::WeeklyMinutes]);
    assert_eq!(reasons[&video_only], [Exclusion::Modality]);
    assert_eq!(reasons[&male], [Exclusion::Gender]);
    assert_eq!(reasons[&weekend], [Exclusion::Availability]);

    // Its own reservation does not stand in a booking's way when it is offered again.
    let own = service
        .reserve(reserve(fits, at, 60, Modality::OnSite, Some(LEIPZIG)))
        .await
        .expect("own");
    let mut again = needs("uk", Modality::OnSite, at, 60);
    again.booking_id = Some(own.booking_id);
    let answer = service.candidates(again).await.expect("candidates");
    assert!(answer.eligible.iter().any(|c| c.mediator_id == fits));
}

#[tokio::test]
async fn presence_expires_when_heartbeats_stop() {
    let (db, service) = service(1).await;
    let mediator = add(
        &service,
        profile("Nour", &[("apc", Qualification::Trained)]),
        weekdays_8_to_18(),
    )
    .await;
    let mut call = needs("apc", Modality::Video, "2026-12-01T09:00:00Z", 30);
    call.online_now = true;
    let excluded = service.candidates(call.clone()).await.expect("candidates");
    assert_eq!(excluded.excluded[0].reasons, [Exclusion::Offline]);

    let presence = service
        .set_presence(SetPresenceRequest {
            mediator_id: mediator,
            online: true,
        })
        .await
        .expect("online");
    assert!(presence.online && presence.expires_at.is_some());
    assert_eq!(
        service
            .candidates(call.clone())
            .await
            .expect("candidates")
            .eligible
            .len(),
        1
    );
    // A heartbeat does not repeat the event.
    service
        .set_presence(SetPresenceRequest {
            mediator_id: mediator,
            online: true,
        })
        .await
        .expect("heartbeat");

    eventually(
        std::time::Duration::from_secs(10),
        "presence expired",
        || {
            let service = service.clone();
            let call = call.clone();
            async move {
                service
                    .candidates(call)
                    .await
                    .ok()
                    .filter(|a| a.eligible.is_empty())
                    .map(|_| ())
            }
        },
    )
    .await;
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM availability.outbox WHERE subject = 'availability.presence.changed'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(events, 1);
    let offline = service
        .set_presence(SetPresenceRequest {
            mediator_id: mediator,
            online: false,
        })
        .await
        .expect("offline");
    assert_eq!(offline.expires_at, None);
}

#[tokio::test]
async fn a_calendar_put_is_what_get_returns_and_bad_calendars_are_refused() {
    let (db, service) = service(90).await;
    let mediator = add(
        &service,
        profile("Shirin", &[("fa", Qualification::Trained)]),
        weekdays_8_to_18(),
    )
    .await;
    let mut calendar = service
        .get_calendar(MediatorRef {
            mediator_id: mediator,
        })
        .await
        .expect("get");
    calendar.absences.push(Absence {
        start: utc("2026-12-23T00:00:00Z"),
        end: utc("2027-01-04T00:00:00Z"),
        reason: "holiday".into(),
    });
    let stored = service
        .put_calendar(PutCalendarRequest {
            mediator_id: mediator,
            calendar: calendar.clone(),
        })
        .await
        .expect("put");
    assert_eq!(stored, calendar);
    let round_trip = service
        .put_calendar(PutCalendarRequest {
            mediator_id: mediator,
            calendar: stored.clone(),
        })
        .await
        .expect("put again");
    assert_eq!(round_trip, stored);

    let mut bad = stored.clone();
    bad.weekly_rules[0].weekday = 8;
    assert_eq!(
        service
            .put_calendar(PutCalendarRequest {
                mediator_id: mediator,
                calendar: bad
            })
            .await
            .expect_err("bad")
            .code(),
        FaultCode::Invalid
    );
    let mut bad = stored.clone();
    bad.absences[0].reason = "vacation".into();
    let error = service
        .put_calendar(PutCalendarRequest {
            mediator_id: mediator,
            calendar: bad,
        })
        .await
        .expect_err("bad");
    let fault = RpcFault::from(error);
    assert_eq!(
        fault.field.as_deref(),
        Some("absences[0].reason"),
        "{fault}"
    );
    let changed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM availability.outbox WHERE subject = 'availability.calendar.changed'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(changed, 3, "one per accepted change");
}

/// Each replica keeps the profiles in memory for matching; a change made through
/// another replica (or anywhere in the database) is seen by the next request.
#[tokio::test]
async fn a_replica_matches_with_the_profiles_and_calendars_another_replica_just_changed() {
    let (db, a) = service(90).await;
    let b = Availability::new(
        db.pool.clone(),
        AvailabilityConfig {
            presence_ttl_secs: 90,
            travel_speed_kmh: 40.0,
        },
    );
    let at = "2026-12-01T09:00:00Z"; // Tuesday 10:00 in Berlin
    let uk = needs("uk", Modality::Video, at, 60);
    let eligible = |answer: &mittler_contracts::availability::CandidatesResponse| {
        answer
            .eligible
            .iter()
            .map(|c| c.mediator_id)
            .collect::<Vec<_>>()
    };
    let first = profile("First", &[("uk", Qualification::Certified)]);
    let first_id = add(&b, first.clone(), weekdays_8_to_18()).await;
    let answer = a.candidates(uk.clone()).await.expect("candidates");
    assert_eq!(eligible(&answer), [first_id]);
    assert_eq!(answer.other_languages, 0);

    // A new mediator, added through the other replica.
    let second_id = add(
        &b,
        profile("Second", &[("uk", Qualification::Certified)]),
        weekdays_8_to_18(),
    )
    .await;
    let answer = a.candidates(uk.clone()).await.expect("candidates");
    let mut expected = vec![first_id, second_id];
    expected.sort_by_key(|id| id.as_uuid());
    assert_eq!(eligible(&answer), expected);

    // The first stops speaking Ukrainian: counted among the others at once.
    let mut changed = first.clone();
    changed.languages = vec![LanguageSkill {
        code: LanguageTag::parse("ar").expect("tag"),
        qualification: Qualification::Certified,
    }];
    b.put_profile(changed).await.expect("profile");
    let answer = a.candidates(uk.clone()).await.expect("candidates");
    assert_eq!(eligible(&answer), [second_id]);
    assert_eq!(answer.other_languages, 1);

    // The second's calendar no longer covers Tuesdays.
    let mut mondays = weekdays_8_to_18();
    mondays.weekly_rules.retain(|r| r.weekday == 1);
    b.put_calendar(PutCalendarRequest {
        mediator_id: second_id,
        calendar: mondays,
    })
    .await
    .expect("calendar");
    let answer = a.candidates(uk.clone()).await.expect("candidates");
    assert!(eligible(&answer).is_empty());
    assert_eq!(answer.excluded.len(), 1);
    assert_eq!(answer.excluded[0].reasons, [Exclusion::Availability]);

    // And a change made in the database directly (an operator's fix) counts too.
    sqlx::query("UPDATE availability.mediators SET active = false WHERE id = $1")
        .bind(second_id.as_uuid())
        .execute(&db.pool)
        .await
        .expect("update");
    let answer = a.candidates(uk).await.expect("candidates");
    assert!(answer.excluded[0].reasons.contains(&Exclusion::Inactive));
}

#[tokio::test]
async fn only_active_members_of_the_bookings_pool_are_candidates_or_hold_its_work() {
    // Given: one mediator of this pool, one of another pool only, one in both, one
    // paused here but active elsewhere, all free and speaking Ukrainian.
    let (_db, service) = service(90).await;
    let other = OrganisationId(uuid::Uuid::from_u128(0x9002));
    let member = |pool_id, active| PoolMembership { pool_id, active };
    let with_pools = |name: &str, pools: Vec<PoolMembership>| MediatorProfile {
        pools,
        ..profile(name, &[("uk", Qualification::Trained)])
    };
    let here = add(
        &service,
        with_pools("Here", vec![member(POOL, true)]),
        weekdays_8_to_18(),
    )
    .await;
    let elsewhere = add(
        &service,
        with_pools("Elsewhere", vec![member(other, true)]),
        weekdays_8_to_18(),
    )
    .await;
    let both = add(
        &service,
        with_pools("Both", vec![member(POOL, true), member(other, true)]),
        weekdays_8_to_18(),
    )
    .await;
    let paused = add(
        &service,
        with_pools("Paused", vec![member(POOL, false), member(other, true)]),
        weekdays_8_to_18(),
    )
    .await;

    // When this pool's booking asks for candidates.
    let answer = service
        .candidates(needs("uk", Modality::Video, "2027-03-01T09:00:00Z", 60))
        .await
        .expect("candidates");

    // Then: its active members are eligible, the paused member is excluded for the
    // pool, and the other pool's mediator is neither listed nor counted.
    let mut eligible: Vec<MediatorId> = answer.eligible.iter().map(|c| c.mediator_id).collect();
    eligible.sort();
    let mut expected = vec![here, both];
    expected.sort();
    assert_eq!(eligible, expected);
    assert_eq!(answer.excluded.len(), 1);
    assert_eq!(answer.excluded[0].mediator_id, paused);
    assert_eq!(answer.excluded[0].reasons, [Exclusion::Pool]);
    assert_eq!(answer.other_languages, 0);

    // And the other pool's booking reaches its own members only.
    let theirs = service
        .candidates(Needs {
            pool_id: Some(other),
            ..needs("uk", Modality::Video, "2027-03-01T09:00:00Z", 60)
        })
        .await
        .expect("candidates");
    let mut eligible: Vec<MediatorId> = theirs.eligible.iter().map(|c| c.mediator_id).collect();
    eligible.sort();
    let mut expected = vec![elsewhere, both, paused];
    expected.sort();
    assert_eq!(eligible, expected);

    // And a reservation for this pool's booking is refused to the others.
    for outsider in [elsewhere, paused] {
        let fault: RpcFault = service
            .reserve(reserve(
                outsider,
                "2027-03-01T09:00:00Z",
                60,
                Modality::Video,
                None,
            ))
            .await
            .expect_err("not in the pool")
            .into();
        assert_eq!(fault.code, FaultCode::Invalid);
        assert_eq!(fault.field.as_deref(), Some("mediator_id"));
    }
    service
        .reserve(reserve(
            both,
            "2027-03-01T09:00:00Z",
            60,
            Modality::Video,
            None,
        ))
        .await
        .expect("a member reserves");

    // And a pool's list names its members, paused ones included.
    let listed = service
        .list_profiles(ListProfilesRequest {
            pool_id: Some(POOL),
        })
        .await
        .expect("list");
    let mut ids: Vec<MediatorId> = listed.iter().map(|p| p.id).collect();
    ids.sort();
    let mut expected = vec![here, both, paused];
    expected.sort();
    assert_eq!(ids, expected);
}
