//! The HTTP edge's one error type: every failure becomes `application/problem+json`
//! (RFC 9457) with a stable `type`, a human `detail` and, for validation, per-field
//! `errors`. Internal causes are logged, never sent.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One field that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// What a client sees when a request fails.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 404: no such resource, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// 422: the body parsed but its values are not acceptable.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 500: something failed inside; the cause goes to the log only.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title, detail, errors) = match &self {
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "https://mittler.example/problems/not-found",
                "Not found",
                "There is no such resource.".to_owned(),
                None,
            ),
            ApiError::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "https://mittler.example/problems/validation",
                "Invalid request",
                "Some fields are not acceptable; see errors.".to_owned(),
                Some(errors.as_slice()),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(cause = %format!("{cause:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "https://mittler.example/problems/internal",
                    "Internal error",
                    "The request could not be completed. Please try again.".to_owned(),
                    None,
                )
            }
        };
        let request_id =
            mittler_platform::telemetry::RequestContext::current().map(|c| c.request_id);
        let body = Problem {
            kind,
            title,
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
}
