//! The `notifications` service: e-mail with iCalendar, reminders, the in-app feed.
//! Owns the `notifications` schema; consumes the other services' events.
//!
//! Entry points: [`run`] binds the configured address; [`run_on`] takes a bound
//! listener (tests use port 0); [`run_with`] runs the service's work on an existing
//! [`Platform`] (the all-in-one `mittler` binary shares one).

use mittler_contracts::system::PingNotification;
use mittler_platform::{CancellationToken, Config, Platform, Schema, Tasks};

/// The service's name in logs, pings and NATS connection names.
pub const NAME: &str = "notifications";

/// Run the service alone on the configured address, with its operator endpoints.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = mittler_platform::bind(&config).await?;
    run_on(listener, config, shutdown).await
}

/// Run the service alone, its operator endpoints on `listener`.
pub async fn run_on(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    mittler_platform::standalone(config, NAME, listener, shutdown, run_with).await
}

/// The service's own work, on a shared platform, until `shutdown`.
pub async fn run_with(platform: Platform, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut tasks = Tasks::new();
    platform.spawn_basics::<PingNotification>(&mut tasks, Schema::NOTIFICATIONS, &shutdown);
    tasks.join(shutdown, platform.grace()).await
}
