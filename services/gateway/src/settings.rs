//! The gateway's `[auth]` settings, and its view of `[dispatch]` (the configured
//! dispatch policy it shows as the default).

use mittler_contracts::booking::DispatchDefaults;
use mittler_platform::config::Settings;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Send the session cookie only over HTTPS (browsers treat 127.0.0.1 as secure).
    pub cookie_secure: bool,
    /// How long a browser session lasts.
    pub session_hours: i64,
    /// How long an API token lasts.
    pub token_days: i64,
    /// Failed logins for one e-mail address within the window before logins wait.
    pub max_failed_logins: i64,
    /// Failed logins from one address within the window before logins wait.
    pub max_failed_logins_per_ip: i64,
    pub failed_login_window_minutes: i64,
    /// How long an invitation's set-password link works.
    pub invitation_days: i64,
    /// How long a password-reset link works.
    pub reset_minutes: i64,
    /// Reset links mailed to one address per hour (further requests still say 202).
    pub max_resets_per_address: i64,
    /// Reset requests from one client address per hour before they answer 429.
    pub max_resets_per_ip: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            cookie_secure: true,
            session_hours: 12,
            token_days: 30,
            max_failed_logins: 5,
            max_failed_logins_per_ip: 50,
            failed_login_window_minutes: 15,
            invitation_days: 7,
            reset_minutes: 120,
            max_resets_per_address: 3,
            max_resets_per_ip: 20,
        }
    }
}

impl Settings for AuthConfig {
    const SECTION: &'static str = "auth";
}

/// The policy part of `[dispatch]`, read as the booking service reads it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct DispatchView(pub DispatchDefaults);

impl Settings for DispatchView {
    const SECTION: &'static str = "dispatch";
}
