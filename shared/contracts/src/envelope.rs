//! The event envelope: what every event on every stream looks like.

use chrono::{DateTime, Utc};
use mittler_types::{EventId, OrganisationId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An event payload. `TYPE` is also its subject (`<service>.<aggregate>.<event>`);
/// `VERSION` rises when the payload changes incompatibly.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    const TYPE: &'static str;
    const VERSION: u16;

    /// The subject the event is published on.
    fn subject(&self) -> String {
        Self::TYPE.to_owned()
    }

    /// The tenant the event belongs to, where one applies.
    fn organisation_id(&self) -> Option<OrganisationId> {
        None
    }
}

/// The envelope around every event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// UUID v7; also the `Nats-Msg-Id` and the consumers' de-duplication key.
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u16,
    pub occurred_at: DateTime<Utc>,
    /// Shared by every message that one outside request set off.
    pub correlation_id: Uuid,
    /// The id of the event or request that directly caused this one.
    pub causation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<OrganisationId>,
    pub data: T,
}

/// An envelope whose payload is not decoded yet: what a consumer receives first.
pub type RawEnvelope = Envelope<serde_json::Value>;

/// Where an event comes from: the request or event that caused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMeta {
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
}

impl EventMeta {
    /// An event that starts a new chain (e.g. caused by an HTTP request with this id).
    pub fn root(correlation_id: Uuid) -> Self {
        Self {
            correlation_id,
            causation_id: None,
        }
    }

    /// An event caused by another event: same correlation, causation = that event.
    pub fn caused_by<T>(cause: &Envelope<T>) -> Self {
        Self {
            correlation_id: cause.correlation_id,
            causation_id: Some(cause.id.as_uuid()),
        }
    }
}

impl<T: Event> Envelope<T> {
    pub fn new(data: T, meta: EventMeta) -> Self {
        Self::at(data, meta, Utc::now())
    }

    pub fn at(data: T, meta: EventMeta, occurred_at: DateTime<Utc>) -> Self {
        Self {
            id: EventId::new(),
            event_type: T::TYPE.to_owned(),
            version: T::VERSION,
            occurred_at,
            correlation_id: meta.correlation_id,
            causation_id: meta.causation_id,
            organisation_id: data.organisation_id(),
            data,
        }
    }

    pub fn subject(&self) -> String {
        self.data.subject()
    }
}

/// Why an incoming message could not be read as the expected event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not an envelope at all.
    #[error("not an event envelope: {0}")]
    Malformed(#[from] serde_json::Error),
    /// The envelope holds another event type than the one asked for.
    #[error("expected event {expected}, got {actual}")]
    WrongType {
        expected: &'static str,
        actual: String,
    },
    /// The envelope's version is one this code does not know.
    #[error("event {event_type} version {actual} is not supported (known: {known})")]
    UnknownVersion {
        event_type: String,
        actual: u16,
        known: u16,
    },
    /// The data does not fit the event's shape.
    #[error("event {event_type} has invalid data: {source}")]
    InvalidData {
        event_type: String,
        source: serde_json::Error,
    },
}

impl RawEnvelope {
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Whether this envelope holds an event of type `T`.
    pub fn is<T: Event>(&self) -> bool {
        self.event_type == T::TYPE
    }

    /// Decode the payload as `T`, checking type and version.
    pub fn decode<T: Event>(&self) -> Result<Envelope<T>, DecodeError> {
        if self.event_type != T::TYPE {
            return Err(DecodeError::WrongType {
                expected: T::TYPE,
                actual: self.event_type.clone(),
            });
        }
        if self.version > T::VERSION {
            return Err(DecodeError::UnknownVersion {
                event_type: self.event_type.clone(),
                actual: self.version,
                known: T::VERSION,
            });
        }
        let data = T::deserialize(&self.data).map_err(|source| DecodeError::InvalidData {
            event_type: self.event_type.clone(),
            source,
        })?;
        Ok(Envelope {
            id: self.id,
            event_type: self.event_type.clone(),
            version: self.version,
            occurred_at: self.occurred_at,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            organisation_id: self.organisation_id,
            data,
        })
    }
}
