//! The `sessions` service: video rooms, signed join links, WebRTC signalling, time
//! records. Owns the `sessions` schema; publishes `session.*` events.
//!
//! Layout: `tokens` (join tokens, TURN credentials), `rooms` (rooms opened and
//! closed from booking events; `session.rpc.{links,check,join,leave}`; the time
//! record). The browser side — the room page and its signalling socket — is served
//! by the gateway, which relays signals between peers over NATS.
//!
//! Entry points: [`run`] binds the configured address; [`run_on`] takes a bound
//! listener (tests use port 0); [`run_with`] runs the service's work on an existing
//! [`Platform`] (the all-in-one `mittler` binary shares one).

pub mod error;
pub mod janus;
pub mod rooms;
pub mod settings;
pub mod tokens;

use anyhow::Context as _;
use mittler_contracts::session::{Alive, Check, GetLinks, Join, Leave};
use mittler_contracts::streams;
use mittler_contracts::system::PingSession;
use mittler_platform::consumer::ConsumerSpec;
use mittler_platform::consumer::Decoded;
use mittler_platform::{CancellationToken, Platform, Schema, Tasks};

/// The service's name in logs, pings and NATS connection names.
pub const NAME: &str = "sessions";

mittler_platform::service_entry_points!(NAME, run_with);

/// The service's own work, on a shared platform, until `shutdown`.
pub async fn run_with(platform: Platform, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut tasks = Tasks::new();
    platform.spawn_basics::<PingSession>(&mut tasks, Schema::SESSIONS, &shutdown);
    let rooms = rooms::Rooms::new(platform.pool.clone(), platform.settings()?)
        .await
        .context("loading the signing key")?;
    let spec = ConsumerSpec {
        name: "sessions".into(),
        stream: &streams::BOOKING,
        filter_subject: None,
        schema: Schema::SESSIONS,
        // A booking's events in order: assigned before cancelled.
        concurrency: Some(1),
    };
    tasks.spawn(
        "sessions-consumer",
        platform
            .consumer(spec, Decoded(rooms::RoomsHandler(rooms.clone())))
            .run(shutdown.clone()),
    );
    tasks.spawn(
        "presence-sweeper",
        rooms.clone().run_sweeper(shutdown.clone()),
    );
    mittler_platform::serve_methods!(
        tasks,
        platform.nats.client,
        shutdown,
        rooms,
        64,
        [
            (GetLinks, links),
            (Check, check),
            (Join, join),
            (Leave, leave),
            (Alive, alive),
        ]
    );
    tasks.join(shutdown, platform.grace()).await
}
