//! The HTTP edge's one error type: every failure becomes `application/problem+json`
//! (RFC 9457) with a stable `type`, a human `detail` and, for validation, per-field
//! `errors`. Internal causes are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mittler_contracts::FaultCode;
use mittler_platform::rpc::RpcError;
use serde::Serialize;

/// One field that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The body field (or query parameter), e.g. `start`, `client.language`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// What a client sees when a request fails.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is not well-formed (e.g. JSON syntax, a bad header).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: not signed in, or the session or token expired.
    #[error("unauthenticated")]
    Unauthenticated,
    /// 401: e-mail or password wrong.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403: signed in, but the role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 403 with its reason, e.g. a forged join link.
    #[error("denied: {0}")]
    Denied(String),
    /// 404: no such resource, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// 410: it existed, but not any more (or not yet): an expired join link, a
    /// cancelled appointment's room.
    #[error("gone: {0}")]
    Gone(String),
    /// 409: the resource's state does not allow this.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 413: the body is larger than allowed.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422: the body parsed but its values are not acceptable.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 429: too many failed logins; try again later.
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    /// 503: a service behind the gateway did not answer.
    #[error("unavailable")]
    Unavailable,
    /// 500: something failed inside; the cause goes to the log only.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, message: impl ToString) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }
}

/// The problem document (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field validation errors (status 422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The request id, to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

const BASE: &str = "https://mittler.example/problems/";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let (status, slug, title, detail, errors) = match self {
            ApiError::BadRequest(detail) => {
                (S::BAD_REQUEST, "bad-request", "Bad request", detail, None)
            }
            ApiError::Unauthenticated => (
                S::UNAUTHORIZED,
                "unauthenticated",
                "Not signed in",
                "Sign in first.".to_owned(),
                None,
            ),
            ApiError::InvalidCredentials => (
                S::UNAUTHORIZED,
                "invalid-credentials",
                "Sign-in failed",
                "E-mail address or password is wrong.".to_owned(),
                None,
            ),
            ApiError::Forbidden(detail) => (
                S::FORBIDDEN,
                "forbidden",
                "Not allowed",
                detail.to_owned(),
                None,
            ),
            ApiError::Denied(detail) => (S::FORBIDDEN, "forbidden", "Not allowed", detail, None),
            ApiError::Gone(detail) => (
                S::GONE,
                "gone",
                "No longer (or not yet) available",
                detail,
                None,
            ),
            ApiError::NotFound => (
                S::NOT_FOUND,
                "not-found",
                "Not found",
                "There is no such resource.".to_owned(),
                None,
            ),
            ApiError::Conflict(detail) => (S::CONFLICT, "conflict", "Conflict", detail, None),
            ApiError::PayloadTooLarge => (
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Request too large",
                "The request body is larger than allowed.".to_owned(),
                None,
            ),
            ApiError::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as application/json.".to_owned(),
                None,
            ),
            ApiError::Validation(errors) => (
                S::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid request",
                "Some fields are not acceptable; see errors.".to_owned(),
                Some(errors),
            ),
            ApiError::TooManyAttempts { retry_after_secs } => {
                let mut response = problem(
                    S::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    "Too many attempts",
                    format!(
                        "Too many failed sign-ins. Try again in {} minutes.",
                        retry_after_secs.div_ceil(60)
                    ),
                    None,
                );
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                return response;
            }
            ApiError::Unavailable => (
                S::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                "A part of Mittler is not answering. Please try again shortly.".to_owned(),
                None,
            ),
            ApiError::Internal(cause) => {
                tracing::error!(cause = %format!("{cause:#}"), "internal error");
                (
                    S::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "The request could not be completed. Please try again.".to_owned(),
                    None,
                )
            }
        };
        problem(status, slug, title, detail, errors)
    }
}

fn problem(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: String,
    errors: Option<Vec<FieldError>>,
) -> Response {
    let request_id = mittler_platform::telemetry::RequestContext::current().map(|c| c.request_id);
    let body = Problem {
        kind: format!("{BASE}{slug}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail,
        errors,
        request_id,
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        Json(body),
    )
        .into_response()
}

impl From<RpcError> for ApiError {
    fn from(error: RpcError) -> Self {
        match error {
            RpcError::Fault(fault) => match fault.code {
                FaultCode::NotFound => ApiError::NotFound,
                FaultCode::IllegalTransition | FaultCode::Taken => {
                    ApiError::Conflict(fault.message)
                }
                FaultCode::Unavailable => ApiError::Unavailable,
                FaultCode::IdempotencyMismatch => ApiError::field("Idempotency-Key", fault.message),
                FaultCode::Invalid => ApiError::Validation(vec![FieldError::new(
                    fault.field.as_deref().unwrap_or("body"),
                    fault.message,
                )]),
                FaultCode::Overlap | FaultCode::Travel => ApiError::Conflict(fault.message),
                _ => ApiError::Internal(anyhow::anyhow!("service fault: {fault}")),
            },
            RpcError::NoResponders { .. } | RpcError::Timeout { .. } => {
                tracing::warn!(%error, "service unavailable");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(error.into())
    }
}
