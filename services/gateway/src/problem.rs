//! The HTTP edge's one error type: every failure becomes `application/problem+json`
//! (RFC 9457) with a stable `type`, a human `detail` and, for validation, per-field
//! `errors`. Internal causes are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mittler_contracts::FaultCode;
use mittler_contracts::text;
use mittler_contracts::text::Text;
use mittler_platform::rpc::RpcError;
use serde::Serialize;
use std::collections::BTreeMap;

/// One field that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The body field (or query parameter), e.g. `start`, `client.language`.
    pub field: String,
    /// In English; `key` and `args` name it for other languages.
    pub message: String,
    /// The message's key in the texts of the API, e.g. `field.too_long`.
    pub key: String,
    /// The values of the message's placeholders.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

/// `name` trimmed; a problem in `errors` unless it has 1 to 200 characters (the
/// rule of every person's and organisation's name).
pub fn checked_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", text!("field.length", max = 200)));
    } else if name.chars().any(char::is_control) {
        // PostgreSQL stores no NUL, and no name needs a line break or a tab.
        errors.push(FieldError::new("name", text!("field.control")));
    }
    name.to_owned()
}

/// A problem in `errors` unless the pages and mails speak `locale`.
pub fn check_locale(locale: &str, errors: &mut Vec<FieldError>) {
    if !crate::ui::i18n::LANGUAGES.contains(&locale) {
        errors.push(FieldError::new("locale", text!("field.locale")));
    }
}

/// A text that must not be empty and may hold at most `max` characters.
pub fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, text!("field.empty")));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, text!("field.too_long", max = max)));
    }
}

impl FieldError {
    pub fn new(field: impl Into<String>, text: Text) -> Self {
        Self {
            field: field.into(),
            message: text.english(),
            key: text.key,
            args: text.args,
        }
    }

    /// A value of the shared vocabularies that did not parse.
    pub fn of(field: impl Into<String>, error: &mittler_types::Keyed) -> Self {
        Self::new(field, Text::from(error))
    }
}

/// What a client sees when a request fails.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is not well-formed (e.g. JSON syntax, a bad header).
    #[error("bad request: {0}")]
    BadRequest(Text),
    /// 401: not signed in, or the session or token expired.
    #[error("unauthenticated")]
    Unauthenticated,
    /// 401: e-mail or password wrong.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403: signed in, but the role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(Text),
    /// 404: no such resource, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// 410: it existed, but not any more (or not yet): an expired join link, a
    /// cancelled appointment's room.
    #[error("gone: {0}")]
    Gone(Text),
    /// 409: the resource's state does not allow this.
    #[error("conflict: {0}")]
    Conflict(Text),
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
    pub fn field(field: &str, text: Text) -> Self {
        Self::Validation(vec![FieldError::new(field, text)])
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
    /// In English; `key` and `args` name it for other languages.
    pub detail: String,
    /// The detail's key in the texts of the API, e.g. `offer.not_open`.
    pub key: String,
    /// The values of the detail's placeholders.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    /// Per-field validation errors (status 422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// The request id, to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

const BASE: &str = "https://mittler.example/problems/";

/// The key of a problem type's title: `problem.<slug>_title`.
pub fn title_key(slug: &str) -> String {
    format!("problem.{}_title", slug.replace('-', "_"))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let (status, slug, detail, errors) = match self {
            ApiError::BadRequest(detail) => (S::BAD_REQUEST, "bad-request", detail, None),
            ApiError::Unauthenticated => (
                S::UNAUTHORIZED,
                "unauthenticated",
                text!("problem.unauthenticated"),
                None,
            ),
            ApiError::InvalidCredentials => (
                S::UNAUTHORIZED,
                "invalid-credentials",
                text!("problem.invalid_credentials"),
                None,
            ),
            ApiError::Forbidden(detail) => (S::FORBIDDEN, "forbidden", detail, None),
            ApiError::Gone(detail) => (S::GONE, "gone", detail, None),
            ApiError::NotFound => (S::NOT_FOUND, "not-found", text!("problem.not_found"), None),
            ApiError::Conflict(detail) => (S::CONFLICT, "conflict", detail, None),
            ApiError::PayloadTooLarge => (
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                text!("problem.payload_too_large"),
                None,
            ),
            ApiError::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                text!("problem.unsupported_media_type"),
                None,
            ),
            ApiError::Validation(errors) => (
                S::UNPROCESSABLE_ENTITY,
                "validation",
                text!("problem.validation"),
                Some(errors),
            ),
            ApiError::TooManyAttempts { retry_after_secs } => {
                let mut response = problem(
                    S::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    text!(
                        "problem.too_many_attempts",
                        minutes = retry_after_secs.div_ceil(60)
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
                text!("problem.unavailable"),
                None,
            ),
            ApiError::Internal(cause) => {
                tracing::error!(cause = %format!("{cause:#}"), "internal error");
                (
                    S::INTERNAL_SERVER_ERROR,
                    "internal",
                    text!("problem.internal"),
                    None,
                )
            }
        };
        problem(status, slug, detail, errors)
    }
}

fn problem(
    status: StatusCode,
    slug: &str,
    detail: Text,
    errors: Option<Vec<FieldError>>,
) -> Response {
    let request_id = mittler_platform::telemetry::RequestContext::current().map(|c| c.request_id);
    let body = Problem {
        kind: format!("{BASE}{slug}"),
        title: Text::new(title_key(slug)).english(),
        status: status.as_u16(),
        detail: detail.english(),
        key: detail.key,
        args: detail.args,
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
                FaultCode::IllegalTransition | FaultCode::Taken => ApiError::Conflict(fault.text()),
                FaultCode::Unavailable => ApiError::Unavailable,
                FaultCode::IdempotencyMismatch => ApiError::field("Idempotency-Key", fault.text()),
                FaultCode::Invalid => ApiError::Validation(vec![FieldError::new(
                    fault.field.as_deref().unwrap_or("body"),
                    fault.text(),
                )]),
                FaultCode::Overlap | FaultCode::Travel => ApiError::Conflict(fault.text()),
                FaultCode::Forbidden => ApiError::Forbidden(fault.text()),
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

/// A query string that does not read: 400, saying why.
impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(error: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::BadRequest(text!("problem.query_invalid", error = error.body_text()))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::Internal(error.into())
    }
}
