//! The `availability` service: mediator profiles, calendars, reservations that never
//! overlap, presence. Owns the `availability` schema; answers `availability.rpc.*`.
//!
//! Entry points: [`run`] binds the configured address; [`run_on`] takes a bound
//! listener (tests use port 0); [`run_with`] runs the service's work on an existing
//! [`Platform`] (the all-in-one `mittler` binary shares one).

pub mod calendar;
pub mod eligibility;
pub mod error;
pub mod requests;
pub mod seed;
pub mod settings;
pub mod store;
pub mod validation;

use mittler_contracts::system::PingAvailability;
use mittler_platform::{CancellationToken, Platform, Schema, Tasks};

/// The service's name in logs, pings and NATS connection names.
pub const NAME: &str = "availability";

mittler_platform::service_entry_points!(NAME, run_with);

/// The service's own work, on a shared platform, until `shutdown`.
pub async fn run_with(platform: Platform, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut tasks = Tasks::new();
    platform.spawn_basics::<PingAvailability>(&mut tasks, Schema::AVAILABILITY, &shutdown);
    requests::Availability::new(platform.pool.clone(), platform.settings()?)
        .serve(&platform, &mut tasks, &shutdown);
    tasks.join(shutdown, platform.grace()).await
}
