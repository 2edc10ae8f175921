//! Sign-in and who is asking: argon2id passwords, a browser session cookie
//! (HttpOnly, SameSite=Lax, with a CSRF token that unsafe requests must echo in
//! `X-CSRF-Token`) and a bearer token for API clients; failed sign-ins are limited
//! per e-mail address and per client address.

use crate::directory::{self, SessionKind, User};
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError};
use crate::state::AppState;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use mittler_contracts::text;
use mittler_types::{MediatorId, OrganisationId, Role, UserId};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::LazyLock;

pub const SESSION_COOKIE: &str = "mittler_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hash a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?
        .to_string())
}

/// Compared against when the e-mail is unknown, so that answers take as long.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new secret token (256 bits, URL-safe) and its SHA-256, which is what is stored.
pub(crate) fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The address the request came from, where the server knows it.
#[derive(Clone, Debug)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string()),
        ))
    }
}

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    pub kind: SessionKind,
    /// The browser session's CSRF token (cookie sessions only).
    pub csrf_token: Option<String>,
    pub(crate) token_hash: Vec<u8>,
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned());
        let (token, kind) = match bearer {
            Some(token) => (token, SessionKind::Bearer),
            None => match cookie_value(&parts.headers, SESSION_COOKIE) {
                Some(token) => (token, SessionKind::Cookie),
                None => return Err(ApiError::Unauthenticated),
            },
        };
        if token.is_empty() || token.len() > 128 {
            return Err(ApiError::Unauthenticated);
        }
        let hash = token_hash(&token);
        let session = directory::session(state.pool(), &hash, kind)
            .await
            .map_err(ApiError::Internal)?
            .ok_or(ApiError::Unauthenticated)?;
        if kind == SessionKind::Cookie
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            let expected = session.csrf_token.as_deref();
            if sent.is_none() || sent != expected {
                return Err(ApiError::Forbidden(text!("auth.csrf")));
            }
        }
        Ok(AuthUser {
            user: session.user,
            kind,
            csrf_token: session.csrf_token,
            token_hash: hash,
        })
    }
}

impl AuthUser {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// Sign-in request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    #[schema(example = "requester@abh.erzgebirgskreis.example")]
    pub email: String,
    pub password: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[schema(value_type = uuid::Uuid)]
    pub organisation_id: OrganisationId,
    pub locale: String,
    /// For mediators: their profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub mediator_id: Option<MediatorId>,
    /// For mediators: the languages of their profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<mittler_contracts::availability::LanguageSkill>>,
}

impl From<&User> for Me {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            organisation_id: user.organisation_id,
            locale: user.locale.clone(),
            mediator_id: user.mediator_id,
            languages: None,
        }
    }
}

/// Sign-in answer: an API token, the CSRF token of the browser session, the user.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Send as `X-CSRF-Token` with unsafe requests that use the session cookie.
    pub csrf_token: String,
    pub user: Me,
}

/// Sign in with e-mail and password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie", body = LoginResponse),
        (status = 400, description = "Not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong e-mail or password", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing fields", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts", body = crate::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    body: JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    let LoginBody { email, password } = body.value;
    let email = email.trim().to_owned();
    let mut errors = Vec::new();
    if email.is_empty() || email.len() > 254 {
        errors.push(FieldError::new("email", text!("auth.email_required")));
    }
    if password.is_empty() || password.len() > 1024 {
        errors.push(FieldError::new("password", text!("auth.password_required")));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let auth = &state.auth;
    let pool = state.pool();
    let window = Duration::minutes(auth.failed_login_window_minutes);
    let (by_email, by_ip) =
        directory::recent_failures(pool, &email, client_ip.as_deref(), Utc::now() - window).await?;
    if by_email >= auth.max_failed_logins || by_ip >= auth.max_failed_logins_per_ip {
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: window.num_seconds().max(1) as u64,
        });
    }

    let user = directory::user_by_email(pool, &email)
        .await
        .map_err(ApiError::Internal)?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            directory::record_login(pool, &email, client_ip.as_deref(), false).await?;
            tracing::info!("failed sign-in");
            return Err(ApiError::InvalidCredentials);
        }
    };
    directory::record_login(pool, &email, client_ip.as_deref(), true).await?;

    let opened = open_session(&state, &user, true).await?;
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "signed in");
    let body = LoginResponse {
        token: opened.bearer.unwrap_or_default(),
        csrf_token: opened.csrf,
        user: Me::from(&user),
    };
    let mut response = (StatusCode::OK, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, opened.cookie);
    Ok(response)
}

/// A new sign-in: the browser session's cookie and CSRF token, and an API token.
pub(crate) struct Opened {
    /// The `Set-Cookie` value of the session.
    pub cookie: HeaderValue,
    pub csrf: String,
    pub bearer: Option<String>,
}

/// Open a browser session for `user` (and, with `bearer`, an API token).
pub(crate) async fn open_session(
    state: &AppState,
    user: &User,
    bearer: bool,
) -> Result<Opened, ApiError> {
    let auth = &state.auth;
    let (cookie_token, cookie_hash) = new_token();
    let csrf = new_token().0;
    let mut tx = state.pool().begin().await?;
    directory::insert_session(
        &mut *tx,
        &cookie_hash,
        user.id,
        SessionKind::Cookie,
        Some(&csrf),
        Utc::now() + Duration::hours(auth.session_hours),
    )
    .await?;
    let bearer = if bearer {
        let (bearer_token, bearer_hash) = new_token();
        directory::insert_session(
            &mut *tx,
            &bearer_hash,
            user.id,
            SessionKind::Bearer,
            None,
            Utc::now() + Duration::days(auth.token_days),
        )
        .await?;
        Some(bearer_token)
    } else {
        None
    };
    tx.commit().await?;
    Ok(Opened {
        cookie: session_cookie(&cookie_token, auth.session_hours * 3600, auth.cookie_secure),
        csrf,
        bearer,
    })
}

fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("mittler_session=; Path=/; Max-Age=0"))
}

/// Sign out: ends the session or token that made this request.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "Not signed in", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "CSRF token missing", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<Response, ApiError> {
    directory::delete_session(state.pool(), &user.token_hash).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.auth.cookie_secure),
    );
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    responses(
        (status = 200, body = Me),
        (status = 401, description = "Not signed in", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Json<Me>, ApiError> {
    let mut me = Me::from(&user.user);
    if let Some(mediator_id) = user.user.mediator_id {
        let request = mittler_contracts::availability::MediatorRef { mediator_id };
        let profile = state
            .call::<mittler_contracts::availability::GetProfile>(&request)
            .await;
        me.languages = Some(match profile {
            Ok(profile) => profile.languages,
            Err(mittler_platform::rpc::RpcError::Fault(_)) => Vec::new(),
            Err(other) => return Err(other.into()),
        });
    }
    Ok(Json(me))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let hash = hash_password("Sprachmittlung!2026").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Sprachmittlung!2026", &hash));
        assert!(!verify_password("sprachmittlung!2026", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_a, token_hash(&a));
        assert_ne!(hash_a, a.as_bytes());
    }

    #[test]
    fn the_session_cookie_is_http_only_and_same_site() {
        let cookie = session_cookie("abc", 3600, true);
        let text = cookie.to_str().expect("ascii");
        assert!(
            text.contains("HttpOnly") && text.contains("SameSite=Lax") && text.contains("Secure")
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mittler_session=tok; b=2"),
        );
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("tok")
        );
    }
}
