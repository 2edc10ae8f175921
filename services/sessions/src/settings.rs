//! The `[sessions]` settings: video rooms, join links, STUN/TURN, the provider.

use mittler_platform::config::Settings;
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct SessionsConfig {
    /// Where join links point (the gateway's public address).
    pub public_url: String,
    /// A link opens this long before the start …
    pub join_before_minutes: i64,
    /// … and until this long after the planned end.
    pub join_after_minutes: i64,
    /// People in one room (the browser mesh carries four well).
    pub max_participants: usize,
    /// STUN servers for the browsers, e.g. `stun:turn.example.org:3478`.
    pub stun_urls: Vec<String>,
    /// TURN servers, e.g. `turn:turn.example.org:3478?transport=udp`; with
    /// `turn_secret` (coturn's `static-auth-secret`) every participant gets
    /// credentials that expire.
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<SecretString>,
    /// How long TURN credentials last.
    pub turn_ttl_secs: i64,
    /// A participant whose connection has not said it is alive for this long (its
    /// gateway died) has left.
    pub presence_timeout_secs: i64,
    /// `builtin` (browsers connect to each other) or `janus` (through a Janus
    /// VideoRoom, for larger deployments).
    pub provider: VideoProvider,
    /// Janus's HTTP API as this service reaches it, e.g. `http://127.0.0.1:8088/janus`.
    pub janus_url: String,
    /// … and as browsers reach it (often behind the same proxy as Mittler).
    pub janus_public_url: String,
    /// The VideoRoom plugin's `admin_key`: only Mittler may create rooms.
    pub janus_admin_key: Option<SecretString>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoProvider {
    #[default]
    Builtin,
    Janus,
}

impl VideoProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            VideoProvider::Builtin => "builtin",
            VideoProvider::Janus => "janus",
        }
    }
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            join_before_minutes: 15,
            join_after_minutes: 30,
            max_participants: 4,
            stun_urls: vec![],
            turn_urls: vec![],
            turn_secret: None,
            turn_ttl_secs: 4 * 3600,
            presence_timeout_secs: 60,
            provider: VideoProvider::Builtin,
            janus_url: "http://127.0.0.1:8088/janus".into(),
            janus_public_url: "http://127.0.0.1:8088/janus".into(),
            janus_admin_key: None,
        }
    }
}

impl Settings for SessionsConfig {
    const SECTION: &'static str = "sessions";
}
