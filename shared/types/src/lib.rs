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
