//! NATS header names the platform sets and reads.

/// JetStream's de-duplication key; always the event id.
pub const MSG_ID: &str = "Nats-Msg-Id";
/// W3C trace context, copied from the HTTP request that caused the message.
pub const TRACEPARENT: &str = "traceparent";
/// The id of the HTTP request that caused the message.
pub const REQUEST_ID: &str = "Mittler-Request-Id";
/// On a dead letter: the subject the message was first published on.
pub const DEAD_LETTER_SUBJECT: &str = "Mittler-Dead-Letter-Subject";
/// On a dead letter: the stream sequence of the original message.
pub const DEAD_LETTER_SEQUENCE: &str = "Mittler-Dead-Letter-Sequence";
/// On a dead letter: how often it was delivered before the consumer gave up.
pub const DEAD_LETTER_DELIVERIES: &str = "Mittler-Dead-Letter-Deliveries";
/// On a dead letter: the last error, for the person who looks at it.
pub const DEAD_LETTER_ERROR: &str = "Mittler-Dead-Letter-Error";
