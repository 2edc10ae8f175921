//! The booking service's one error type: what its requests refuse (with a code the
//! caller acts on) and what fails inside (logged here, answered as `internal`).

use crate::lifecycle::IllegalTransition;
use mittler_contracts::text;
use mittler_contracts::{FaultCode, RpcFault};
use mittler_platform::outbox::OutboxError;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// No such booking (or offer) in the caller's scope.
    #[error("no such booking")]
    NotFound,
    /// Refused with a code of its own (invalid, taken, idempotency mismatch, …).
    #[error(transparent)]
    Refused(#[from] RpcFault),
    /// The booking's state does not allow this.
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<serde_json::Error> for BookingError {
    fn from(error: serde_json::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl BookingError {
    /// The code a caller sees.
    pub fn code(&self) -> FaultCode {
        match self {
            Self::NotFound => FaultCode::NotFound,
            Self::Refused(fault) => fault.code,
            Self::Illegal(_) => FaultCode::IllegalTransition,
            Self::Database(_) | Self::Outbox(_) | Self::Internal(_) => FaultCode::Internal,
        }
    }
}

impl From<BookingError> for RpcFault {
    fn from(error: BookingError) -> Self {
        match error {
            BookingError::NotFound => {
                RpcFault::new(FaultCode::NotFound, text!("appointment.not_found"))
            }
            BookingError::Refused(fault) => fault,
            BookingError::Illegal(illegal) => RpcFault::new(
                FaultCode::IllegalTransition,
                text!(
                    "appointment.illegal_transition",
                    from = illegal.from.as_str(),
                    to = illegal.to.as_str(),
                ),
            ),
            failed => {
                tracing::error!(error = %format!("{:#}", anyhow::Error::from(failed)), "booking request failed");
                RpcFault::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mittler_types::BookingState;

    #[test]
    fn refusals_keep_their_code_and_failures_answer_internal() {
        let illegal = crate::lifecycle::check(BookingState::Completed, BookingState::Cancelled)
            .expect_err("illegal");
        let fault = RpcFault::from(BookingError::from(illegal));
        assert_eq!(fault.code, FaultCode::IllegalTransition);
        assert_eq!(
            fault.text.as_ref().map(|t| t.render("de")).as_deref(),
            Some("Eine Buchung im Zustand „completed“ kann nicht „cancelled“ werden.")
        );
        let fault = RpcFault::from(BookingError::from(RpcFault::invalid_field(
            "x",
            text!("field.email"),
        )));
        assert_eq!(
            (fault.code, fault.field.as_deref()),
            (FaultCode::Invalid, Some("x"))
        );
        let failed = BookingError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(failed.code(), FaultCode::Internal);
        let fault = RpcFault::from(failed);
        assert_eq!(fault, RpcFault::internal());
    }
}
