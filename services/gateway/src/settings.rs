//! The gateway's `[auth]` and `[oidc]` settings, and its view of `[dispatch]` (the configured
//! dispatch policy it shows as the default).

use mittler_contracts::booking::DispatchDefaults;
use mittler_platform::config::Settings;
use secrecy::SecretString;
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
    /// Failed logins of one account from one client address within the window
    /// before each further try waits, twice as long each time (1 s, 2 s, 4 s … at
    /// most the window). The account is never locked for other addresses.
    pub max_failed_logins: i64,
    /// Failed logins from one client address (an IPv6 /64) within the window after
    /// which its sign-ins are only checked when a check is free at once, never queued.
    pub max_failed_logins_per_ip: i64,
    /// Password checks (argon2, 19 MiB each) at once in this process; more wait
    /// their turn, up to ten seconds, then answer 429.
    pub max_concurrent_password_checks: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (addresses or
    /// networks, e.g. `10.0.0.0/8`); from anyone else the header is ignored.
    pub trusted_proxies: Vec<String>,
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
            max_concurrent_password_checks: 4,
            trusted_proxies: Vec::new(),
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

/// `[oidc]`: single sign-on with an OpenID Connect issuer (authorization code with
/// PKCE). Off while `issuer_url` is empty; local passwords work either way.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct OidcConfig {
    /// The issuer, e.g. `https://sso.example/realms/mittler` (its discovery document
    /// is read from `/.well-known/openid-configuration` below it).
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// Mittler's public address; the issuer sends people back to
    /// `{public_url}/auth/oidc/callback`.
    pub public_url: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// A claim (in the ID token or the user info) that names the role: `requester`,
    /// `coordinator` or `admin`, applied where the account's organisation allows it.
    /// Empty: roles are kept as the directory has them.
    pub role_claim: String,
    /// The button on the sign-in page.
    pub label: String,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer_url: String::new(),
            client_id: String::new(),
            client_secret: None,
            public_url: "http://127.0.0.1:8080".into(),
            scopes: vec!["email".into(), "profile".into()],
            role_claim: String::new(),
            label: String::new(),
        }
    }
}

impl Settings for OidcConfig {
    const SECTION: &'static str = "oidc";
}

/// The policy part of `[dispatch]`, read as the booking service reads it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct DispatchView(pub DispatchDefaults);

impl Settings for DispatchView {
    const SECTION: &'static str = "dispatch";
}
