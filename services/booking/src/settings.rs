//! The `[dispatch]` settings: waves, deadlines, escalation, timers, reservation
//! guards; the `[records]` settings of time records. The policy's defaults are the contract's ([`DispatchDefaults`]), which the
//! gateway shows too.

use mittler_contracts::booking::DispatchDefaults;
use mittler_platform::config::Settings;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DispatchConfig {
    /// Mediators asked in the first wave (after the continuity mediator).
    pub cascade_size: usize,
    /// How long the first wave may answer.
    pub cascade_secs: i64,
    /// How long the broadcast to everyone eligible may answer before escalation.
    pub broadcast_secs: i64,
    /// How long an on-demand call rings before it escalates.
    pub ring_secs: i64,
    /// How often due timers are looked for.
    pub timer_poll_ms: u64,
    /// A scheduled booking nobody accepted this long before its start goes to the
    /// coordinators (an on-demand call: when its ring ends).
    pub escalate_before_start_secs: i64,
    /// A reservation taken but never recorded as an assignment is given back after
    /// this long (the reconciliation of reservation guards).
    pub reservation_guard_secs: i64,
    /// After the escalation, the coordinators are alerted again this long before
    /// the start of a booking still nobody took (each lead once).
    pub alert_before_start_secs: Vec<i64>,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        let policy = DispatchDefaults::default();
        Self {
            cascade_size: policy.cascade_size,
            cascade_secs: policy.cascade_secs,
            broadcast_secs: policy.broadcast_secs,
            ring_secs: policy.ring_secs,
            timer_poll_ms: 500,
            escalate_before_start_secs: policy.escalate_before_start_secs,
            reservation_guard_secs: 60,
            alert_before_start_secs: vec![24 * 3600, 4 * 3600, 3600],
        }
    }
}

impl Settings for DispatchConfig {
    const SECTION: &'static str = "dispatch";
}

/// The `[records]` settings: the time records that close every assigned booking.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct RecordsConfig {
    /// A claim nobody disputes is confirmed by rule this long after it was made.
    pub confirm_after_secs: i64,
}

impl Default for RecordsConfig {
    fn default() -> Self {
        Self {
            confirm_after_secs: 7 * 86_400,
        }
    }
}

impl Settings for RecordsConfig {
    const SECTION: &'static str = "records";
}
