//! API problems in German for clients that ask for it.

use super::i18n;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Whether the request asks for German first (`Accept-Language: de…`).
fn wants_german(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|first| {
            let tag = first.split(';').next().unwrap_or_default().trim();
            tag.eq_ignore_ascii_case("de") || tag.to_ascii_lowercase().starts_with("de-")
        })
        .unwrap_or(false)
}

/// API problems in German for clients that ask for it (the web UI does): the
/// `title`, `detail` and field messages that the catalogue knows are translated;
/// the rest stays English. Answers other than problems pass untouched.
pub async fn problems_in_language(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let german = wants_german(request.headers());
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !german || !is_problem {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 256 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "problem body unreadable").into_response();
    };
    let Ok(mut problem) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let translate = |value: &mut serde_json::Value| {
        if let Some(german) = value.as_str().and_then(i18n::problem_in_german) {
            *value = serde_json::Value::String(german);
        }
    };
    if let Some(value) = problem.get_mut("title") {
        translate(value);
    }
    if let Some(value) = problem.get_mut("detail") {
        translate(value);
    }
    if let Some(errors) = problem.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in errors {
            if let Some(value) = error.get_mut("message") {
                translate(value);
            }
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("de"));
    Response::from_parts(parts, axum::body::Body::from(problem.to_string()))
}
