//! Answers to `availability.rpc.*`: candidates with reasons, reserve and release
//! (never two overlapping reservations of one mediator), calendars, presence,
//! profiles. Every change and its event are written in one transaction.

use crate::calendar;
use crate::eligibility::{self, MediatorState};
use crate::error::AvailabilityError;
use crate::settings::AvailabilityConfig;
use crate::store::{self, InsertReservationError, LocalRules};
use crate::validation::{invalid, validate_calendar, validate_profile};
use chrono::{Duration, Utc};
use mittler_contracts::FaultCode;
use mittler_contracts::availability::{
    Absence, Calendar, CalendarChanged, Candidate, Candidates, CandidatesResponse, Excluded,
    Exclusion, GetCalendar, GetProfile, ListProfiles, ListProfilesRequest, MediatorProfile,
    MediatorRef, Needs, Presence, PresenceChanged, ProfileChanged, PutCalendar, PutCalendarRequest,
    PutProfile, Release, ReleaseRequest, Released, Reservation, ReservationMade,
    ReservationReleased, Reserve, ReserveRequest, SetPresence, SetPresenceRequest,
};
use mittler_contracts::text;
use mittler_contracts::{Envelope, Event, RpcFault};
use mittler_platform::{CancellationToken, Platform, Schema, Tasks, outbox};
use mittler_types::{MediatorId, Modality};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// The availability service's request handlers.
#[derive(Clone, Debug)]
pub struct Availability {
    pool: PgPool,
    config: AvailabilityConfig,
    profiles: Arc<tokio::sync::RwLock<ProfileCache>>,
}

/// Every mediator's profile as of `version` of `availability.profiles_version`,
/// kept for matching: a candidates request checks the version (one small read) and
/// reads the profiles again only when a profile or calendar changed since.
#[derive(Debug, Default)]
struct ProfileCache {
    version: Option<i64>,
    profiles: Arc<Vec<(MediatorProfile, LocalRules)>>,
}

async fn emit<E: Event>(tx: &mut sqlx::PgConnection, event: E) -> Result<(), AvailabilityError> {
    outbox::enqueue(
        tx,
        Schema::AVAILABILITY,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await?;
    Ok(())
}

impl Availability {
    pub fn new(pool: PgPool, config: AvailabilityConfig) -> Self {
        Self {
            pool,
            config,
            profiles: Default::default(),
        }
    }

    /// Every profile, from memory while `profiles_version` has not moved.
    async fn profiles(
        &self,
        conn: &mut sqlx::PgConnection,
    ) -> anyhow::Result<Arc<Vec<(MediatorProfile, LocalRules)>>> {
        let current = store::profiles_version(&mut *conn).await?;
        {
            let cache = self.profiles.read().await;
            if cache.version == Some(current) {
                return Ok(cache.profiles.clone());
            }
        }
        let mut cache = self.profiles.write().await;
        if cache.version != Some(current) {
            let (version, profiles) = store::all_profiles_versioned(&mut *conn, current).await?;
            *cache = ProfileCache {
                version: Some(version),
                profiles: Arc::new(profiles),
            };
        }
        Ok(cache.profiles.clone())
    }

    /// Serve every `availability.rpc.*` request in `tasks`.
    pub fn serve(self, platform: &Platform, tasks: &mut Tasks, shutdown: &CancellationToken) {
        mittler_platform::serve_methods!(
            tasks,
            platform.nats.client,
            shutdown,
            self,
            32,
            [
                (Candidates, candidates),
                (Reserve, reserve),
                (Release, release),
                (GetCalendar, get_calendar),
                (PutCalendar, put_calendar),
                (SetPresence, set_presence),
                (GetProfile, get_profile),
                (PutProfile, put_profile),
                (ListProfiles, list_profiles),
            ]
        );
    }

    /// Every mediator, eligible or excluded with reasons.
    #[tracing::instrument(skip_all, fields(language = %needs.language))]
    pub async fn candidates(&self, needs: Needs) -> Result<CandidatesResponse, AvailabilityError> {
        if needs.start >= needs.end {
            return Err(invalid("end", text!("field.after_start")).into());
        }
        if needs.modality == Modality::OnSite && needs.location.is_none() {
            return Err(invalid("location", text!("appointment.location_required")).into());
        }
        let mut conn = self.pool.acquire().await?;
        // Only those who speak the language are looked at; the rest are out on language.
        // Another pool's mediators are not looked at, nor counted.
        let everyone = self.profiles(&mut conn).await?;
        let in_pool: Vec<&(MediatorProfile, LocalRules)> = everyone
            .iter()
            .filter(|(p, _)| needs.pool_id.is_none_or(|pool| p.member_of(pool)))
            .collect();
        let profiles: Vec<&(MediatorProfile, LocalRules)> = in_pool
            .iter()
            .copied()
            .filter(|(p, _)| p.languages.iter().any(|l| l.code == needs.language))
            .collect();
        let other_languages = (in_pool.len() - profiles.len()) as u32;
        let speakers: Vec<Uuid> = profiles.iter().map(|(p, _)| p.id.as_uuid()).collect();
        let around = (
            needs.start - Duration::days(1),
            needs.end + Duration::days(1),
        );
        let absences = store::absences(&mut *conn, Some(&speakers), around.0, around.1).await?;
        let reservations =
            store::live_reservations(&mut *conn, Some(&speakers), around.0, around.1).await?;
        let online: HashSet<MediatorId> =
            store::online_now(&mut *conn).await?.into_iter().collect();
        // Weekly minutes: one aggregate per time zone in use (usually one).
        let mut week_minutes: HashMap<MediatorId, i64> = HashMap::new();
        let mut zones_done = HashSet::new();
        for (profile, _) in &profiles {
            if zones_done.insert(profile.time_zone) {
                let probe = Calendar {
                    time_zone: profile.time_zone,
                    weekly_rules: vec![],
                    overrides: vec![],
                    absences: vec![],
                };
                let (from, to) = eligibility::week_bounds(needs.start, &probe);
                let minutes = store::week_minutes(
                    &mut *conn,
                    &speakers,
                    profile.time_zone,
                    from,
                    to,
                    needs.booking_id,
                )
                .await?;
                week_minutes.extend(minutes);
            }
        }
        drop(conn);

        let now = Utc::now();
        let mut eligible = Vec::new();
        let mut excluded: Vec<Excluded> = Vec::new();
        for (profile, rules) in &profiles {
            let calendar = store::calendar_of(
                profile,
                rules.clone(),
                absences.get(&profile.id).cloned().unwrap_or_default(),
            );
            let booked = reservations
                .get(&profile.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let state = MediatorState {
                profile,
                calendar: &calendar,
                reservations: booked,
                week_minutes: week_minutes.get(&profile.id).copied().unwrap_or(0),
                online: online.contains(&profile.id),
                windows: None,
            };
            match eligibility::evaluate(&state, &needs, now, self.config.travel_speed_kmh) {
                Ok(candidate) => eligible.push(candidate),
                Err(reasons) => {
                    // How far, where distance is the reason, so a coordinator can
                    // judge whether to ask anyway.
                    let far = reasons.contains(&Exclusion::Distance);
                    let distance_km = needs
                        .location
                        .filter(|_| far)
                        .map(|place| eligibility::haversine_km(profile.home, place));
                    excluded.push(Excluded {
                        mediator_id: profile.id,
                        reasons,
                        distance_km,
                        max_travel_km: far.then_some(profile.max_travel_km),
                    })
                }
            }
        }
        excluded.sort_by_key(|e| e.mediator_id);
        self.fill_offered_minutes(&mut eligible, &profiles, now)
            .await?;
        Ok(CandidatesResponse {
            eligible,
            excluded,
            other_languages,
        })
    }

    /// What each candidate's calendar offered over the last 30 days, for fairness.
    async fn fill_offered_minutes(
        &self,
        eligible: &mut [Candidate],
        profiles: &[&(MediatorProfile, LocalRules)],
        now: chrono::DateTime<Utc>,
    ) -> Result<(), AvailabilityError> {
        if eligible.is_empty() {
            return Ok(());
        }
        let from = now - Duration::days(30);
        let ids: Vec<Uuid> = eligible.iter().map(|c| c.mediator_id.as_uuid()).collect();
        let absences = store::absences(&self.pool, Some(&ids), from, now).await?;
        let by_id: HashMap<MediatorId, &(MediatorProfile, LocalRules)> =
            profiles.iter().map(|p| (p.0.id, *p)).collect();
        for candidate in eligible {
            if let Some((profile, rules)) = by_id.get(&candidate.mediator_id) {
                let calendar = store::calendar_of(
                    profile,
                    rules.clone(),
                    absences
                        .get(&candidate.mediator_id)
                        .cloned()
                        .unwrap_or_default(),
                );
                candidate.offered_minutes_30_days = calendar::offered_minutes(&calendar, from, now);
            }
        }
        Ok(())
    }

    /// Hold the slot: refused if it overlaps another live reservation of the mediator
    /// (the exclusion constraint decides) or leaves too little time to travel between
    /// on-site jobs (checked under the mediator's row lock). Reserving the same booking
    /// again for the same mediator and time returns the existing reservation.
    #[tracing::instrument(skip_all, fields(mediator_id = %request.mediator_id, booking_id = %request.booking_id))]
    pub async fn reserve(&self, request: ReserveRequest) -> Result<Reservation, AvailabilityError> {
        if request.start >= request.end {
            return Err(invalid("end", text!("field.after_start")).into());
        }
        let mut tx = self.pool.begin().await?;
        match store::lock_mediator(&mut *tx, request.mediator_id).await? {
            None => return Err(AvailabilityError::NotFound),
            // A deactivated mediator takes no new work (an accept, an assignment).
            Some(standing) if !standing.active => {
                return Err(
                    RpcFault::invalid_field("mediator_id", text!("reservations.inactive")).into(),
                );
            }
            // Nor does one outside the booking's pool.
            Some(standing) if !standing.may_take(request.pool_id) => {
                return Err(RpcFault::invalid_field(
                    "mediator_id",
                    text!("reservations.not_in_pool"),
                )
                .into());
            }
            Some(_) => {}
        }
        if let Some((id, mediator, start, end)) =
            store::live_reservation_of_booking(&mut *tx, request.booking_id).await?
        {
            if mediator == request.mediator_id && start == request.start && end == request.end {
                return Ok(Reservation {
                    id,
                    mediator_id: mediator,
                    booking_id: request.booking_id,
                    start,
                    end,
                });
            }
            return Err(
                RpcFault::new(FaultCode::Overlap, text!("reservations.booking_held")).into(),
            );
        }
        if request.modality == Modality::OnSite
            && let Some(place) = request.location
        {
            let horizon = Duration::hours(24);
            let one = [request.mediator_id.as_uuid()];
            let nearby = store::live_reservations(
                &mut *tx,
                Some(&one),
                request.start - horizon,
                request.end + horizon,
            )
            .await?;
            let booked = nearby
                .get(&request.mediator_id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            if !eligibility::travel_ok(
                booked,
                place,
                request.start,
                request.end,
                self.config.travel_speed_kmh,
                None,
            ) {
                return Err(RpcFault::new(FaultCode::Travel, text!("reservations.travel")).into());
            }
        }
        let id = request.reservation_id.unwrap_or_default();
        match store::insert_reservation(
            &mut tx,
            id,
            request.mediator_id,
            request.booking_id,
            request.start,
            request.end,
            request.modality,
            request.location,
        )
        .await
        {
            Ok(()) => {}
            Err(InsertReservationError::Overlap) => {
                return Err(
                    RpcFault::new(FaultCode::Overlap, text!("reservations.overlap")).into(),
                );
            }
            Err(InsertReservationError::BookingHeld(_)) => {
                return Err(
                    RpcFault::new(FaultCode::Overlap, text!("reservations.booking_held")).into(),
                );
            }
            Err(InsertReservationError::Database(error)) => return Err(error.into()),
        }
        emit(
            &mut tx,
            ReservationMade {
                reservation_id: id,
                mediator_id: request.mediator_id,
                booking_id: request.booking_id,
                start: request.start,
                end: request.end,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Reservation {
            id,
            mediator_id: request.mediator_id,
            booking_id: request.booking_id,
            start: request.start,
            end: request.end,
        })
    }

    /// Give a reservation back; releasing twice is not an error.
    pub async fn release(&self, request: ReleaseRequest) -> Result<Released, AvailabilityError> {
        let mut tx = self.pool.begin().await?;
        match store::release(&mut *tx, request.reservation_id).await? {
            Some((mediator_id, booking_id)) => {
                emit(
                    &mut tx,
                    ReservationReleased {
                        reservation_id: request.reservation_id,
                        mediator_id,
                        booking_id,
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(Released { released_now: true })
            }
            None if store::reservation_exists(&mut *tx, request.reservation_id).await? => {
                Ok(Released {
                    released_now: false,
                })
            }
            None => Err(AvailabilityError::NotFound),
        }
    }

    pub async fn get_calendar(&self, request: MediatorRef) -> Result<Calendar, AvailabilityError> {
        let mut conn = self.pool.acquire().await?;
        let (profile, rules) = store::profile(&mut *conn, request.mediator_id)
            .await?
            .ok_or(AvailabilityError::NotFound)?;
        let far = (
            Utc::now() - Duration::days(3650),
            Utc::now() + Duration::days(3650),
        );
        let one = [request.mediator_id.as_uuid()];
        let mut absences = store::absences(&mut *conn, Some(&one), far.0, far.1).await?;
        Ok(store::calendar_of(
            &profile,
            rules,
            absences.remove(&request.mediator_id).unwrap_or_default(),
        ))
    }

    pub async fn put_calendar(
        &self,
        request: PutCalendarRequest,
    ) -> Result<Calendar, AvailabilityError> {
        validate_calendar(&request.calendar)?;
        let calendar = request.calendar;
        let mut tx = self.pool.begin().await?;
        let rules = LocalRules {
            weekly_rules: calendar.weekly_rules.clone(),
            overrides: calendar.overrides.clone(),
        };
        if !store::set_calendar(&mut *tx, request.mediator_id, calendar.time_zone, &rules).await? {
            return Err(AvailabilityError::NotFound);
        }
        let mut absences: Vec<Absence> = calendar.absences.clone();
        absences.sort_by_key(|a| (a.start, a.end));
        store::replace_absences(&mut tx, request.mediator_id, &absences).await?;
        emit(
            &mut tx,
            CalendarChanged {
                mediator_id: request.mediator_id,
            },
        )
        .await?;
        tx.commit().await?;
        self.get_calendar(MediatorRef {
            mediator_id: request.mediator_id,
        })
        .await
    }

    /// A heartbeat: online until now + TTL; offline at once. An event only when the
    /// state flips, not on every heartbeat.
    pub async fn set_presence(
        &self,
        request: SetPresenceRequest,
    ) -> Result<Presence, AvailabilityError> {
        let ttl = Duration::seconds(self.config.presence_ttl_secs);
        let now = Utc::now();
        let expires_at = if request.online { now + ttl } else { now };
        let mut tx = self.pool.begin().await?;
        if store::lock_mediator(&mut *tx, request.mediator_id)
            .await?
            .is_none()
        {
            return Err(AvailabilityError::NotFound);
        }
        let was_online =
            store::set_presence(&mut tx, request.mediator_id, request.online, expires_at).await?;
        if was_online != request.online {
            emit(
                &mut tx,
                PresenceChanged {
                    mediator_id: request.mediator_id,
                    online: request.online,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Presence {
            online: request.online,
            expires_at: request.online.then_some(expires_at),
        })
    }

    pub async fn get_profile(
        &self,
        request: MediatorRef,
    ) -> Result<MediatorProfile, AvailabilityError> {
        let found = store::profile(&self.pool, request.mediator_id).await?;
        found
            .map(|(profile, _)| profile)
            .ok_or(AvailabilityError::NotFound)
    }

    pub async fn put_profile(
        &self,
        profile: MediatorProfile,
    ) -> Result<MediatorProfile, AvailabilityError> {
        validate_profile(&profile)?;
        let mut tx = self.pool.begin().await?;
        store::upsert_profile(&mut *tx, &profile).await?;
        emit(
            &mut tx,
            ProfileChanged {
                mediator_id: profile.id,
                active: profile.active,
                serving: Some(
                    profile
                        .pools
                        .iter()
                        .filter(|m| m.active)
                        .map(|m| m.pool_id)
                        .collect(),
                ),
            },
        )
        .await?;
        tx.commit().await?;
        self.get_profile(MediatorRef {
            mediator_id: profile.id,
        })
        .await
    }

    pub async fn list_profiles(
        &self,
        request: ListProfilesRequest,
    ) -> Result<Vec<MediatorProfile>, AvailabilityError> {
        Ok(store::profiles(&self.pool)
            .await?
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| request.pool_id.is_none_or(|pool| p.member_of(pool)))
            .collect())
    }
}
