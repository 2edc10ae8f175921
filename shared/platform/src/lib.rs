//! What every service stands on: configuration, telemetry, Postgres, JetStream, the
//! transactional outbox, idempotent consumers, typed request/reply, the operator
//! endpoints and the one shutdown path.
//!
//! Layout:
//! - `config`: layered settings (defaults → file → `MITTLER__*` variables).
//! - `telemetry`: tracing set-up and the request/trace context carried into NATS.
//! - `db`: the Postgres pool, the migrator over `migrations/`, schema names.
//! - `nats`: connecting, declaring the streams of `mittler_contracts::streams`.
//! - `outbox`: writing events in the caller's transaction, and the relay.
//! - `consumer`: durable pull consumers with exactly-once effects and dead letters.
//! - `rpc`: typed request/reply with timeouts and queue groups.
//! - `ops`: `/healthz`, `/readyz`, `/metrics` and the request-context middleware.
//! - `shutdown`: signals to one cancellation token; bounded waiting.
//! - `platform`: the bundle of connections a service runs with.

pub mod config;
pub mod consumer;
pub mod db;
mod error;
#[cfg(feature = "fault-injection")]
pub mod faults;
pub mod nats;
pub mod ops;
pub mod outbox;
mod platform;
pub use platform::{Tasks, bind, boot, standalone};
pub mod rpc;
pub mod shutdown;
pub mod telemetry;

pub use config::Config;
pub use db::Schema;
pub use platform::Platform;
pub use tokio_util::sync::CancellationToken;
