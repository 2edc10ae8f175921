//! Domain values shared by every service: identifiers and the small vocabularies of
//! the booking domain. No I/O lives here; constructors refuse bad input, so code that
//! holds one of these values never checks it again.
//!
//! Layout: `ids` (typed UUIDs), `language` (checked BCP 47 / ISO 639 tags), `time`
//! (zones, local times that resolve or refuse, bounded durations), `vocab` (enums
//! of the domain words).

pub mod ids;
pub mod language;
pub mod time;
pub mod vocab;

pub use ids::*;
pub use language::{LanguageTag, LanguageTagError};
pub use time::{BookingMinutes, LocalTimeError, TimeZone};
pub use vocab::*;

/// An error of the vocabularies as a text key with the values of its placeholders
/// (the catalogue of texts lives in the contracts; `Text::from(&error.keyed())`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyed {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Keyed {
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

impl language::LanguageTagError {
    pub fn keyed(&self) -> Keyed {
        match self {
            Self::Empty => Keyed::new("value.language_required"),
            Self::Malformed(value) => Keyed::new("value.language_form").arg("value", value),
            Self::UnknownLanguage(value) => {
                Keyed::new("value.language_unknown").arg("value", value)
            }
        }
    }
}

impl time::UnknownTimeZone {
    pub fn keyed(&self) -> Keyed {
        Keyed::new("value.time_zone_unknown").arg("value", &self.0)
    }
}

impl time::LocalTimeError {
    pub fn keyed(&self) -> Keyed {
        match self {
            Self::DoesNotExist { local, zone } => Keyed::new("value.local_time_gap")
                .arg("local", local)
                .arg("zone", zone),
            Self::Ambiguous {
                local,
                zone,
                earlier_offset,
                later_offset,
            } => Keyed::new("value.local_time_fold")
                .arg("local", local)
                .arg("zone", zone)
                .arg("earlier", earlier_offset)
                .arg("later", later_offset),
        }
    }
}

impl time::DurationOutOfRange {
    pub fn keyed(&self) -> Keyed {
        Keyed::new("value.duration")
            .arg("min", BookingMinutes::MIN)
            .arg("max", BookingMinutes::MAX)
            .arg("value", self.0)
    }
}

impl vocab::UnknownValue {
    pub fn keyed(&self) -> Keyed {
        Keyed::new("value.unknown").arg("value", &self.0)
    }
}
