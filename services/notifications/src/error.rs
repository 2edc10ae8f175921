//! The notifications service's one error type: what its requests refuse (with a code
//! the caller acts on) and what fails inside (logged here, answered as `internal`).

use mittler_contracts::text;
use mittler_contracts::{FaultCode, RpcFault};
use mittler_platform::outbox::OutboxError;

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    /// Nothing of that id.
    #[error("nothing of that id")]
    NotFound,
    /// Refused with a code of its own (invalid).
    #[error(transparent)]
    Refused(#[from] RpcFault),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<serde_json::Error> for NotificationsError {
    fn from(error: serde_json::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl NotificationsError {
    /// The code a caller sees.
    pub fn code(&self) -> FaultCode {
        match self {
            Self::NotFound => FaultCode::NotFound,
            Self::Refused(fault) => fault.code,
            Self::Database(_) | Self::Outbox(_) | Self::Internal(_) => FaultCode::Internal,
        }
    }
}

impl From<NotificationsError> for RpcFault {
    fn from(error: NotificationsError) -> Self {
        match error {
            NotificationsError::NotFound => {
                RpcFault::new(FaultCode::NotFound, text!("notifications.not_found"))
            }
            NotificationsError::Refused(fault) => fault,
            failed => {
                tracing::error!(error = %format!("{:#}", anyhow::Error::from(failed)), "notifications request failed");
                RpcFault::internal()
            }
        }
    }
}
