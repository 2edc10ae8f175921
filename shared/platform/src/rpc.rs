//! Typed request/reply over NATS: [`call`] with a timeout, [`serve`] in the owning
//! service's queue group (so any number of replicas share the load).

use crate::telemetry::RequestContext;
use async_nats::client::RequestErrorKind;
use async_nats::{Client, HeaderMap};
use futures::StreamExt;
use mittler_contracts::{Rpc, RpcFault, RpcReply};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Why a call got no answer.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// No instance of the service is subscribed.
    #[error("no instance of the service answers {subject}")]
    NoResponders { subject: String },
    /// Subscribed, but no answer in time.
    #[error("no answer to {subject} within {timeout:?}")]
    Timeout { subject: String, timeout: Duration },
    /// The service answered with a fault.
    #[error("the service refused: {0}")]
    Fault(#[from] RpcFault),
    #[error("request could not be sent: {0}")]
    Transport(String),
    #[error("the answer could not be read: {0}")]
    Malformed(#[from] serde_json::Error),
}

/// Send `request` and wait up to `timeout` for the typed answer.
pub async fn call<R: Rpc>(
    client: &Client,
    request: &R::Request,
    timeout: Duration,
) -> Result<R::Response, RpcError> {
    let subject = R::subject();
    let payload = serde_json::to_vec(request)?;
    let mut headers = HeaderMap::new();
    let context = RequestContext::current().unwrap_or_else(RequestContext::new_root);
    RequestContext {
        traceparent: crate::telemetry::new_traceparent(Some(&context.traceparent)),
        ..context
    }
    .write_headers(&mut headers);
    let started = std::time::Instant::now();
    let answer = tokio::time::timeout(
        timeout,
        client.request_with_headers(subject.clone(), headers, payload.into()),
    )
    .await;
    metrics::histogram!("rpc_client_seconds", "subject" => subject.clone())
        .record(started.elapsed().as_secs_f64());
    let message = match answer {
        Err(_) => return Err(RpcError::Timeout { subject, timeout }),
        Ok(Err(error)) => {
            return Err(match error.kind() {
                RequestErrorKind::NoResponders => RpcError::NoResponders { subject },
                RequestErrorKind::TimedOut => RpcError::Timeout { subject, timeout },
                _ => RpcError::Transport(error.to_string()),
            });
        }
        Ok(Ok(message)) => message,
    };
    match serde_json::from_slice::<RpcReply<R::Response>>(&message.payload)? {
        RpcReply::Ok(response) => Ok(response),
        RpcReply::Error(fault) => Err(RpcError::Fault(fault)),
    }
}

/// Answer `R` requests until `shutdown`, up to `concurrency` at once. A request that
/// cannot be read is answered with an `invalid` fault, never dropped silently.
pub async fn serve<R, F, Fut, E>(
    client: Client,
    concurrency: usize,
    handler: F,
    shutdown: CancellationToken,
) -> anyhow::Result<()>
where
    R: Rpc,
    F: Fn(R::Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R::Response, E>> + Send,
    E: Into<RpcFault>,
{
    let subject = R::subject();
    let subscriber = client
        .queue_subscribe(subject.clone(), R::SERVICE.token().to_owned())
        .await?;
    let handler = Arc::new(handler);
    subscriber
        .take_until(shutdown.cancelled_owned())
        .for_each_concurrent(concurrency, |message| {
            let handler = handler.clone();
            let client = client.clone();
            let subject = subject.clone();
            async move {
                let Some(reply_to) = message.reply.clone() else {
                    tracing::warn!(%subject, "request without reply subject ignored");
                    return;
                };
                let context = RequestContext::from_headers(message.headers.as_ref());
                let span = tracing::info_span!("rpc", %subject, request_id = %context.request_id);
                let reply = context
                    .scope(
                        async {
                            match serde_json::from_slice::<R::Request>(&message.payload) {
                                Ok(request) => match handler(request).await {
                                    Ok(response) => RpcReply::Ok(response),
                                    Err(fault) => RpcReply::Error(fault.into()),
                                },
                                Err(error) => {
                                    RpcReply::Error(RpcFault::invalid(mittler_contracts::text!(
                                        "problem.request_shape",
                                        subject = &subject,
                                        error = error,
                                    )))
                                }
                            }
                        }
                        .instrument(span),
                    )
                    .await;
                match serde_json::to_vec(&reply) {
                    Ok(body) => {
                        if let Err(error) = client.publish(reply_to, body.into()).await {
                            tracing::warn!(%error, "reply could not be sent");
                        }
                    }
                    Err(error) => tracing::error!(%error, "reply could not be serialised"),
                }
            }
        })
        .await;
    Ok(())
}

/// Serve each `(Rpc, method)` by calling `handler.method(request)` on one shared
/// handler, every one in the owning service's queue group, as tasks of `tasks`:
///
/// ```ignore
/// mittler_platform::serve_methods!(tasks, client, shutdown, bookings, 32, [
///     (CreateBooking, create),
///     (ListBookings, list),
/// ]);
/// ```
#[macro_export]
macro_rules! serve_methods {
    ($tasks:expr, $client:expr, $shutdown:expr, $handler:expr, $concurrency:expr,
     [$(($rpc:ty, $method:ident)),* $(,)?]) => {{
        let handler = ::std::sync::Arc::new($handler);
        $({
            let handler = handler.clone();
            $tasks.spawn(
                concat!("rpc-", stringify!($method)),
                $crate::rpc::serve::<$rpc, _, _, _>(
                    $client.clone(),
                    $concurrency,
                    move |request| {
                        let handler = handler.clone();
                        async move { handler.$method(request).await }
                    },
                    $shutdown.clone(),
                ),
            );
        })*
    }};
}
