//! The sessions service's one error type: what its requests refuse (with a code
//! the caller acts on) and what fails inside (logged here, answered as `internal`).

use mittler_contracts::text;
use mittler_contracts::{FaultCode, RpcFault};
use mittler_platform::outbox::OutboxError;

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    /// No such room.
    #[error("no such room")]
    NotFound,
    /// Refused with a code of its own (forbidden, expired, closed).
    #[error(transparent)]
    Refused(#[from] RpcFault),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<serde_json::Error> for SessionsError {
    fn from(error: serde_json::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl SessionsError {
    /// The code a caller sees.
    pub fn code(&self) -> FaultCode {
        match self {
            Self::NotFound => FaultCode::NotFound,
            Self::Refused(fault) => fault.code,
            Self::Database(_) | Self::Outbox(_) | Self::Internal(_) => FaultCode::Internal,
        }
    }
}

impl From<SessionsError> for RpcFault {
    fn from(error: SessionsError) -> Self {
        match error {
            SessionsError::NotFound => {
                RpcFault::new(FaultCode::NotFound, text!("sessions.no_room"))
            }
            SessionsError::Refused(fault) => fault,
            failed => {
                tracing::error!(error = %format!("{:#}", anyhow::Error::from(failed)), "sessions request failed");
                RpcFault::internal()
            }
        }
    }
}
