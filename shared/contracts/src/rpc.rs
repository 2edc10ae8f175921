//! Typed request/reply over NATS.

use crate::subjects::{Service, rpc_subject};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A request with an immediate answer, served by a queue group of `SERVICE`.
pub trait Rpc: Send + Sync + 'static {
    const SERVICE: Service;
    const NAME: &'static str;
    type Request: Serialize + DeserializeOwned + Send + Sync + 'static;
    type Response: Serialize + DeserializeOwned + Send + Sync + 'static;

    fn subject() -> String {
        rpc_subject(Self::SERVICE, Self::NAME)
    }
}

/// What travels back: the answer, or a fault the caller can act on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "body", rename_all = "snake_case")]
pub enum RpcReply<T> {
    Ok(T),
    Error(RpcFault),
}

/// A refused or failed request. `code` is stable (`conflict`, `invalid`,
/// `not_found`, `internal`); `message` is for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RpcFault {
    pub code: String,
    pub message: String,
}

impl RpcFault {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid", message)
    }

    pub fn internal() -> Self {
        Self::new("internal", "the service failed to answer; see its log")
    }
}
