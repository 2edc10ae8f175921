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
