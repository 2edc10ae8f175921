//! The JSON body extractor of the API: 415 for a body that is not JSON, 413 for one
//! too large, 400 for broken syntax, 422 naming the field whose value does not fit.
//! It also keeps a digest of the raw body (for `Idempotency-Key`).

use crate::problem::{ApiError, FieldError};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use mittler_contracts::text;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// A parsed JSON body.
#[derive(Debug)]
pub struct JsonBody<T> {
    pub value: T,
    /// SHA-256 of the raw body, hex.
    pub fingerprint: String,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(text!(
                        "problem.json_invalid",
                        error = rejection.body_text()
                    ))
                }
            })?;
        let value = parse(&bytes)?;
        let fingerprint = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self { value, fingerprint })
    }
}

/// Parse JSON, naming the offending field on a data error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, so a broken body is 400 even where its start already mismatches the type.
    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::BadRequest(text!(
            "problem.json_invalid",
            error = error
        )));
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = control_character(&value, String::new())
    {
        return Err(ApiError::Validation(vec![FieldError::new(
            field,
            text!("field.control"),
        )]));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let inner = error.inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::BadRequest(text!("problem.json_invalid", error = inner));
        }
        let path = error.path().to_string();
        let message = inner.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        let field = if path == "." {
            // A missing field is reported at its parent: take the name from the message.
            message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("body")
                .to_owned()
        } else {
            path
        };
        ApiError::Validation(vec![FieldError::new(field, serde_message(&message))])
    })
}

/// Where a string of the body (a value or a key) holds a control character other
/// than a tab or a line break, named as serde names a field (`client.notes`,
/// `items[2].name`): no text needs one, PostgreSQL stores no NUL, and a calendar or
/// a mail header must not meet one.
fn control_character(value: &serde_json::Value, path: String) -> Option<String> {
    let bad = |text: &str| {
        text.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    };
    let field = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        serde_json::Value::String(text) => bad(text).then(|| field(&path)),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| control_character(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            let inner = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if bad(key) {
                Some(field(&path))
            } else {
                control_character(item, inner)
            }
        }),
        _ => None,
    }
}

/// serde's English sentence, as a text in the reader's language where its kind is
/// known: a missing field, an unknown one, one of a list, a value of the wrong type.
fn serde_message(message: &str) -> mittler_contracts::text::Text {
    let quoted = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    if message.starts_with("missing field `") {
        return text!("field.required");
    }
    if message.starts_with("unknown field `") {
        return text!("field.unknown");
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((_, expected)) = rest.split_once("expected ")
    {
        return text!("field.one_of", values = quoted(expected).join(", "));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((_, expected)) = rest.split_once(", expected ")
    {
        let expected = match expected {
            e if e.contains("integer") || e.starts_with("i") || e.starts_with("u") => "0–9",
            e if e.contains("string") => "\"…\"",
            e if e.contains("boolean") => "true/false",
            e if e.contains("sequence") => "[…]",
            e if e.contains("struct") || e.contains("map") => "{…}",
            _ => "…",
        };
        return text!("field.wrong_type", expected = expected);
    }
    text!("field.json", message = message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u8,
    }

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::Validation(errors) => errors[0].field.clone(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn names_the_field_that_does_not_fit() {
        assert_eq!(
            field_of(parse::<Body>(br#"{"name":"a","inner":{"count":"x"}}"#).expect_err("bad")),
            "inner.count"
        );
        assert_eq!(
            field_of(parse::<Body>(br#"{"inner":{"count":1}}"#).expect_err("bad")),
            "name"
        );
        assert!(matches!(
            parse::<Body>(b"{\"name\":").expect_err("bad"),
            ApiError::BadRequest(_)
        ));
    }

    #[test]
    fn a_control_character_is_named_at_its_field_not_a_server_error() {
        assert_eq!(
            field_of(
                parse::<Body>(br#"{"name":"a\u0000b","inner":{"count":1}}"#).expect_err("nul")
            ),
            "name"
        );
        assert_eq!(
            field_of(
                parse::<serde_json::Value>(br#"{"client":{"notes":["ok","x\u001b[2J"]}}"#)
                    .expect_err("escape")
            ),
            "client.notes[1]"
        );
        assert_eq!(
            field_of(parse::<serde_json::Value>(br#"{"a\u0000":1}"#).expect_err("key")),
            "body"
        );
        assert_eq!(
            field_of(parse::<serde_json::Value>(br#""\u0007""#).expect_err("bell")),
            "body"
        );
        // Tabs and line breaks belong in notes.
        assert!(parse::<serde_json::Value>(br#"{"notes":"a\tb\r\nc"}"#).is_ok());
    }

    fn key_of(error: ApiError) -> (String, String) {
        match error {
            ApiError::Validation(errors) => (errors[0].key.clone(), errors[0].message.clone()),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn serdes_english_becomes_a_text_in_the_readers_language() {
        assert_eq!(
            key_of(parse::<Body>(br#"{"inner":{"count":1}}"#).expect_err("bad")),
            ("field.required".into(), "is required".into())
        );
        assert_eq!(
            key_of(parse::<Body>(br#"{"name":"a","inner":{"count":"x"}}"#).expect_err("bad")).0,
            "field.wrong_type"
        );
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            kind: mittler_types::Modality,
        }
        assert_eq!(
            key_of(parse::<Strict>(br#"{"kind":"video","x":1}"#).expect_err("bad")).0,
            "field.unknown"
        );
        let (key, message) = key_of(parse::<Strict>(br#"{"kind":"boat"}"#).expect_err("bad"));
        assert_eq!(key, "field.one_of");
        assert_eq!(message, "one of on_site, video, phone");
    }
}
