//! The notifications service's one error type: what its requests refuse (with a code the
//! caller acts on) and what fails inside (logged once, answered as `internal`).

mittler_platform::service_error! {
    /// The notifications service's errors.
    pub enum NotificationsError {
        service: "notifications",
        not_found: "message.not_found",
    }
}
