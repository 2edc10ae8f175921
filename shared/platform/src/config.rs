//! Settings in layers: defaults in code, then an optional TOML file, then
//! `MITTLER__SECTION__KEY` environment variables. Nothing needs setting to run
//! locally; `deploy/mittler.example.toml` shows every key.

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
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
    pub auth: AuthConfig,
    pub availability: AvailabilityConfig,
    pub dispatch: DispatchConfig,
    pub notifications: NotificationsConfig,
    pub sessions: SessionsConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct SessionsConfig {
    /// Where join links point (the gateway's public address).
    pub public_url: String,
    /// A link opens this long before the start …
    pub join_before_minutes: i64,
    /// … and until this long after the planned end.
    pub join_after_minutes: i64,
    /// People in one room (the browser mesh carries four well).
    pub max_participants: usize,
    /// STUN servers for the browsers, e.g. `stun:turn.example.org:3478`.
    pub stun_urls: Vec<String>,
    /// TURN servers, e.g. `turn:turn.example.org:3478?transport=udp`; with
    /// `turn_secret` (coturn's `static-auth-secret`) every participant gets
    /// credentials that expire.
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<SecretString>,
    /// How long TURN credentials last.
    pub turn_ttl_secs: i64,
    /// A participant whose connection has not said it is alive for this long (its
    /// gateway died) has left.
    pub presence_timeout_secs: i64,
    /// `builtin` (browsers connect to each other) or `janus` (through a Janus
    /// VideoRoom, for larger deployments).
    pub provider: VideoProvider,
    /// Janus's HTTP API as this service reaches it, e.g. `http://127.0.0.1:8088/janus`.
    pub janus_url: String,
    /// … and as browsers reach it (often behind the same proxy as Mittler).
    pub janus_public_url: String,
    /// The VideoRoom plugin's `admin_key`: only Mittler may create rooms.
    pub janus_admin_key: Option<SecretString>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoProvider {
    #[default]
    Builtin,
    Janus,
}

impl VideoProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            VideoProvider::Builtin => "builtin",
            VideoProvider::Janus => "janus",
        }
    }
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            join_before_minutes: 15,
            join_after_minutes: 30,
            max_participants: 4,
            stun_urls: vec![],
            turn_urls: vec![],
            turn_secret: None,
            turn_ttl_secs: 4 * 3600,
            presence_timeout_secs: 60,
            provider: VideoProvider::Builtin,
            janus_url: "http://127.0.0.1:8088/janus".into(),
            janus_public_url: "http://127.0.0.1:8088/janus".into(),
            janus_admin_key: None,
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for a mail sink on this machine.
    #[default]
    None,
    /// STARTTLS on the submission port (587), required.
    Starttls,
    /// TLS from the first byte (465).
    Tls,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct NotificationsConfig {
    /// Where links in messages point (the gateway's public address).
    pub public_url: String,
    /// The sender of every message.
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    /// Tries per message before it is given up (and coordinators are told).
    pub max_attempts: i32,
    /// Wait before the second try; doubles with every further try (at most an hour).
    pub retry_base_secs: i64,
    /// Reminders before the start, in minutes.
    pub reminder_minutes: Vec<i64>,
    /// How often queued messages and due reminders are looked for.
    pub poll_ms: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            from: "Mittler <noreply@mittler.localhost>".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 1025,
            smtp_tls: SmtpTls::None,
            smtp_username: None,
            smtp_password: None,
            max_attempts: 8,
            retry_base_secs: 30,
            reminder_minutes: vec![1440, 60],
            poll_ms: 500,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DispatchConfig {
    /// Mediators asked in the first wave (after the continuity mediator).
    pub cascade_size: usize,
    /// How long the first wave may answer.
    pub cascade_secs: i64,
    /// How long the broadcast to everyone eligible may answer before escalation.
    pub broadcast_secs: i64,
    /// How long an on-demand call rings before it escalates.
    pub ring_secs: i64,
    /// How often due timers are looked for.
    pub timer_poll_ms: u64,
    /// A scheduled booking nobody accepted this long before its start goes to the
    /// coordinators (an on-demand call: when its ring ends).
    pub escalate_before_start_secs: i64,
    /// A reservation taken but never recorded as an assignment is given back after
    /// this long (the reconciliation of reservation guards).
    pub reservation_guard_secs: i64,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            cascade_size: 3,
            cascade_secs: 900,
            broadcast_secs: 3600,
            ring_secs: 120,
            timer_poll_ms: 500,
            escalate_before_start_secs: 48 * 3600,
            reservation_guard_secs: 60,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AvailabilityConfig {
    /// How long "online now" lasts after the last heartbeat.
    pub presence_ttl_secs: i64,
    /// Travel speed between on-site jobs, for travel buffers.
    pub travel_speed_kmh: f64,
}

impl Default for AvailabilityConfig {
    fn default() -> Self {
        Self {
            presence_ttl_secs: 90,
            travel_speed_kmh: 40.0,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Send the session cookie only over HTTPS (browsers treat 127.0.0.1 as secure).
    pub cookie_secure: bool,
    /// How long a browser session lasts.
    pub session_hours: i64,
    /// How long an API token lasts.
    pub token_days: i64,
    /// Failed logins for one e-mail address within the window before logins wait.
    pub max_failed_logins: i64,
    /// Failed logins from one address within the window before logins wait.
    pub max_failed_logins_per_ip: i64,
    pub failed_login_window_minutes: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            cookie_secure: true,
            session_hours: 12,
            token_days: 30,
            max_failed_logins: 5,
            max_failed_logins_per_ip: 50,
            failed_login_window_minutes: 15,
        }
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

impl Config {
    /// Defaults, then `file` if given (and present), then `MITTLER__*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            figment = figment.merge(Toml::file(file));
        }
        figment
            .merge(Env::prefixed("MITTLER__").split("__"))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's own error
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

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

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment's own error
mod example_file {
    use super::*;

    #[test]
    fn the_commented_example_in_deploy_is_exactly_the_defaults() {
        figment::Jail::expect_with(|_jail| {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/mittler.example.toml");
            let loaded = Config::load(Some(&path)).map_err(|e| e.to_string())?;
            let defaults = Config::default();
            assert_eq!(format!("{loaded:?}"), format!("{defaults:?}"));
            Ok(())
        });
    }
}
