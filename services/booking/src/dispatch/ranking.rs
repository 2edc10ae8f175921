//! Ranking eligible mediators: continuity first (who served this client before),
//! then a score of qualification fit, fairness and travel distance, then least
//! recently assigned. Each part is kept in words, for the explanation coordinators
//! read.
//!
//! Fairness is weighted round robin: among the candidates for a booking, each
//! mediator's fair share of the work they were assigned over the last 30 days is in
//! proportion to the availability they offered over those days. The further a
//! mediator falls short of their share, the higher they rank; whoever is ahead of it
//! waits. A mediator who offers twice the hours gets about twice the work.

use chrono::{DateTime, Utc};
use mittler_contracts::availability::Candidate;
use mittler_types::{MediatorId, Qualification};
use std::collections::HashMap;

/// What the booking service knows of a mediator's recent work.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Workload {
    pub minutes_30_days: i64,
    pub last_assigned: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub candidate: Candidate,
    pub continuity: bool,
    pub score: f64,
    pub why: Vec<String>,
}

fn level(q: Qualification) -> i32 {
    match q {
        Qualification::Lay => 1,
        Qualification::Trained => 2,
        Qualification::Certified => 3,
    }
}

/// Rank `candidates` for a booking that needs `required`; `previous` served the
/// client before.
pub fn rank(
    candidates: Vec<Candidate>,
    required: Qualification,
    previous: Option<MediatorId>,
    workload: &HashMap<MediatorId, Workload>,
) -> Vec<Ranked> {
    let assigned = |c: &Candidate| {
        workload
            .get(&c.mediator_id)
            .map_or(0, |w| w.minutes_30_days)
            .max(0) as f64
    };
    let total_assigned: f64 = candidates.iter().map(assigned).sum();
    let total_offered: f64 = candidates
        .iter()
        .map(|c| c.offered_minutes_30_days.max(0) as f64)
        .sum();
    let share = |c: &Candidate| {
        if total_offered > 0.0 {
            c.offered_minutes_30_days.max(0) as f64 / total_offered
        } else {
            1.0 / candidates.len().max(1) as f64
        }
    };
    let fair: HashMap<MediatorId, (f64, f64)> = candidates
        .iter()
        .map(|c| {
            (
                c.mediator_id,
                (share(c), total_assigned * share(c) - assigned(c)),
            )
        })
        .collect();
    let mut ranked: Vec<Ranked> = candidates
        .into_iter()
        .map(|candidate| {
            let load = workload
                .get(&candidate.mediator_id)
                .copied()
                .unwrap_or_default();
            let continuity = previous == Some(candidate.mediator_id);
            let mut why = Vec::new();
            if continuity {
                why.push("served this client before".to_owned());
            }
            // An exact fit keeps the more qualified free for work that needs them.
            let over = level(candidate.qualification) - level(required);
            let fit = if over == 0 { 1.0 } else { 0.6 };
            why.push(
                format!(
                    "qualification {:?} (needed {:?})",
                    candidate.qualification, required
                )
                .to_lowercase(),
            );
            let (share, shortfall) = fair
                .get(&candidate.mediator_id)
                .copied()
                .unwrap_or((0.0, 0.0));
            // Ten hours short of the share: about 0.88; ten hours ahead: about 0.12.
            let fairness = 0.5 + 0.5 * (shortfall / 600.0).tanh();
            why.push(format!(
                "{:.1} h assigned in 30 days; fair share {:.1} h ({:.0} % of {:.1} h offered by all candidates): {}",
                load.minutes_30_days as f64 / 60.0,
                (load.minutes_30_days as f64 + shortfall) / 60.0,
                share * 100.0,
                total_offered / 60.0,
                if shortfall >= 0.5 {
                    format!("{:.1} h short", shortfall / 60.0)
                } else if shortfall <= -0.5 {
                    format!("{:.1} h ahead", -shortfall / 60.0)
                } else {
                    "even".to_owned()
                }
            ));
            let nearness = match candidate.distance_km {
                Some(km) => {
                    why.push(format!("{km:.1} km from home"));
                    1.0 / (1.0 + km / 20.0)
                }
                None => 1.0,
            };
            let score = 2.0 * fairness + 1.0 * fit + 1.0 * nearness;
            why.push(format!("score {score:.3}"));
            Ranked {
                candidate,
                continuity,
                score,
                why,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.continuity
            .cmp(&a.continuity)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| {
                let last = |r: &Ranked| {
                    workload
                        .get(&r.candidate.mediator_id)
                        .and_then(|w| w.last_assigned)
                };
                last(a).cmp(&last(b))
            })
            .then(a.candidate.mediator_id.cmp(&b.candidate.mediator_id))
    });
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(q: Qualification, km: Option<f64>) -> Candidate {
        Candidate {
            mediator_id: MediatorId::new(),
            qualification: q,
            distance_km: km,
            week_minutes: 0,
            window_minutes: 600,
            online: false,
            offered_minutes_30_days: 6000,
        }
    }

    fn load(minutes: i64) -> Workload {
        Workload {
            minutes_30_days: minutes,
            last_assigned: None,
        }
    }

    #[test]
    fn work_follows_the_share_of_offered_availability() {
        // A offers twice B's hours; both have 10 h. A's share of 20 h is 13.3 h: A
        // is short, B ahead, so A goes first.
        let mut a = candidate(Qualification::Trained, None);
        a.offered_minutes_30_days = 12_000;
        let b = candidate(Qualification::Trained, None);
        let workload = HashMap::from([(a.mediator_id, load(600)), (b.mediator_id, load(600))]);
        let ranked = rank(
            vec![b.clone(), a.clone()],
            Qualification::Trained,
            None,
            &workload,
        );
        assert_eq!(ranked[0].candidate.mediator_id, a.mediator_id);
        assert!(
            ranked[0].why.iter().any(|w| w.contains("3.3 h short")),
            "{:?}",
            ranked[0].why
        );
        assert!(ranked[1].why.iter().any(|w| w.contains("3.3 h ahead")));
        // Once A has had 2/3 of the work, the two are even and B (who was assigned
        // longer ago) goes first.
        let workload = HashMap::from([
            (
                a.mediator_id,
                Workload {
                    minutes_30_days: 800,
                    last_assigned: Some("2026-11-20T10:00:00Z".parse().expect("t")),
                },
            ),
            (
                b.mediator_id,
                Workload {
                    minutes_30_days: 400,
                    last_assigned: Some("2026-11-10T10:00:00Z".parse().expect("t")),
                },
            ),
        ]);
        let ranked = rank(
            vec![a.clone(), b.clone()],
            Qualification::Trained,
            None,
            &workload,
        );
        assert!((ranked[0].score - ranked[1].score).abs() < 1e-9);
        assert_eq!(ranked[0].candidate.mediator_id, b.mediator_id);
        assert!(ranked[0].why.iter().any(|w| w.ends_with("even")));
    }

    #[test]
    fn without_offered_hours_everyone_has_an_equal_share() {
        let mut a = candidate(Qualification::Trained, None);
        let mut b = candidate(Qualification::Trained, None);
        a.offered_minutes_30_days = 0;
        b.offered_minutes_30_days = 0;
        let workload = HashMap::from([(a.mediator_id, load(300))]);
        let ranked = rank(
            vec![a.clone(), b.clone()],
            Qualification::Trained,
            None,
            &workload,
        );
        assert_eq!(ranked[0].candidate.mediator_id, b.mediator_id);
    }

    #[test]
    fn continuity_comes_first_then_the_less_loaded() {
        let busy = candidate(Qualification::Trained, None);
        let idle = candidate(Qualification::Trained, None);
        let previous = candidate(Qualification::Trained, None);
        let workload = HashMap::from([
            (
                busy.mediator_id,
                Workload {
                    minutes_30_days: 1200,
                    last_assigned: None,
                },
            ),
            (
                previous.mediator_id,
                Workload {
                    minutes_30_days: 2400,
                    last_assigned: None,
                },
            ),
        ]);
        let order: Vec<MediatorId> = rank(
            vec![busy.clone(), idle.clone(), previous.clone()],
            Qualification::Trained,
            Some(previous.mediator_id),
            &workload,
        )
        .into_iter()
        .map(|r| r.candidate.mediator_id)
        .collect();
        assert_eq!(
            order,
            [previous.mediator_id, idle.mediator_id, busy.mediator_id]
        );
    }

    #[test]
    fn nearer_and_fitting_mediators_rank_higher_and_ties_go_to_the_least_recent() {
        let near = candidate(Qualification::Trained, Some(2.0));
        let far = candidate(Qualification::Trained, Some(45.0));
        let over = candidate(Qualification::Certified, Some(2.0));
        let ranked = rank(
            vec![far.clone(), over.clone(), near.clone()],
            Qualification::Trained,
            None,
            &HashMap::new(),
        );
        assert_eq!(ranked[0].candidate.mediator_id, near.mediator_id);
        assert!(ranked[0].why.iter().any(|w| w.contains("2.0 km")));
        let a = candidate(Qualification::Trained, None);
        let b = candidate(Qualification::Trained, None);
        let workload = HashMap::from([
            (
                a.mediator_id,
                Workload {
                    minutes_30_days: 0,
                    last_assigned: Some("2026-11-20T10:00:00Z".parse().expect("t")),
                },
            ),
            (
                b.mediator_id,
                Workload {
                    minutes_30_days: 0,
                    last_assigned: Some("2026-11-01T10:00:00Z".parse().expect("t")),
                },
            ),
        ]);
        let ranked = rank(
            vec![a.clone(), b.clone()],
            Qualification::Trained,
            None,
            &workload,
        );
        assert_eq!(
            ranked[0].candidate.mediator_id, b.mediator_id,
            "longer ago goes first"
        );
    }
}
