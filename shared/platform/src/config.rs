//! Settings in layers: defaults in code, then an optional TOML file, then
//! `MITTLER__SECTION__KEY` environment variables. Nothing needs setting to run
//! locally; `deploy/mittler.example.toml` shows every key.
//!
//! The platform's own sections are typed here. Every other section belongs to a
//! service, which declares its type (a [`Settings`]) in its own crate and reads it
//! with [`Config::settings`]; the platform keeps those sections as loaded.

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use figment::value::{Dict, Value};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub nats: NatsConfig,
    pub telemetry: TelemetryConfig,
    pub outbox: OutboxConfig,
    pub consumer: ConsumerConfig,
    /// The services' sections (`[dispatch]`, `[notifications]`, …).
    #[serde(flatten)]
    pub sections: Sections,
}

/// A service's section of the settings: its type, its defaults and its name.
pub trait Settings: DeserializeOwned + Default + Clone + Send + Sync + 'static {
    /// The section's name: `[dispatch]` in the file, `MITTLER__DISPATCH__*` in the
    /// environment.
    const SECTION: &'static str;
}

/// The services' sections: as loaded, and as tests changed them.
#[derive(Clone, Default, Deserialize)]
pub struct Sections {
    #[serde(flatten)]
    loaded: Dict,
    #[serde(skip)]
    changed: HashMap<&'static str, Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Sections {
    // Names only: a section may hold secrets, which its own type hides.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.loaded.keys().map(String::as_str).collect();
        names.extend(self.changed.keys().copied());
        names.sort_unstable();
        names.dedup();
        f.debug_tuple("Sections").field(&names).finish()
    }
}

impl Config {
    /// A service's section: its defaults where the file and the environment say
    /// nothing; an error naming the section where they say something it does not take.
    pub fn settings<T: Settings>(&self) -> Result<T, Box<figment::Error>> {
        if let Some(changed) = self.sections.changed.get(T::SECTION)
            && let Some(value) = changed.downcast_ref::<T>()
        {
            return Ok(value.clone());
        }
        match self.sections.loaded.get(T::SECTION) {
            None => Ok(T::default()),
            Some(value) => value
                .deserialize::<T>()
                .map_err(|e| Box::new(e.with_path(T::SECTION))),
        }
    }

    /// Change a service's section (tests; the all-in-one binary's set-up).
    ///
    /// # Panics
    /// If the section as loaded does not read as `T`.
    pub fn update<T: Settings>(&mut self, change: impl FnOnce(&mut T)) {
        let mut value = self
            .settings::<T>()
            .unwrap_or_else(|e| panic!("settings [{}]: {e}", T::SECTION));
        change(&mut value);
        self.sections.changed.insert(T::SECTION, Arc::new(value));
    }

    /// Set one value of a section by its path (`notifications.smtp_port`), for code
    /// that cannot name the section's type. Set such values before [`update`]s of
    /// the same section.
    ///
    /// # Panics
    /// If the section was already changed through its type, or the path has no dot.
    ///
    /// [`update`]: Config::update
    pub fn set_value(&mut self, path: &str, value: impl Into<Value>) {
        let (section, key) = path
            .split_once('.')
            .unwrap_or_else(|| panic!("{path}: section.key expected"));
        assert!(
            !self.sections.changed.contains_key(section),
            "[{section}] was changed through its type; set {key} before that"
        );
        let entry = self
            .sections
            .loaded
            .entry(section.to_owned())
            .or_insert_with(|| Value::from(Dict::new()));
        if let Value::Dict(_, dict) = entry {
            dict.insert(key.to_owned(), value.into());
        }
    }

    /// The names of the sections the file or the environment set, for a check that
    /// every one of them belongs to a service.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections
            .loaded
            .iter()
            .filter(|(name, value)| {
                // Installation-wide keys stand beside the sections.
                !(INSTALLATION_KEYS.contains(&name.as_str()) && value.as_str().is_some())
            })
            .map(|(name, _)| name.as_str())
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Where the gateway (or a lone service's operator endpoints) listens.
    pub addr: SocketAddr,
    /// How long in-flight requests may take to finish on shutdown.
    pub shutdown_grace_ms: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            shutdown_grace_ms: 10_000,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// A secret: it may hold a password.
    pub url: SecretString,
    pub max_connections: u32,
    /// Connections kept open while idle, so that a burst does not wait for new ones.
    pub min_connections: u32,
    pub acquire_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://mittler@127.0.0.1:15432/mittler"),
            max_connections: 20,
            min_connections: 2,
            acquire_timeout_ms: 5_000,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct NatsConfig {
    /// One server, or a cluster's servers comma-separated (`nats://a:4222,nats://b:4222`).
    pub url: String,
    /// Replicas of each stream: 1 on one server, 3 in a cluster.
    pub stream_replicas: usize,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop re-published copies.
    pub duplicate_window_secs: u64,
    /// How long events stay in their stream.
    pub stream_max_age_days: u64,
    /// Default timeout of request/reply calls.
    pub request_timeout_ms: u64,
    /// Optional credentials file (NATS decentralised auth).
    pub credentials_file: Option<String>,
    /// Optional user token.
    pub token: Option<SecretString>,
}

impl Default for NatsConfig {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:14222".into(),
            stream_replicas: 1,
            duplicate_window_secs: 120,
            stream_max_age_days: 30,
            request_timeout_ms: 5_000,
            credentials_file: None,
            token: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors in production.
    Json,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct TelemetryConfig {
    pub format: LogFormat,
    /// A `tracing_subscriber::EnvFilter` directive; `RUST_LOG` wins when set.
    pub filter: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info,sqlx=warn,async_nats=warn".into(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct OutboxConfig {
    /// Rows published per relay transaction.
    pub batch_size: i64,
    /// The relay wakes on LISTEN/NOTIFY; this poll only covers a lost notification.
    pub fallback_poll_ms: u64,
    /// Longest pause between attempts while NATS is unreachable.
    pub max_backoff_ms: u64,
    /// Sent rows are deleted after this many hours.
    pub retention_hours: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            batch_size: 256,
            fallback_poll_ms: 2_000,
            max_backoff_ms: 5_000,
            retention_hours: 24,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ConsumerConfig {
    /// Deliveries of a failing message before it goes to the dead-letter subject.
    pub max_deliveries: i64,
    /// Pause before the n-th redelivery; the last entry repeats.
    pub backoff_ms: Vec<u64>,
    /// How long the server waits for an ack before it redelivers.
    pub ack_wait_ms: u64,
    /// Messages one consumer instance handles at once.
    pub concurrency: usize,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            max_deliveries: 5,
            backoff_ms: vec![500, 2_000, 10_000, 30_000],
            ack_wait_ms: 30_000,
            concurrency: 16,
        }
    }
}

impl ConsumerConfig {
    /// The pause before redelivery after the `delivered`-th failed delivery.
    pub fn backoff(&self, delivered: i64) -> Duration {
        let index = usize::try_from(delivered.saturating_sub(1)).unwrap_or(0);
        let ms = self
            .backoff_ms
            .get(index)
            .or(self.backoff_ms.last())
            .copied()
            .unwrap_or(1_000);
        Duration::from_millis(ms)
    }
}

/// Keys of the whole installation, beside the sections.
pub const INSTALLATION_KEYS: [&str; 1] = ["public_url"];

/// The sections that make links for people (mails, video rooms, single sign-on):
/// each takes the installation's `public_url` unless it names its own.
pub const LINKING_SECTIONS: [&str; 3] = ["notifications", "sessions", "oidc"];

impl Config {
    /// Defaults, then `file` if given (and present), then `MITTLER__*` variables.
    /// A top-level `public_url` (`MITTLER__PUBLIC_URL`) is the installation's one
    /// address: every section of [`LINKING_SECTIONS`] that sets no `public_url` of its
    /// own takes it, so that mails, room links and sign-in all point at one host.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("MITTLER__").split("__"));
        if let Ok(url) = figment.extract_inner::<String>("public_url") {
            let mut sections = Dict::new();
            for section in LINKING_SECTIONS {
                let mut values = Dict::new();
                values.insert("public_url".into(), Value::from(url.clone()));
                sections.insert(section.into(), Value::from(values));
            }
            // `join`: only where the file and the environment said nothing.
            figment = figment.join(figment::providers::Serialized::defaults(sections));
        }
        figment.extract().map_err(Box::new)
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's own error
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn one_public_url_reaches_every_section_that_makes_links() {
        #[derive(Clone, Debug, Default, Deserialize)]
        struct Linking {
            #[serde(default)]
            public_url: String,
        }
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "mittler.toml",
                r#"
                [notifications]
                public_url = "https://mail-links.example"
                "#,
            )?;
            jail.set_env("MITTLER__PUBLIC_URL", "https://mittler.example");
            let config =
                Config::load(Some(Path::new("mittler.toml"))).map_err(|e| e.to_string())?;
            let url = |section: &str| {
                config
                    .sections
                    .loaded
                    .get(section)
                    .and_then(|v| v.clone().deserialize::<Linking>().ok())
                    .map(|l| l.public_url)
            };
            assert_eq!(url("sessions").as_deref(), Some("https://mittler.example"));
            assert_eq!(url("oidc").as_deref(), Some("https://mittler.example"));
            assert_eq!(
                url("notifications").as_deref(),
                Some("https://mail-links.example"),
                "a section's own address wins"
            );
            Ok(())
        });
    }

    #[test]
    fn layers_apply_in_order_and_secrets_stay_hidden() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "mittler.toml",
                r#"
                [http]
                addr = "0.0.0.0:9000"
                [nats]
                url = "nats://from-file:4222"
                stream_replicas = 3
                "#,
            )?;
            jail.set_env("MITTLER__NATS__URL", "nats://from-env:4222");
            jail.set_env("MITTLER__DATABASE__URL", "postgres://u:hunter2@db/mittler");
            let config =
                Config::load(Some(Path::new("mittler.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.http.addr.port(), 9000);
            assert_eq!(config.nats.url, "nats://from-env:4222");
            assert_eq!(config.nats.stream_replicas, 3);
            assert_eq!(
                config.consumer.max_deliveries, 5,
                "untouched keys keep defaults"
            );
            assert_eq!(
                config.database.url.expose_secret(),
                "postgres://u:hunter2@db/mittler"
            );
            assert!(
                !format!("{config:?}").contains("hunter2"),
                "Debug must not print secrets"
            );
            Ok(())
        });
    }

    #[test]
    fn backoff_repeats_its_last_step() {
        let config = ConsumerConfig {
            backoff_ms: vec![10, 20],
            ..ConsumerConfig::default()
        };
        assert_eq!(config.backoff(1), Duration::from_millis(10));
        assert_eq!(config.backoff(2), Duration::from_millis(20));
        assert_eq!(config.backoff(9), Duration::from_millis(20));
    }
}
