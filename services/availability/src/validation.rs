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

/// Check a profile's values.
pub fn validate_profile(profile: &MediatorProfile) -> Result<(), RpcFault> {
    if profile.display_name.trim().is_empty() || profile.display_name.chars().count() > 200 {
        return Err(invalid("display_name", text!("field.length", max = 200)));
    }
    if !profile.email.contains('@') || profile.email.len() > 254 {
        return Err(invalid("email", text!("field.email")));
    }
    let mut codes = HashSet::new();
    for (i, skill) in profile.languages.iter().enumerate() {
        if !codes.insert(&skill.code) {
            return Err(invalid(
                &format!("languages[{i}].code"),
                text!("field.twice"),
            ));
        }
    }
    if !(-90.0..=90.0).contains(&profile.home.lat) {
        return Err(invalid("home.lat", text!("field.latitude")));
    }
    if !(-180.0..=180.0).contains(&profile.home.lon) {
        return Err(invalid("home.lon", text!("field.longitude")));
    }
    if !(0.0..=1000.0).contains(&profile.max_travel_km) {
        return Err(invalid(
            "max_travel_km",
            text!("field.from_to", min = 0, max = 1000),
        ));
    }
    if !(0..=7 * 24 * 60).contains(&profile.max_minutes_per_week) {
        return Err(invalid(
            "max_minutes_per_week",
            text!("field.from_to", min = 0, max = 10080),
        ));
    }
    Ok(())
}
