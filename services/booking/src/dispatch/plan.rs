//! Waves: who is asked, how long they have, and when the coordinators hear of it.
//!
//! The decisions are pure functions of the booking, the ranking, the settings and
//! the time ([`plan_wave`], [`after_deadline`], [`escalation_timer`], [`deadline`]),
//! tested below without NATS or PostgreSQL. `Dispatcher::offer_wave` and the timer
//! worker (`timers`) carry them out.

use super::ranking::Ranked;
use crate::settings::DispatchConfig;
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::booking::{DispatchPolicy, RankedMediator};
use mittler_types::{BookingKind, MediatorId};

/// `base` with what `policy` sets laid over it.
pub fn effective(base: &DispatchConfig, policy: DispatchPolicy) -> DispatchConfig {
    DispatchConfig {
        cascade_size: policy
            .cascade_size
            .map_or(base.cascade_size, |n| n as usize),
        cascade_secs: policy.cascade_secs.unwrap_or(base.cascade_secs),
        broadcast_secs: policy.broadcast_secs.unwrap_or(base.broadcast_secs),
        ring_secs: policy.ring_secs.unwrap_or(base.ring_secs),
        escalate_before_start_secs: policy
            .escalate_before_start_secs
            .unwrap_or(base.escalate_before_start_secs),
        ..base.clone()
    }
}

/// A wave's deadline: the configured wait, shortened when the start is near (never
/// more than a quarter of the time left, but not under 30 seconds unless configured
/// shorter).
pub fn deadline(now: DateTime<Utc>, start: DateTime<Utc>, configured_secs: i64) -> DateTime<Utc> {
    let left = (start - now).num_seconds().max(0);
    now + Duration::seconds(configured_secs.min(left / 4).max(configured_secs.min(30)))
}

/// When a scheduled booking nobody has accepted goes to the coordinators (on-demand
/// calls go when their ring ends).
pub fn escalation_point(
    kind: BookingKind,
    start: DateTime<Utc>,
    settings: &DispatchConfig,
) -> Option<DateTime<Utc>> {
    (kind == BookingKind::Scheduled)
        .then(|| start - Duration::seconds(settings.escalate_before_start_secs))
}

/// The escalation timer a dispatch sets: the escalation point, if it is still ahead.
pub fn escalation_timer(
    kind: BookingKind,
    start: DateTime<Utc>,
    settings: &DispatchConfig,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    escalation_point(kind, start, settings).filter(|point| *point > now)
}

/// When a booking nobody took becomes `unfilled`: at its start (an on-demand
/// call, whose start is the moment it was made: when its time is over).
pub fn unfilled_at(kind: BookingKind, start: DateTime<Utc>, end: DateTime<Utc>) -> DateTime<Utc> {
    match kind {
        BookingKind::Scheduled => start,
        BookingKind::OnDemand => end,
    }
}

/// The repeated alerts of a scheduled booking nobody took: each configured lead
/// before the start that lies after the escalation point and ahead of `now`, so
/// that the coordinators hear of it again as the start nears.
pub fn alert_points(
    kind: BookingKind,
    start: DateTime<Utc>,
    settings: &DispatchConfig,
    now: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let Some(escalation) = escalation_point(kind, start, settings) else {
        return Vec::new();
    };
    let mut points: Vec<DateTime<Utc>> = settings
        .alert_before_start_secs
        .iter()
        .map(|lead| start - Duration::seconds(*lead))
        .filter(|point| *point > escalation && *point > now && *point < start)
        .collect();
    points.sort();
    points.dedup();
    points
}

/// What one wave does.
#[derive(Clone, Debug, PartialEq)]
pub struct WavePlan {
    /// Who is asked, best first; empty when nobody new can be asked.
    pub offers: Vec<MediatorId>,
    /// When their offers expire; also the wave's timer.
    pub expires_at: DateTime<Utc>,
    /// The whole ranking as the dispatch explanation records it, with who was asked.
    pub ranked: Vec<RankedMediator>,
}

/// The booking as a wave sees it.
#[derive(Clone, Copy, Debug)]
pub struct WaveBooking {
    pub kind: BookingKind,
    pub start: DateTime<Utc>,
}

/// Plan wave `wave` (1: the cascade, 2: the broadcast) of a booking: from the
/// `ranked` mediators (best first), skip those `already` asked; an on-demand call
/// and the broadcast ask everyone left, the cascade the best `cascade_size` (one more
/// when the first is the client's previous mediator). An on-demand call rings for
/// `ring_secs`; a scheduled wave waits `cascade_secs` or `broadcast_secs`, shortened
/// as the start nears ([`deadline`]).
pub fn plan_wave(
    booking: WaveBooking,
    ranked: &[Ranked],
    already: &[MediatorId],
    settings: &DispatchConfig,
    wave: i32,
    now: DateTime<Utc>,
) -> WavePlan {
    let on_demand = booking.kind == BookingKind::OnDemand;
    let fresh: Vec<&Ranked> = ranked
        .iter()
        .filter(|r| !already.contains(&r.candidate.mediator_id))
        .collect();
    let take = if on_demand || wave > 1 {
        fresh.len()
    } else {
        let continuity = usize::from(fresh.first().is_some_and(|r| r.continuity));
        (settings.cascade_size + continuity).min(fresh.len())
    };
    let offers: Vec<MediatorId> = fresh
        .iter()
        .take(take)
        .map(|r| r.candidate.mediator_id)
        .collect();
    let ranked = ranked
        .iter()
        .enumerate()
        .map(|(i, r)| RankedMediator {
            mediator_id: r.candidate.mediator_id,
            rank: i as i32 + 1,
            offered: offers.contains(&r.candidate.mediator_id),
            why: r.why.clone(),
        })
        .collect();
    let expires_at = if on_demand {
        now + Duration::seconds(settings.ring_secs)
    } else if wave == 1 {
        deadline(now, booking.start, settings.cascade_secs)
    } else {
        deadline(now, booking.start, settings.broadcast_secs)
    };
    WavePlan {
        offers,
        expires_at,
        ranked,
    }
}

/// What follows when a wave's deadline passes with nobody accepting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterDeadline {
    /// Ask everyone else who is eligible (after a scheduled booking's cascade).
    Broadcast,
    /// Hand the booking to the coordinators.
    Escalate,
}

pub fn after_deadline(kind: BookingKind, wave: i32) -> AfterDeadline {
    if wave == 1 && kind == BookingKind::Scheduled {
        AfterDeadline::Broadcast
    } else {
        AfterDeadline::Escalate
    }
}

/// Given/when/then, without servers.
#[cfg(test)]
mod tests {
    use super::*;
    use mittler_contracts::availability::Candidate;
    use mittler_types::Qualification;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("instant")
    }

    fn mediator(n: u128) -> MediatorId {
        MediatorId(uuid::Uuid::from_u128(n))
    }

    /// Mediators 1..=n, best first; the first is the client's previous mediator when
    /// `continuity`.
    fn ranking(n: u128, continuity: bool) -> Vec<Ranked> {
        (1..=n)
            .map(|i| Ranked {
                candidate: Candidate {
                    mediator_id: mediator(i),
                    qualification: Qualification::Trained,
                    distance_km: None,
                    week_minutes: 0,
                    window_minutes: 600,
                    online: false,
                    offered_minutes_30_days: 0,
                },
                continuity: continuity && i == 1,
                score: 1.0 / i as f64,
                why: vec![format!("rank {i}")],
            })
            .collect()
    }

    fn settings() -> DispatchConfig {
        DispatchConfig {
            cascade_size: 3,
            cascade_secs: 900,
            broadcast_secs: 3600,
            ring_secs: 120,
            escalate_before_start_secs: 48 * 3600,
            ..DispatchConfig::default()
        }
    }

    const NOW: &str = "2026-10-23T08:00:00Z";

    fn scheduled(start: &str) -> WaveBooking {
        WaveBooking {
            kind: BookingKind::Scheduled,
            start: at(start),
        }
    }

    #[test]
    fn the_cascade_asks_the_best_few_and_waits_its_time() {
        // Given a booking three days ahead and eight ranked mediators,
        let booking = scheduled("2026-10-26T09:00:00Z");
        // when the first wave is planned,
        let plan = plan_wave(booking, &ranking(8, false), &[], &settings(), 1, at(NOW));
        // then the best three are asked for 15 minutes, and the explanation ranks all.
        assert_eq!(plan.offers, [mediator(1), mediator(2), mediator(3)]);
        assert_eq!(plan.expires_at, at("2026-10-23T08:15:00Z"));
        assert_eq!(plan.ranked.len(), 8);
        assert_eq!(
            plan.ranked.iter().filter(|r| r.offered).count(),
            3,
            "{:?}",
            plan.ranked
        );
        assert_eq!(plan.ranked[7].rank, 8);
    }

    #[test]
    fn the_previous_mediator_comes_on_top_of_the_cascade() {
        let plan = plan_wave(
            scheduled("2026-10-26T09:00:00Z"),
            &ranking(8, true),
            &[],
            &settings(),
            1,
            at(NOW),
        );
        assert_eq!(plan.offers.len(), 4);
        assert_eq!(plan.offers[0], mediator(1));
    }

    #[test]
    fn the_broadcast_asks_everyone_not_yet_asked_and_waits_longer() {
        // Given a cascade that asked mediators 1 to 3,
        let asked = [mediator(1), mediator(2), mediator(3)];
        // when the second wave is planned,
        let plan = plan_wave(
            scheduled("2026-10-26T09:00:00Z"),
            &ranking(8, false),
            &asked,
            &settings(),
            2,
            at(NOW),
        );
        // then the five others are asked for an hour.
        assert_eq!(plan.offers, (4..=8).map(mediator).collect::<Vec<_>>());
        assert_eq!(plan.expires_at, at("2026-10-23T09:00:00Z"));
    }

    #[test]
    fn an_on_demand_call_rings_everyone_at_once_for_the_ring_time() {
        let booking = WaveBooking {
            kind: BookingKind::OnDemand,
            start: at(NOW),
        };
        let plan = plan_wave(booking, &ranking(8, true), &[], &settings(), 1, at(NOW));
        assert_eq!(plan.offers.len(), 8);
        assert_eq!(plan.expires_at, at("2026-10-23T08:02:00Z"));
    }

    #[test]
    fn a_near_start_shortens_the_wait_but_not_under_half_a_minute() {
        // 20 minutes ahead: a quarter of the time left.
        let plan = plan_wave(
            scheduled("2026-10-23T08:20:00Z"),
            &ranking(2, false),
            &[],
            &settings(),
            1,
            at(NOW),
        );
        assert_eq!(plan.expires_at, at("2026-10-23T08:05:00Z"));
        // One minute ahead: 30 seconds.
        let plan = plan_wave(
            scheduled("2026-10-23T08:01:00Z"),
            &ranking(2, false),
            &[],
            &settings(),
            2,
            at(NOW),
        );
        assert_eq!(plan.expires_at, at("2026-10-23T08:00:30Z"));
    }

    #[test]
    fn nobody_left_to_ask_plans_no_offers() {
        let everyone: Vec<MediatorId> = (1..=3).map(mediator).collect();
        let plan = plan_wave(
            scheduled("2026-10-26T09:00:00Z"),
            &ranking(3, false),
            &everyone,
            &settings(),
            2,
            at(NOW),
        );
        assert!(plan.offers.is_empty());
        assert!(plan.ranked.iter().all(|r| !r.offered));
    }

    #[test]
    fn after_the_cascade_comes_the_broadcast_and_then_the_coordinators() {
        assert_eq!(
            after_deadline(BookingKind::Scheduled, 1),
            AfterDeadline::Broadcast
        );
        assert_eq!(
            after_deadline(BookingKind::Scheduled, 2),
            AfterDeadline::Escalate
        );
        assert_eq!(
            after_deadline(BookingKind::OnDemand, 1),
            AfterDeadline::Escalate
        );
    }

    #[test]
    fn the_escalation_timer_is_set_only_while_the_point_lies_ahead() {
        let s = settings();
        // Three days ahead: 48 hours before the start.
        assert_eq!(
            escalation_timer(
                BookingKind::Scheduled,
                at("2026-10-26T09:00:00Z"),
                &s,
                at(NOW)
            ),
            Some(at("2026-10-24T09:00:00Z"))
        );
        // A day ahead: the point has passed, no timer (the coordinators hear of it
        // when the cascade's deadline passes).
        assert_eq!(
            escalation_timer(
                BookingKind::Scheduled,
                at("2026-10-24T07:00:00Z"),
                &s,
                at(NOW)
            ),
            None
        );
        // On demand: never.
        assert_eq!(
            escalation_timer(BookingKind::OnDemand, at(NOW), &s, at(NOW)),
            None
        );
    }

    #[test]
    fn the_coordinators_are_alerted_again_as_the_start_nears() {
        let s = settings();
        // Three days ahead: after the escalation 48 h before, at 24 h, 4 h and 1 h.
        assert_eq!(
            alert_points(
                BookingKind::Scheduled,
                at("2026-10-26T09:00:00Z"),
                &s,
                at(NOW)
            ),
            [
                at("2026-10-25T09:00:00Z"),
                at("2026-10-26T05:00:00Z"),
                at("2026-10-26T08:00:00Z")
            ]
        );
        // Five hours ahead: the 4 h and 1 h alerts remain.
        assert_eq!(
            alert_points(
                BookingKind::Scheduled,
                at("2026-10-23T13:00:00Z"),
                &s,
                at(NOW)
            ),
            [at("2026-10-23T09:00:00Z"), at("2026-10-23T12:00:00Z")]
        );
        // An escalation point 2 h before the start leaves only the 1 h alert.
        let late = DispatchConfig {
            escalate_before_start_secs: 7200,
            ..settings()
        };
        assert_eq!(
            alert_points(
                BookingKind::Scheduled,
                at("2026-10-26T09:00:00Z"),
                &late,
                at(NOW)
            ),
            [at("2026-10-26T08:00:00Z")]
        );
        assert!(alert_points(BookingKind::OnDemand, at(NOW), &s, at(NOW)).is_empty());
    }

    #[test]
    fn a_booking_nobody_took_ends_at_its_start_and_a_call_when_its_time_is_over() {
        let (start, end) = (at("2026-10-25T01:30:00Z"), at("2026-10-25T02:30:00Z"));
        assert_eq!(unfilled_at(BookingKind::Scheduled, start, end), start);
        assert_eq!(unfilled_at(BookingKind::OnDemand, start, end), end);
    }

    #[test]
    fn deadlines_shrink_as_the_start_nears() {
        let now = at("2026-12-01T08:00:00Z");
        assert_eq!(
            deadline(now, now + Duration::days(3), 900),
            now + Duration::seconds(900)
        );
        assert_eq!(
            deadline(now, now + Duration::minutes(20), 900),
            now + Duration::seconds(300)
        );
        assert_eq!(
            deadline(now, now + Duration::minutes(1), 900),
            now + Duration::seconds(30)
        );
        assert_eq!(
            deadline(now, now + Duration::minutes(1), 2),
            now + Duration::seconds(2)
        );
    }
}
