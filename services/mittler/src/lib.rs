//! The all-in-one process: every service in one, sharing one platform (one
//! Postgres pool, one NATS connection), for small deployments and development.

pub mod matcher;

use anyhow::Context as _;
use mittler_availability::settings::AvailabilityConfig;
use mittler_booking::settings::{DispatchConfig, RecordsConfig};
use mittler_gateway::settings::{AuthConfig, OidcConfig};
use mittler_notifications::settings::NotificationsConfig;
use mittler_platform::config::Settings;
use mittler_platform::{CancellationToken, Config, Platform, Tasks};
use mittler_sessions::settings::SessionsConfig;

/// A service's section as loaded and its defaults (both as `Debug`), or why it does
/// not read.
type Section = fn(&Config) -> anyhow::Result<(String, String)>;

fn section<T: Settings + std::fmt::Debug>(config: &Config) -> anyhow::Result<(String, String)> {
    let value = config
        .settings::<T>()
        .map_err(|e| anyhow::anyhow!("settings [{}]: {e}", T::SECTION))?;
    Ok((format!("{value:?}"), format!("{:?}", T::default())))
}

/// Every service's section of the settings, once.
const SECTIONS: [(&str, Section); 7] = [
    (AuthConfig::SECTION, section::<AuthConfig>),
    (OidcConfig::SECTION, section::<OidcConfig>),
    (DispatchConfig::SECTION, section::<DispatchConfig>),
    (RecordsConfig::SECTION, section::<RecordsConfig>),
    (AvailabilityConfig::SECTION, section::<AvailabilityConfig>),
    (SessionsConfig::SECTION, section::<SessionsConfig>),
    (NotificationsConfig::SECTION, section::<NotificationsConfig>),
];

/// Every service's section of the settings, read: a value a service does not take,
/// or a section no service has (a misspelt `[dispach]`), stops the start.
pub fn check_settings(config: &Config) -> anyhow::Result<()> {
    for (_, read) in SECTIONS {
        read(config)?;
    }
    if let Some(unknown) = config
        .section_names()
        .find(|name| !SECTIONS.iter().any(|(known, _)| known == name))
    {
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

/// `mittler create-admin`: migrate, then make the admin account.
pub async fn create_admin(
    config: &Config,
    email: &str,
    name: &str,
    pool_name: &str,
    password: &str,
) -> anyhow::Result<()> {
    let pool = mittler_platform::db::connect(&config.database)
        .await
        .context("connecting to Postgres")?;
    mittler_platform::db::migrate(&pool)
        .await
        .context("applying migrations")?;
    let id = mittler_gateway::accounts::create_admin(&pool, email, name, pool_name, password)
        .await
        .context("creating the admin")?;
    println!(
        "admin {email} created (account {id}) in the pool '{pool_name}'; sign in at the web UI"
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
                pool: mittler_gateway::seed::demo_pool(),
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
    use std::path::Path;

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
            for (name, read) in SECTIONS {
                let (value, default) = read(&loaded).map_err(|e| e.to_string())?;
                if value != default {
                    return Err(format!("[{name}]: {value} ≠ {default}").into());
                }
            }
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
                .settings::<DispatchConfig>()
                .map_err(|e| e.to_string())?;
            assert_eq!(dispatch.cascade_size, 5, "from the environment");
            Ok(())
        });
    }
}
