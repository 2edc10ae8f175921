//! Expanding a calendar into availability windows: weekly rules (or a date's
//! override) in the mediator's local time, resolved per date with chrono-tz, so that
//! 09:00 stays 09:00 across daylight-saving changes; absences cut out afterwards.
//!
//! Local times that do not name one instant are handled explicitly:
//! - a window edge in the spring gap (02:00–03:00 on the last Sunday of March) moves
//!   to the end of the gap, where the clocks resume (03:00 summer time);
//! - a window start in the autumn fold takes the earlier instant and a window end
//!   the later one, so that the window is as long as its wall-clock hours promise.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone as _, Utc,
};
use chrono_tz::Tz;
use mittler_contracts::availability::{Absence, Calendar, LocalWindow};

/// A half-open interval of time `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    pub fn covers(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        self.start <= start && end <= self.end
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

/// The instant at which the local clock shows `local`, by the rules above.
fn resolve(tz: Tz, local: NaiveDateTime, edge: Edge) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, later) => match edge {
            Edge::Start => earlier.with_timezone(&Utc),
            Edge::End => later.with_timezone(&Utc),
        },
        LocalResult::None => {
            // In the gap: the first local minute that exists again is the gap's end.
            let mut probe = local;
            for _ in 0..(4 * 60) {
                probe += Duration::minutes(1);
                if let LocalResult::Single(at) = tz.from_local_datetime(&probe) {
                    return at.with_timezone(&Utc);
                }
            }
            tz.from_utc_datetime(&local).with_timezone(&Utc)
        }
    }
}

/// The windows of one local date.
fn windows_of_date(calendar: &Calendar, date: NaiveDate) -> Vec<LocalWindow> {
    if let Some(day) = calendar.overrides.iter().find(|o| o.date == date) {
        return day.windows.clone();
    }
    let weekday = date.weekday().number_from_monday() as u8;
    calendar
        .weekly_rules
        .iter()
        .filter(|rule| rule.weekday == weekday)
        .map(|rule| LocalWindow {
            start: rule.start,
            end: rule.end,
        })
        .collect()
}

/// Every availability window that touches `[from, to)`, absences removed, sorted.
pub fn expand(calendar: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Window> {
    let tz = calendar.time_zone.tz();
    let first = from.with_timezone(&tz).date_naive() - Duration::days(1);
    let last = to.with_timezone(&tz).date_naive() + Duration::days(1);
    let mut windows = Vec::new();
    let mut date = first;
    while date <= last {
        for local in windows_of_date(calendar, date) {
            if local.start >= local.end {
                continue;
            }
            let start = resolve(tz, date.and_time(local.start), Edge::Start);
            let end = resolve(tz, date.and_time(local.end), Edge::End);
            if start < end && end > from && start < to {
                windows.push(Window { start, end });
            }
        }
        date += Duration::days(1);
    }
    windows.sort();
    subtract(windows, &calendar.absences)
}

/// Cut absences out of windows (a window split by an absence becomes two).
fn subtract(windows: Vec<Window>, absences: &[Absence]) -> Vec<Window> {
    let mut result = windows;
    for absence in absences {
        let mut next = Vec::with_capacity(result.len());
        for w in result {
            if absence.end <= w.start || w.end <= absence.start {
                next.push(w);
                continue;
            }
            if w.start < absence.start {
                next.push(Window {
                    start: w.start,
                    end: absence.start,
                });
            }
            if absence.end < w.end {
                next.push(Window {
                    start: absence.end,
                    end: w.end,
                });
            }
        }
        result = next;
    }
    result
}

/// Minutes of availability within `[from, to)`, absences taken out.
pub fn offered_minutes(calendar: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    expand(calendar, from, to)
        .into_iter()
        .map(|w| (w.end.min(to) - w.start.max(from)).num_minutes().max(0))
        .sum()
}

/// Whether an absence overlaps `[start, end)`.
pub fn absent(absences: &[Absence], start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    absences.iter().any(|a| a.start < end && start < a.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;
    use mittler_contracts::availability::{DateOverride, WeeklyRule};
    use mittler_types::TimeZone;

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    fn monday_to_friday(start: NaiveTime, end: NaiveTime) -> Calendar {
        Calendar {
            time_zone: TimeZone::BERLIN,
            weekly_rules: (1..=5)
                .map(|weekday| WeeklyRule {
                    weekday,
                    start,
                    end,
                })
                .collect(),
            overrides: vec![],
            absences: vec![],
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    fn day(calendar: &Calendar, date: &str) -> Vec<(String, String)> {
        let date: NaiveDate = date.parse().expect("date");
        let from = utc(&format!("{date}T00:00:00Z")) - Duration::hours(3);
        let to = from + Duration::hours(27);
        expand(calendar, from, to)
            .into_iter()
            .filter(|w| {
                w.start
                    .with_timezone(&chrono_tz::Europe::Berlin)
                    .date_naive()
                    == date
            })
            .map(|w| (w.start.to_rfc3339(), w.end.to_rfc3339()))
            .collect()
    }

    #[test]
    fn nine_stays_nine_across_the_march_and_october_changes_of_2026_and_2027() {
        let calendar = monday_to_friday(time(9, 0), time(17, 0));
        for (date, start, end) in [
            (
                "2026-03-27",
                "2026-03-27T08:00:00+00:00",
                "2026-03-27T16:00:00+00:00",
            ), // Fri before: CET
            (
                "2026-03-30",
                "2026-03-30T07:00:00+00:00",
                "2026-03-30T15:00:00+00:00",
            ), // Mon after: CEST
            (
                "2026-10-23",
                "2026-10-23T07:00:00+00:00",
                "2026-10-23T15:00:00+00:00",
            ),
            (
                "2026-10-26",
                "2026-10-26T08:00:00+00:00",
                "2026-10-26T16:00:00+00:00",
            ),
            (
                "2027-03-26",
                "2027-03-26T08:00:00+00:00",
                "2027-03-26T16:00:00+00:00",
            ),
            (
                "2027-03-29",
                "2027-03-29T07:00:00+00:00",
                "2027-03-29T15:00:00+00:00",
            ),
            (
                "2027-10-29",
                "2027-10-29T07:00:00+00:00",
                "2027-10-29T15:00:00+00:00",
            ),
            (
                "2027-11-01",
                "2027-11-01T08:00:00+00:00",
                "2027-11-01T16:00:00+00:00",
            ),
        ] {
            assert_eq!(
                day(&calendar, date),
                [(start.to_owned(), end.to_owned())],
                "{date}"
            );
        }
        assert!(
            day(&calendar, "2026-03-29").is_empty(),
            "Sunday has no rule"
        );
    }

    #[test]
    fn windows_on_the_change_days_themselves_are_as_long_as_the_clock_says() {
        let sunday = |start, end| Calendar {
            time_zone: TimeZone::BERLIN,
            weekly_rules: vec![WeeklyRule {
                weekday: 7,
                start,
                end,
            }],
            overrides: vec![],
            absences: vec![],
        };
        // 01:00–04:00 on the spring day is only two real hours: the clocks skip 02:00–03:00.
        assert_eq!(
            day(&sunday(time(1, 0), time(4, 0)), "2026-03-29"),
            [(
                "2026-03-29T00:00:00+00:00".into(),
                "2026-03-29T02:00:00+00:00".into()
            )]
        );
        // A start in the gap begins when the clocks resume (03:00 CEST = 01:00 UTC).
        assert_eq!(
            day(&sunday(time(2, 30), time(5, 0)), "2027-03-28"),
            [(
                "2027-03-28T01:00:00+00:00".into(),
                "2027-03-28T03:00:00+00:00".into()
            )]
        );
        // 01:00–04:00 on the autumn day is four real hours.
        assert_eq!(
            day(&sunday(time(1, 0), time(4, 0)), "2026-10-25"),
            [(
                "2026-10-24T23:00:00+00:00".into(),
                "2026-10-25T03:00:00+00:00".into()
            )]
        );
        // Edges inside the fold: start at the first 02:30, end at the second.
        assert_eq!(
            day(&sunday(time(2, 30), time(2, 45)), "2027-10-31"),
            [(
                "2027-10-31T00:30:00+00:00".into(),
                "2027-10-31T01:45:00+00:00".into()
            )]
        );
    }

    #[test]
    fn overrides_replace_a_day_and_absences_cut_windows() {
        let mut calendar = monday_to_friday(time(8, 0), time(18, 0));
        calendar.overrides.push(DateOverride {
            date: "2026-12-02".parse().expect("date"),
            windows: vec![LocalWindow {
                start: time(13, 0),
                end: time(15, 0),
            }],
        });
        calendar.overrides.push(DateOverride {
            date: "2026-12-03".parse().expect("date"),
            windows: vec![],
        });
        calendar.absences.push(Absence {
            start: utc("2026-12-04T10:00:00Z"),
            end: utc("2026-12-04T11:00:00Z"),
            reason: "other".into(),
        });
        assert_eq!(
            day(&calendar, "2026-12-02"),
            [(
                "2026-12-02T12:00:00+00:00".into(),
                "2026-12-02T14:00:00+00:00".into()
            )]
        );
        assert!(day(&calendar, "2026-12-03").is_empty());
        assert_eq!(
            day(&calendar, "2026-12-04"),
            [
                (
                    "2026-12-04T07:00:00+00:00".into(),
                    "2026-12-04T10:00:00+00:00".into()
                ),
                (
                    "2026-12-04T11:00:00+00:00".into(),
                    "2026-12-04T17:00:00+00:00".into()
                )
            ]
        );
        assert!(absent(
            &calendar.absences,
            utc("2026-12-04T10:30:00Z"),
            utc("2026-12-04T12:00:00Z")
        ));
        assert!(!absent(
            &calendar.absences,
            utc("2026-12-04T11:00:00Z"),
            utc("2026-12-04T12:00:00Z")
        ));
    }
}
