//! Tracing set-up, and the request context that follows a request through every
//! service: the HTTP request id and a W3C `traceparent`, kept in a task-local while a
//! request or message is handled, written into outbox rows and NATS headers, and read
//! back by consumers and RPC servers.

use crate::config::{LogFormat, TelemetryConfig};
use async_nats::HeaderMap;
use mittler_contracts::headers;
use rand::Rng;
use std::future::Future;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Install the global subscriber. A second call (several services in one process,
/// or tests) keeps the first one.
pub fn init(config: &TelemetryConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match config.format {
        LogFormat::Pretty => builder.with_target(false).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_span_events(FmtSpan::NONE)
            .try_init(),
    };
}

/// Where a piece of work came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext {
    /// The id of the HTTP request (or of the first message) that started the chain.
    pub request_id: String,
    /// W3C trace context: `00-<trace id>-<parent span id>-<flags>`.
    pub traceparent: String,
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

impl RequestContext {
    /// A new chain: fresh request id and trace id.
    pub fn new_root() -> Self {
        let request_id = uuid::Uuid::now_v7().to_string();
        Self {
            traceparent: new_traceparent(None),
            request_id,
        }
    }

    /// The context of an incoming HTTP request: its `x-request-id` and `traceparent`
    /// if it sent valid ones, new ones otherwise.
    pub fn from_http(request_id: Option<&str>, traceparent: Option<&str>) -> Self {
        let request_id = request_id
            .filter(|id| !id.is_empty() && id.len() <= 128 && id.is_ascii())
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        Self {
            traceparent: new_traceparent(traceparent),
            request_id,
        }
    }

    /// The context carried by a NATS message, a new root if it carries none.
    pub fn from_headers(headers: Option<&HeaderMap>) -> Self {
        let get = |name: &str| {
            headers
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        match get(headers::REQUEST_ID) {
            Some(request_id) => Self {
                traceparent: new_traceparent(get(headers::TRACEPARENT).as_deref()),
                request_id,
            },
            None => Self::new_root(),
        }
    }

    /// The context of the task now running, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Write the context into outgoing NATS headers.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert(headers::REQUEST_ID, self.request_id.as_str());
        headers.insert(headers::TRACEPARENT, self.traceparent.as_str());
    }

    /// Run `fut` with this context as the current one.
    pub async fn scope<F: Future>(self, fut: F) -> F::Output {
        CURRENT.scope(self, fut).await
    }
}

/// A child `traceparent` of `parent` (same trace id, new span id), or a new trace
/// when `parent` is missing or malformed.
pub fn new_traceparent(parent: Option<&str>) -> String {
    let mut rng = rand::rng();
    let span_id = format!("{:016x}", rng.random::<u64>().max(1));
    match parent.and_then(parse_trace_id) {
        Some(trace_id) => format!("00-{trace_id}-{span_id}-01"),
        None => format!("00-{:032x}-{span_id}-01", rng.random::<u128>().max(1)),
    }
}

fn parse_trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let (version, trace_id, span_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(version, 2)
        && hex(trace_id, 32)
        && hex(span_id, 16)
        && hex(flags, 2)
        && trace_id != "0".repeat(32))
    .then_some(trace_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_keeps_the_trace_id_and_gets_a_new_span() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let child = new_traceparent(Some(parent));
        assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert_ne!(child, parent);
        assert!(parse_trace_id(&child).is_some());
    }

    #[test]
    fn a_malformed_parent_starts_a_new_trace() {
        let fresh = new_traceparent(Some("garbage"));
        assert!(parse_trace_id(&fresh).is_some());
        let zero = format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32));
        assert!(parse_trace_id(&zero).is_none());
    }

    #[tokio::test]
    async fn context_survives_a_round_trip_through_headers() {
        let context = RequestContext::from_http(Some("req-1"), None);
        let mut headers = HeaderMap::new();
        context.write_headers(&mut headers);
        let back = RequestContext::from_headers(Some(&headers));
        assert_eq!(back.request_id, "req-1");
        assert_eq!(
            parse_trace_id(&back.traceparent),
            parse_trace_id(&context.traceparent)
        );
        let seen = context
            .clone()
            .scope(async { RequestContext::current() })
            .await;
        assert_eq!(seen, Some(context));
        assert_eq!(RequestContext::current(), None);
    }
}
