//! The booking state machine: which state may follow which.
//!
//! ```text
//! requested ──> offering ──> assigned <──> in_session ──> completed
//!     │  ▲          │  ▲        │  │   (room empty /         ▲
//!     │  │          │  │        │  │    reconnect)           │
//!     │  └──────────┴──┼────────┘  └─────────────────────────┘ (time record confirmed)
//!     │     reschedule │ give-back / reschedule
//!     ├──> unfilled ───┘ (manual assign)     any open state ──> cancelled
//!     └─ (start passed unassigned, or a coordinator gave up)
//! ```

use mittler_types::BookingState::{self, *};

/// Why a transition was refused (HTTP 409).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a booking that is {} cannot become {}", from.as_str(), to.as_str())]
pub struct IllegalTransition {
    pub from: BookingState,
    pub to: BookingState,
}

/// The states from which `to` may be reached.
pub fn sources(to: BookingState) -> &'static [BookingState] {
    match to {
        // Reschedule, a mediator giving the job back, or dispatch starting over.
        Requested => &[Requested, Offering, Assigned, Unfilled],
        Offering => &[Requested],
        // An accepted offer, a coordinator assigning by hand, or the video room
        // emptied (a reconnect starts the session again).
        Assigned => &[Requested, Offering, Unfilled, InSession],
        InSession => &[Assigned],
        // The time record was confirmed (by the requester, a coordinator or by rule).
        Completed => &[Assigned, InSession],
        Cancelled => &[Requested, Offering, Assigned, Unfilled],
        // The start passed unassigned, or a coordinator gave up.
        Unfilled => &[Requested, Offering],
    }
}

pub fn check(from: BookingState, to: BookingState) -> Result<(), IllegalTransition> {
    if sources(to).contains(&from) {
        Ok(())
    } else {
        Err(IllegalTransition { from, to })
    }
}

/// Whether nothing can happen to the booking any more.
pub fn is_terminal(state: BookingState) -> bool {
    matches!(state, Completed | Cancelled)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [BookingState; 7] = [
        Requested, Offering, Assigned, InSession, Completed, Cancelled, Unfilled,
    ];

    #[test]
    fn the_happy_path_is_allowed() {
        for (from, to) in [
            (Requested, Offering),
            (Offering, Assigned),
            (Assigned, InSession),
            (InSession, Completed),
        ] {
            assert_eq!(check(from, to), Ok(()), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn terminal_states_have_no_way_out() {
        for from in ALL.into_iter().filter(|s| is_terminal(*s)) {
            for to in ALL {
                assert!(
                    check(from, to).is_err(),
                    "{from:?} -> {to:?} must be refused"
                );
            }
        }
    }

    #[test]
    fn refused_transitions_say_what_was_tried() {
        let error = check(Completed, Cancelled).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "a booking that is completed cannot become cancelled"
        );
        assert!(
            check(InSession, Cancelled).is_err(),
            "a running session is ended, not cancelled"
        );
        assert!(check(Requested, InSession).is_err());
        assert!(
            check(Unfilled, Offering).is_err(),
            "an unfilled booking is rescheduled or assigned by hand"
        );
    }
}
