//! The `[notifications]` settings: the mail server, retries, reminders.

use mittler_platform::config::Settings;
use secrecy::SecretString;
use serde::Deserialize;

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: only for a mail sink on this machine.
    #[default]
    None,
    /// STARTTLS on the submission port (587), required.
    Starttls,
    /// TLS from the first byte (465).
    Tls,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct NotificationsConfig {
    /// Where links in messages point (the gateway's public address).
    pub public_url: String,
    /// The sender of every message.
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    /// Tries per message before it is given up (and coordinators are told).
    pub max_attempts: i32,
    /// Wait before the second try; doubles with every further try (at most an hour).
    pub retry_base_secs: i64,
    /// Reminders before the start, in minutes.
    pub reminder_minutes: Vec<i64>,
    /// How often queued messages and due reminders are looked for.
    pub poll_ms: u64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            from: "Mittler <noreply@mittler.localhost>".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 1025,
            smtp_tls: SmtpTls::None,
            smtp_username: None,
            smtp_password: None,
            max_attempts: 8,
            retry_base_secs: 30,
            reminder_minutes: vec![1440, 60],
            poll_ms: 500,
        }
    }
}

impl Settings for NotificationsConfig {
    const SECTION: &'static str = "notifications";
}
