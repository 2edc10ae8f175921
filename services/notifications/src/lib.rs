//! The `notifications` service: e-mail with iCalendar, reminders, the in-app feed.
//! Owns the `notifications` schema; consumes the booking stream's events.
//!
//! Layout: `compose` (messages as pure functions of template files), `ics`
//! (invitations), `notify` (events and due reminders → queued messages and feed
//! items), `mailer` (SMTP with retries), `store` (the schema), `requests`
//! (`notification.rpc.*`: the feed and the delivery log for the gateway).
//!
//! Entry points: [`run`] binds the configured address; [`run_on`] takes a bound
//! listener (tests use port 0); [`run_with`] runs the service's work on an existing
//! [`Platform`] (the all-in-one `mittler` binary shares one).

pub mod compose;
pub mod error;
pub mod ics;
pub mod mailer;
pub mod notify;
pub mod requests;
pub mod settings;
pub mod store;

use anyhow::Context as _;
use mittler_contracts::streams;
use mittler_contracts::system::PingNotification;
use mittler_platform::consumer::ConsumerSpec;
use mittler_platform::consumer::Decoded;
use mittler_platform::{CancellationToken, Platform, Schema, Tasks};
use std::sync::Arc;

/// The service's name in logs, pings and NATS connection names.
pub const NAME: &str = "notifications";

mittler_platform::service_entry_points!(NAME, run_with);

/// The service's own work, on a shared platform, until `shutdown`.
pub async fn run_with(platform: Platform, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut tasks = Tasks::new();
    platform.spawn_basics::<PingNotification>(&mut tasks, Schema::NOTIFICATIONS, &shutdown);
    let config: settings::NotificationsConfig = platform.settings()?;
    let templates = Arc::new(compose::Templates::load().context("loading templates")?);
    let notifier = notify::Notifier {
        pool: platform.pool.clone(),
        nats: platform.nats.client.clone(),
        config: config.clone(),
        templates,
        timeout: platform.request_timeout(),
    };
    let spec = ConsumerSpec {
        name: "notifications".into(),
        stream: &streams::BOOKING,
        filter_subject: None,
        schema: Schema::NOTIFICATIONS,
        // In the stream's order: a booking's messages follow its events one by one.
        concurrency: Some(1),
    };
    tasks.spawn(
        "notifications-consumer",
        platform
            .consumer(spec, Decoded(notify::NotifyHandler(notifier.clone())))
            .run(shutdown.clone()),
    );
    // Accounts: invitations and password resets.
    let spec = ConsumerSpec {
        name: "notifications-accounts".into(),
        stream: &streams::DIRECTORY,
        filter_subject: Some(
            <mittler_contracts::directory::AccountLinkIssued as mittler_contracts::Event>::TYPE
                .into(),
        ),
        schema: Schema::NOTIFICATIONS,
        concurrency: Some(1),
    };
    tasks.spawn(
        "notifications-accounts-consumer",
        platform
            .consumer(
                spec,
                Decoded(notify::accounts::AccountsHandler(notifier.clone())),
            )
            .run(shutdown.clone()),
    );
    // Video rooms: everyone's join link.
    let spec = ConsumerSpec {
        name: "notifications-sessions".into(),
        stream: &streams::SESSION,
        filter_subject: None,
        schema: Schema::NOTIFICATIONS,
        concurrency: Some(1),
    };
    tasks.spawn(
        "notifications-session-consumer",
        platform
            .consumer(spec, Decoded(notify::NotifyHandler(notifier.clone())))
            .run(shutdown.clone()),
    );
    tasks.spawn("reminders", notifier.run_reminders(shutdown.clone()));
    let sender = mailer::Sender {
        pool: platform.pool.clone(),
        transport: mailer::transport(&config).context("SMTP settings")?,
        config,
    };
    tasks.spawn("mailer", sender.run(shutdown.clone()));
    requests::Requests {
        pool: platform.pool.clone(),
    }
    .serve(&platform, &mut tasks, &shutdown);
    tasks.join(shutdown, platform.grace()).await
}
