//! Sign-in and who is asking: argon2id passwords, a browser session cookie
//! (HttpOnly, SameSite=Lax, with a CSRF token that unsafe requests must echo in
//! `X-CSRF-Token`) and a bearer token for API clients; failed sign-ins are limited
//! per e-mail address and per client address.

use crate::directory::{self, SessionKind, User};
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError};
use crate::state::AppState;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash};
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
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
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

thread_local! {
    /// argon2's working memory (19 MiB), kept by each thread that checks passwords
    /// and used again for the next check: allocating and freeing it per check left
    /// the allocator holding far more than the checks at once need.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::try_from(parsed.algorithm),
        argon2::Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        memory.resize(blocks, argon2::Block::default());
        argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..])
            .is_ok()
    });
    // `Output` compares in constant time.
    computed && argon2::password_hash::Output::new(&out).is_ok_and(|out| out == expected)
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

/// The client address as the sign-in limits count it, where the server knows it:
/// see [`client_address`] and [`limit_key`].
#[derive(Clone, Debug)]
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Ok(ClientIp(
            client_address(peer, &forwarded, &state.trusted_proxies).map(limit_key),
        ))
    }
}

/// Who the client is: the peer, unless the peer is a trusted proxy; then the
/// right-most address of `X-Forwarded-For` that is not a trusted proxy (what a
/// client writes further left is its own claim).
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded: &str,
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&ip.to_canonical()));
    let mut client = peer.map(|ip| ip.to_canonical())?;
    if !is_trusted(&client) {
        return Some(client);
    }
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !is_trusted(&client) {
                    break;
                }
            }
            // A hop that is no address ends what can be believed.
            Err(_) => break,
        }
    }
    Some(client)
}

/// The key a client address is limited by: an IPv4 address as it is, an IPv6
/// address by its /64, which one household or office usually holds whole.
pub fn limit_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => ipnet::Ipv6Net::new(v6, 64)
            .map(|net| net.trunc().to_string())
            .unwrap_or_else(|_| v6.to_string()),
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

/// How long this account must wait before another try from this address: nothing
/// for the first `free` failures, then 1 s, 2 s, 4 s … after the last failure, at
/// most the window. Other addresses are not held back.
pub fn pair_delay(
    pressure: &directory::LoginPressure,
    free: i64,
    window: Duration,
    now: chrono::DateTime<Utc>,
) -> Option<Duration> {
    let beyond = pressure.pair_failures - free.max(1) + 1;
    let last = pressure.last_pair_failure?;
    if beyond <= 0 {
        return None;
    }
    let delay = Duration::seconds(1_i64 << (beyond - 1).min(20)).min(window);
    let wait = last + delay - now;
    (wait > Duration::zero()).then_some(wait)
}

/// How long a password check waits for its turn before the sign-in answers 429.
const CHECK_TURN: std::time::Duration = std::time::Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

/// The threads that check and hash passwords (argon2, 19 MiB each): a fixed few,
/// each taking one job at a time, so that at most that many blocks of argon2 memory
/// exist at once — and stay the same few, instead of one more in every thread of
/// the blocking pool that ever ran a check (the allocator keeps what a thread
/// freed).
#[derive(Clone, Debug)]
pub struct PasswordWorkers {
    jobs: std::sync::mpsc::Sender<Job>,
    turns: Arc<tokio::sync::Semaphore>,
}

impl PasswordWorkers {
    /// `n` threads; they end when the last handle is dropped.
    pub fn start(n: usize) -> std::io::Result<Self> {
        let n = n.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for i in 0..n {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self {
            jobs,
            turns: Arc::new(tokio::sync::Semaphore::new(n)),
        })
    }

    /// Run `work` on a password thread when one is free; `queue` false takes one
    /// only if it is free now. No turn within ten seconds (or at once): 429.
    pub async fn run<T: Send + 'static>(
        &self,
        queue: bool,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let busy = ApiError::TooManyAttempts {
            retry_after_secs: 5,
        };
        let permit = if queue {
            tokio::time::timeout(CHECK_TURN, self.turns.clone().acquire_owned())
                .await
                .map_err(|_| busy)?
                .map_err(|e| ApiError::Internal(e.into()))?
        } else {
            self.turns.clone().try_acquire_owned().map_err(|_| busy)?
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let result = work();
                // The turn is free before anyone hears the answer.
                drop(permit);
                let _ = answer.send(result);
            }))
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("the password threads have ended")))?;
        answered
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a password check failed")))
    }
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

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_forwards_it() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        // Not through a trusted proxy: the header is the client's own claim.
        assert_eq!(
            client_address(Some(ip("203.0.113.7")), "198.51.100.1", &trusted),
            Some(ip("203.0.113.7"))
        );
        // Through the proxy: the right-most address that is not a proxy.
        assert_eq!(
            client_address(
                Some(ip("10.1.2.3")),
                "1.2.3.4, 198.51.100.9, 10.9.9.9",
                &trusted
            ),
            Some(ip("198.51.100.9"))
        );
        // A proxy with nothing forwarded, or garbage: the proxy itself, or the last
        // believable hop.
        assert_eq!(
            client_address(Some(ip("10.1.2.3")), "", &trusted),
            Some(ip("10.1.2.3"))
        );
        assert_eq!(
            client_address(Some(ip("10.1.2.3")), "nonsense, 10.2.2.2", &trusted),
            Some(ip("10.2.2.2"))
        );
        // IPv4 seen through an IPv6 socket is the IPv4 address.
        assert_eq!(
            client_address(Some(ip("::ffff:203.0.113.7")), "", &[]),
            Some(ip("203.0.113.7"))
        );
        assert_eq!(client_address(None, "1.2.3.4", &trusted), None);
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_64() {
        assert_eq!(limit_key(ip("203.0.113.7")), "203.0.113.7");
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn failures_of_an_account_from_an_address_make_it_wait_ever_longer() {
        let now = Utc::now();
        let window = Duration::minutes(15);
        let pressure = |n, ago: i64| directory::LoginPressure {
            pair_failures: n,
            last_pair_failure: Some(now - Duration::seconds(ago)),
            address_failures: n,
        };
        assert_eq!(pair_delay(&pressure(4, 0), 5, window, now), None);
        assert_eq!(
            pair_delay(&pressure(5, 0), 5, window, now),
            Some(Duration::seconds(1))
        );
        assert_eq!(pair_delay(&pressure(5, 1), 5, window, now), None);
        assert_eq!(
            pair_delay(&pressure(7, 1), 5, window, now),
            Some(Duration::seconds(3))
        );
        assert_eq!(pair_delay(&pressure(40, 0), 5, window, now), Some(window));
        let none = directory::LoginPressure {
            pair_failures: 0,
            last_pair_failure: None,
            address_failures: 0,
        };
        assert_eq!(pair_delay(&none, 5, window, now), None);
    }

    #[tokio::test]
    async fn password_checks_take_turns() {
        let workers = PasswordWorkers::start(1).expect("threads");
        let (release, released) = std::sync::mpsc::channel::<()>();
        let busy = {
            let workers = workers.clone();
            tokio::spawn(async move { workers.run(true, move || released.recv().is_ok()).await })
        };
        // The one thread is busy: without queueing, a check is refused at once.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(matches!(
            workers.run(false, || 1).await,
            Err(ApiError::TooManyAttempts { .. })
        ));
        release.send(()).expect("release");
        assert!(matches!(busy.await, Ok(Ok(true))));
        assert_eq!(workers.run(false, || 2).await.ok(), Some(2));
        assert_eq!(workers.run(true, || 3).await.ok(), Some(3));
    }

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
