//! The transactional outbox.
//!
//! A service writes its state change and the event ([`enqueue`]) in one transaction.
//! The [`Relay`] publishes unsent rows to JetStream with `Nats-Msg-Id` = event id and
//! marks them sent in the transaction that locked them (`FOR UPDATE SKIP LOCKED`, so
//! several relays may drain one outbox). A crash between publish and mark leaves the
//! rows unsent; they are published again, and JetStream drops the copies within its
//! de-duplication window (consumers drop any later copy by event id).
//!
//! The relay wakes on `LISTEN/NOTIFY` (a trigger announces every insert), with a slow
//! poll only as a safety net.
//!
//! Its queries are runtime queries, not `query!`: every service has its own
//! `<schema>.outbox`, so the table name is known only per call.

use crate::config::OutboxConfig;
use crate::db::Schema;
use crate::telemetry::RequestContext;
use async_nats::HeaderMap;
use async_nats::jetstream;
use chrono::{DateTime, Utc};
use futures::future::join_all;
use mittler_contracts::{Envelope, Event, headers};
use serde_json::json;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Why an event could not be written to the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("event could not be serialised: {0}")]
    Serialise(#[from] serde_json::Error),
    #[error("outbox insert failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// Write `envelope` into `schema`'s outbox, inside the caller's transaction. The
/// current request context (request id, traceparent) travels with it.
pub async fn enqueue<T: Event>(
    conn: &mut PgConnection,
    schema: Schema,
    envelope: &Envelope<T>,
) -> Result<(), OutboxError> {
    let mut batch = Batch::default();
    batch.add(envelope)?;
    batch.write(conn, schema).await
}

/// Several events written to the outbox with one statement (a dispatch wave's
/// offers, say), in the order they were added.
#[derive(Debug, Default)]
pub struct Batch {
    ids: Vec<Uuid>,
    subjects: Vec<String>,
    payloads: Vec<String>,
    headers: Vec<serde_json::Value>,
    created: Vec<DateTime<Utc>>,
}

impl Batch {
    /// Serialise `envelope` into the batch, with the current request context.
    pub fn add<T: Event>(&mut self, envelope: &Envelope<T>) -> Result<(), OutboxError> {
        self.payloads.push(serde_json::to_string(envelope)?);
        self.ids.push(envelope.id.as_uuid());
        self.subjects.push(envelope.subject());
        self.headers.push(match RequestContext::current() {
            Some(context) => json!({
                headers::REQUEST_ID: context.request_id,
                headers::TRACEPARENT: crate::telemetry::new_traceparent(Some(&context.traceparent)),
            }),
            None => json!({}),
        });
        self.created.push(envelope.occurred_at);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Insert the batch inside the caller's transaction (nothing when empty).
    pub async fn write(self, conn: &mut PgConnection, schema: Schema) -> Result<(), OutboxError> {
        if self.is_empty() {
            return Ok(());
        }
        sqlx::query(&format!(
            "INSERT INTO {schema}.outbox (id, subject, payload, headers, created_at) \
             SELECT id, subject, payload::json, headers, created_at \
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[]) \
                  AS e(id, subject, payload, headers, created_at)"
        ))
        .bind(&self.ids)
        .bind(&self.subjects)
        .bind(&self.payloads)
        .bind(&self.headers)
        .bind(&self.created)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Why a relay pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox query failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{failed} of {total} events were not acknowledged by JetStream: {first_error}")]
    Publish {
        failed: usize,
        total: usize,
        first_error: String,
    },
    #[cfg(feature = "fault-injection")]
    #[error("injected crash after publishing")]
    InjectedCrash,
}

/// Publishes one schema's outbox to JetStream.
#[derive(Clone, Debug)]
pub struct Relay {
    pool: PgPool,
    jetstream: jetstream::Context,
    schema: Schema,
    config: OutboxConfig,
    #[cfg(feature = "fault-injection")]
    faults: crate::faults::Faults,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    subject: String,
    payload: String,
    headers: serde_json::Value,
    created_at: DateTime<Utc>,
}

impl Relay {
    pub fn new(
        pool: PgPool,
        jetstream: jetstream::Context,
        schema: Schema,
        config: OutboxConfig,
    ) -> Self {
        Self {
            pool,
            jetstream,
            schema,
            config,
            #[cfg(feature = "fault-injection")]
            faults: Default::default(),
        }
    }

    #[cfg(feature = "fault-injection")]
    pub fn with_faults(mut self, faults: crate::faults::Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Relay until `shutdown`: drain, wait for a notification (or the fallback
    /// poll), drain again. Failures back off and retry; nothing is dropped.
    #[tracing::instrument(name = "outbox_relay", skip_all, fields(schema = %self.schema))]
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut listener = self.listen().await;
        let mut backoff = Duration::from_millis(50);
        let max_backoff = Duration::from_millis(self.config.max_backoff_ms);
        let fallback = Duration::from_millis(self.config.fallback_poll_ms);
        let mut last_cleanup = Instant::now();
        loop {
            match self.drain().await {
                Ok(_) => backoff = Duration::from_millis(50),
                #[cfg(feature = "fault-injection")]
                Err(RelayError::InjectedCrash) => return Err(RelayError::InjectedCrash.into()),
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "outbox relay pass failed");
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(max_backoff);
                    continue;
                }
            }
            if last_cleanup.elapsed() > Duration::from_secs(600) {
                last_cleanup = Instant::now();
                if let Err(error) = self.delete_old_sent().await {
                    tracing::warn!(%error, "outbox clean-up failed");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                woke = wait_for_notification(&mut listener) => {
                    if !woke {
                        // Listener lost: fall back to polling and reconnect.
                        tokio::select! {
                            _ = shutdown.cancelled() => return Ok(()),
                            _ = tokio::time::sleep(fallback.min(Duration::from_millis(500))) => {}
                        }
                        listener = self.listen().await;
                    }
                }
                _ = tokio::time::sleep(fallback) => {
                    if listener.is_none() {
                        listener = self.listen().await;
                    }
                }
            }
        }
    }

    async fn listen(&self) -> Option<PgListener> {
        let channel = self.schema.outbox_channel();
        let result = async {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(&channel).await?;
            Ok::<_, sqlx::Error>(listener)
        }
        .await;
        match result {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, "cannot LISTEN for outbox rows; polling instead");
                None
            }
        }
    }

    /// Publish everything unsent now; returns how many rows were published.
    pub async fn drain(&self) -> Result<usize, RelayError> {
        let mut total = 0;
        loop {
            let published = self.publish_batch().await?;
            total += published;
            if published < self.config.batch_size as usize {
                return Ok(total);
            }
        }
    }

    async fn publish_batch(&self) -> Result<usize, RelayError> {
        let schema = self.schema;
        let mut tx = self.pool.begin().await?;
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT id, subject, payload::text AS payload, headers, created_at FROM {schema}.outbox \
             WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED"
        ))
        .bind(self.config.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }

        // Publish the whole batch, then wait for all acknowledgements together.
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut headers = HeaderMap::new();
            headers.insert(headers::MSG_ID, row.id.to_string().as_str());
            for name in [headers::REQUEST_ID, headers::TRACEPARENT] {
                if let Some(value) = row.headers.get(name).and_then(|v| v.as_str()) {
                    headers.insert(name, value);
                }
            }
            let published = self
                .jetstream
                .publish_with_headers(row.subject.clone(), headers, row.payload.clone().into())
                .await;
            pending.push(published);
        }
        let outcomes = join_all(pending.into_iter().map(|published| async move {
            match published {
                Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        }))
        .await;

        #[cfg(feature = "fault-injection")]
        if self
            .faults
            .trip(crate::faults::FaultPoint::RelayAfterPublish)
        {
            // As a crash: the transaction is dropped, rolled back, the rows stay unsent.
            drop(tx);
            return Err(RelayError::InjectedCrash);
        }

        let mut sent = Vec::new();
        let mut failed = Vec::new();
        let mut first_error = None;
        let now = Utc::now();
        for (row, outcome) in rows.iter().zip(outcomes) {
            match outcome {
                Ok(()) => {
                    sent.push(row.id);
                    let lag = (now - row.created_at).num_microseconds().unwrap_or(0) as f64 / 1e6;
                    metrics::histogram!("outbox_publish_lag_seconds", "schema" => schema.name())
                        .record(lag);
                }
                Err(error) => {
                    failed.push(row.id);
                    first_error.get_or_insert(error);
                }
            }
        }
        sqlx::query(&format!(
            "UPDATE {schema}.outbox SET sent_at = now() WHERE id = ANY($1)"
        ))
        .bind(&sent)
        .execute(&mut *tx)
        .await?;
        if let Some(error) = &first_error {
            sqlx::query(&format!(
                "UPDATE {schema}.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1)"
            ))
            .bind(&failed)
            .bind(error)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        metrics::counter!("outbox_published_total", "schema" => schema.name())
            .increment(sent.len() as u64);
        match first_error {
            None => Ok(sent.len()),
            Some(first_error) => Err(RelayError::Publish {
                failed: failed.len(),
                total: rows.len(),
                first_error,
            }),
        }
    }

    async fn delete_old_sent(&self) -> Result<u64, sqlx::Error> {
        let schema = self.schema;
        let result = sqlx::query(&format!(
            "DELETE FROM {schema}.outbox WHERE sent_at < now() - make_interval(hours => $1)"
        ))
        .bind(self.config.retention_hours as i32)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }
}

/// Unsent rows of `schema`'s outbox (for readiness details, tests and operators).
pub async fn unsent_count(pool: &PgPool, schema: Schema) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL"
    ))
    .fetch_one(pool)
    .await
}

/// Wait for the next notification; `false` when the listener is gone. Those that
/// have arrived as well are taken with it: the one pass that follows covers them all
/// (each was sent after its rows were committed), instead of a pass each that finds
/// nothing left.
async fn wait_for_notification(listener: &mut Option<PgListener>) -> bool {
    let Some(l) = listener else {
        return std::future::pending().await;
    };
    match l.recv().await {
        Ok(_) => {
            for _ in 0..10_000 {
                match tokio::time::timeout(Duration::ZERO, l.recv()).await {
                    Ok(Ok(_)) => continue,
                    Ok(Err(error)) => {
                        // The pass runs anyway; the next wait finds the listener gone.
                        tracing::warn!(%error, "outbox listener failed");
                        *listener = None;
                        break;
                    }
                    Err(_) => break, // nothing more has arrived
                }
            }
            true
        }
        Err(error) => {
            tracing::warn!(%error, "outbox listener failed");
            *listener = None;
            false
        }
    }
}

/// The metadata of an event that starts a chain here: correlated with the current
/// request (its id, when that is a UUID) or new.
pub fn root_meta() -> mittler_contracts::EventMeta {
    let correlation = RequestContext::current()
        .and_then(|context| context.request_id.parse::<Uuid>().ok())
        .unwrap_or_else(Uuid::now_v7);
    mittler_contracts::EventMeta::root(correlation)
}
