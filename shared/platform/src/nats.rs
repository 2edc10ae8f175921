//! Connecting to NATS and declaring the JetStream streams of `mittler_contracts`.

use crate::config::NatsConfig;
use anyhow::Context as _;
use async_nats::jetstream::{self, stream};
use mittler_contracts::streams::{self, StreamSpec};
use secrecy::ExposeSecret;
use std::time::Duration;

/// A NATS connection and its JetStream context.
#[derive(Clone, Debug)]
pub struct Nats {
    pub client: async_nats::Client,
    pub jetstream: jetstream::Context,
}

impl Nats {
    /// Connect; the client reconnects for ever after the first success.
    pub async fn connect(config: &NatsConfig, name: &str) -> anyhow::Result<Self> {
        let mut options = async_nats::ConnectOptions::new()
            .name(name)
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(Duration::from_millis(config.request_timeout_ms)))
            .event_callback(|event| async move {
                tracing::info!(%event, "nats connection event");
            });
        if let Some(token) = &config.token {
            options = options.token(token.expose_secret().to_owned());
        }
        if let Some(path) = &config.credentials_file {
            options = options
                .credentials_file(path)
                .await
                .context("reading NATS credentials")?;
        }
        // A cluster is named by several addresses, comma-separated; the client also
        // learns the others from the server it reaches first.
        let servers = config
            .url
            .split(',')
            .map(|url| url.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("NATS address {}", config.url))?;
        let client = options
            .connect(servers)
            .await
            .with_context(|| format!("connecting to NATS at {}", config.url))?;
        let mut jetstream = jetstream::new(client.clone());
        jetstream.set_timeout(Duration::from_millis(config.request_timeout_ms));
        Ok(Self { client, jetstream })
    }

    /// Whether the connection is up right now.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }
}

/// The JetStream configuration of one stream.
pub fn stream_config(spec: &StreamSpec, config: &NatsConfig) -> stream::Config {
    stream::Config {
        name: spec.name.to_owned(),
        description: Some(spec.description.to_owned()),
        subjects: spec.subjects(),
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        num_replicas: config.stream_replicas,
        duplicate_window: Duration::from_secs(config.duplicate_window_secs),
        max_age: Duration::from_secs(config.stream_max_age_days * 24 * 3600),
        discard: stream::DiscardPolicy::Old,
        ..Default::default()
    }
}

/// Create every stream, or bring an existing one up to the declared subjects and
/// limits. Safe to call from every replica at start: in a cluster, replicas that
/// declare a stream at the same moment may see it half-made ("stream not found"
/// while its replicas are placed), so each stream is tried again a few times.
pub async fn ensure_streams(js: &jetstream::Context, config: &NatsConfig) -> anyhow::Result<()> {
    for spec in streams::ALL {
        let wanted = stream_config(spec, config);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match ensure_stream(js, spec.name, &wanted).await {
                Ok(()) => break,
                Err(error) if attempt < 10 => {
                    tracing::warn!(stream = spec.name, attempt, error = %format!("{error:#}"), "declaring the stream again");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

async fn ensure_stream(
    js: &jetstream::Context,
    name: &str,
    wanted: &stream::Config,
) -> anyhow::Result<()> {
    match js.get_stream(name).await {
        Ok(mut existing) => {
            let info = existing.info().await.context("reading stream info")?;
            let current = &info.config;
            if current.subjects != wanted.subjects
                || current.duplicate_window != wanted.duplicate_window
                || current.max_age != wanted.max_age
                || current.num_replicas != wanted.num_replicas
            {
                js.update_stream(wanted.clone())
                    .await
                    .with_context(|| format!("updating stream {name}"))?;
            }
        }
        Err(_) => {
            if let Err(error) = js.create_stream(wanted.clone()).await {
                // Another replica may have created it in between.
                js.get_stream(name)
                    .await
                    .map_err(|_| error)
                    .with_context(|| format!("creating stream {name}"))?;
            }
        }
    }
    Ok(())
}
