//! Whether a mediator can take a booking, and if not, every reason why. Pure
//! functions over a profile, its calendar and its live reservations; the hard rules
//! are those of the matching benchmark (`shared/workload/FORMAT.md`): language and
//! qualification, gender, modality, one availability window covering the job,
//! distance, no overlap, travel time between on-site jobs (every pair), weekly
//! minutes per ISO week in the mediator's zone. Mittler adds: inactive profiles,
//! absences, same-day notice, and presence for on-demand calls.

use crate::calendar::{self, Window};
use chrono::{DateTime, Datelike, Utc};
use mittler_contracts::availability::{
    Calendar, Candidate, Exclusion, GeoPoint, MediatorProfile, Needs,
};
use mittler_types::{BookingId, Gender, GenderPreference, Modality};

/// A live reservation, as eligibility needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Booked {
    pub booking_id: BookingId,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub modality: Modality,
    pub location: Option<GeoPoint>,
}

/// Great-circle distance in km (the benchmark's formula, IEEE-754 doubles).
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (phi_a, phi_b) = (a.lat.to_radians(), b.lat.to_radians());
    let d_phi = (b.lat - a.lat).to_radians();
    let d_lambda = (b.lon - a.lon).to_radians();
    let h =
        (d_phi / 2.0).sin().powi(2) + phi_a.cos() * phi_b.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().min(1.0).asin()
}

/// Whole minutes to travel between two places at `speed_kmh`, rounded up.
pub fn travel_minutes(a: GeoPoint, b: GeoPoint, speed_kmh: f64) -> i64 {
    let km = haversine_km(a, b);
    if km <= 1e-9 {
        0
    } else {
        (km * 60.0 / speed_kmh - 1e-9).ceil() as i64
    }
}

/// Whether a new on-site job at `place` in `[start, end)` leaves enough time to travel
/// to and from every other on-site job of the mediator.
pub fn travel_ok(
    reservations: &[Booked],
    place: GeoPoint,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    speed_kmh: f64,
    ignore: Option<BookingId>,
) -> bool {
    reservations
        .iter()
        .filter(|r| Some(r.booking_id) != ignore && r.modality == Modality::OnSite)
        .filter_map(|r| r.location.map(|loc| (r, loc)))
        .all(|(r, loc)| {
            let gap = if r.end <= start {
                (start - r.end).num_minutes()
            } else if end <= r.start {
                (r.start - end).num_minutes()
            } else {
                return true; // an overlap is reported as such
            };
            gap >= travel_minutes(loc, place, speed_kmh)
        })
}

fn iso_week(instant: DateTime<Utc>, calendar: &Calendar) -> (i32, u32) {
    let week = instant.with_timezone(&calendar.time_zone.tz()).iso_week();
    (week.year(), week.week())
}

/// Everything eligibility looks at for one mediator.
#[derive(Debug)]
pub struct MediatorState<'a> {
    pub profile: &'a MediatorProfile,
    pub calendar: &'a Calendar,
    /// Live reservations around the booking (for overlap and travel).
    pub reservations: &'a [Booked],
    /// Minutes already reserved in the booking's ISO week, the booking's own excluded.
    pub week_minutes: i64,
    pub online: bool,
    /// Availability windows given as instants (the offline matcher's instances); when
    /// `None`, they come from expanding the calendar.
    pub windows: Option<&'a [Window]>,
}

/// Minutes of `reservations` starting in the ISO week (in the calendar's zone) of
/// `start`, leaving out `ignore`.
pub fn week_minutes(
    reservations: &[Booked],
    start: DateTime<Utc>,
    calendar: &Calendar,
    ignore: Option<BookingId>,
) -> i64 {
    let week = iso_week(start, calendar);
    reservations
        .iter()
        .filter(|r| Some(r.booking_id) != ignore && iso_week(r.start, calendar) == week)
        .map(|r| (r.end - r.start).num_minutes())
        .sum()
}

/// The ISO week `[monday 00:00, next monday 00:00)` in `calendar`'s zone that holds `at`.
pub fn week_bounds(at: DateTime<Utc>, calendar: &Calendar) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::{Duration, TimeZone as _};
    let tz = calendar.time_zone.tz();
    let local = at.with_timezone(&tz).date_naive();
    let monday = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
    let midnight = |date: chrono::NaiveDate| {
        tz.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(at)
    };
    (midnight(monday), midnight(monday + Duration::days(7)))
}

/// The mediator as a candidate, or every reason that excludes them.
pub fn evaluate(
    state: &MediatorState<'_>,
    needs: &Needs,
    now: DateTime<Utc>,
    speed_kmh: f64,
) -> Result<Candidate, Vec<Exclusion>> {
    let profile = state.profile;
    let mut reasons = Vec::new();
    if !profile.active {
        reasons.push(Exclusion::Inactive);
    } else if let Some(pool) = needs.pool_id
        && !profile.serves(pool)
    {
        reasons.push(Exclusion::Pool);
    }
    let skill = profile.languages.iter().find(|s| s.code == needs.language);
    match skill {
        None => reasons.push(Exclusion::Language),
        Some(skill) if skill.qualification < needs.min_qualification => {
            reasons.push(Exclusion::Qualification)
        }
        Some(_) => {}
    }
    let gender_ok = match needs.mediator_gender {
        GenderPreference::Any => true,
        GenderPreference::Female => profile.gender == Gender::Female,
        GenderPreference::Male => profile.gender == Gender::Male,
    };
    if !gender_ok {
        reasons.push(Exclusion::Gender);
    }
    if !profile.modalities.contains(&needs.modality) {
        reasons.push(Exclusion::Modality);
    }

    let expanded;
    let windows: &[Window] = match state.windows {
        Some(given) => given,
        None => {
            expanded = calendar::expand(state.calendar, needs.start, needs.end);
            &expanded
        }
    };
    let covering = windows.iter().find(|w| w.covers(needs.start, needs.end));
    if covering.is_none() {
        if calendar::absent(&state.calendar.absences, needs.start, needs.end) {
            reasons.push(Exclusion::Absence);
        } else {
            reasons.push(Exclusion::Availability);
        }
    }
    if !profile.accepts_same_day {
        let tz = state.calendar.time_zone.tz();
        if needs.start.with_timezone(&tz).date_naive() <= now.with_timezone(&tz).date_naive() {
            reasons.push(Exclusion::Notice);
        }
    }

    let mut distance_km = None;
    if needs.modality == Modality::OnSite {
        match needs.location {
            Some(place) => {
                let km = haversine_km(profile.home, place);
                distance_km = Some(km);
                if km > profile.max_travel_km + 1e-9 {
                    reasons.push(Exclusion::Distance);
                }
            }
            None => reasons.push(Exclusion::Distance),
        }
    }

    let others: Vec<&Booked> = state
        .reservations
        .iter()
        .filter(|r| Some(r.booking_id) != needs.booking_id)
        .collect();
    if others
        .iter()
        .any(|r| r.start < needs.end && needs.start < r.end)
    {
        reasons.push(Exclusion::Overlap);
    }
    if needs.modality == Modality::OnSite
        && let Some(place) = needs.location
        && !travel_ok(
            state.reservations,
            place,
            needs.start,
            needs.end,
            speed_kmh,
            needs.booking_id,
        )
    {
        reasons.push(Exclusion::Travel);
    }
    let week_minutes = state.week_minutes;
    if week_minutes + (needs.end - needs.start).num_minutes() > profile.max_minutes_per_week {
        reasons.push(Exclusion::WeeklyMinutes);
    }
    if needs.online_now && !state.online {
        reasons.push(Exclusion::Offline);
    }

    if reasons.is_empty() {
        Ok(Candidate {
            mediator_id: profile.id,
            qualification: skill
                .map(|s| s.qualification)
                .unwrap_or(needs.min_qualification),
            distance_km,
            week_minutes,
            window_minutes: covering.map(Window::minutes).unwrap_or(0),
            online: state.online,
            // Filled in by the caller, which knows the period.
            offered_minutes_30_days: 0,
        })
    } else {
        Err(reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveTime};
    use mittler_contracts::availability::{Absence, LanguageSkill, WeeklyRule};
    use mittler_types::{LanguageTag, MediatorId, Qualification, TimeZone};

    const LEIPZIG: GeoPoint = GeoPoint {
        lat: 51.3397,
        lon: 12.3731,
    };
    const DRESDEN: GeoPoint = GeoPoint {
        lat: 51.0504,
        lon: 13.7373,
    };

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    const POOL: mittler_types::OrganisationId =
        mittler_types::OrganisationId(uuid::Uuid::from_u128(0x9001));

    fn profile() -> MediatorProfile {
        MediatorProfile {
            id: MediatorId::new(),
            display_name: "Olena".into(),
            email: "olena@example.org".into(),
            phone: None,
            gender: Gender::Female,
            languages: vec![
                LanguageSkill {
                    code: LanguageTag::parse("uk").expect("tag"),
                    qualification: Qualification::Certified,
                },
                LanguageSkill {
                    code: LanguageTag::parse("ru").expect("tag"),
                    qualification: Qualification::Lay,
                },
            ],
            modalities: vec![Modality::OnSite, Modality::Video],
            subject_areas: vec![],
            home: LEIPZIG,
            postal_code: "04109".into(),
            max_travel_km: 60.0,
            max_minutes_per_week: 600,
            accepts_same_day: true,
            time_zone: TimeZone::BERLIN,
            notify_by_email: true,
            active: true,
            pools: vec![mittler_contracts::availability::PoolMembership {
                pool_id: POOL,
                active: true,
            }],
        }
    }

    fn calendar() -> Calendar {
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

    fn run(
        p: &MediatorProfile,
        c: &Calendar,
        r: &[Booked],
        n: &Needs,
    ) -> Result<Candidate, Vec<Exclusion>> {
        let week_minutes = week_minutes(r, n.start, c, n.booking_id);
        let state = MediatorState {
            profile: p,
            calendar: c,
            reservations: r,
            week_minutes,
            online: false,
            windows: None,
        };
        evaluate(&state, n, utc("2026-11-01T00:00:00Z"), 40.0)
    }

    fn booked(start: &str, minutes: i64, modality: Modality, location: Option<GeoPoint>) -> Booked {
        let start = utc(start);
        Booked {
            booking_id: BookingId::new(),
            start,
            end: start + Duration::minutes(minutes),
            modality,
            location,
        }
    }

    #[test]
    fn iso_weeks_are_local_weeks_even_in_the_week_summer_time_ends() {
        let (monday, next) = week_bounds(utc("2026-10-25T12:00:00Z"), &calendar());
        assert_eq!(
            monday,
            utc("2026-10-18T22:00:00Z"),
            "Monday 19 October 00:00 CEST"
        );
        assert_eq!(
            next,
            utc("2026-10-25T23:00:00Z"),
            "Monday 26 October 00:00 CET"
        );
    }

    #[test]
    fn haversine_and_travel_follow_the_benchmark() {
        let km = haversine_km(LEIPZIG, DRESDEN);
        assert!((km - 100.6).abs() < 1.0, "{km}");
        assert_eq!(travel_minutes(LEIPZIG, LEIPZIG, 40.0), 0);
        assert_eq!(
            travel_minutes(LEIPZIG, DRESDEN, 40.0),
            (km * 1.5).ceil() as i64
        );
    }

    #[test]
    fn a_fitting_mediator_is_a_candidate_with_ranking_facts() {
        let candidate = run(
            &profile(),
            &calendar(),
            &[],
            &needs("uk", Modality::OnSite, "2026-12-01T09:00:00Z", 60),
        )
        .expect("eligible");
        assert_eq!(candidate.qualification, Qualification::Certified);
        assert_eq!(candidate.distance_km, Some(0.0));
        assert_eq!(candidate.window_minutes, 600);
    }

    #[test]
    fn every_hard_rule_excludes_with_its_reason() {
        let p = profile();
        let c = calendar();
        let at = "2026-12-01T09:00:00Z";
        assert_eq!(
            run(&p, &c, &[], &needs("ar", Modality::Video, at, 60)),
            Err(vec![Exclusion::Language])
        );
        assert_eq!(
            run(&p, &c, &[], &needs("ru", Modality::Video, at, 60)),
            Err(vec![Exclusion::Qualification])
        );
        let mut paused = p.clone();
        paused.pools[0].active = false;
        assert_eq!(
            run(&paused, &c, &[], &needs("uk", Modality::Video, at, 60)),
            Err(vec![Exclusion::Pool])
        );
        let mut male = needs("uk", Modality::Video, at, 60);
        male.mediator_gender = GenderPreference::Male;
        assert_eq!(run(&p, &c, &[], &male), Err(vec![Exclusion::Gender]));
        assert_eq!(
            run(&p, &c, &[], &needs("uk", Modality::Phone, at, 60)),
            Err(vec![Exclusion::Modality])
        );
        // 16:30–17:30 local is inside; 17:30–18:30 is not (windows are not stretched).
        assert!(
            run(
                &p,
                &c,
                &[],
                &needs("uk", Modality::Video, "2026-12-01T15:30:00Z", 60)
            )
            .is_ok()
        );
        assert_eq!(
            run(
                &p,
                &c,
                &[],
                &needs("uk", Modality::Video, "2026-12-01T16:30:00Z", 60)
            ),
            Err(vec![Exclusion::Availability])
        );
        let mut far = needs("uk", Modality::OnSite, at, 60);
        far.location = Some(DRESDEN);
        assert_eq!(run(&p, &c, &[], &far), Err(vec![Exclusion::Distance]));
        let overlapping = [booked("2026-12-01T09:30:00Z", 60, Modality::Video, None)];
        assert_eq!(
            run(&p, &c, &overlapping, &needs("uk", Modality::Video, at, 60)),
            Err(vec![Exclusion::Overlap])
        );
        let full_week = [
            booked("2026-11-30T08:00:00Z", 300, Modality::Video, None),
            booked("2026-12-02T08:00:00Z", 260, Modality::Video, None),
        ];
        assert_eq!(
            run(&p, &c, &full_week, &needs("uk", Modality::Video, at, 60)),
            Err(vec![Exclusion::WeeklyMinutes])
        );
        let mut inactive = p.clone();
        inactive.active = false;
        assert_eq!(
            run(&inactive, &c, &[], &needs("uk", Modality::Video, at, 60)),
            Err(vec![Exclusion::Inactive])
        );
        let mut away = c.clone();
        away.absences.push(Absence {
            start: utc("2026-12-01T00:00:00Z"),
            end: utc("2026-12-02T00:00:00Z"),
            reason: "illness".into(),
        });
        assert_eq!(
            run(&p, &away, &[], &needs("uk", Modality::Video, at, 60)),
            Err(vec![Exclusion::Absence])
        );
        let mut cautious = p.clone();
        cautious.accepts_same_day = false;
        let this_morning = utc("2026-11-02T07:00:00Z");
        let state = MediatorState {
            profile: &cautious,
            calendar: &c,
            reservations: &[],
            week_minutes: 0,
            online: false,
            windows: None,
        };
        let today = needs("uk", Modality::Video, "2026-11-02T09:00:00Z", 60);
        let tomorrow = needs("uk", Modality::Video, "2026-11-03T09:00:00Z", 60);
        assert_eq!(
            evaluate(&state, &today, this_morning, 40.0),
            Err(vec![Exclusion::Notice])
        );
        assert!(evaluate(&state, &tomorrow, this_morning, 40.0).is_ok());
        let mut call = needs("uk", Modality::Video, at, 60);
        call.online_now = true;
        assert_eq!(run(&p, &c, &[], &call), Err(vec![Exclusion::Offline]));
        // Several reasons at once, all reported.
        assert_eq!(
            run(&p, &c, &overlapping, &needs("ar", Modality::Phone, at, 60)),
            Err(vec![
                Exclusion::Language,
                Exclusion::Modality,
                Exclusion::Overlap
            ])
        );
    }

    #[test]
    fn a_back_to_back_on_site_job_30_km_away_is_refused_but_video_is_fine() {
        let p = profile();
        let c = calendar();
        // 30 km east of Leipzig needs 45 minutes at 40 km/h.
        let elsewhere = GeoPoint {
            lat: 51.3397,
            lon: 12.3731 + 30.0 / (111.32 * 51.3397f64.to_radians().cos()),
        };
        assert!((haversine_km(LEIPZIG, elsewhere) - 30.0).abs() < 0.2);
        let before = [booked(
            "2026-12-01T08:00:00Z",
            60,
            Modality::OnSite,
            Some(elsewhere),
        )];
        assert_eq!(
            run(
                &p,
                &c,
                &before,
                &needs("uk", Modality::OnSite, "2026-12-01T09:00:00Z", 60)
            ),
            Err(vec![Exclusion::Travel])
        );
        assert!(
            run(
                &p,
                &c,
                &before,
                &needs("uk", Modality::Video, "2026-12-01T09:00:00Z", 60)
            )
            .is_ok()
        );
        assert!(
            run(
                &p,
                &c,
                &before,
                &needs("uk", Modality::OnSite, "2026-12-01T09:45:00Z", 60)
            )
            .is_ok()
        );
        // The rule holds for every pair, not only neighbours.
        let two = [
            booked(
                "2026-12-01T08:00:00Z",
                30,
                Modality::OnSite,
                Some(elsewhere),
            ),
            booked("2026-12-01T08:30:00Z", 10, Modality::Video, None),
        ];
        assert_eq!(
            run(
                &p,
                &c,
                &two,
                &needs("uk", Modality::OnSite, "2026-12-01T09:00:00Z", 30)
            ),
            Err(vec![Exclusion::Travel])
        );
    }
}
