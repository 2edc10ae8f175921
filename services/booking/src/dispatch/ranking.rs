//! Ranking eligible mediators: continuity first (who served this client before),
//! then a score of qualification fit, fairness (fewer assigned minutes in the last
//! 30 days first) and travel distance, then least recently assigned. Each part is
//! kept in words, for the explanation coordinators read.

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
            let hours = load.minutes_30_days as f64 / 60.0;
            let fairness = 1.0 / (1.0 + hours / 10.0);
            why.push(format!("{hours:.1} h assigned in the last 30 days"));
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
        }
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
