//! The request id and trace of the request that caused an event travel with it:
//! outbox row → NATS headers → the consumer's handler (and what it publishes).

mod common;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use common::*;
use futures::StreamExt;
use mittler_contracts::{Envelope, EventMeta, headers, streams};
use mittler_platform::consumer::{ConsumerSpec, HandleError, Handler, IncomingEvent};
use mittler_platform::telemetry::RequestContext;
use mittler_platform::{Platform, Schema, outbox};
use mittler_testkit::{TestEnv, eventually};
use mittler_types::BookingId;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Clone, Default)]
struct SeeContext(Arc<Mutex<Vec<String>>>);

impl Handler for SeeContext {
    async fn handle(
        &self,
        _tx: &mut sqlx::PgConnection,
        _event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        let seen = RequestContext::current()
            .map(|c| c.request_id)
            .unwrap_or_default();
        self.0.lock().expect("lock").push(seen);
        Ok(())
    }
}

fn trace_id(traceparent: &str) -> &str {
    traceparent.split('-').nth(1).expect("trace id")
}

#[tokio::test]
async fn request_id_and_trace_follow_the_event_to_its_consumer() {
    let env = TestEnv::start().await;
    let platform = Platform::connect(env.config(), "test")
        .await
        .expect("platform");
    let context = RequestContext::from_http(
        Some("req-42"),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    context
        .clone()
        .scope(async {
            let envelope = Envelope::new(
                booking_requested(BookingId::new()),
                EventMeta::root(Uuid::now_v7()),
            );
            let mut tx = platform.pool.begin().await.expect("begin");
            outbox::enqueue(&mut tx, Schema::BOOKING, &envelope)
                .await
                .expect("enqueue");
            tx.commit().await.expect("commit");
        })
        .await;
    platform
        .relay(Schema::BOOKING)
        .drain()
        .await
        .expect("drain");

    // On the wire.
    let stream = platform
        .nats
        .jetstream
        .get_stream("BOOKING")
        .await
        .expect("stream");
    let reader = stream
        .create_consumer(pull::Config {
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .expect("reader");
    let mut batch = reader
        .fetch()
        .max_messages(1)
        .messages()
        .await
        .expect("fetch");
    let message = batch.next().await.expect("one message").expect("ok");
    let h = message.headers.clone().expect("headers");
    assert_eq!(
        h.get(headers::REQUEST_ID).map(|v| v.as_str()),
        Some("req-42")
    );
    let traceparent = h
        .get(headers::TRACEPARENT)
        .expect("traceparent")
        .as_str()
        .to_owned();
    assert_eq!(
        trace_id(&traceparent),
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "same trace"
    );
    assert!(h.get(headers::MSG_ID).is_some(), "Nats-Msg-Id is set");

    // In the consumer's handler.
    let seen = SeeContext::default();
    let shutdown = CancellationToken::new();
    let spec = ConsumerSpec {
        name: "ctx".into(),
        stream: &streams::BOOKING,
        filter_subject: None,
        schema: Schema::BOOKING,
        concurrency: None,
    };
    let consumer = tokio::spawn(platform.consumer(spec, seen.clone()).run(shutdown.clone()));
    eventually(Duration::from_secs(10), "the handler ran", || async {
        let seen = seen.0.lock().expect("lock").clone();
        (!seen.is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        seen.0.lock().expect("lock").as_slice(),
        ["req-42".to_owned()]
    );
    shutdown.cancel();
    consumer.await.expect("join").expect("clean stop");
}
