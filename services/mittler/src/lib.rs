//! The all-in-one process: every service in one, sharing one platform (one
//! Postgres pool, one NATS connection), for small deployments and development.

pub mod matcher;

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
    let (users, profiles) = seed_demo_data(&pool).await?;
    println!(
        "demo data ready ({users} new accounts, {profiles} new mediator profiles); every demo login has the password '{}' (see README)",
        mittler_gateway::seed::DEMO_PASSWORD
    );
    Ok(())
}

/// The demo directory and the demo mediators' profiles; returns what was new.
pub async fn seed_demo_data(pool: &sqlx::PgPool) -> anyhow::Result<(usize, usize)> {
    let report = mittler_gateway::seed::seed(pool)
        .await
        .context("seeding demo accounts")?;
    let mediators: Vec<mittler_availability::seed::DemoMediator> =
        mittler_gateway::seed::demo_mediators()
            .map(|(id, m, email)| mittler_availability::seed::DemoMediator {
                id,
                name: m.name.to_owned(),
                email,
                languages: m.languages.iter().map(|l| (*l).to_owned()).collect(),
                female: m.female,
            })
            .collect();
    let profiles = mittler_availability::seed::seed(pool, &mediators)
        .await
        .context("seeding demo profiles")?;
    Ok((report.users, profiles))
}
