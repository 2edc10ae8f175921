//! Sign-in and who is asking: argon2id passwords, a browser session cookie
//! (HttpOnly, SameSite=Lax, with a CSRF token that unsafe requests must echo in
//! `X-CSRF-Token`) and a bearer token for API clients, opened together by one
//! sign-in; failed sign-ins are limited (`limits`), passwords checked on threads of
//! their own (`passwords`).

use crate::directory::{self, SessionKind, User};
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError};
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
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

mod limits;
mod passwords;

pub use limits::{ClientIp, client_address, limit_key, pair_delay};
use passwords::DUMMY_HASH;
pub(crate) use passwords::verify_password;
pub use passwords::{PasswordWorkers, hash_password};

pub const SESSION_COOKIE: &str = "mittler_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

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

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    pub kind: SessionKind,
    /// The browser session's CSRF token (cookie sessions only).
    pub csrf_token: Option<String>,
    pub(crate) token_hash: Vec<u8>,
    /// The sign-in this request's session or token belongs to.
    pub(crate) sign_in: uuid::Uuid,
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
            sign_in: session.sign_in,
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
    // Counted before any hashing, so that concurrent tries see each other.
    let attempt = directory::reserve_login(pool, &email, client_ip.as_deref()).await?;
    let pressure = directory::login_pressure(
        pool,
        &email,
        client_ip.as_deref(),
        Utc::now() - window,
        attempt,
    )
    .await?;
    if let Some(wait) = pair_delay(&pressure, auth.max_failed_logins, window, Utc::now()) {
        directory::forget_login(pool, attempt).await?;
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: wait.num_seconds().max(1) as u64,
        });
    }
    // An address with many failures is checked only when a check is free at once:
    // its own flood cannot queue ahead of anyone, and a right password still works.
    let queue = pressure.address_failures < auth.max_failed_logins_per_ip;
    let user = directory::user_by_email(pool, &email)
        .await
        .map_err(ApiError::Internal)?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let matches = match state
        .password_workers
        .run(queue, move || verify_password(&password, &hash))
        .await
    {
        Ok(matches) => matches,
        Err(refused) => {
            directory::forget_login(pool, attempt).await?;
            return Err(refused);
        }
    };
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            directory::login_failed(pool, attempt).await?;
            tracing::info!("failed sign-in");
            return Err(ApiError::InvalidCredentials);
        }
    };
    directory::login_succeeded(pool, attempt).await?;

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

/// How often an open event stream looks whether its session still lives.
const SESSION_LOOK: std::time::Duration = std::time::Duration::from_secs(5);

/// `stream`, ended when the session or token that opened it ends (sign-out here or
/// elsewhere, the person switched off): an event stream must not outlive it.
pub fn while_signed_in<S>(
    state: &AppState,
    user: &AuthUser,
    stream: S,
) -> impl futures::Stream<Item = S::Item> + Send + use<S>
where
    S: futures::Stream + Send,
{
    use futures::StreamExt as _;
    let pool = state.pool().clone();
    let hash = user.token_hash.clone();
    let kind = user.kind;
    let ended = async move {
        loop {
            tokio::time::sleep(SESSION_LOOK).await;
            // A database hiccup is no sign-out: look again.
            if let Ok(None) = directory::session(&pool, &hash, kind).await {
                break;
            }
        }
    };
    stream.take_until(Box::pin(ended))
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
    // The cookie and the token of one sign-in end together.
    let sign_in = uuid::Uuid::new_v4();
    let mut tx = state.pool().begin().await?;
    directory::insert_session(
        &mut *tx,
        &cookie_hash,
        user.id,
        SessionKind::Cookie,
        Some(&csrf),
        Utc::now() + Duration::hours(auth.session_hours),
        sign_in,
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
            sign_in,
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

/// Sign out: ends the sign-in that made this request — its browser session and the
/// API token it came with.
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
    // The whole sign-in: the browser session and the API token it came with.
    directory::end_sign_in(state.pool(), user.id(), user.sign_in).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, state.auth.cookie_secure),
    );
    Ok(response)
}

/// My sign-ins: each browser session and API token, newest first.
#[utoipa::path(
    get, path = "/api/v1/auth/sign-ins", tag = "auth",
    responses(
        (status = 200, body = Vec<directory::SignIn>),
        (status = 401, description = "Not signed in", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn sign_ins(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<directory::SignIn>>, ApiError> {
    Ok(Json(
        directory::sign_ins(state.pool(), user.id(), user.sign_in).await?,
    ))
}

/// End one of my sign-ins (a lost phone, an old API token).
#[utoipa::path(
    delete, path = "/api/v1/auth/sign-ins/{id}", tag = "auth",
    params(("id" = uuid::Uuid, Path, description = "The sign-in")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Not signed in", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No sign-in of yours", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn end_sign_in(
    State(state): State<AppState>,
    user: AuthUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    if directory::end_sign_in(state.pool(), user.id(), id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Sign out everywhere else: every other browser session and API token of mine.
#[utoipa::path(
    post, path = "/api/v1/auth/sign-ins/end-others", tag = "auth",
    responses(
        (status = 204, description = "Every other sign-in ended"),
        (status = 401, description = "Not signed in", body = crate::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn end_other_sign_ins(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<StatusCode, ApiError> {
    directory::end_sign_ins(state.pool(), user.id(), Some(user.sign_in)).await?;
    Ok(StatusCode::NO_CONTENT)
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
