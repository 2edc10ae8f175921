//! The `[availability]` settings: presence and travel.

use mittler_platform::config::Settings;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AvailabilityConfig {
    /// How long "online now" lasts after the last heartbeat.
    pub presence_ttl_secs: i64,
    /// Travel speed between on-site jobs, for travel buffers.
    pub travel_speed_kmh: f64,
}

impl Default for AvailabilityConfig {
    fn default() -> Self {
        Self {
            presence_ttl_secs: 90,
            travel_speed_kmh: 40.0,
        }
    }
}

impl Settings for AvailabilityConfig {
    const SECTION: &'static str = "availability";
}
