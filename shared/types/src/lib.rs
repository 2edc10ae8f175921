//! Domain values shared by every service: identifiers and the small vocabularies of
//! the booking domain. No I/O lives here; constructors refuse bad input, so code that
//! holds one of these values never checks it again.
//!
//! Layout: `ids` (typed UUIDs), `vocab` (enums of the domain words in DESIGN.md).

pub mod ids;
pub mod vocab;

pub use ids::*;
pub use vocab::*;
