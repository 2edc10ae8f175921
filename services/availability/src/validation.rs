//! What a calendar and a profile may hold, beyond the shapes the wire format checks:
//! limits on the number of rules, valid times and ranges, known languages.

use mittler_contracts::RpcFault;
use mittler_contracts::availability::{Calendar, MediatorProfile};
use mittler_contracts::text;
use mittler_contracts::text::Text;
use std::collections::HashSet;

/// A refusal naming the field.
pub(crate) fn invalid(field: &str, text: Text) -> RpcFault {
    RpcFault::invalid_field(field, text)
}

const MAX_RULES: usize = 64;
const MAX_OVERRIDES: usize = 400;
const MAX_ABSENCES: usize = 400;

/// Check a calendar's values (the wire format already checked the shapes).
pub fn validate_calendar(calendar: &Calendar) -> Result<(), RpcFault> {
    if calendar.weekly_rules.len() > MAX_RULES {
        return Err(invalid(
            "weekly_rules",
            text!("field.at_most", max = MAX_RULES),
        ));
    }
    for (i, rule) in calendar.weekly_rules.iter().enumerate() {
        if !(1..=7).contains(&rule.weekday) {
            return Err(invalid(
                &format!("weekly_rules[{i}].weekday"),
                text!("field.weekday"),
            ));
        }
        if rule.start >= rule.end {
            return Err(invalid(
                &format!("weekly_rules[{i}].end"),
                text!("field.after_start"),
            ));
        }
    }
    if calendar.overrides.len() > MAX_OVERRIDES {
        return Err(invalid(
            "overrides",
            text!("field.at_most", max = MAX_OVERRIDES),
        ));
    }
    let mut dates = HashSet::new();
    for (i, day) in calendar.overrides.iter().enumerate() {
        if !dates.insert(day.date) {
            return Err(invalid(
                &format!("overrides[{i}].date"),
                text!("field.twice"),
            ));
        }
        if day.windows.iter().any(|w| w.start >= w.end) {
            return Err(invalid(
                &format!("overrides[{i}].windows"),
                text!("field.ends_after_starts"),
            ));
        }
    }
    if calendar.absences.len() > MAX_ABSENCES {
        return Err(invalid(
            "absences",
            text!("field.at_most", max = MAX_ABSENCES),
        ));
    }
    for (i, absence) in calendar.absences.iter().enumerate() {
        if absence.start >= absence.end {
            return Err(invalid(
                &format!("absences[{i}].end"),
                text!("field.after_start"),
            ));
        }
        if !["holiday", "illness", "other"].contains(&absence.reason.as_str()) {
            return Err(invalid(
                &format!("absences[{i}].reason"),
                text!("field.absence_reason"),
            ));
        }
    }
    Ok(())
}

/// Check a profile's values (the rules are the contract's, shared with the import).
pub fn validate_profile(profile: &MediatorProfile) -> Result<(), RpcFault> {
    match profile.problems().into_iter().next() {
        Some((field, text)) => Err(invalid(&field, text)),
        None => Ok(()),
    }
}
