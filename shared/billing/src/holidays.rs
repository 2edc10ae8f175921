//! Public holidays by German state, from the `bdays` crate's state calendars (Buß-
//! und Bettag in Saxony only, Fronleichnam in Baden-Württemberg, Bavaria, Hesse,
//! North Rhine-Westphalia, Rhineland-Palatinate and Saarland, Reformationstag in the
//! northern and eastern states, Frauentag in Berlin and Mecklenburg-Vorpommern,
//! Weltkindertag in Thuringia). Brandenburg also keeps Easter Sunday and Whit
//! Sunday as public holidays, which the crate leaves out: they are added here.
//! Holidays that only some municipalities keep (Fronleichnam in parts of Saxony and
//! Thuringia, Mariä Himmelfahrt outside Bavaria's Catholic communities aside, the
//! Augsburger Friedensfest) count for the whole state or not at all, as the crate has
//! them.

use bdays::HolidayCalendar;
use bdays::calendars::de::GermanState;
use chrono::{Datelike, Duration, NaiveDate};

/// A state's calendar, by its ISO 3166-2 code (`DE-SN`).
#[derive(Clone, Copy, Debug)]
pub struct Holidays(GermanState);

impl Holidays {
    pub fn of(region: &str) -> Option<Self> {
        use GermanState::*;
        let state = match region {
            "DE-BW" => BW,
            "DE-BY" => BY,
            "DE-BE" => BE,
            "DE-BB" => BB,
            "DE-HB" => HB,
            "DE-HH" => HH,
            "DE-HE" => HE,
            "DE-MV" => MV,
            "DE-NI" => NI,
            "DE-NW" => NW,
            "DE-RP" => RP,
            "DE-SL" => SL,
            "DE-SN" => SN,
            "DE-ST" => ST,
            "DE-SH" => SH,
            "DE-TH" => TH,
            _ => return None,
        };
        Some(Self(state))
    }

    pub fn holds(&self, date: NaiveDate) -> bool {
        self.0.is_holiday(date) || (matches!(self.0, GermanState::BB) && brandenburg_sunday(date))
    }
}

/// Whether `date` is a public holiday in `region`; an unknown region has none.
pub fn is_holiday(region: &str, date: NaiveDate) -> bool {
    Holidays::of(region).is_some_and(|h| h.holds(date))
}

/// Easter Sunday and Whit Sunday (Brandenburg's Feiertagsgesetz § 2).
fn brandenburg_sunday(date: NaiveDate) -> bool {
    let easter = easter_sunday(date.year());
    date == easter || date == easter + Duration::days(49)
}

/// Easter Sunday of the Gregorian calendar (the anonymous algorithm of 1876, as
/// Meeus gives it).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a date")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn buss_und_bettag_is_saxon_and_fronleichnam_is_southern() {
        // Buß- und Bettag: the Wednesday before 23 November.
        assert!(is_holiday("DE-SN", d(2026, 11, 18)));
        assert!(!is_holiday("DE-BE", d(2026, 11, 18)));
        assert!(is_holiday("DE-SN", d(2025, 11, 19)));
        // Fronleichnam 2026: 4 June.
        assert!(is_holiday("DE-BY", d(2026, 6, 4)));
        assert!(is_holiday("DE-NW", d(2026, 6, 4)));
        assert!(!is_holiday("DE-SN", d(2026, 6, 4)));
        assert!(!is_holiday("DE-HH", d(2026, 6, 4)));
        // Everywhere: Christmas, German Unity Day, Good Friday 2026 (3 April).
        for region in ["DE-SN", "DE-BY", "DE-HH"] {
            assert!(is_holiday(region, d(2026, 12, 25)));
            assert!(is_holiday(region, d(2026, 10, 3)));
            assert!(is_holiday(region, d(2026, 4, 3)));
        }
        assert!(!is_holiday("DE-SN", d(2026, 12, 7)));
        assert!(!is_holiday("XX", d(2026, 12, 25)));
    }

    #[test]
    fn brandenburg_keeps_easter_and_whit_sunday() {
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2019), d(2019, 4, 21));
        assert!(is_holiday("DE-BB", d(2026, 4, 5)));
        assert!(is_holiday("DE-BB", d(2026, 5, 24)));
        assert!(!is_holiday("DE-SN", d(2026, 4, 5)));
    }
}
