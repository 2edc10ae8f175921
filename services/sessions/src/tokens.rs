//! Join tokens and TURN credentials.
//!
//! A join token is `<payload>.<signature>`, both base64url: the payload names the
//! room, the role, whom the link is for and its validity window; the signature is
//! HMAC-SHA256 over the payload with the service's key (kept in the `sessions`
//! schema, so every replica signs and checks alike). Nobody can make or alter a
//! token without the key, and a token says nothing it should not (ids and times).
//!
//! TURN credentials follow coturn's shared-secret REST scheme (`use-auth-secret`):
//! the user name is `<expiry unix time>:<name>`, the password
//! base64(HMAC-SHA1(secret, user name)); coturn checks both without a database.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use mittler_contracts::session::ParticipantRole;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

type HmacSha256 = Hmac<sha2::Sha256>;
type HmacSha1 = Hmac<sha1::Sha1>;

/// What a join token grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The room.
    pub room: Uuid,
    pub role: ParticipantRole,
    /// The link this is (one per participant).
    pub link: Uuid,
    /// Valid from (unix seconds).
    pub nbf: i64,
    /// Valid until (unix seconds).
    pub exp: i64,
}

/// Why a token does not open a room.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("this link is not valid")]
    Malformed,
    #[error("this link is not valid")]
    Forged,
    #[error("this link opens at {0}")]
    NotYet(DateTime<Utc>),
    #[error("this link expired at {0}")]
    Expired(DateTime<Utc>),
}

/// Sign `grant` with `key`.
pub fn sign(key: &[u8], grant: &Grant) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(grant).unwrap_or_default());
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Check `token`'s signature and window at `now`.
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<Grant, TokenError> {
    let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| TokenError::Forged)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let grant: Grant = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or_default();
    if now.timestamp() < grant.nbf {
        return Err(TokenError::NotYet(at(grant.nbf)));
    }
    if now.timestamp() >= grant.exp {
        return Err(TokenError::Expired(at(grant.exp)));
    }
    Ok(grant)
}

/// Time-limited TURN credentials for `name`, valid until `expires`.
pub fn turn_credentials(secret: &[u8], name: &str, expires: DateTime<Utc>) -> (String, String) {
    let username = format!("{}:{name}", expires.timestamp());
    let mut mac = HmacSha1::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    (username, STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn grant(now: DateTime<Utc>) -> Grant {
        Grant {
            room: Uuid::now_v7(),
            role: ParticipantRole::Mediator,
            link: Uuid::now_v7(),
            nbf: (now - Duration::minutes(15)).timestamp(),
            exp: (now + Duration::minutes(90)).timestamp(),
        }
    }

    #[test]
    fn a_signed_token_opens_within_its_window_only() {
        let key = b"a key of the sessions service, 32+ bytes long";
        let now: DateTime<Utc> = "2026-03-29T08:00:00Z".parse().expect("t");
        let g = grant(now);
        let token = sign(key, &g);
        assert_eq!(verify(key, &token, now), Ok(g.clone()));
        assert!(matches!(
            verify(key, &token, now - Duration::minutes(16)),
            Err(TokenError::NotYet(_))
        ));
        assert!(matches!(
            verify(key, &token, now + Duration::minutes(90)),
            Err(TokenError::Expired(_))
        ));
    }

    #[test]
    fn a_forged_or_altered_token_is_refused() {
        let key = b"a key of the sessions service, 32+ bytes long";
        let now = Utc::now();
        let token = sign(key, &grant(now));
        assert_eq!(verify(b"another key", &token, now), Err(TokenError::Forged));
        // Another role in the payload, same signature.
        let (payload, signature) = token.split_once('.').expect("two parts");
        let mut g: Grant =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json");
        g.role = ParticipantRole::Requester;
        let altered = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&g).expect("json"))
        );
        assert_eq!(verify(key, &altered, now), Err(TokenError::Forged));
        assert_eq!(verify(key, "nonsense", now), Err(TokenError::Malformed));
        assert!(verify(key, "a.b", now).is_err());
        let mut flipped = token.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert!(verify(key, &String::from_utf8(flipped).expect("utf8"), now).is_err());
    }

    #[test]
    fn turn_credentials_follow_the_coturn_rest_scheme() {
        // The scheme's reference: password = base64(HMAC-SHA1(secret, "<expiry>:<name>")).
        let expires: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().expect("t");
        let (user, password) = turn_credentials(b"north", "peer-1", expires);
        assert_eq!(user, "1795348800:peer-1");
        let mut mac = HmacSha1::new_from_slice(b"north").expect("key");
        mac.update(b"1795348800:peer-1");
        assert_eq!(password, STANDARD.encode(mac.finalize().into_bytes()));
        assert_eq!(password.len(), 28, "20 bytes, base64");
    }
}
