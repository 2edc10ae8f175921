//! The rules of a time record, pure: which figures a claim may carry, and who may
//! do what in which state. Tested below without servers.

use chrono::{DateTime, Duration, Utc};
use mittler_contracts::booking::{RecordActor, TimeClaim};
use mittler_contracts::text;
use mittler_contracts::text::Text;
use mittler_types::{Outcome, RecordState};

/// How far a claimed time may lie from the booked one.
pub const SLACK: Duration = Duration::hours(12);
/// Clock skew between a phone and the server.
const SKEW: Duration = Duration::minutes(2);
pub const MAX_TRAVEL_MINUTES: i64 = 720;
pub const MAX_TRAVEL_KM: i64 = 1000;

/// The booked time of a job.
#[derive(Clone, Copy, Debug)]
pub struct Booked {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub on_site: bool,
}

/// A claim's figures once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub worked_minutes: i64,
}

/// Whole minutes from `start` to `end`, a started minute counting.
pub fn minutes_between(start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    let millis = (end - start).num_milliseconds().max(0);
    (millis + 59_999) / 60_000
}

/// Check a claim against the booked time at `now`: the first problem, by field.
pub fn check_claim(
    booked: &Booked,
    claim: &TimeClaim,
    now: DateTime<Utc>,
) -> Result<Checked, (&'static str, Text)> {
    if now + SKEW < booked.start {
        return Err(("start", text!("time_record.not_begun")));
    }
    if !(0..=MAX_TRAVEL_MINUTES).contains(&claim.travel_minutes) {
        return Err(("travel_minutes", text!("time_record.travel_minutes")));
    }
    if !(0..=MAX_TRAVEL_KM).contains(&claim.travel_km) {
        return Err(("travel_km", text!("time_record.travel_km")));
    }
    if !booked.on_site && (claim.travel_minutes > 0 || claim.travel_km > 0) {
        return Err(("travel_minutes", text!("time_record.travel_on_site_only")));
    }
    let (start, end) = match (claim.start, claim.end, claim.outcome) {
        (Some(start), Some(end), _) => (start, end),
        (None, None, Outcome::MediatorNoShow) => {
            return Ok(Checked {
                start: None,
                end: None,
                worked_minutes: 0,
            });
        }
        (None, _, _) => return Err(("start", text!("time_record.start_end_required"))),
        (_, None, _) => return Err(("end", text!("time_record.start_end_required"))),
    };
    if end < start {
        return Err(("end", text!("time_record.end_before_start")));
    }
    if end > now + SKEW {
        return Err(("end", text!("time_record.not_ended")));
    }
    if start < booked.start - SLACK || start > booked.end + SLACK {
        return Err(("start", text!("time_record.far_from_booking")));
    }
    if end > booked.end + SLACK {
        return Err(("end", text!("time_record.far_from_booking")));
    }
    let worked_minutes = match claim.outcome {
        Outcome::MediatorNoShow => 0,
        Outcome::Done | Outcome::ClientNoShow => minutes_between(start, end),
    };
    Ok(Checked {
        start: Some(start),
        end: Some(end),
        worked_minutes,
    })
}

/// Why `actor` may not claim (or set) a record in `state`; `None` when they may.
pub fn refuse_claim(actor: &RecordActor, state: RecordState) -> Option<Text> {
    match (actor, state) {
        (RecordActor::Requester(_), _) => Some(text!("time_record.requester_confirms")),
        (_, RecordState::Confirmed) => Some(text!("time_record.confirmed")),
        (RecordActor::Mediator(_), RecordState::Disputed) => Some(text!("time_record.disputed")),
        _ => None,
    }
}

/// Why the requester may not confirm or dispute a record in `state`.
pub fn refuse_answer(state: RecordState) -> Option<Text> {
    match state {
        RecordState::Claimed => None,
        RecordState::Open => Some(text!("time_record.nothing_claimed")),
        RecordState::Confirmed => Some(text!("time_record.confirmed")),
        RecordState::Disputed => Some(text!("time_record.disputed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mittler_types::{MediatorId, UserId};

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("instant")
    }

    /// 09:00–10:00 in Berlin on the Sunday summer time ends (CET: 08:00–09:00 UTC).
    fn booked(on_site: bool) -> Booked {
        Booked {
            start: at("2026-10-25T08:00:00Z"),
            end: at("2026-10-25T09:00:00Z"),
            on_site,
        }
    }

    fn claim(start: &str, end: &str) -> TimeClaim {
        TimeClaim {
            start: Some(at(start)),
            end: Some(at(end)),
            travel_minutes: 0,
            travel_km: 0,
            outcome: Outcome::Done,
        }
    }

    const AFTER: &str = "2026-10-25T12:00:00Z";

    #[test]
    fn a_claim_after_the_job_counts_started_minutes() {
        let checked = check_claim(
            &booked(true),
            &TimeClaim {
                travel_minutes: 35,
                travel_km: 22,
                ..claim("2026-10-25T08:05:00Z", "2026-10-25T09:10:30Z")
            },
            at(AFTER),
        )
        .expect("valid");
        assert_eq!(checked.worked_minutes, 66);
    }

    #[test]
    fn bad_claims_name_their_field() {
        let field = |b: &Booked, c: &TimeClaim, now: &str| {
            check_claim(b, c, at(now)).expect_err("refused").0
        };
        // Not ended yet: the end lies after now.
        assert_eq!(
            field(
                &booked(false),
                &claim("2026-10-25T08:00:00Z", "2026-10-25T09:00:00Z"),
                "2026-10-25T08:30:00Z"
            ),
            "end"
        );
        // Not begun at all.
        assert_eq!(
            field(
                &booked(false),
                &claim("2026-10-25T08:00:00Z", "2026-10-25T09:00:00Z"),
                "2026-10-24T08:30:00Z"
            ),
            "start"
        );
        assert_eq!(
            field(
                &booked(false),
                &claim("2026-10-25T09:00:00Z", "2026-10-25T08:00:00Z"),
                AFTER
            ),
            "end"
        );
        // Days away from the booking.
        assert_eq!(
            field(
                &booked(false),
                &claim("2026-10-22T08:00:00Z", "2026-10-22T09:00:00Z"),
                AFTER
            ),
            "start"
        );
        assert_eq!(
            field(
                &booked(false),
                &claim("2026-10-25T08:00:00Z", "2026-10-27T09:00:00Z"),
                "2026-10-28T00:00:00Z"
            ),
            "end"
        );
        // Travel for a video job.
        let mut travel = claim("2026-10-25T08:00:00Z", "2026-10-25T09:00:00Z");
        travel.travel_km = 5;
        assert_eq!(field(&booked(false), &travel, AFTER), "travel_minutes");
        travel.travel_km = 5000;
        assert_eq!(field(&booked(true), &travel, AFTER), "travel_km");
        let mut missing = claim("2026-10-25T08:00:00Z", "2026-10-25T09:00:00Z");
        missing.end = None;
        assert_eq!(field(&booked(true), &missing, AFTER), "end");
    }

    #[test]
    fn a_mediator_who_did_not_come_worked_nothing_and_a_client_who_did_not_counts() {
        let none = TimeClaim {
            start: None,
            end: None,
            travel_minutes: 0,
            travel_km: 0,
            outcome: Outcome::MediatorNoShow,
        };
        assert_eq!(
            check_claim(&booked(true), &none, at(AFTER)).map(|c| c.worked_minutes),
            Ok(0)
        );
        let waited = TimeClaim {
            outcome: Outcome::ClientNoShow,
            ..claim("2026-10-25T08:00:00Z", "2026-10-25T08:30:00Z")
        };
        assert_eq!(
            check_claim(&booked(true), &waited, at(AFTER)).map(|c| c.worked_minutes),
            Ok(30)
        );
    }

    #[test]
    fn who_may_do_what() {
        let mediator = RecordActor::Mediator(MediatorId::new());
        let coordinator = RecordActor::Coordinator(UserId::new());
        let requester = RecordActor::Requester(UserId::new());
        assert!(refuse_claim(&mediator, RecordState::Open).is_none());
        assert!(refuse_claim(&mediator, RecordState::Claimed).is_none());
        assert!(refuse_claim(&mediator, RecordState::Disputed).is_some());
        assert!(refuse_claim(&mediator, RecordState::Confirmed).is_some());
        assert!(refuse_claim(&coordinator, RecordState::Disputed).is_none());
        assert!(refuse_claim(&coordinator, RecordState::Confirmed).is_some());
        assert!(refuse_claim(&requester, RecordState::Claimed).is_some());
        assert!(refuse_answer(RecordState::Claimed).is_none());
        for state in [
            RecordState::Open,
            RecordState::Confirmed,
            RecordState::Disputed,
        ] {
            assert!(refuse_answer(state).is_some(), "{state:?}");
        }
    }
}
