//! The idempotent consumer: no second effect after a crash before the ack; poison
//! messages reach the dead-letter subject while later messages keep flowing.

mod common;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use common::*;
use futures::StreamExt;
use mittler_contracts::{Envelope, EventMeta, headers, streams, subjects};
use mittler_platform::consumer::ConsumerSpec;
use mittler_platform::faults::{FaultPoint, Faults};
use mittler_platform::{Platform, Schema};
use mittler_testkit::{TestEnv, eventually};
use mittler_types::BookingId;
use std::collections::HashSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn spec(name: &str) -> ConsumerSpec {
    ConsumerSpec {
        name: name.into(),
        stream: &streams::BOOKING,
        filter_subject: None,
        schema: Schema::BOOKING,
        concurrency: None,
    }
}

/// Publish a booking.requested event straight to JetStream (as the relay would).
async fn publish(platform: &Platform, booking_id: BookingId) -> Uuid {
    let envelope = Envelope::new(
        booking_requested(booking_id),
        EventMeta::root(Uuid::now_v7()),
    );
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(headers::MSG_ID, envelope.id.to_string().as_str());
    platform
        .nats
        .jetstream
        .publish_with_headers(
            envelope.subject(),
            headers,
            serde_json::to_vec(&envelope).expect("json").into(),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
    envelope.id.as_uuid()
}

async fn settled(platform: &Platform, consumer: &str) -> bool {
    let Ok(stream) = platform.nats.jetstream.get_stream("BOOKING").await else {
        return false;
    };
    let Ok(mut consumer) = stream.get_consumer::<pull::Config>(consumer).await else {
        return false;
    };
    let Ok(info) = consumer.info().await else {
        return false;
    };
    info.num_ack_pending == 0 && info.num_pending == 0
}

#[tokio::test]
async fn crash_after_effect_before_ack_causes_no_second_effect() {
    let env = TestEnv::start().await;
    let platform = Platform::connect(env.config(), "test")
        .await
        .expect("platform");
    create_effects_table(&platform.pool).await;
    let event_id = publish(&platform, BookingId::new()).await;

    let faults = Faults::default();
    faults.arm(FaultPoint::ConsumerAfterCommit, 1);
    let crashed = platform
        .consumer(spec("crashy"), RecordEffect::default())
        .with_faults(faults)
        .run(CancellationToken::new())
        .await;
    assert!(crashed.is_err(), "the consumer stops at the injected crash");
    assert_eq!(
        effects(&platform.pool).await,
        vec![event_id],
        "the effect was committed"
    );

    // The restarted consumer gets the unacked message again after ack_wait.
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn(
        platform
            .consumer(spec("crashy"), RecordEffect::default())
            .run(shutdown.clone()),
    );
    eventually(
        Duration::from_secs(20),
        "the redelivered message is acked",
        || async { settled(&platform, "crashy").await.then_some(()) },
    )
    .await;
    assert_eq!(
        effects(&platform.pool).await,
        vec![event_id],
        "still exactly one effect"
    );
    shutdown.cancel();
    consumer.await.expect("join").expect("clean stop");
}

#[tokio::test]
async fn poison_message_is_dead_lettered_after_n_tries_while_later_ones_flow() {
    let env = TestEnv::start().await;
    let config = env.config();
    let max_deliveries = config.consumer.max_deliveries;
    let platform = Platform::connect(config, "test").await.expect("platform");
    create_effects_table(&platform.pool).await;

    let poison = BookingId::new();
    let poison_event = publish(&platform, poison).await;
    // Not an envelope at all: dead-lettered on first sight.
    platform
        .nats
        .jetstream
        .publish(
            subjects::event_subject(mittler_contracts::Service::Booking, "booking", "requested"),
            "{not json".into(),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
    let mut good = Vec::new();
    for _ in 0..10 {
        good.push(publish(&platform, BookingId::new()).await);
    }

    let handler = RecordEffect {
        poison: HashSet::from([poison.as_uuid()]),
    };
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn(
        platform
            .consumer(spec("poisoned"), handler)
            .run(shutdown.clone()),
    );

    eventually(
        Duration::from_secs(20),
        "all good messages handled",
        || async { (effects(&platform.pool).await.len() == 10).then_some(()) },
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "poison and garbage dead-lettered",
        || async {
            (stream_messages(&platform.nats.jetstream, "DEADLETTER").await == 2).then_some(())
        },
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "the consumer has nothing left",
        || async { settled(&platform, "poisoned").await.then_some(()) },
    )
    .await;
    good.sort();
    assert_eq!(effects(&platform.pool).await, good);

    // Read the dead letters and check they say what happened.
    let stream = platform
        .nats
        .jetstream
        .get_stream("DEADLETTER")
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
        .max_messages(2)
        .messages()
        .await
        .expect("fetch");
    let mut seen = Vec::new();
    while let Some(Ok(message)) = batch.next().await {
        let h = message.headers.clone().expect("dead letters carry headers");
        assert_eq!(
            message.subject.as_str(),
            subjects::dead_letter_subject("poisoned")
        );
        assert_eq!(
            h.get(headers::DEAD_LETTER_SUBJECT).map(|v| v.as_str()),
            Some("booking.booking.requested")
        );
        let deliveries: i64 = h
            .get(headers::DEAD_LETTER_DELIVERIES)
            .expect("deliveries")
            .as_str()
            .parse()
            .expect("number");
        let error = h
            .get(headers::DEAD_LETTER_ERROR)
            .expect("error")
            .as_str()
            .to_owned();
        seen.push((deliveries, error, message.payload.clone()));
        message.ack().await.expect("ack");
    }
    seen.sort_by_key(|(d, _, _)| *d);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, 1, "garbage is dead-lettered at once");
    assert!(seen[0].1.contains("not an event envelope"), "{}", seen[0].1);
    assert_eq!(seen[1].0, max_deliveries, "poison after N deliveries");
    assert!(seen[1].1.contains("always fails"), "{}", seen[1].1);
    let dead: serde_json::Value =
        serde_json::from_slice(&seen[1].2).expect("original payload kept");
    assert_eq!(dead["id"], poison_event.to_string());

    shutdown.cancel();
    consumer.await.expect("join").expect("clean stop");
}

#[tokio::test]
async fn two_instances_of_one_consumer_share_the_work_with_one_effect_each() {
    let env = TestEnv::start().await;
    let platform = Platform::connect(env.config(), "test")
        .await
        .expect("platform");
    create_effects_table(&platform.pool).await;
    let mut ids = Vec::new();
    for _ in 0..40 {
        ids.push(publish(&platform, BookingId::new()).await);
    }
    let shutdown = CancellationToken::new();
    let a = tokio::spawn(
        platform
            .consumer(spec("shared"), RecordEffect::default())
            .run(shutdown.clone()),
    );
    let b = tokio::spawn(
        platform
            .consumer(spec("shared"), RecordEffect::default())
            .run(shutdown.clone()),
    );
    eventually(Duration::from_secs(20), "40 effects", || async {
        (effects(&platform.pool).await.len() >= 40 && settled(&platform, "shared").await)
            .then_some(())
    })
    .await;
    ids.sort();
    assert_eq!(effects(&platform.pool).await, ids);
    shutdown.cancel();
    a.await.expect("join").expect("clean stop");
    b.await.expect("join").expect("clean stop");
}

/// A handler that has no use for the event type: acknowledged with no transaction,
/// nothing recorded.
#[derive(Clone, Copy, Debug)]
struct NotInterested;

impl mittler_platform::consumer::Handler for NotInterested {
    async fn handle(
        &self,
        _tx: &mut sqlx::PgConnection,
        _event: &mittler_platform::consumer::IncomingEvent,
    ) -> Result<(), mittler_platform::consumer::HandleError> {
        panic!("an event this handler does not handle reached it");
    }

    fn handles(&self, _event_type: &str) -> bool {
        false
    }
}

#[tokio::test]
async fn events_a_handler_does_not_handle_are_acknowledged_without_a_transaction() {
    let env = TestEnv::start().await;
    let platform = Platform::connect(env.config(), "test")
        .await
        .expect("platform");
    for _ in 0..5 {
        publish(&platform, BookingId::new()).await;
    }
    let shutdown = CancellationToken::new();
    let consumer = tokio::spawn(
        platform
            .consumer(spec("uninterested"), NotInterested)
            .run(shutdown.clone()),
    );
    eventually(Duration::from_secs(10), "all acknowledged", || async {
        settled(&platform, "uninterested").await.then_some(())
    })
    .await;
    let recorded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM booking.processed_events WHERE consumer = 'uninterested'",
    )
    .fetch_one(&platform.pool)
    .await
    .expect("processed");
    assert_eq!(recorded, 0);
    shutdown.cancel();
    consumer.await.expect("join").expect("clean stop");
}
