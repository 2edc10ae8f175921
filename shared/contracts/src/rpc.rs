//! Typed request/reply over NATS.

use crate::subjects::{Service, rpc_subject};
use crate::text::Text;
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

/// Why a request was refused or failed: stable codes a caller acts on. On the wire
/// as `snake_case` strings; a code this build does not know reads as `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultCode {
    /// Nothing of that id in the caller's scope.
    NotFound,
    /// A value is not acceptable; `field` names it where there is one.
    Invalid,
    /// The state does not allow this (e.g. cancelling a completed booking).
    IllegalTransition,
    /// An `Idempotency-Key` was reused with a different request.
    IdempotencyMismatch,
    /// Someone else took the booking, the offer lapsed, or the mediator is busy then.
    Taken,
    /// The slot overlaps another reservation of the mediator.
    Overlap,
    /// Not enough time to travel from or to a neighbouring on-site job.
    Travel,
    /// A link is forged or malformed.
    Forbidden,
    /// A link's window has not begun or is over.
    Expired,
    /// A room was closed (its booking cancelled or moved).
    Closed,
    /// Another service this one needs did not answer.
    Unavailable,
    /// A conflicting change (tests of the RPC layer).
    Conflict,
    /// The service failed; its log says why.
    Internal,
    /// A code of a newer peer.
    #[serde(other)]
    Unknown,
}

impl FaultCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Invalid => "invalid",
            Self::IllegalTransition => "illegal_transition",
            Self::IdempotencyMismatch => "idempotency_mismatch",
            Self::Taken => "taken",
            Self::Overlap => "overlap",
            Self::Travel => "travel",
            Self::Forbidden => "forbidden",
            Self::Expired => "expired",
            Self::Closed => "closed",
            Self::Unavailable => "unavailable",
            Self::Conflict => "conflict",
            Self::Internal => "internal",
            Self::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for FaultCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused or failed request: a stable `code`, a `message` for people (English),
/// its `text` by key for other languages, and for `invalid` the `field` it
/// concerns, as its own value (not inside the message).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RpcFault {
    pub code: FaultCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Text>,
}

impl RpcFault {
    pub fn new(code: FaultCode, text: Text) -> Self {
        Self {
            code,
            message: text.english(),
            field: None,
            text: Some(text),
        }
    }

    /// A refusal without a field to name.
    pub fn invalid(text: Text) -> Self {
        Self::new(FaultCode::Invalid, text)
    }

    /// A refusal of one field's value.
    pub fn invalid_field(field: impl Into<String>, text: Text) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::invalid(text)
        }
    }

    pub fn internal() -> Self {
        Self::new(FaultCode::Internal, crate::text!("problem.internal_fault"))
    }

    /// The text, or the message as it came (from a peer that sent no key).
    pub fn text(&self) -> Text {
        self.text
            .clone()
            .unwrap_or_else(|| Text::new(self.message.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_keep_their_wire_form_and_carry_the_field_apart() {
        let reply: RpcReply<()> = RpcReply::Error(RpcFault::invalid_field(
            "reason",
            crate::text!("field.too_long", max = 1000),
        ));
        assert_eq!(
            serde_json::to_string(&reply).expect("json"),
            concat!(
                r#"{"outcome":"error","body":{"code":"invalid","message":"at most 1000 characters","#,
                r#""field":"reason","text":{"key":"field.too_long","args":{"max":"1000"}}}}"#
            )
        );
        let plain = RpcFault::new(
            FaultCode::IllegalTransition,
            crate::text!("appointment.changed"),
        );
        assert_eq!(
            serde_json::to_string(&plain).expect("json"),
            r#"{"code":"illegal_transition","message":"the booking changed meanwhile","text":{"key":"appointment.changed"}}"#
        );
        for code in [
            FaultCode::NotFound,
            FaultCode::IdempotencyMismatch,
            FaultCode::Unavailable,
        ] {
            let json = serde_json::to_string(&code).expect("json");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn a_code_of_a_newer_peer_reads_as_unknown() {
        let fault: RpcFault =
            serde_json::from_str(r#"{"code":"rate_limited","message":"later"}"#).expect("json");
        assert_eq!(fault.code, FaultCode::Unknown);
        assert_eq!(fault.field, None);
    }
}
