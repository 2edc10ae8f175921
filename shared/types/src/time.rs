//! Time at the edges: local wall-clock times in an IANA zone resolved to UTC
//! instants, refusing times that do not exist (spring gap) and asking for an offset
//! where a time exists twice (autumn fold); durations within bounds.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An IANA time zone, checked through chrono-tz.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(Tz);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an IANA time zone (e.g. Europe/Berlin)")]
pub struct UnknownTimeZone(pub String);

impl TimeZone {
    pub const BERLIN: TimeZone = TimeZone(chrono_tz::Europe::Berlin);

    pub fn parse(name: &str) -> Result<Self, UnknownTimeZone> {
        Tz::from_str(name.trim())
            .map(Self)
            .map_err(|_| UnknownTimeZone(name.chars().take(64).collect()))
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local wall-clock time of `instant` in this zone.
    pub fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.0).naive_local()
    }

    /// The one instant at which the clocks of this zone show `local`.
    pub fn resolve(&self, local: NaiveDateTime) -> Result<DateTime<Utc>, LocalTimeError> {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
            LocalResult::None => Err(LocalTimeError::DoesNotExist {
                local,
                zone: self.name(),
            }),
            LocalResult::Ambiguous(earlier, later) => Err(LocalTimeError::Ambiguous {
                local,
                zone: self.name(),
                earlier_offset: earlier.format("%:z").to_string(),
                later_offset: later.format("%:z").to_string(),
            }),
        }
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self::BERLIN
    }
}

impl TryFrom<String> for TimeZone {
    type Error = UnknownTimeZone;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeZone> for String {
    fn from(value: TimeZone) -> Self {
        value.name().to_owned()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a local time does not name one instant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    /// The clocks jump over this time (last Sunday of March in Europe).
    #[error("{local} does not exist in {zone}: the clocks skip it when summer time starts")]
    DoesNotExist {
        local: NaiveDateTime,
        zone: &'static str,
    },
    /// The clocks show this time twice (last Sunday of October in Europe).
    #[error(
        "{local} happens twice in {zone} (when summer time ends); send `start` with an explicit offset ({earlier_offset} for the first, {later_offset} for the second)"
    )]
    Ambiguous {
        local: NaiveDateTime,
        zone: &'static str,
        earlier_offset: String,
        later_offset: String,
    },
}

/// A local start time as a client sends it: `YYYY-MM-DDTHH:MM[:SS]`.
pub fn parse_local_datetime(input: &str) -> Option<NaiveDateTime> {
    let input = input.trim();
    NaiveDateTime::parse_from_str(input, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(input, "%Y-%m-%dT%H:%M"))
        .ok()
}

/// How long a booking lasts: 15 minutes to 10 hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct BookingMinutes(u16);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("duration must be between {min} and {max} minutes, not {0}", min = BookingMinutes::MIN, max = BookingMinutes::MAX)]
pub struct DurationOutOfRange(pub i64);

impl BookingMinutes {
    pub const MIN: i64 = 15;
    pub const MAX: i64 = 600;

    pub fn new(minutes: i64) -> Result<Self, DurationOutOfRange> {
        if (Self::MIN..=Self::MAX).contains(&minutes) {
            Ok(Self(minutes as u16))
        } else {
            Err(DurationOutOfRange(minutes))
        }
    }

    pub fn minutes(&self) -> i64 {
        i64::from(self.0)
    }

    pub fn as_duration(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.minutes())
    }
}

impl TryFrom<i64> for BookingMinutes {
    type Error = DurationOutOfRange;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<BookingMinutes> for i64 {
    fn from(value: BookingMinutes) -> Self {
        value.minutes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
    use proptest::prelude::*;

    fn local(s: &str) -> NaiveDateTime {
        parse_local_datetime(s).expect("valid local time")
    }

    #[test]
    fn summer_and_winter_times_resolve_to_the_right_instants() {
        let berlin = TimeZone::BERLIN;
        assert_eq!(
            berlin
                .resolve(local("2026-03-27T09:00"))
                .expect("ok")
                .to_rfc3339(),
            "2026-03-27T08:00:00+00:00"
        );
        assert_eq!(
            berlin
                .resolve(local("2026-03-30T09:00"))
                .expect("ok")
                .to_rfc3339(),
            "2026-03-30T07:00:00+00:00"
        );
        assert_eq!(
            berlin
                .resolve(local("2026-10-26T09:00"))
                .expect("ok")
                .to_rfc3339(),
            "2026-10-26T08:00:00+00:00"
        );
    }

    #[test]
    fn the_spring_gap_is_refused_and_the_autumn_fold_asks_for_an_offset() {
        let berlin = TimeZone::BERLIN;
        let gap = berlin.resolve(local("2026-03-29T02:30")).expect_err("gap");
        assert!(matches!(gap, LocalTimeError::DoesNotExist { .. }));
        assert!(gap.to_string().contains("does not exist"));
        let fold = berlin.resolve(local("2026-10-25T02:30")).expect_err("fold");
        assert_eq!(
            fold,
            LocalTimeError::Ambiguous {
                local: local("2026-10-25T02:30"),
                zone: "Europe/Berlin",
                earlier_offset: "+02:00".into(),
                later_offset: "+01:00".into()
            }
        );
        assert!(berlin.resolve(local("2027-03-28T02:00")).is_err());
        assert!(berlin.resolve(local("2027-10-31T02:59:59")).is_err());
    }

    #[test]
    fn zones_and_durations_are_checked() {
        assert_eq!(
            TimeZone::parse("Europe/Berlin").expect("ok"),
            TimeZone::BERLIN
        );
        assert!(TimeZone::parse("Europe/Chemnitz").is_err());
        assert!(BookingMinutes::new(14).is_err());
        assert!(BookingMinutes::new(601).is_err());
        assert_eq!(
            BookingMinutes::new(600).expect("ok").as_duration(),
            Duration::hours(10)
        );
        assert!(parse_local_datetime("2026-03-29 09:00").is_none());
        assert!(parse_local_datetime("2026-02-30T09:00").is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Every local time in Europe/Berlin through 2026–2027 either resolves to one
        /// instant (that shows the same wall-clock time), or is in the spring gap and
        /// refused, or is in the autumn fold and asks for an offset.
        #[test]
        fn every_berlin_local_time_in_2026_and_2027_is_one_instant_a_gap_or_a_fold(
            day in 0i64..730, second in 0u32..86_400
        ) {
            let date = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + Duration::days(day);
            let time = NaiveTime::from_num_seconds_from_midnight_opt(second, 0).expect("time");
            let wall = date.and_time(time);
            let is_last_sunday = |month: u32| {
                use chrono::Datelike;
                date.month() == month && date.weekday() == chrono::Weekday::Sun && (date + Duration::days(7)).month() != month
            };
            match TimeZone::BERLIN.resolve(wall) {
                Ok(instant) => {
                    prop_assert_eq!(TimeZone::BERLIN.local(instant), wall);
                }
                Err(LocalTimeError::DoesNotExist { .. }) => {
                    prop_assert!(is_last_sunday(3) && wall.hour() == 2);
                }
                Err(LocalTimeError::Ambiguous { earlier_offset, later_offset, .. }) => {
                    prop_assert!(is_last_sunday(10) && wall.hour() == 2);
                    prop_assert_eq!((earlier_offset.as_str(), later_offset.as_str()), ("+02:00", "+01:00"));
                }
            }
        }

        /// Every second of the two DST days themselves, exhaustively by hour.
        #[test]
        fn gap_and_fold_hours_are_exactly_two_to_three(minute in 0u32..(24 * 60)) {
            for date in [(2026, 3, 29), (2027, 3, 28), (2026, 10, 25), (2027, 10, 31)] {
                let day = NaiveDate::from_ymd_opt(date.0, date.1, date.2).expect("date");
                let wall = day.and_time(NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).expect("time"));
                let refused = TimeZone::BERLIN.resolve(wall).is_err();
                prop_assert_eq!(refused, minute / 60 == 2, "{}", wall);
            }
        }
    }
}
