//! The all-in-one process: every service in one, sharing one platform (one
//! Postgres pool, one NATS connection), for small deployments and development.

use anyhow::Context as _;
use mittler_platform::{CancellationToken, Config, Platform, Tasks};

/// Run every service until `shutdown`, HTTP on `listener`.
pub async fn run_on(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let platform = Platform::connect(config, "mittler")
        .await
        .context("starting the platform")?;
    let mut tasks = Tasks::new();
    tasks.spawn(
        "gateway",
        mittler_gateway::run_with(platform.clone(), listener, shutdown.clone()),
    );
    tasks.spawn(
        "booking",
        mittler_booking::run_with(platform.clone(), shutdown.clone()),
    );
    tasks.spawn(
        "availability",
        mittler_availability::run_with(platform.clone(), shutdown.clone()),
    );
    tasks.spawn(
        "sessions",
        mittler_sessions::run_with(platform.clone(), shutdown.clone()),
    );
    tasks.spawn(
        "notifications",
        mittler_notifications::run_with(platform.clone(), shutdown.clone()),
    );
    tasks.join(shutdown, platform.grace()).await
}

/// Run every service on the configured address.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = mittler_platform::bind(&config).await?;
    run_on(listener, config, shutdown).await
}

/// Apply the migrations of every service and return.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let pool = mittler_platform::db::connect(&config.database)
        .await
        .context("connecting to Postgres")?;
    mittler_platform::db::migrate(&pool)
        .await
        .context("applying migrations")?;
    Ok(())
}

/// Migrate, then add the demo data, and say how to sign in.
pub async fn seed_demo(config: &Config) -> anyhow::Result<()> {
    let pool = mittler_platform::db::connect(&config.database)
        .await
        .context("connecting to Postgres")?;
    mittler_platform::db::migrate(&pool)
        .await
        .context("applying migrations")?;
    let report = mittler_gateway::seed::seed(&pool)
        .await
        .context("seeding demo data")?;
    println!(
        "demo data ready ({} new accounts); every demo login has the password '{}' (see README)",
        report.users,
        mittler_gateway::seed::DEMO_PASSWORD
    );
    Ok(())
}
