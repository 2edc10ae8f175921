//! The all-in-one process: every service in one, sharing one platform (one
//! Postgres pool, one NATS connection), for small deployments and development.

pub mod matcher;

use anyhow::Context as _;
use mittler_platform::{CancellationToken, Config, Platform, Tasks};

/// Every service's section of the settings, read: a value a service does not take,
/// or a section no service has (a misspelt `[dispach]`), stops the start.
pub fn check_settings(config: &Config) -> anyhow::Result<()> {
    use mittler_platform::config::Settings;
    fn read<T: Settings>(config: &Config) -> anyhow::Result<()> {
        config
            .settings::<T>()
            .map(drop)
            .map_err(|e| anyhow::anyhow!("settings [{}]: {e}", T::SECTION))
    }
    read::<mittler_gateway::settings::AuthConfig>(config)?;
    read::<mittler_booking::settings::DispatchConfig>(config)?;
    read::<mittler_availability::settings::AvailabilityConfig>(config)?;
    read::<mittler_sessions::settings::SessionsConfig>(config)?;
    read::<mittler_notifications::settings::NotificationsConfig>(config)?;
    let known = [
        mittler_gateway::settings::AuthConfig::SECTION,
        mittler_booking::settings::DispatchConfig::SECTION,
        mittler_availability::settings::AvailabilityConfig::SECTION,
        mittler_sessions::settings::SessionsConfig::SECTION,
        mittler_notifications::settings::NotificationsConfig::SECTION,
    ];
    if let Some(unknown) = config.section_names().find(|name| !known.contains(name)) {
        anyhow::bail!("settings: no service has a section [{unknown}]");
    }
    Ok(())
}

/// Run every service until `shutdown`, HTTP on `listener`.
pub async fn run_on(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    check_settings(&config)?;
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

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's own error
mod tests {
    use super::*;
    use mittler_platform::config::Settings;
    use std::path::Path;

    fn same<T: Settings + std::fmt::Debug>(loaded: &Config) -> Result<(), String> {
        let value = loaded.settings::<T>().map_err(|e| e.to_string())?;
        let (value, default) = (format!("{value:?}"), format!("{:?}", T::default()));
        if value == default {
            Ok(())
        } else {
            Err(format!("[{}]: {value} ≠ {default}", T::SECTION))
        }
    }

    #[test]
    fn the_commented_example_in_deploy_is_exactly_the_defaults() {
        figment::Jail::expect_with(|_jail| {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/mittler.example.toml");
            let loaded = Config::load(Some(&path)).map_err(|e| e.to_string())?;
            check_settings(&loaded).map_err(|e| e.to_string())?;
            let defaults = Config::default();
            for (name, a, b) in [
                (
                    "http",
                    format!("{:?}", loaded.http),
                    format!("{:?}", defaults.http),
                ),
                (
                    "database",
                    format!("{:?}", loaded.database),
                    format!("{:?}", defaults.database),
                ),
                (
                    "nats",
                    format!("{:?}", loaded.nats),
                    format!("{:?}", defaults.nats),
                ),
                (
                    "telemetry",
                    format!("{:?}", loaded.telemetry),
                    format!("{:?}", defaults.telemetry),
                ),
                (
                    "outbox",
                    format!("{:?}", loaded.outbox),
                    format!("{:?}", defaults.outbox),
                ),
                (
                    "consumer",
                    format!("{:?}", loaded.consumer),
                    format!("{:?}", defaults.consumer),
                ),
            ] {
                if a != b {
                    return Err(format!("[{name}]: {a} ≠ {b}").into());
                }
            }
            same::<mittler_gateway::settings::AuthConfig>(&loaded)?;
            same::<mittler_booking::settings::DispatchConfig>(&loaded)?;
            same::<mittler_availability::settings::AvailabilityConfig>(&loaded)?;
            same::<mittler_sessions::settings::SessionsConfig>(&loaded)?;
            same::<mittler_notifications::settings::NotificationsConfig>(&loaded)?;
            Ok(())
        });
    }

    #[test]
    fn a_misspelt_section_or_a_wrong_value_stops_the_start() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[dispach]\ncascade_size = 2\n")?;
            let config = Config::load(Some(Path::new("typo.toml"))).map_err(|e| e.to_string())?;
            let error = check_settings(&config).expect_err("refused").to_string();
            assert!(error.contains("[dispach]"), "{error}");
            jail.set_env("MITTLER__DISPATCH__CASCADE_SIZE", "many");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            let error = check_settings(&config).expect_err("refused").to_string();
            assert!(error.contains("[dispatch]"), "{error}");
            jail.set_env("MITTLER__DISPATCH__CASCADE_SIZE", "5");
            let config = Config::load(None).map_err(|e| e.to_string())?;
            check_settings(&config).map_err(|e| e.to_string())?;
            let dispatch = config
                .settings::<mittler_booking::settings::DispatchConfig>()
                .map_err(|e| e.to_string())?;
            assert_eq!(dispatch.cascade_size, 5, "from the environment");
            Ok(())
        });
    }
}
