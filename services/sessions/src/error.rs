//! The sessions service's one error type: what its requests refuse (with a code the
//! caller acts on) and what fails inside (logged once, answered as `internal`).

mittler_platform::service_error! {
    /// The sessions service's errors.
    pub enum SessionsError {
        service: "sessions",
        not_found: "room.no_room",
    }
}
