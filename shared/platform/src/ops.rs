//! Operator endpoints (`/healthz`, `/readyz`, `/metrics`) and the HTTP middleware that
//! gives every request an id and a trace context.

use crate::nats::Nats;
use crate::telemetry::RequestContext;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use sqlx::PgPool;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tracing::Instrument;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT_HEADER: HeaderName = HeaderName::from_static("traceparent");

/// The process-wide Prometheus recorder (one per process, however many services).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// What readiness checks.
#[derive(Clone)]
pub struct Ops {
    pub pool: PgPool,
    pub nats: Nats,
    pub metrics: PrometheusHandle,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ops").finish_non_exhaustive()
    }
}

/// `/healthz`, `/readyz`, `/metrics`.
pub fn router(ops: Ops) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(ops)
}

/// Alive: the process answers.
async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

/// Ready: Postgres and NATS both answer now.
async fn readyz(State(ops): State<Ops>) -> impl IntoResponse {
    let postgres = tokio::time::timeout(
        Duration::from_secs(1),
        sqlx::query_scalar!(r#"SELECT 1 AS "one!""#).fetch_one(&ops.pool),
    )
    .await;
    let postgres_ok = matches!(postgres, Ok(Ok(1)));
    let nats_ok = ops.nats.is_connected()
        && matches!(
            tokio::time::timeout(Duration::from_secs(1), ops.nats.client.flush()).await,
            Ok(Ok(()))
        );
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = json!({
        "status": if postgres_ok && nats_ok { "ready" } else { "not_ready" },
        "checks": { "postgres": word(postgres_ok), "nats": word(nats_ok) },
    });
    let status = if postgres_ok && nats_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

async fn metrics_text(State(ops): State<Ops>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        ops.metrics.render(),
    )
}

/// Give each request an id (its `x-request-id` if sent) and a trace context; run the
/// handler inside both; echo the id; count and time the request.
pub async fn request_context(request: Request, next: Next) -> Response {
    let context = {
        // A block, so that no borrow of the (not Sync) request lives across an await.
        let header = |name: &HeaderName| request.headers().get(name).and_then(|v| v.to_str().ok());
        RequestContext::from_http(header(&REQUEST_ID_HEADER), header(&TRACEPARENT_HEADER))
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!(
        "http",
        request_id = %context.request_id,
        method = %method,
        route = %route,
        status = tracing::field::Empty,
    );
    let started = Instant::now();
    let request_id = context.request_id.clone();
    let mut response = context
        .scope(next.run(request).instrument(span.clone()))
        .await;
    let status = response.status().as_u16();
    span.record("status", status);
    metrics::counter!("http_requests_total", "method" => method.to_string(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}
