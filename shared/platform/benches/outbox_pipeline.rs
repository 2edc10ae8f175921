//! Outbox → JetStream → consumer: throughput and end-to-end latency.
//!
//! Writers commit events to the booking outbox; the relay publishes them; a durable
//! consumer applies one effect per event in its own transaction. Latency is from the
//! event's `occurred_at` (set at commit time) to the handler's effect. Two phases:
//! a burst (as fast as writers can commit: throughput) and a steady rate (latency
//! when not saturated). Real nats-server and PostgreSQL; run with `make bench`.

use chrono::Utc;
use hdrhistogram::Histogram;
use mittler_contracts::booking::BookingRequested;
use mittler_contracts::{Envelope, EventMeta, streams};
use mittler_platform::consumer::{ConsumerSpec, HandleError, Handler, IncomingEvent};
use mittler_platform::{Platform, Schema, outbox};
use mittler_testkit::TestEnv;
use mittler_types::BookingId;
use sqlx::PgConnection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
struct Measure {
    latency_us: Arc<Mutex<Histogram<u64>>>,
    done: Arc<AtomicU64>,
}

impl Handler for Measure {
    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        sqlx::query("INSERT INTO booking.bench_effects (event_id) VALUES ($1)")
            .bind(event.envelope.id.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(HandleError::retry)?;
        let latency = (Utc::now() - event.envelope.occurred_at)
            .num_microseconds()
            .unwrap_or(0)
            .max(1) as u64;
        self.latency_us
            .lock()
            .expect("histogram")
            .record(latency)
            .ok();
        self.done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

fn event() -> Envelope<BookingRequested> {
    Envelope::new(
        mittler_contracts::examples::booking_requested(BookingId::new()),
        EventMeta::root(uuid::Uuid::now_v7()),
    )
}

/// One event per transaction, as a service writes them.
async fn write_one(platform: &Platform) {
    let mut tx = platform.pool.begin().await.expect("begin");
    let mut envelope = event();
    envelope.occurred_at = Utc::now();
    outbox::enqueue(&mut tx, Schema::BOOKING, &envelope)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
}

async fn wait_done(measure: &Measure, target: u64, limit: Duration) -> Duration {
    let started = Instant::now();
    while measure.done.load(Ordering::SeqCst) < target {
        assert!(
            started.elapsed() < limit,
            "pipeline stalled at {}",
            measure.done.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

fn report(name: &str, histogram: &Histogram<u64>, extra: &str) {
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {extra} |",
        histogram.len(),
        ms(0.50),
        ms(0.95),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let burst: u64 = arg(&args, "--burst").unwrap_or(20_000);
    let rate: u64 = arg(&args, "--rate").unwrap_or(500);
    let seconds: u64 = arg(&args, "--seconds").unwrap_or(10);
    let writers: u64 = arg(&args, "--writers").unwrap_or(8);

    let env = TestEnv::start().await;
    let mut config = env.config();
    config.database.max_connections = 32;
    config.consumer.concurrency = 32;
    config.consumer.ack_wait_ms = 30_000;
    let platform = Platform::connect(config, "bench").await.expect("platform");
    sqlx::query("CREATE TABLE booking.bench_effects (event_id uuid PRIMARY KEY)")
        .execute(&platform.pool)
        .await
        .expect("table");
    let measure = Measure {
        latency_us: Arc::new(Mutex::new(Histogram::new(3).expect("hdr"))),
        done: Default::default(),
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(platform.relay(Schema::BOOKING).run(shutdown.clone()));
    let spec = ConsumerSpec {
        name: "bench".into(),
        stream: &streams::BOOKING,
        filter_subject: None,
        schema: Schema::BOOKING,
        concurrency: None,
    };
    tokio::spawn(
        platform
            .consumer(spec, measure.clone())
            .run(shutdown.clone()),
    );

    println!("| phase | events | p50 ms | p95 ms | p99 ms | max ms | throughput |");
    println!("|---|---|---|---|---|---|---|");

    // Phase 1: burst, `writers` concurrent writers committing one event per transaction.
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..writers {
        let platform = platform.clone();
        let n = burst / writers + u64::from(w < burst % writers);
        handles.push(tokio::spawn(async move {
            for _ in 0..n {
                write_one(&platform).await;
            }
        }));
    }
    for handle in handles {
        handle.await.expect("writer");
    }
    let written = started.elapsed();
    wait_done(&measure, burst, Duration::from_secs(300)).await;
    let total = started.elapsed();
    let histogram = std::mem::replace(
        &mut *measure.latency_us.lock().expect("hdr"),
        Histogram::new(3).expect("hdr"),
    );
    report(
        "burst",
        &histogram,
        &format!(
            "{:.0} events/s end to end ({:.0}/s committed by {writers} writers)",
            burst as f64 / total.as_secs_f64(),
            burst as f64 / written.as_secs_f64()
        ),
    );

    // Phase 2: a steady rate.
    let count = rate * seconds;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    for _ in 0..count {
        ticker.tick().await;
        let platform = platform.clone();
        tokio::spawn(async move { write_one(&platform).await });
    }
    wait_done(&measure, burst + count, Duration::from_secs(300)).await;
    let histogram = measure.latency_us.lock().expect("hdr").clone();
    report(
        &format!("steady {rate}/s"),
        &histogram,
        &format!(
            "{:.0} events/s offered over {:.1} s",
            count as f64 / started.elapsed().as_secs_f64(),
            started.elapsed().as_secs_f64()
        ),
    );
    shutdown.cancel();
}

fn arg(args: &[String], name: &str) -> Option<u64> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}
