//! Sending: queued messages leave through SMTP (lettre), one at a time per worker,
//! each claimed with `FOR UPDATE SKIP LOCKED`; a failure is retried with backoff and
//! given up after `max_attempts` (a `notification.delivery.failed` event, and the
//! coordinators see it in the delivery log).

use crate::settings::{NotificationsConfig, SmtpTls};
use crate::store::{self, Outgoing};
use chrono::{Duration, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mittler_contracts::Envelope;
use mittler_contracts::notification::DeliveryFailed;
use mittler_platform::{CancellationToken, Schema, outbox};
use mittler_types::{BookingId, OrganisationId};
use secrecy::ExposeSecret;
use sqlx::PgPool;

/// Why a message could not be built or sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The address or content is wrong: another try cannot help.
    #[error("{0}")]
    Permanent(String),
    /// The server was away or refused for now.
    #[error("{0}")]
    Transient(String),
}

/// The SMTP connection, as configured.
pub fn transport(
    config: &NotificationsConfig,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match config.smtp_tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.smtp_host),
        SmtpTls::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.smtp_host)?
        }
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.smtp_host)?,
    };
    let mut builder = builder
        .port(config.smtp_port)
        .timeout(Some(std::time::Duration::from_secs(20)));
    if let (Some(user), Some(password)) = (&config.smtp_username, &config.smtp_password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(builder.build())
}

/// The MIME message: text and HTML alternatives, and for a calendar change the
/// `text/calendar` part (iTIP) plus the same as an `invite.ics` attachment.
pub fn build(from: &str, message: &Outgoing) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| SendError::Permanent(format!("sender {from}: {e}")))?;
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|e| SendError::Permanent(format!("recipient {}: {e}", message.recipient)))?;
    let domain = from.email.domain().to_owned();
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(message.text_body.clone()))
        .singlepart(SinglePart::html(message.html_body.clone()));
    let body = match (&message.ics, &message.ics_method) {
        (Some(ics), Some(method)) => {
            let calendar_type =
                ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| SendError::Permanent(e.to_string()))?;
            let ics_type = ContentType::parse("application/ics; name=\"invite.ics\"")
                .map_err(|e| SendError::Permanent(e.to_string()))?;
            MultiPart::mixed()
                .multipart(
                    alternative.singlepart(
                        SinglePart::builder()
                            .header(calendar_type)
                            .body(ics.clone()),
                    ),
                )
                .singlepart(Attachment::new("invite.ics".into()).body(ics.clone(), ics_type))
        }
        _ => alternative,
    };
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", message.id)));
    if let Some(booking) = message.booking_id {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Mittler-Booking"),
            booking.to_string(),
        ));
    }
    builder
        .multipart(body)
        .map_err(|e| SendError::Permanent(e.to_string()))
}

/// Send queued messages until `shutdown`.
#[derive(Clone, Debug)]
pub struct Sender {
    pub pool: PgPool,
    pub config: NotificationsConfig,
    pub transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Sender {
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let poll = std::time::Duration::from_millis(self.config.poll_ms);
        loop {
            // A message being sent is finished before stopping: never cut mid-way.
            match self.send_next().await {
                Ok(true) => {
                    if shutdown.is_cancelled() {
                        return Ok(());
                    }
                    continue;
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "sending failed; retrying")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Send the next due message; false when none is due.
    pub async fn send_next(&self) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let Some(message) = store::claim_message(&mut tx).await? else {
            return Ok(false);
        };
        let outcome = match build(&self.config.from, &message) {
            Ok(mail) => self.transport.send(mail).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => {
                store::mark_sent(&mut tx, message.id).await?;
                metrics::counter!("notifications_sent_total").increment(1);
                tracing::info!(message_id = %message.id, "mail sent");
            }
            Err(error) => {
                let tries = message.attempts + 1;
                let give_up =
                    matches!(error, SendError::Permanent(_)) || tries >= self.config.max_attempts;
                let retry_at = (!give_up).then(|| {
                    let wait = self.config.retry_base_secs.max(1)
                        * 2i64.pow((tries - 1).clamp(0, 20) as u32);
                    Utc::now() + Duration::seconds(wait.min(3600))
                });
                store::mark_failed(&mut tx, message.id, &error.to_string(), retry_at).await?;
                metrics::counter!("notifications_failed_total").increment(1);
                tracing::warn!(message_id = %message.id, %error, tries, give_up, "mail not sent");
                if give_up {
                    let event = DeliveryFailed {
                        organisation_id: message.organisation_id.map(OrganisationId),
                        message_id: message.id,
                        booking_id: message.booking_id.map(BookingId),
                        recipient: message.recipient.clone(),
                        error: error.to_string(),
                    };
                    outbox::enqueue(
                        &mut tx,
                        Schema::NOTIFICATIONS,
                        &Envelope::new(event, outbox::root_meta()),
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}
