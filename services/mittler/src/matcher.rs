//! The offline matcher: solves an instance of the matching benchmark
//! (`shared/workload/FORMAT.md`) with the same eligibility rules as availability
//! (`mittler_availability::eligibility`) and the same ranking as dispatch
//! (`mittler_booking::dispatch::ranking`), then improves the result in batch.
//!
//! 0. Continuity: each booking whose client was served before goes to that mediator
//!    where they fit (costs a little coverage, keeps a client's interpreter).
//! 1. Greedy: bookings by priority (highest first), then by how few mediators could
//!    take them at all, then by start; each goes to the best-ranked eligible mediator
//!    given what is assigned so far (continuity first, then the least loaded).
//! 2. Repair: for each unassigned booking and each mediator who could take it but
//!    for exactly one conflicting assigned booking, move that booking to another
//!    mediator and take its place (an ejection chain of length one), or swap it out
//!    where the unassigned booking weighs more. Repeated until nothing improves or
//!    the time budget is spent.

use anyhow::Context as _;
use chrono::{DateTime, FixedOffset, Utc};
use mittler_availability::calendar::Window;
use mittler_availability::eligibility::{self, Booked, MediatorState};
use mittler_booking::dispatch::ranking::{self, Workload};
use mittler_contracts::availability::{Calendar, GeoPoint, LanguageSkill, MediatorProfile, Needs};
use mittler_types::{
    BookingId, Gender, GenderPreference, LanguageTag, MediatorId, Modality, Qualification, TimeZone,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct Instance {
    pub name: String,
    pub time_zone: String,
    pub mediators: Vec<InstanceMediator>,
    pub bookings: Vec<InstanceBooking>,
}

#[derive(Debug, Deserialize)]
pub struct InstanceLanguage {
    pub code: String,
    pub qualification: Qualification,
}

#[derive(Debug, Deserialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Deserialize)]
pub struct InstanceWindow {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
}

#[derive(Debug, Deserialize)]
pub struct InstanceMediator {
    pub id: String,
    pub languages: Vec<InstanceLanguage>,
    pub gender: Gender,
    pub home: Point,
    pub max_travel_km: f64,
    pub modalities: Vec<Modality>,
    pub max_minutes_per_week: f64,
    pub availability: Vec<InstanceWindow>,
}

#[derive(Debug, Deserialize)]
pub struct InstanceBooking {
    pub id: String,
    pub language: String,
    pub modality: Modality,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub location: Option<Point>,
    pub min_qualification: Qualification,
    pub mediator_gender: GenderPreference,
    pub priority: i64,
    pub previous_mediator: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Assignment {
    pub booking: String,
    pub mediator: String,
}

#[derive(Debug, Serialize)]
pub struct Solution {
    pub solver: &'static str,
    pub assignments: Vec<Assignment>,
}

fn mediator_uuid(index: usize) -> MediatorId {
    MediatorId(Uuid::from_u128(index as u128 + 1))
}

fn booking_uuid(index: usize) -> BookingId {
    BookingId(Uuid::from_u128(index as u128 + 1))
}

struct Problem {
    profiles: Vec<MediatorProfile>,
    windows: Vec<Vec<Window>>,
    calendar: Calendar,
    needs: Vec<Option<Needs>>,
    priority: Vec<i64>,
    previous: Vec<Option<MediatorId>>,
    speakers: HashMap<String, Vec<usize>>,
}

struct State {
    /// The mediator of each booking.
    assigned: Vec<Option<usize>>,
    /// Each mediator's reservations.
    booked: Vec<Vec<Booked>>,
    minutes: Vec<i64>,
}

const SPEED_KMH: f64 = 40.0;

impl Problem {
    fn new(instance: &Instance) -> anyhow::Result<Self> {
        let zone = TimeZone::parse(&instance.time_zone).context("instance time zone")?;
        let calendar = Calendar {
            time_zone: zone,
            weekly_rules: vec![],
            overrides: vec![],
            absences: vec![],
        };
        let mut speakers: HashMap<String, Vec<usize>> = HashMap::new();
        let mut profiles = Vec::new();
        let mut windows = Vec::new();
        for (i, m) in instance.mediators.iter().enumerate() {
            let languages: Vec<LanguageSkill> = m
                .languages
                .iter()
                .filter_map(|l| {
                    LanguageTag::parse(&l.code).ok().map(|code| LanguageSkill {
                        code,
                        qualification: l.qualification,
                    })
                })
                .collect();
            for l in &m.languages {
                speakers.entry(l.code.clone()).or_default().push(i);
            }
            profiles.push(MediatorProfile {
                id: mediator_uuid(i),
                display_name: m.id.clone(),
                email: String::new(),
                phone: None,
                gender: m.gender,
                languages,
                modalities: m.modalities.clone(),
                subject_areas: vec![],
                home: GeoPoint {
                    lat: m.home.lat,
                    lon: m.home.lon,
                },
                postal_code: String::new(),
                max_travel_km: m.max_travel_km,
                max_minutes_per_week: m.max_minutes_per_week.floor() as i64,
                accepts_same_day: true,
                time_zone: zone,
                notify_by_email: false,
                active: true,
                pools: Vec::new(),
            });
            let mut own: Vec<Window> = m
                .availability
                .iter()
                .map(|w| Window {
                    start: w.start.with_timezone(&Utc),
                    end: w.end.with_timezone(&Utc),
                })
                .collect();
            own.sort();
            windows.push(own);
        }
        let by_id: HashMap<&str, usize> = instance
            .mediators
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.as_str(), i))
            .collect();
        let mut needs = Vec::new();
        for (i, b) in instance.bookings.iter().enumerate() {
            needs.push(LanguageTag::parse(&b.language).ok().map(|language| Needs {
                language,
                min_qualification: b.min_qualification,
                modality: b.modality,
                start: b.start.with_timezone(&Utc),
                end: b.end.with_timezone(&Utc),
                location: b.location.as_ref().map(|p| GeoPoint {
                    lat: p.lat,
                    lon: p.lon,
                }),
                mediator_gender: b.mediator_gender,
                online_now: false,
                booking_id: Some(booking_uuid(i)),
                pool_id: None,
            }));
        }
        Ok(Self {
            profiles,
            windows,
            calendar,
            needs,
            priority: instance.bookings.iter().map(|b| b.priority).collect(),
            previous: instance
                .bookings
                .iter()
                .map(|b| {
                    b.previous_mediator
                        .as_deref()
                        .and_then(|id| by_id.get(id))
                        .map(|&i| mediator_uuid(i))
                })
                .collect(),
            speakers,
        })
    }

    /// Whether mediator `m` can take booking `b` given `booked` (the benchmark's rules).
    fn fits(
        &self,
        b: usize,
        m: usize,
        booked: &[Booked],
    ) -> Result<mittler_contracts::availability::Candidate, ()> {
        let Some(needs) = &self.needs[b] else {
            return Err(());
        };
        let state = MediatorState {
            profile: &self.profiles[m],
            calendar: &self.calendar,
            reservations: booked,
            week_minutes: eligibility::week_minutes(booked, needs.start, &self.calendar, None),
            online: false,
            windows: Some(&self.windows[m]),
        };
        let mut candidate =
            eligibility::evaluate(&state, needs, needs.start, SPEED_KMH).map_err(|_| ())?;
        // The instance's horizon stands in for the last 30 days: its availability is
        // each mediator's weight in the fair share.
        candidate.offered_minutes_30_days = self.windows[m].iter().map(Window::minutes).sum();
        Ok(candidate)
    }

    fn booked(&self, b: usize) -> Booked {
        let needs = self.needs[b]
            .as_ref()
            .expect("assigned bookings have needs");
        Booked {
            booking_id: booking_uuid(b),
            start: needs.start,
            end: needs.end,
            modality: needs.modality,
            location: needs.location,
        }
    }
}

impl State {
    fn assign(&mut self, problem: &Problem, b: usize, m: usize) {
        let booked = problem.booked(b);
        self.minutes[m] += (booked.end - booked.start).num_minutes();
        self.booked[m].push(booked);
        self.assigned[b] = Some(m);
    }

    fn unassign(&mut self, problem: &Problem, b: usize) {
        if let Some(m) = self.assigned[b].take() {
            let id = booking_uuid(b);
            if let Some(pos) = self.booked[m].iter().position(|r| r.booking_id == id) {
                let r = self.booked[m].remove(pos);
                self.minutes[m] -= (r.end - r.start).num_minutes();
            }
            let _ = problem;
        }
    }
}

/// Solve `instance` within `budget` (the repair pass stops when it runs out).
pub fn solve(instance: &Instance, budget: Duration) -> anyhow::Result<Solution> {
    let started = Instant::now();
    let problem = Problem::new(instance)?;
    let bookings = instance.bookings.len();
    let mediators = instance.mediators.len();
    // Who could take each booking at all (nothing assigned yet).
    let statically: Vec<Vec<usize>> = (0..bookings)
        .map(|b| {
            problem
                .speakers
                .get(&instance.bookings[b].language)
                .map(|ms| {
                    ms.iter()
                        .copied()
                        .filter(|&m| problem.fits(b, m, &[]).is_ok())
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let mut state = State {
        assigned: vec![None; bookings],
        booked: vec![Vec::new(); mediators],
        minutes: vec![0; mediators],
    };
    let mut order: Vec<usize> = (0..bookings)
        .filter(|&b| !statically[b].is_empty())
        .collect();
    order.sort_by_key(|&b| {
        (
            std::cmp::Reverse(problem.priority[b]),
            statically[b].len(),
            instance.bookings[b].start,
        )
    });

    // 0. Continuity: a client's previous mediator first, where they fit.
    for &b in &order {
        if let Some(previous) = problem.previous[b] {
            let m = (previous.as_uuid().as_u128() - 1) as usize;
            if statically[b].contains(&m) && problem.fits(b, m, &state.booked[m]).is_ok() {
                state.assign(&problem, b, m);
            }
        }
    }

    // 1. Greedy with dispatch's ranking.
    for &b in &order {
        if state.assigned[b].is_some() {
            continue;
        }
        let candidates: Vec<_> = statically[b]
            .iter()
            .filter_map(|&m| problem.fits(b, m, &state.booked[m]).ok())
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let workload: HashMap<MediatorId, Workload> = candidates
            .iter()
            .map(|c| {
                let m = (c.mediator_id.as_uuid().as_u128() - 1) as usize;
                (
                    c.mediator_id,
                    Workload {
                        minutes_30_days: state.minutes[m],
                        last_assigned: None,
                    },
                )
            })
            .collect();
        let needs = problem.needs[b].as_ref().expect("needs");
        let ranked = ranking::rank(
            candidates,
            needs.min_qualification,
            problem.previous[b],
            &workload,
        );
        let m = (ranked[0].candidate.mediator_id.as_uuid().as_u128() - 1) as usize;
        state.assign(&problem, b, m);
    }

    // 2. Repair: ejection chains of length one.
    let mut improved = true;
    while improved && started.elapsed() < budget {
        improved = false;
        for &b in &order {
            if state.assigned[b].is_some() {
                continue;
            }
            if started.elapsed() >= budget {
                break;
            }
            'mediators: for &m in &statically[b] {
                let mine = problem.booked(b);
                // The assigned bookings of m that stand in b's way.
                let blockers: Vec<usize> = state.booked[m]
                    .iter()
                    .filter(|r| {
                        let overlap = r.start < mine.end && mine.start < r.end;
                        let travel = mine.modality == Modality::OnSite
                            && mine.location.is_some_and(|place| {
                                !eligibility::travel_ok(
                                    std::slice::from_ref(r),
                                    place,
                                    mine.start,
                                    mine.end,
                                    SPEED_KMH,
                                    None,
                                )
                            });
                        overlap || travel
                    })
                    .map(|r| (r.booking_id.as_uuid().as_u128() - 1) as usize)
                    .collect();
                if blockers.len() != 1 {
                    continue;
                }
                let c = blockers[0];
                state.unassign(&problem, c);
                if problem.fits(b, m, &state.booked[m]).is_err() {
                    state.assign(&problem, c, m);
                    continue;
                }
                state.assign(&problem, b, m);
                for &m2 in &statically[c] {
                    if m2 != m && problem.fits(c, m2, &state.booked[m2]).is_ok() {
                        state.assign(&problem, c, m2);
                        improved = true;
                        break 'mediators;
                    }
                }
                if problem.priority[b] > problem.priority[c] {
                    improved = true;
                    break 'mediators;
                }
                state.unassign(&problem, b);
                state.assign(&problem, c, m);
            }
        }
    }

    let assignments = state
        .assigned
        .iter()
        .enumerate()
        .filter_map(|(b, m)| {
            m.map(|m| Assignment {
                booking: instance.bookings[b].id.clone(),
                mediator: instance.mediators[m].id.clone(),
            })
        })
        .collect();
    Ok(Solution {
        solver: "mittler",
        assignments,
    })
}

/// `mittler match --instance FILE --out FILE`.
pub fn run(
    instance_path: &std::path::Path,
    out: &std::path::Path,
    budget: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let text = std::fs::read_to_string(instance_path)
        .with_context(|| format!("reading {}", instance_path.display()))?;
    let instance: Instance = serde_json::from_str(&text).context("parsing the instance")?;
    let solution = solve(&instance, budget)?;
    let weighted: i64 = solution
        .assignments
        .iter()
        .filter_map(|a| {
            instance
                .bookings
                .iter()
                .find(|b| b.id == a.booking)
                .map(|b| b.priority)
        })
        .sum();
    std::fs::write(out, serde_json::to_string(&solution)?)
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "mittler match: {}/{} bookings assigned, weighted coverage {weighted}, {:.2}s ({})",
        solution.assignments.len(),
        instance.bookings.len(),
        started.elapsed().as_secs_f64(),
        instance.name
    );
    Ok(())
}
