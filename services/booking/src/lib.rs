//! The `booking` service: the booking lifecycle and dispatch (ranking candidates,
//! offers, race-safe acceptance, escalation). Owns the `booking` schema; publishes
//! `booking.*` events through its outbox.
//!
//! Layout: `lifecycle` (the state machine), `store` (the bookings table),
//! `requests` (answers to `booking.rpc.*`), `dispatch` (ranking, offers in waves,
//! deadlines, the accept saga, unfilled bookings), `records` (the time record that
//! closes every assigned booking), `billing` (rate cards, the month close, pay
//! statements and invoices), `reports` (the queue, a mediator's jobs,
//! statistics).
//!
//! Entry points: [`run`] binds the configured address; [`run_on`] takes a bound
//! listener (tests use port 0); [`run_with`] runs the service's work on an existing
//! [`Platform`] (the all-in-one `mittler` binary shares one).

mod amend;
pub mod billing;
pub mod dispatch;
pub mod error;
pub mod lifecycle;
pub mod records;
pub mod reports;
pub mod requests;
pub mod sessions;
pub mod settings;
pub mod store;

use mittler_contracts::system::PingBooking;
use mittler_platform::{CancellationToken, Platform, Schema, Tasks};

/// The service's name in logs, pings and NATS connection names.
pub const NAME: &str = "booking";

mittler_platform::service_entry_points!(NAME, run_with);

/// The service's own work, on a shared platform, until `shutdown`.
pub async fn run_with(platform: Platform, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut tasks = Tasks::new();
    platform.spawn_basics::<PingBooking>(&mut tasks, Schema::BOOKING, &shutdown);
    requests::Bookings::new(platform.pool.clone())
        .with_availability(platform.nats.client.clone(), platform.request_timeout())
        .serve(&platform, &mut tasks, &shutdown);
    reports::Reports::new(platform.pool.clone()).serve(&platform, &mut tasks, &shutdown);
    billing::Billing::new(platform.pool.clone()).serve(&platform, &mut tasks, &shutdown);
    dispatch::Dispatcher::new(&platform)?.spawn(&platform, &mut tasks, &shutdown);
    let records: settings::RecordsConfig = platform.settings()?;
    records::Records::new(platform.pool.clone(), records.clone())
        .serve(&platform, &mut tasks, &shutdown);
    let spec = mittler_platform::consumer::ConsumerSpec {
        name: "booking-sessions".into(),
        stream: &mittler_contracts::streams::SESSION,
        filter_subject: None,
        schema: Schema::BOOKING,
        concurrency: Some(1),
    };
    tasks.spawn(
        "session-consumer",
        platform
            .consumer(spec, sessions::SessionEvents { records })
            .run(shutdown.clone()),
    );
    tasks.join(shutdown, platform.grace()).await
}
