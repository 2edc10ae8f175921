//! The `gateway` service: the public HTTP API, the web UI, login and tenant checks,
//! live updates for the coordinators' queue. Owns the `directory` schema
//! (organisations, users, credentials); reaches the other services over NATS only.
//!
//! Layout: `http` builds the router and the OpenAPI document; `state` is what every
//! handler reaches (and `AppState::call` the one way to ask a service); `auth` signs
//! people in and says who is asking; `accounts` invites, resets and changes
//! passwords; `oidc` signs people in through an OpenID Connect issuer; `tenancy` says what they may reach (the tenant
//! scope's one home); `bookings` is the booking API (`bookings::intake` checks what
//! people send); `mediators` the
//! mediators' calendars, presence and profiles; `people` the accounts coordinators
//! manage; `offers` offers and their answers; `directory` the schema's
//! queries; `live` the booking events for server-sent streams (the queue's and the UI's); `json` the body extractor; `problem` the one error type of the HTTP edge
//! (RFC 9457 problem+json); `seed` the demo data.
//!
//! Entry points: [`run`] binds the configured address; [`run_on`] takes a bound
//! listener (tests use port 0); [`run_with`] serves on an existing [`Platform`].

pub mod accounts;
pub mod auth;
pub mod billing;
pub mod bookings;
pub mod directory;
pub mod headers;
pub mod http;
pub mod json;
pub mod live;
pub mod mediators;
pub mod notifications;
pub mod offers;
pub mod oidc;
pub mod organisations;
pub mod people;
pub mod places;
pub mod problem;
pub mod reports;
pub mod rooms;
pub mod seed;
pub mod settings;
pub mod state;
pub mod tenancy;
pub mod ui;

use anyhow::Context as _;
use mittler_contracts::system::PingDirectory;
use mittler_platform::{CancellationToken, Config, Platform, Schema, Tasks};

pub const NAME: &str = "gateway";

/// Run the gateway alone on the configured address.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = mittler_platform::bind(&config).await?;
    run_on(listener, config, shutdown).await
}

/// Run the gateway alone on `listener`.
pub async fn run_on(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let platform = Platform::connect(config, NAME).await?;
    run_with(platform, listener, shutdown).await
}

/// Serve HTTP on `listener` and run the gateway's background work until `shutdown`.
pub async fn run_with(
    platform: Platform,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut tasks = Tasks::new();
    platform.spawn_basics::<PingDirectory>(&mut tasks, Schema::DIRECTORY, &shutdown);
    mittler_platform::serve_methods!(
        tasks,
        platform.nats.client,
        shutdown,
        directory::DirectoryRpc {
            pool: platform.pool.clone(),
        },
        16,
        [(mittler_contracts::directory::Contacts, contacts)]
    );
    let app = http::router(platform.clone())?;
    let addr = listener.local_addr().ok();
    tracing::info!(?addr, "gateway listening");
    let server_shutdown = shutdown.clone();
    tasks.spawn("http", async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(server_shutdown.cancelled_owned())
        .await
        .context("HTTP server")
    });
    tasks.join(shutdown, platform.grace()).await
}
