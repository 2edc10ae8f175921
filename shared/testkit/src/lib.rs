//! Real servers for tests: a private `nats-server` per test on a free port with a
//! temporary store (stoppable and restartable, for fault tests), a fresh Postgres
//! database per test, and helpers that run a service (or all of them) on port 0.
//!
//! Postgres: tests need a server they may create databases on, named by
//! `MITTLER_TEST_PG` (e.g. `postgres://postgres@127.0.0.1:25432`); `make test` starts
//! a private one (deploy/local/pg.sh) and sets it. Nothing here touches a server
//! the test did not ask for.
//!
//! Logging: silent unless `TEST_LOG=1`. Dates that hold on any day: [`calendar`].

pub mod calendar;
pub mod history;
pub mod http;
pub mod oidc;

use anyhow::{Context as _, bail};
use mittler_platform::Config;
use secrecy::SecretString;
use sqlx::{Connection, PgConnection, PgPool};
use std::future::Future;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Turn on logging for this test process when `TEST_LOG=1`.
pub fn init_logging() {
    if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info,sqlx=warn".into()),
            )
            .with_test_writer()
            .try_init();
    }
}

/// A free TCP port on loopback (the OS picks it).
pub fn free_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

/// Poll `check` until it returns `Some`, or fail after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A private `nats-server` with JetStream.
#[derive(Debug)]
pub struct TestNats {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

fn nats_server_bin() -> PathBuf {
    if let Ok(path) = std::env::var("NATS_SERVER_BIN") {
        return path.into();
    }
    for candidate in [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ] {
        if std::path::Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    "nats-server".into()
}

impl TestNats {
    /// Start a server on a free port with a fresh store.
    pub async fn start() -> anyhow::Result<Self> {
        let store = tempfile::tempdir().context("temporary JetStream store")?;
        let mut nats = Self {
            port: 0,
            store,
            child: None,
        };
        for _ in 0..5 {
            nats.port = free_port();
            if nats.spawn().await.is_ok() {
                return Ok(nats);
            }
        }
        bail!("nats-server did not start (is it installed? `make deps` installs it)")
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = self.store.path().join("nats.log");
        let child = Command::new(nats_server_bin())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.store.path().join("js"))
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning nats-server")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(client) = async_nats::connect(self.url()).await {
                // JetStream answers once its store is recovered. (A raw request: the
                // typed account query does not parse every server version's answer.)
                if let Ok(Ok(reply)) = tokio::time::timeout(
                    Duration::from_secs(1),
                    client.request("$JS.API.INFO", "".into()),
                )
                .await
                    && !reply.payload.is_empty()
                    && !String::from_utf8_lossy(&reply.payload).contains("\"error\"")
                {
                    return Ok(());
                }
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                bail!("nats-server exited with {status}");
            }
            if Instant::now() > deadline {
                self.kill();
                bail!("nats-server on port {} did not become ready", self.port);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kill the server (SIGKILL, as a crash). The store stays.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start it again on the same port with the same store.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.spawn().await
    }

    /// A plain client of this server.
    pub async fn client(&self) -> async_nats::Client {
        async_nats::connect(self.url())
            .await
            .expect("connect to test NATS")
    }
}

impl Drop for TestNats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh, migrated database of its own.
#[derive(Debug)]
pub struct TestDb {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDb {
    pub async fn create() -> anyhow::Result<Self> {
        let base = std::env::var("MITTLER_TEST_PG").context(
            "MITTLER_TEST_PG is not set: run the tests with `make test`, or start a server with \
             `deploy/local/pg.sh start DIR PORT` and set MITTLER_TEST_PG=postgres://postgres@127.0.0.1:PORT",
        )?;
        let base = base.trim_end_matches('/').to_owned();
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&format!("{base}/postgres"))
            .await
            .context("connecting to the test Postgres server")?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        let url = format!("{base}/{name}");
        let pool = PgPool::connect(&url).await?;
        mittler_platform::db::migrate(&pool).await?;
        Ok(Self { name, url, pool })
    }
}

/// Real NATS and a fresh database, and a configuration that points at both with
/// timings short enough for tests.
#[derive(Debug)]
pub struct TestEnv {
    pub nats: TestNats,
    pub db: TestDb,
}

impl TestEnv {
    pub async fn start() -> Self {
        init_logging();
        let (nats, db) = tokio::join!(TestNats::start(), TestDb::create());
        Self {
            nats: nats.expect("test NATS"),
            db: db.expect("test database"),
        }
    }

    pub fn config(&self) -> Config {
        let mut config = Config::default();
        config.http.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        config.http.shutdown_grace_ms = 3_000;
        config.database.url = SecretString::from(self.db.url.clone());
        config.database.max_connections = 16;
        config.nats.url = self.nats.url();
        config.nats.request_timeout_ms = 2_000;
        config.outbox.fallback_poll_ms = 1_000;
        config.outbox.max_backoff_ms = 300;
        config.consumer.ack_wait_ms = 1_000;
        config.consumer.backoff_ms = vec![50, 100, 200];
        config.consumer.max_deliveries = 3;
        // No mail server unless a test starts one (TestSmtp): mail waits in the queue.
        // (By path: the test kit does not depend on the services' crates.)
        config.set_value("notifications.smtp_port", i64::from(free_port()));
        config.set_value("notifications.poll_ms", 100);
        config.set_value("notifications.retry_base_secs", 1);
        config
    }
}

/// A real SMTP server for tests: `deploy/local/mail_sink.py` (aiosmtpd) on free
/// ports, keeping every mail it receives in a temporary directory.
#[derive(Debug)]
pub struct TestSmtp {
    pub smtp_port: u16,
    pub http_port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

/// One received mail, parsed by the standard library's `email` package.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct ReceivedMail {
    pub n: u32,
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub booking: String,
    /// The iTIP method of a `text/calendar` part, if there is one.
    pub calendar: Option<String>,
    /// The plain-text part.
    #[serde(default)]
    pub text: String,
}

impl TestSmtp {
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let (smtp_port, http_port) = (free_port(), free_port());
        let child = Self::spawn(smtp_port, http_port, dir.path())?;
        let mut smtp = Self {
            smtp_port,
            http_port,
            dir,
            child,
        };
        // A free port may be taken by another test between choosing and binding it:
        // then the sink exits at once, and it starts again on other ports.
        for _ in 0..5 {
            if smtp.wait_up().await? {
                return Ok(smtp);
            }
            smtp.smtp_port = free_port();
            smtp.http_port = free_port();
            smtp.child = Self::spawn(smtp.smtp_port, smtp.http_port, smtp.dir.path())?;
        }
        bail!("the mail sink did not start: its ports were taken five times")
    }

    fn spawn(smtp_port: u16, http_port: u16, dir: &std::path::Path) -> anyhow::Result<Child> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        Command::new("/usr/bin/python3")
            .arg(root.join("deploy/local/mail_sink.py"))
            .args(["--smtp-port", &smtp_port.to_string()])
            .args(["--http-port", &http_port.to_string()])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting deploy/local/mail_sink.py (needs python3-aiosmtpd)")
    }

    /// Wait until the sink answers: true; false when it exited (a port was taken).
    async fn wait_up(&mut self) -> anyhow::Result<bool> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.mails().await.is_err() {
            if self.child.try_wait()?.is_some() {
                return Ok(false);
            }
            if Instant::now() > deadline {
                bail!("the mail sink did not start");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(true)
    }

    /// Stop the server (connections are refused until [`TestSmtp::resume`]).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Start it again on the same ports, keeping what it received.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        self.child = Self::spawn(self.smtp_port, self.http_port, self.dir.path())?;
        if self.wait_up().await? {
            Ok(())
        } else {
            bail!("the mail sink did not start again: its ports were taken")
        }
    }

    /// Point `config` at this server (before typed changes of `[notifications]`).
    pub fn configure(&self, config: &mut Config) {
        config.set_value("notifications.smtp_host", "127.0.0.1");
        config.set_value("notifications.smtp_port", i64::from(self.smtp_port));
    }

    /// Every mail received so far, in arrival order.
    pub async fn mails(&self) -> anyhow::Result<Vec<ReceivedMail>> {
        Ok(
            reqwest::get(format!("http://127.0.0.1:{}/api/mails", self.http_port))
                .await?
                .error_for_status()?
                .json()
                .await?,
        )
    }

    /// The first mail to `to` whose subject contains `subject`, waiting up to 20 s.
    pub async fn wait_for(&self, to: &str, subject: &str) -> ReceivedMail {
        eventually(
            Duration::from_secs(20),
            &format!("a mail to {to}"),
            || async {
                self.mails()
                    .await
                    .ok()?
                    .into_iter()
                    .find(|m| m.to.contains(to) && m.subject.contains(subject))
            },
        )
        .await
    }

    /// The raw message `n` (1-based).
    pub fn raw(&self, n: u32) -> anyhow::Result<Vec<u8>> {
        Ok(std::fs::read(self.dir.path().join(format!("{n}.eml")))?)
    }

    /// Where the `.eml` files are.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A service (or the whole system) running in this test on a port of its own.
#[derive(Debug)]
pub struct TestApp {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    /// Bind 127.0.0.1:0 and run `run_on(listener, config, shutdown)` in the background.
    pub async fn spawn<F, Fut>(config: Config, run_on: F) -> Self
    where
        F: FnOnce(tokio::net::TcpListener, Config, CancellationToken) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        Self::spawn_knowing_url(config, |_, _| {}, run_on).await
    }

    /// Like [`TestApp::spawn`], with settings that need the app's own address (its
    /// `http://127.0.0.1:port`), given to `configure` before the start.
    pub async fn spawn_knowing_url<C, F, Fut>(mut config: Config, configure: C, run_on: F) -> Self
    where
        C: FnOnce(&mut Config, &str),
        F: FnOnce(tokio::net::TcpListener, Config, CancellationToken) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        configure(&mut config, &format!("http://{addr}"));
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(run_on(listener, config, shutdown.clone()));
        let app = Self {
            addr,
            shutdown,
            handle,
        };
        app.wait_healthy().await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn wait_healthy(&self) {
        let client = reqwest::Client::new();
        let url = self.url("/healthz");
        eventually(Duration::from_secs(20), "the app answers /healthz", || {
            let request = client.get(&url).send();
            async move {
                request
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(|_| ())
            }
        })
        .await;
    }

    /// Crash: drop every task at whatever point it is (no graceful stop), as a
    /// killed process would. What was not committed is lost; nothing else.
    pub async fn kill(self) {
        self.handle.abort();
        let _ = self.handle.await;
    }

    /// Cancel and wait for a clean stop.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .context("app did not stop within 15 s")??
    }
}
