//! The availability service's one error type: what its requests refuse (with a code
//! the caller acts on) and what fails inside (logged here, answered as `internal`).

use mittler_contracts::text;
use mittler_contracts::{FaultCode, RpcFault};
use mittler_platform::outbox::OutboxError;

#[derive(Debug, thiserror::Error)]
pub enum AvailabilityError {
    /// No such mediator or reservation.
    #[error("no such mediator or reservation")]
    NotFound,
    /// Refused with a code of its own (invalid, overlap, travel).
    #[error(transparent)]
    Refused(#[from] RpcFault),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<serde_json::Error> for AvailabilityError {
    fn from(error: serde_json::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl AvailabilityError {
    /// The code a caller sees.
    pub fn code(&self) -> FaultCode {
        match self {
            Self::NotFound => FaultCode::NotFound,
            Self::Refused(fault) => fault.code,
            Self::Database(_) | Self::Outbox(_) | Self::Internal(_) => FaultCode::Internal,
        }
    }
}

impl From<AvailabilityError> for RpcFault {
    fn from(error: AvailabilityError) -> Self {
        match error {
            AvailabilityError::NotFound => {
                RpcFault::new(FaultCode::NotFound, text!("availability.not_found"))
            }
            AvailabilityError::Refused(fault) => fault,
            failed => {
                tracing::error!(error = %format!("{:#}", anyhow::Error::from(failed)), "availability request failed");
                RpcFault::internal()
            }
        }
    }
}
