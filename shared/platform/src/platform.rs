//! The bundle of connections a service runs with, and the small runtime that
//! starts a service's tasks and stops them together.

use crate::config::Config;
use crate::consumer::{Consumer, ConsumerSpec, Handler};
use crate::db::{self, Schema};
use crate::nats::{self, Nats};
use crate::ops::{self, Ops};
use crate::outbox::Relay;
use anyhow::Context as _;
use metrics_exporter_prometheus::PrometheusHandle;
use mittler_contracts::system::{PingRequest, Pong};
use mittler_contracts::{Rpc, RpcFault, Service};
use sqlx::PgPool;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Connections and settings shared by a service's tasks (cheap to clone).
#[derive(Clone)]
pub struct Platform {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub nats: Nats,
    pub metrics: PrometheusHandle,
    /// Names this process in pings and logs.
    pub instance: String,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// Connect to Postgres and NATS, apply migrations, declare the streams.
    pub async fn connect(config: Config, name: &str) -> anyhow::Result<Self> {
        let pool = db::connect(&config.database)
            .await
            .context("connecting to Postgres")?;
        db::migrate(&pool).await.context("applying migrations")?;
        let nats = Nats::connect(&config.nats, name).await?;
        nats::ensure_streams(&nats.jetstream, &config.nats)
            .await
            .context("declaring JetStream streams")?;
        let instance = format!("{name}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Ok(Self {
            config: Arc::new(config),
            pool,
            nats,
            metrics: ops::prometheus(),
            instance,
        })
    }

    pub fn ops(&self) -> Ops {
        Ops {
            pool: self.pool.clone(),
            nats: self.nats.clone(),
            metrics: self.metrics.clone(),
        }
    }

    /// The outbox relay of `schema`.
    pub fn relay(&self, schema: Schema) -> Relay {
        Relay::new(
            self.pool.clone(),
            self.nats.jetstream.clone(),
            schema,
            self.config.outbox.clone(),
        )
    }

    /// A consumer with this platform's consumer settings.
    pub fn consumer<H: Handler>(&self, spec: ConsumerSpec, handler: H) -> Consumer<H> {
        Consumer::new(
            spec,
            self.pool.clone(),
            self.nats.jetstream.clone(),
            self.config.consumer.clone(),
            handler,
        )
    }

    /// A service's section of the settings (see [`crate::config::Settings`]).
    pub fn settings<T: crate::config::Settings>(&self) -> anyhow::Result<T> {
        self.config
            .settings::<T>()
            .map_err(|e| anyhow::anyhow!("settings [{}]: {e}", T::SECTION))
    }

    /// The default timeout of request/reply calls.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.config.nats.request_timeout_ms)
    }

    /// Answer `<service>.rpc.ping` with this instance's name.
    pub fn serve_ping<R>(&self, tasks: &mut Tasks, shutdown: &CancellationToken)
    where
        R: Rpc<Request = PingRequest, Response = Pong>,
    {
        let instance = self.instance.clone();
        let service: Service = R::SERVICE;
        tasks.spawn(
            "ping",
            crate::rpc::serve::<R, _, _, RpcFault>(
                self.nats.client.clone(),
                4,
                move |request: PingRequest| {
                    let instance = instance.clone();
                    async move {
                        Ok(Pong {
                            nonce: request.nonce,
                            service,
                            instance,
                        })
                    }
                },
                shutdown.clone(),
            ),
        );
    }
}

/// A service's long-running tasks. If one ends with an error, the others are
/// stopped and the error is returned; on shutdown all are awaited, within a bound.
#[derive(Debug, Default)]
pub struct Tasks {
    set: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Tasks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.set.spawn(async move { (name, task.await) });
    }

    /// Wait for every task; the first failure cancels `shutdown` for the rest.
    pub async fn join(
        mut self,
        shutdown: CancellationToken,
        grace: Duration,
    ) -> anyhow::Result<()> {
        let mut first_error = None;
        loop {
            let next = if shutdown.is_cancelled() {
                match tokio::time::timeout(grace, self.set.join_next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        tracing::warn!(
                            left = self.set.len(),
                            "tasks did not stop in time; aborting them"
                        );
                        self.set.abort_all();
                        break;
                    }
                }
            } else {
                self.set.join_next().await
            };
            let Some(joined) = next else { break };
            match joined {
                Ok((_, Ok(()))) => {}
                Ok((name, Err(error))) => {
                    tracing::error!(task = name, error = %format!("{error:#}"), "task failed; stopping the service");
                    first_error.get_or_insert(error.context(format!("task {name} failed")));
                    shutdown.cancel();
                }
                Err(join_error) => {
                    tracing::error!(%join_error, "task panicked; stopping the service");
                    first_error.get_or_insert(anyhow::anyhow!("a task panicked: {join_error}"));
                    shutdown.cancel();
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// Run a service alone: connect, serve the operator endpoints on `listener`, and
/// run `body` until `shutdown`.
pub async fn standalone<F, Fut>(
    config: Config,
    name: &'static str,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
    body: F,
) -> anyhow::Result<()>
where
    F: FnOnce(Platform, CancellationToken) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let grace = Duration::from_millis(config.http.shutdown_grace_ms);
    let platform = Platform::connect(config, name).await?;
    let app = ops::router(platform.ops()).layer(axum::middleware::from_fn(ops::request_context));
    let mut tasks = Tasks::new();
    let server_shutdown = shutdown.clone();
    tasks.spawn("ops-http", async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(server_shutdown.cancelled_owned())
            .await
            .context("operator endpoints")
    });
    tasks.spawn(name, body(platform, shutdown.clone()));
    tasks.join(shutdown, grace).await
}

impl Platform {
    /// What every service runs besides its own work: the relay of its outbox and an
    /// answer to its ping.
    pub fn spawn_basics<P>(&self, tasks: &mut Tasks, schema: Schema, shutdown: &CancellationToken)
    where
        P: Rpc<Request = PingRequest, Response = Pong>,
    {
        tasks.spawn("outbox-relay", self.relay(schema).run(shutdown.clone()));
        self.serve_ping::<P>(tasks, shutdown);
    }

    /// How long tasks get to finish after shutdown.
    pub fn grace(&self) -> Duration {
        Duration::from_millis(self.config.http.shutdown_grace_ms)
    }
}

/// What a binary does first: read the configuration (`MITTLER_CONFIG` names an
/// optional TOML file), start telemetry, and tie a shutdown token to SIGINT/SIGTERM.
pub fn boot() -> anyhow::Result<(Config, CancellationToken)> {
    let file = std::env::var_os("MITTLER_CONFIG").map(std::path::PathBuf::from);
    let config =
        Config::load(file.as_deref()).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    crate::telemetry::init(&config.telemetry);
    let shutdown = CancellationToken::new();
    crate::shutdown::cancel_on_signal(shutdown.clone());
    Ok((config, shutdown))
}

/// Bind the configured HTTP address.
pub async fn bind(config: &Config) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(config.http.addr)
        .await
        .with_context(|| format!("binding {}", config.http.addr))
}

/// The two entry points of a service that serves only operator endpoints over HTTP:
/// `run(config, shutdown)` on the configured address and `run_on(listener, config,
/// shutdown)` (tests bind port 0). The service supplies its name and
/// `run_with(platform, shutdown)`.
#[macro_export]
macro_rules! service_entry_points {
    ($name:expr, $run_with:path) => {
        /// Run the service alone on the configured address, with its operator endpoints.
        pub async fn run(
            config: $crate::Config,
            shutdown: $crate::CancellationToken,
        ) -> ::anyhow::Result<()> {
            let listener = $crate::bind(&config).await?;
            run_on(listener, config, shutdown).await
        }

        /// Run the service alone, its operator endpoints on `listener`.
        pub async fn run_on(
            listener: ::tokio::net::TcpListener,
            config: $crate::Config,
            shutdown: $crate::CancellationToken,
        ) -> ::anyhow::Result<()> {
            $crate::standalone(config, $name, listener, shutdown, $run_with).await
        }
    };
}
