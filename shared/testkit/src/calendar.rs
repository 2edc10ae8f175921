//! Dates for tests that hold on any day they run: month and year ends, weekends,
//! the daylight-saving Sundays. A test never assumes that "in three days" lies in
//! the current month or on a weekday; it asks for a working day and names the
//! period it reads statistics for.
//!
//! `make test-at DATE=…` runs the suite with the whole system's clock set to a
//! chosen instant (deploy/local/at-date.sh); these helpers then see that date too.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc, Weekday};
use mittler_types::TimeZone;

/// Today in Berlin, the demo organisations' zone.
pub fn today() -> NaiveDate {
    TimeZone::BERLIN.local(Utc::now()).date()
}

/// The first weekday at least `days` after today in Berlin (Monday to Friday: the
/// demo mediators' working days; they take work from the next day on).
pub fn working_day(days: i64) -> NaiveDate {
    next_working_day(today() + Duration::days(days))
}

/// `day` itself if it is a weekday, else the Monday after.
pub fn next_working_day(mut day: NaiveDate) -> NaiveDate {
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    day
}

/// The month holding `day` in Berlin: its first instant and the next month's.
pub fn month_of(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = day.with_day(1).expect("every month has a first day");
    let next = first + Months::new(1);
    (midnight(first), midnight(next))
}

/// Midnight at the start of `day` in Berlin (it always exists there).
pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    TimeZone::BERLIN
        .resolve(day.and_hms_opt(0, 0, 0).expect("midnight"))
        .expect("midnight exists in Berlin")
}

/// An instant as a query-string value (the `+` of an offset escaped).
pub fn query_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339().replace('+', "%2B")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn working_days_skip_the_weekend_and_cross_months_and_years() {
        // Saturday 31 October 2026 (a month end, the day before the clocks go back).
        assert_eq!(next_working_day(date("2026-10-31")), date("2026-11-02"));
        // Thursday 31 December 2026 stays; Saturday 2 January 2027 moves to Monday.
        assert_eq!(next_working_day(date("2026-12-31")), date("2026-12-31"));
        assert_eq!(next_working_day(date("2027-01-02")), date("2027-01-04"));
        // The spring-forward Sunday, 29 March 2026.
        assert_eq!(next_working_day(date("2026-03-29")), date("2026-03-30"));
    }

    #[test]
    fn a_month_runs_from_local_midnight_to_local_midnight() {
        // October 2026 starts in summer time and ends in winter time.
        let (from, to) = month_of(date("2026-10-25"));
        assert_eq!(from.to_rfc3339(), "2026-09-30T22:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-10-31T23:00:00+00:00");
        // December's end is the year's.
        let (from, to) = month_of(date("2026-12-31"));
        assert_eq!(from.to_rfc3339(), "2026-11-30T23:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-31T23:00:00+00:00");
        assert_eq!(query_instant(to), "2026-12-31T23:00:00%2B00:00");
    }
}
