//! The availability service's one error type: what its requests refuse (with a code the
//! caller acts on) and what fails inside (logged once, answered as `internal`).

mittler_platform::service_error! {
    /// The availability service's errors.
    pub enum AvailabilityError {
        service: "availability",
        not_found: "reservations.not_found",
    }
}
