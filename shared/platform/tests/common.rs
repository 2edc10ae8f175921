//! Helpers shared by the platform's integration tests.
#![allow(dead_code)]

use mittler_contracts::booking::BookingRequested;
use mittler_contracts::{Envelope, EventMeta};
use mittler_platform::consumer::{HandleError, Handler, IncomingEvent};
use mittler_platform::{Schema, outbox};
use mittler_types::BookingId;
use sqlx::{PgConnection, PgPool};
use std::collections::HashSet;
use uuid::Uuid;

pub use mittler_contracts::examples::booking_requested;

/// Write one event per transaction into the booking outbox; returns the event ids.
pub async fn enqueue(pool: &PgPool, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let envelope = Envelope::new(
            booking_requested(BookingId::new()),
            EventMeta::root(Uuid::now_v7()),
        );
        let mut tx = pool.begin().await.expect("begin");
        outbox::enqueue(&mut tx, Schema::BOOKING, &envelope)
            .await
            .expect("enqueue");
        tx.commit().await.expect("commit");
        ids.push(envelope.id.as_uuid());
    }
    ids
}

/// A table in which test handlers leave one row per effect.
pub async fn create_effects_table(pool: &PgPool) {
    sqlx::query(
        "CREATE TABLE booking.test_effects (event_id uuid NOT NULL, booking_id uuid NOT NULL)",
    )
    .execute(pool)
    .await
    .expect("create effects table");
}

pub async fn effects(pool: &PgPool) -> Vec<Uuid> {
    sqlx::query_scalar("SELECT event_id FROM booking.test_effects ORDER BY event_id")
        .fetch_all(pool)
        .await
        .expect("read effects")
}

/// Records each event as an effect; fails (retryably) for the bookings in `poison`.
#[derive(Clone, Debug, Default)]
pub struct RecordEffect {
    pub poison: HashSet<Uuid>,
}

impl Handler for RecordEffect {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        let requested = event
            .envelope
            .decode::<BookingRequested>()
            .map_err(HandleError::reject)?;
        if self.poison.contains(&requested.data.booking_id.as_uuid()) {
            return Err(HandleError::retry(anyhow::anyhow!(
                "this booking always fails"
            )));
        }
        sqlx::query("INSERT INTO booking.test_effects (event_id, booking_id) VALUES ($1, $2)")
            .bind(event.envelope.id.as_uuid())
            .bind(requested.data.booking_id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(HandleError::retry)?;
        Ok(())
    }
}

pub async fn stream_messages(js: &async_nats::jetstream::Context, stream: &str) -> u64 {
    let mut stream = js.get_stream(stream).await.expect("stream exists");
    stream.info().await.expect("stream info").state.messages
}
