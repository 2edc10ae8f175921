//! Durable pull consumers with exactly-once effects.
//!
//! For each message: begin a transaction, record the event id in the service's
//! `processed_events` (`ON CONFLICT DO NOTHING`), run the handler in that transaction,
//! commit, then ack. A redelivered event finds its id recorded and is only acked. A
//! failing handler is retried with backoff (`nak` with delay); after
//! `max_deliveries` the message goes to the dead-letter subject with the reason in
//! its headers, is terminated, and the consumer goes on with the next.

use crate::config::ConsumerConfig;
use crate::db::Schema;
use crate::telemetry::RequestContext;
use async_nats::HeaderMap;
use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt;
use mittler_contracts::ConsumerEvents;
use mittler_contracts::streams::StreamSpec;
use mittler_contracts::{RawEnvelope, headers, subjects};
use sqlx::{PgConnection, PgPool};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// A received event, with what the consumer knows about its delivery.
#[derive(Debug)]
pub struct IncomingEvent {
    pub subject: String,
    pub envelope: RawEnvelope,
    /// 1 on first delivery.
    pub delivered: i64,
    pub stream_sequence: u64,
}

/// How a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// Worth another try later (a dependency was down, a conflict).
    #[error("retry: {0:#}")]
    Retry(anyhow::Error),
    /// Will never succeed (the event is not understood): dead-letter at once.
    #[error("reject: {0:#}")]
    Reject(anyhow::Error),
}

/// A database failure is worth another try: the transaction rolled back.
impl From<sqlx::Error> for HandleError {
    fn from(error: sqlx::Error) -> Self {
        Self::retry(error)
    }
}

/// So is an outbox write (it is a database write).
impl From<crate::outbox::OutboxError> for HandleError {
    fn from(error: crate::outbox::OutboxError) -> Self {
        Self::retry(error)
    }
}

/// And a call to another service that failed or was refused: it may answer later.
impl From<crate::rpc::RpcError> for HandleError {
    fn from(error: crate::rpc::RpcError) -> Self {
        Self::retry(error)
    }
}

impl HandleError {
    pub fn retry(error: impl Into<anyhow::Error>) -> Self {
        Self::Retry(error.into())
    }
    pub fn reject(error: impl Into<anyhow::Error>) -> Self {
        Self::Reject(error.into())
    }
}

/// A consumer's work on one enum of events (`consumer_events!`): the platform
/// decodes each event once, passes over the types the enum does not name, and
/// dead-letters what does not read; the handler only `match`es. Run it as
/// `Decoded(handler)`.
pub trait EventHandler: Send + Sync + 'static {
    type Events: ConsumerEvents;

    fn handle_event<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a IncomingEvent,
        input: Self::Events,
    ) -> impl Future<Output = Result<(), HandleError>> + Send + 'a;
}

/// An [`EventHandler`] as a consumer's [`Handler`].
#[derive(Clone, Debug)]
pub struct Decoded<H>(pub H);

impl<H: EventHandler> Handler for Decoded<H> {
    fn handles(&self, event_type: &str) -> bool {
        H::Events::TYPES.contains(&event_type)
    }

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        match H::Events::decode(&event.envelope).map_err(HandleError::reject)? {
            Some(input) => self.0.handle_event(tx, event, input).await,
            None => Ok(()),
        }
    }
}

/// What a consumer does with an event; its writes go into `tx`, the same
/// transaction that records the event as handled.
pub trait Handler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a IncomingEvent,
    ) -> impl Future<Output = Result<(), HandleError>> + Send + 'a;

    /// Whether events of this type have any effect here. Those that do not are
    /// acknowledged without a transaction (nothing to record: handling them twice
    /// does nothing either). A consumer of a whole stream saves most of its work so.
    fn handles(&self, _event_type: &str) -> bool {
        true
    }
}

/// Which events a consumer reads, and where it records them.
#[derive(Clone, Debug)]
pub struct ConsumerSpec {
    /// Durable name; also the key in `processed_events` and the dead-letter subject.
    pub name: String,
    pub stream: &'static StreamSpec,
    /// Only these subjects of the stream (NATS wildcard), or all of it.
    pub filter_subject: Option<String>,
    /// The consuming service's schema.
    pub schema: Schema,
    /// Messages handled at once; `None`: the configured `consumer.concurrency`. One
    /// keeps the stream's order (a consumer whose effects depend on it).
    pub concurrency: Option<usize>,
}

/// A running consumer.
#[derive(Debug)]
pub struct Consumer<H> {
    spec: ConsumerSpec,
    pool: PgPool,
    jetstream: jetstream::Context,
    config: ConsumerConfig,
    handler: Arc<H>,
    #[cfg(feature = "fault-injection")]
    faults: crate::faults::Faults,
}

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Handled,
    Ignored,
    Duplicate,
    Retried,
    DeadLettered,
}

impl<H: Handler> Consumer<H> {
    pub fn new(
        spec: ConsumerSpec,
        pool: PgPool,
        jetstream: jetstream::Context,
        config: ConsumerConfig,
        handler: H,
    ) -> Self {
        Self {
            spec,
            pool,
            jetstream,
            config,
            handler: Arc::new(handler),
            #[cfg(feature = "fault-injection")]
            faults: Default::default(),
        }
    }

    #[cfg(feature = "fault-injection")]
    pub fn with_faults(mut self, faults: crate::faults::Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Create (or bind to) the durable consumer on the server.
    async fn bind(&self) -> anyhow::Result<jetstream::consumer::Consumer<pull::Config>> {
        let stream = self.jetstream.get_stream(self.spec.stream.name).await?;
        let config = pull::Config {
            durable_name: Some(self.spec.name.clone()),
            description: Some(format!(
                "{} consumer of {}",
                self.spec.schema, self.spec.stream.name
            )),
            filter_subject: self.spec.filter_subject.clone().unwrap_or_default(),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_millis(self.config.ack_wait_ms),
            // The consumer decides when to give up (dead letter); the server must not drop.
            max_deliver: -1,
            max_ack_pending: (self.concurrency() * 64) as i64,
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        };
        Ok(stream
            .get_or_create_consumer(&self.spec.name, config)
            .await?)
    }

    fn concurrency(&self) -> usize {
        self.spec
            .concurrency
            .unwrap_or(self.config.concurrency)
            .max(1)
    }

    /// Consume until `shutdown`. On shutdown it stops fetching and finishes the
    /// messages in hand; what was fetched but not started is redelivered later.
    #[tracing::instrument(name = "consumer", skip_all, fields(consumer = %self.spec.name))]
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let this = Arc::new(self);
        // Stops this consumer alone, e.g. at an injected crash.
        let stop = shutdown.child_token();
        let mut retry = Duration::from_millis(100);
        while !stop.is_cancelled() {
            let messages = match this.bind().await {
                Ok(consumer) => consumer.messages().await.map_err(anyhow::Error::from),
                Err(error) => Err(error),
            };
            let messages = match messages {
                Ok(messages) => messages,
                Err(error) => {
                    tracing::warn!(%error, "cannot bind consumer; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(retry) => {}
                    }
                    retry = (retry * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            retry = Duration::from_millis(100);
            let crashed = Arc::new(std::sync::atomic::AtomicBool::new(false));
            messages
                .take_until(stop.cancelled())
                .for_each_concurrent(this.concurrency(), |message| {
                    let this = this.clone();
                    let stop = stop.clone();
                    let crashed = crashed.clone();
                    async move {
                        let message = match message {
                            Ok(message) => message,
                            Err(error) => {
                                tracing::debug!(%error, "consumer stream hiccup");
                                return;
                            }
                        };
                        if stop.is_cancelled() {
                            // Not started: leave it for redelivery.
                            return;
                        }
                        match this.process(&message).await {
                            Ok(outcome) => {
                                metrics::counter!(
                                    "consumer_messages_total",
                                    "consumer" => this.spec.name.clone(),
                                    "outcome" => format!("{outcome:?}").to_lowercase()
                                )
                                .increment(1);
                            }
                            Err(ProcessError::Crash) => {
                                crashed.store(true, std::sync::atomic::Ordering::SeqCst);
                                stop.cancel();
                            }
                            Err(ProcessError::Infrastructure(error)) => {
                                tracing::warn!(error = %format!("{error:#}"), "message left for redelivery");
                                let delay = this.config.backoff(1);
                                let _ = message.ack_with(AckKind::Nak(Some(delay))).await;
                            }
                        }
                    }
                })
                .await;
            if crashed.load(std::sync::atomic::Ordering::SeqCst) {
                anyhow::bail!("consumer {} crashed (injected)", this.spec.name);
            }
            if !stop.is_cancelled() {
                // The message stream ended (connection trouble): bind again.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    async fn process(&self, message: &jetstream::Message) -> Result<Outcome, ProcessError> {
        let info = message
            .info()
            .map_err(|e| ProcessError::Infrastructure(anyhow::anyhow!("{e}")))?;
        let (delivered, stream_sequence) = (info.delivered, info.stream_sequence);
        let context = RequestContext::from_headers(message.headers.as_ref());
        let envelope = match RawEnvelope::from_slice(&message.payload) {
            Ok(envelope) => envelope,
            Err(error) => {
                let error = anyhow::Error::from(error);
                return self
                    .dead_letter(message, delivered, stream_sequence, &error)
                    .await;
            }
        };
        if !self.handler.handles(&envelope.event_type) {
            message
                .ack()
                .await
                .map_err(|e| ProcessError::Infrastructure(anyhow::anyhow!("{e}")))?;
            return Ok(Outcome::Ignored);
        }
        let event = IncomingEvent {
            subject: message.subject.to_string(),
            envelope,
            delivered,
            stream_sequence,
        };
        let span = tracing::info_span!(
            "event",
            event_id = %event.envelope.id,
            event_type = %event.envelope.event_type,
            request_id = %context.request_id,
            delivered,
        );
        context
            .scope(self.process_event(message, event).instrument(span))
            .await
    }

    async fn process_event(
        &self,
        message: &jetstream::Message,
        event: IncomingEvent,
    ) -> Result<Outcome, ProcessError> {
        let schema = self.spec.schema;
        let mut tx = self.pool.begin().await.map_err(ProcessError::infra)?;
        // A runtime query: each service records its handled events in its own schema.
        let first_time = sqlx::query(&format!(
            "INSERT INTO {schema}.processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        ))
        .bind(&self.spec.name)
        .bind(event.envelope.id.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(ProcessError::infra)?
        .rows_affected()
            == 1;
        if !first_time {
            drop(tx);
            message
                .ack()
                .await
                .map_err(|e| ProcessError::Infrastructure(anyhow::anyhow!("{e}")))?;
            return Ok(Outcome::Duplicate);
        }
        match self.handler.handle(&mut tx, &event).await {
            Ok(()) => {
                tx.commit().await.map_err(ProcessError::infra)?;
                #[cfg(feature = "fault-injection")]
                if self
                    .faults
                    .trip(crate::faults::FaultPoint::ConsumerAfterCommit)
                {
                    return Err(ProcessError::Crash);
                }
                message
                    .ack()
                    .await
                    .map_err(|e| ProcessError::Infrastructure(anyhow::anyhow!("{e}")))?;
                Ok(Outcome::Handled)
            }
            Err(HandleError::Reject(error)) => {
                drop(tx);
                self.dead_letter(message, event.delivered, event.stream_sequence, &error)
                    .await
            }
            Err(HandleError::Retry(error)) => {
                drop(tx);
                if event.delivered >= self.config.max_deliveries {
                    return self
                        .dead_letter(message, event.delivered, event.stream_sequence, &error)
                        .await;
                }
                let delay = self.config.backoff(event.delivered);
                tracing::info!(error = %format!("{error:#}"), retry_in_ms = delay.as_millis() as u64, "handler failed; will retry");
                message
                    .ack_with(AckKind::Nak(Some(delay)))
                    .await
                    .map_err(|e| ProcessError::Infrastructure(anyhow::anyhow!("{e}")))?;
                Ok(Outcome::Retried)
            }
        }
    }

    /// Publish the message to `deadletter.<consumer>` with the reason, then
    /// terminate it so the server stops redelivering.
    async fn dead_letter(
        &self,
        message: &jetstream::Message,
        delivered: i64,
        stream_sequence: u64,
        error: &anyhow::Error,
    ) -> Result<Outcome, ProcessError> {
        tracing::error!(error = %format!("{error:#}"), delivered, "giving up on message; dead-lettered");
        let mut headers = HeaderMap::new();
        if let Some(original) = &message.headers {
            for name in [headers::REQUEST_ID, headers::TRACEPARENT] {
                if let Some(value) = original.get(name) {
                    headers.insert(name, value.as_str());
                }
            }
        }
        let msg_id = format!("{}:{}", self.spec.name, stream_sequence);
        headers.insert(headers::MSG_ID, msg_id.as_str());
        headers.insert(headers::DEAD_LETTER_SUBJECT, message.subject.as_str());
        headers.insert(
            headers::DEAD_LETTER_SEQUENCE,
            stream_sequence.to_string().as_str(),
        );
        headers.insert(
            headers::DEAD_LETTER_DELIVERIES,
            delivered.to_string().as_str(),
        );
        let reason: String = format!("{error:#}")
            .chars()
            .filter(|c| !c.is_control())
            .take(1024)
            .collect();
        headers.insert(headers::DEAD_LETTER_ERROR, reason.as_str());
        let ack = self
            .jetstream
            .publish_with_headers(
                subjects::dead_letter_subject(&self.spec.name),
                headers,
                message.payload.clone(),
            )
            .await
            .map_err(|e| {
                ProcessError::Infrastructure(anyhow::anyhow!("dead-letter publish: {e}"))
            })?;
        ack.await
            .map_err(|e| ProcessError::Infrastructure(anyhow::anyhow!("dead-letter ack: {e}")))?;
        message
            .ack_with(AckKind::Term)
            .await
            .map_err(|e| ProcessError::Infrastructure(anyhow::anyhow!("{e}")))?;
        metrics::counter!("consumer_dead_letters_total", "consumer" => self.spec.name.clone())
            .increment(1);
        Ok(Outcome::DeadLettered)
    }
}

#[derive(Debug)]
enum ProcessError {
    /// Postgres or NATS failed: nak and try again, this is not the message's fault.
    Infrastructure(anyhow::Error),
    /// An injected crash (tests only).
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    Crash,
}

impl ProcessError {
    fn infra(error: sqlx::Error) -> Self {
        Self::Infrastructure(error.into())
    }
}
