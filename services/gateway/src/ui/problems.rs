//! API problems in German for clients that ask for it.

use crate::problem::title_key;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mittler_contracts::text::Text;
use serde_json::Value;

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
/// `title`, `detail` and field messages are rendered from their keys and arguments
/// (`key`, `args`, and the title's key from the problem's `type`), never by
/// translating English sentences. Answers other than problems pass untouched.
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
    let Ok(mut problem) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    render_in(&mut problem, "de");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static("de"));
    Response::from_parts(parts, axum::body::Body::from(problem.to_string()))
}

/// The text a problem (or one of its field errors) names by `key` and `args`.
fn text_of(value: &Value) -> Option<Text> {
    let key = value.get("key")?.as_str()?;
    let mut text = Text::new(key);
    if let Some(args) = value.get("args").and_then(Value::as_object) {
        for (name, arg) in args {
            text = text.arg(name, arg.as_str().unwrap_or_default());
        }
    }
    Some(text)
}

/// Render a problem document's texts in `language`.
fn render_in(problem: &mut Value, language: &str) {
    let slug = problem
        .get("type")
        .and_then(Value::as_str)
        .and_then(|t| t.rsplit('/').next())
        .map(str::to_owned);
    if let Some(slug) = slug {
        problem["title"] = Value::String(Text::new(title_key(&slug)).render(language));
    }
    if let Some(text) = text_of(problem) {
        problem["detail"] = Value::String(text.render(language));
    }
    if let Some(errors) = problem.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors {
            if let Some(text) = text_of(error) {
                error["message"] = Value::String(text.render(language));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_problem_renders_in_german_from_its_keys() {
        let mut problem = json!({
            "type": "https://mittler.example/problems/validation",
            "title": "Invalid request",
            "detail": "Some fields are not acceptable; see errors.",
            "key": "problem.validation",
            "errors": [
                {"field": "notes", "message": "at most 2000 characters",
                 "key": "field.too_long", "args": {"max": "2000"}},
                {"field": "language", "message": "'xx' is not an ISO 639 language code",
                 "key": "value.language_unknown", "args": {"value": "xx"}}
            ]
        });
        render_in(&mut problem, "de");
        assert_eq!(problem["title"], "Ungültige Angaben");
        assert_eq!(
            problem["detail"],
            "Einige Angaben passen nicht; siehe die markierten Felder."
        );
        assert_eq!(problem["errors"][0]["message"], "Höchstens 2000 Zeichen.");
        assert_eq!(
            problem["errors"][1]["message"],
            "„xx“ ist kein Sprachcode nach ISO 639."
        );
    }
}
