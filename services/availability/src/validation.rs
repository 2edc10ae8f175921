//! What a calendar and a profile may hold, beyond the shapes the wire format checks:
//! limits on the number of rules, valid times and ranges, known languages.

use mittler_contracts::RpcFault;
use mittler_contracts::availability::{Calendar, MediatorProfile};
use std::collections::HashSet;

/// A refusal naming the field.
pub(crate) fn invalid(field: &str, message: impl std::fmt::Display) -> RpcFault {
    RpcFault::invalid_field(field, message.to_string())
}

const MAX_RULES: usize = 64;
const MAX_OVERRIDES: usize = 400;
const MAX_ABSENCES: usize = 400;

/// Check a calendar's values (the wire format already checked the shapes).
pub fn validate_calendar(calendar: &Calendar) -> Result<(), RpcFault> {
    if calendar.weekly_rules.len() > MAX_RULES {
        return Err(invalid(
            "weekly_rules",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    for (i, rule) in calendar.weekly_rules.iter().enumerate() {
        if !(1..=7).contains(&rule.weekday) {
            return Err(invalid(
                &format!("weekly_rules[{i}].weekday"),
                "1 (Monday) to 7 (Sunday)",
            ));
        }
        if rule.start >= rule.end {
            return Err(invalid(
                &format!("weekly_rules[{i}].end"),
                "must be after start",
            ));
        }
    }
    if calendar.overrides.len() > MAX_OVERRIDES {
        return Err(invalid(
            "overrides",
            format!("at most {MAX_OVERRIDES} dates"),
        ));
    }
    let mut dates = HashSet::new();
    for (i, day) in calendar.overrides.iter().enumerate() {
        if !dates.insert(day.date) {
            return Err(invalid(&format!("overrides[{i}].date"), "appears twice"));
        }
        if day.windows.iter().any(|w| w.start >= w.end) {
            return Err(invalid(
                &format!("overrides[{i}].windows"),
                "each end must be after its start",
            ));
        }
    }
    if calendar.absences.len() > MAX_ABSENCES {
        return Err(invalid(
            "absences",
            format!("at most {MAX_ABSENCES} absences"),
        ));
    }
    for (i, absence) in calendar.absences.iter().enumerate() {
        if absence.start >= absence.end {
            return Err(invalid(
                &format!("absences[{i}].end"),
                "must be after start",
            ));
        }
        if !["holiday", "illness", "other"].contains(&absence.reason.as_str()) {
            return Err(invalid(
                &format!("absences[{i}].reason"),
                "holiday, illness or other",
            ));
        }
    }
    Ok(())
}

/// Check a profile's values.
pub fn validate_profile(profile: &MediatorProfile) -> Result<(), RpcFault> {
    if profile.display_name.trim().is_empty() || profile.display_name.chars().count() > 200 {
        return Err(invalid("display_name", "1 to 200 characters"));
    }
    if !profile.email.contains('@') || profile.email.len() > 254 {
        return Err(invalid("email", "not an e-mail address"));
    }
    let mut codes = HashSet::new();
    for (i, skill) in profile.languages.iter().enumerate() {
        if !codes.insert(&skill.code) {
            return Err(invalid(&format!("languages[{i}].code"), "listed twice"));
        }
    }
    if !(-90.0..=90.0).contains(&profile.home.lat) {
        return Err(invalid("home.lat", "between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&profile.home.lon) {
        return Err(invalid("home.lon", "between -180 and 180"));
    }
    if !(0.0..=1000.0).contains(&profile.max_travel_km) {
        return Err(invalid("max_travel_km", "0 to 1000"));
    }
    if !(0..=7 * 24 * 60).contains(&profile.max_minutes_per_week) {
        return Err(invalid("max_minutes_per_week", "0 to 10080"));
    }
    Ok(())
}
