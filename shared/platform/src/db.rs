//! Postgres: the pool, the migrator over the top-level `migrations/` folder (one
//! schema per service), and schema names that are safe to put into SQL text.

use crate::config::DatabaseConfig;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// Every migration of every service, applied in order, under an advisory lock so
/// that several replicas may start at once.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

pub async fn connect(config: &DatabaseConfig) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections.min(config.max_connections))
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .connect(config.url.expose_secret())
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// A service's Postgres schema. Only the constants below exist, so the name can be
/// put into SQL text (the outbox and inbox tables are the same in every schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Schema(&'static str);

impl Schema {
    pub const DIRECTORY: Schema = Schema("directory");
    pub const BOOKING: Schema = Schema("booking");
    pub const AVAILABILITY: Schema = Schema("availability");
    pub const SESSIONS: Schema = Schema("sessions");
    pub const NOTIFICATIONS: Schema = Schema("notifications");
    /// A schema for the platform's own tests and benchmarks.
    pub const PLATFORM_TEST: Schema = Schema("platform_test");

    pub const fn name(self) -> &'static str {
        self.0
    }

    /// The LISTEN/NOTIFY channel on which new outbox rows are announced.
    pub fn outbox_channel(self) -> String {
        format!("{}_outbox", self.0)
    }
}

impl std::fmt::Display for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
