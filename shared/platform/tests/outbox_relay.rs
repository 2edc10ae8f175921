//! The outbox relay publishes every event exactly once in effect: through a crash
//! between publish and mark-sent, and through a NATS restart mid-stream.

mod common;

use common::*;
use mittler_contracts::streams;
use mittler_platform::consumer::ConsumerSpec;
use mittler_platform::faults::{FaultPoint, Faults};
use mittler_platform::{Platform, Schema, outbox};
use mittler_testkit::{TestEnv, eventually};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn consumer_spec() -> ConsumerSpec {
    ConsumerSpec {
        name: "test-effects".into(),
        stream: &streams::BOOKING,
        filter_subject: None,
        schema: Schema::BOOKING,
        concurrency: None,
    }
}

#[tokio::test]
async fn relay_crashing_between_publish_and_mark_sent_causes_one_effect_per_event() {
    let env = TestEnv::start().await;
    let platform = Platform::connect(env.config(), "test")
        .await
        .expect("platform");
    create_effects_table(&platform.pool).await;
    let ids = enqueue(&platform.pool, 20).await;

    // First relay publishes the batch, then "crashes" before marking it sent.
    let faults = Faults::default();
    faults.arm(FaultPoint::RelayAfterPublish, 1);
    let crashed = platform
        .relay(Schema::BOOKING)
        .with_faults(faults)
        .run(CancellationToken::new())
        .await;
    assert!(crashed.is_err(), "the relay stops at the injected crash");
    assert_eq!(
        outbox::unsent_count(&platform.pool, Schema::BOOKING)
            .await
            .expect("count"),
        20
    );
    assert_eq!(
        stream_messages(&platform.nats.jetstream, "BOOKING").await,
        20,
        "published before the crash"
    );

    // A new relay publishes the same rows again; JetStream drops the copies.
    let shutdown = CancellationToken::new();
    let relay = tokio::spawn(platform.relay(Schema::BOOKING).run(shutdown.clone()));
    let consumer = tokio::spawn(
        platform
            .consumer(consumer_spec(), RecordEffect::default())
            .run(shutdown.clone()),
    );
    eventually(
        Duration::from_secs(20),
        "every event has its effect",
        || async { (effects(&platform.pool).await.len() >= 20).then_some(()) },
    )
    .await;
    eventually(Duration::from_secs(10), "the outbox is drained", || async {
        (outbox::unsent_count(&platform.pool, Schema::BOOKING)
            .await
            .ok()?
            == 0)
            .then_some(())
    })
    .await;
    assert_eq!(
        stream_messages(&platform.nats.jetstream, "BOOKING").await,
        20,
        "no duplicate in the stream"
    );
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(
        effects(&platform.pool).await,
        expected,
        "exactly one effect per event"
    );

    shutdown.cancel();
    relay.await.expect("join").expect("relay stops cleanly");
    consumer
        .await
        .expect("join")
        .expect("consumer stops cleanly");
}

#[tokio::test]
async fn nats_restarting_mid_stream_loses_and_doubles_nothing() {
    let mut env = TestEnv::start().await;
    let platform = Platform::connect(env.config(), "test")
        .await
        .expect("platform");
    create_effects_table(&platform.pool).await;
    let shutdown = CancellationToken::new();
    let relay = tokio::spawn(platform.relay(Schema::BOOKING).run(shutdown.clone()));
    let consumer = tokio::spawn(
        platform
            .consumer(consumer_spec(), RecordEffect::default())
            .run(shutdown.clone()),
    );

    let mut ids = enqueue(&platform.pool, 30).await;
    env.nats.kill();
    // Bookings keep being accepted while NATS is down: they wait in the outbox.
    ids.extend(enqueue(&platform.pool, 30).await);
    env.nats.restart().await.expect("NATS restarts");
    ids.extend(enqueue(&platform.pool, 30).await);

    eventually(Duration::from_secs(60), "all 90 effects", || async {
        (effects(&platform.pool).await.len() >= 90).then_some(())
    })
    .await;
    eventually(Duration::from_secs(10), "the outbox is drained", || async {
        (outbox::unsent_count(&platform.pool, Schema::BOOKING)
            .await
            .ok()?
            == 0)
            .then_some(())
    })
    .await;
    ids.sort();
    assert_eq!(
        effects(&platform.pool).await,
        ids,
        "each event had exactly one effect"
    );
    let js = async_nats::jetstream::new(env.nats.client().await);
    assert_eq!(
        stream_messages(&js, "BOOKING").await,
        90,
        "no event published twice"
    );

    shutdown.cancel();
    relay.await.expect("join").expect("relay stops cleanly");
    consumer
        .await
        .expect("join")
        .expect("consumer stops cleanly");
}

#[tokio::test]
async fn relay_wakes_on_notify_not_on_its_slow_poll() {
    let env = TestEnv::start().await;
    let mut config = env.config();
    config.outbox.fallback_poll_ms = 120_000;
    let platform = Platform::connect(config, "test").await.expect("platform");
    let shutdown = CancellationToken::new();
    let relay = tokio::spawn(platform.relay(Schema::BOOKING).run(shutdown.clone()));
    // Let the relay reach its wait; then a new row must wake it.
    eventually(Duration::from_secs(5), "relay listening", || async {
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()",
        )
        .fetch_one(&platform.pool)
        .await
        .ok()?;
        (listening > 0).then_some(())
    })
    .await;
    enqueue(&platform.pool, 1).await;
    eventually(
        Duration::from_secs(10),
        "the event is published well before the 120 s poll",
        || async {
            (stream_messages(&platform.nats.jetstream, "BOOKING").await == 1).then_some(())
        },
    )
    .await;
    shutdown.cancel();
    relay.await.expect("join").expect("relay stops cleanly");
}

#[tokio::test]
async fn two_relays_drain_one_outbox_without_doubles() {
    let env = TestEnv::start().await;
    let mut config = env.config();
    config.outbox.batch_size = 16;
    let platform = Platform::connect(config, "test").await.expect("platform");
    let ids = enqueue(&platform.pool, 200).await;
    let (relay_a, relay_b) = (
        platform.relay(Schema::BOOKING),
        platform.relay(Schema::BOOKING),
    );
    let (a, b) = tokio::join!(relay_a.drain(), relay_b.drain());
    let published = a.expect("relay a") + b.expect("relay b");
    assert_eq!(
        published,
        ids.len(),
        "SKIP LOCKED: every row published by exactly one relay"
    );
    assert_eq!(
        stream_messages(&platform.nats.jetstream, "BOOKING").await,
        200
    );
}
