//! Single sign-on with an OpenID Connect issuer (`[oidc]`): the authorization code
//! flow with PKCE, a nonce and a state that any replica can check (the sign-ins in
//! progress are rows of `directory.oidc_logins`, ten minutes at most).
//!
//! `GET /auth/oidc/login?next=…` sends the browser to the issuer;
//! `GET /auth/oidc/callback` takes the code back, checks the ID token (issuer,
//! audience, signature from the issuer's keys, nonce, expiry), and signs the person
//! in: the account of the issuer's subject, else the one of a verified e-mail
//! address (which then remembers the subject). Nobody gets an account by signing in:
//! accounts are invited first. A configured claim may set the role, where the
//! account's organisation allows that role.

use crate::auth::open_session;
use crate::directory::{self, User};
use crate::problem::ApiError;
use crate::settings::OidcConfig;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use mittler_types::{OrganisationKind, Role, UserId};
use openidconnect::core::{CoreClient, CoreGenderClaim, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use std::collections::HashMap;
use tokio::sync::OnceCell;

/// A client of a discovered issuer, with the redirect back to Mittler.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// How long a sign-in at the issuer may take.
const PENDING_MINUTES: i64 = 10;

/// The issuer's configuration, discovered once.
#[derive(Debug)]
pub struct Oidc {
    config: OidcConfig,
    http: openidconnect::reqwest::Client,
    metadata: OnceCell<CoreProviderMetadata>,
}

/// Every claim besides the standard ones, for the role claim.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

/// Why a single sign-on did not sign anyone in.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("the issuer cannot be reached or answers wrongly: {0}")]
    Issuer(String),
    #[error("the sign-in expired or was not started here")]
    UnknownState,
    #[error("the issuer refused: {0}")]
    Refused(String),
    #[error("the ID token is not valid: {0}")]
    Token(String),
    #[error("no active account for this sign-in")]
    NoAccount,
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl Oidc {
    /// The single sign-on of `config`, or none when it is not configured.
    pub fn new(config: OidcConfig) -> anyhow::Result<Option<Self>> {
        if config.issuer_url.trim().is_empty() {
            return Ok(None);
        }
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let an issuer send requests elsewhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Some(Self {
            config,
            http,
            metadata: OnceCell::new(),
        }))
    }

    /// The sign-in page's button.
    pub fn label(&self) -> Option<&str> {
        Some(self.config.label.as_str()).filter(|l| !l.is_empty())
    }

    async fn client(&self) -> Result<Client, SsoError> {
        let metadata = self
            .metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.config.issuer_url.trim().to_owned())
                    .map_err(|e| SsoError::Issuer(e.to_string()))?;
                CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| SsoError::Issuer(e.to_string()))
            })
            .await?;
        let redirect = RedirectUrl::new(format!(
            "{}/auth/oidc/callback",
            self.config.public_url.trim_end_matches('/')
        ))
        .map_err(|e| SsoError::Issuer(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            self.config
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose_secret().to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// Where to send the browser, after the sign-in is recorded.
    async fn start(&self, db: impl PgExecutor<'_>, next: &str) -> Result<String, SsoError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        sqlx::query!(
            "INSERT INTO directory.oidc_logins (state, nonce, pkce_verifier, next) VALUES ($1, $2, $3, $4)",
            state.secret(),
            nonce.secret(),
            verifier.secret(),
            next,
        )
        .execute(db)
        .await
        .map_err(ApiError::from)?;
        Ok(url.to_string())
    }

    /// The account the issuer vouches for, and where to go next.
    async fn finish(
        &self,
        state: &AppState,
        code: &str,
        csrf: &str,
    ) -> Result<(User, String), SsoError> {
        let pool = state.pool();
        let pending = sqlx::query!(
            "DELETE FROM directory.oidc_logins WHERE state = $1 \
             RETURNING nonce, pkce_verifier, next, created_at > now() - make_interval(mins => $2) AS \"fresh!\"",
            csrf,
            PENDING_MINUTES as i32,
        )
        .fetch_optional(pool)
        .await
        .map_err(ApiError::from)?
        .filter(|p| p.fresh)
        .ok_or(SsoError::UnknownState)?;
        let client = self.client().await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoError::Issuer(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| SsoError::Refused(e.to_string()))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| SsoError::Token("no ID token".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
            .map_err(|e| SsoError::Token(e.to_string()))?;
        let subject = claims.subject().as_str().to_owned();
        let email = claims
            .email()
            .filter(|_| claims.email_verified() == Some(true))
            .map(|e| e.as_str().to_owned());
        let user = match user_by_subject(pool, &subject).await? {
            Some(user) => user,
            None => {
                let user = match &email {
                    Some(email) => directory::user_by_email(pool, email)
                        .await
                        .map_err(ApiError::Internal)?,
                    None => None,
                };
                let user = user.ok_or(SsoError::NoAccount)?;
                if !link_subject(pool, user.id, &subject).await? {
                    // The account signs in with another subject of the issuer.
                    return Err(SsoError::NoAccount);
                }
                user
            }
        };
        let user = self
            .role_from_claim(state, &client, token.access_token(), claims.subject(), user)
            .await?;
        Ok((user, pending.next))
    }

    /// Apply the configured role claim (from the user info) where the account's
    /// organisation allows the role; mediators keep theirs.
    async fn role_from_claim(
        &self,
        state: &AppState,
        client: &Client,
        access_token: &AccessToken,
        subject: &SubjectIdentifier,
        mut user: User,
    ) -> Result<User, SsoError> {
        let claim = self.config.role_claim.trim();
        if claim.is_empty() || user.role == Role::Mediator {
            return Ok(user);
        }
        let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = client
            .user_info(access_token.clone(), Some(subject.clone()))
            .map_err(|e| SsoError::Issuer(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| SsoError::Issuer(e.to_string()))?;
        let Some(role) = info
            .additional_claims()
            .claims
            .get(claim)
            .and_then(|v| v.as_str())
            .and_then(|r| r.parse::<Role>().ok())
        else {
            return Ok(user);
        };
        let kind = directory::organisation(state.pool(), user.organisation_id)
            .await
            .map_err(ApiError::Internal)?
            .map(|o| o.kind);
        let allowed = matches!(
            (role, kind),
            (
                Role::Coordinator | Role::Admin,
                Some(OrganisationKind::Pool)
            ) | (
                Role::Requester,
                Some(OrganisationKind::Authority | OrganisationKind::Carrier)
            )
        );
        if !allowed {
            tracing::warn!(user_id = %user.id, role = role.as_str(), "the role claim names a role the account's organisation does not allow; kept");
            return Ok(user);
        }
        if role != user.role {
            sqlx::query!(
                "UPDATE directory.users SET role = $2 WHERE id = $1",
                user.id.as_uuid(),
                role.as_str(),
            )
            .execute(state.pool())
            .await
            .map_err(ApiError::from)?;
            tracing::info!(user_id = %user.id, role = role.as_str(), "role set by the issuer's claim");
            user.role = role;
        }
        Ok(user)
    }
}

async fn user_by_subject(db: &sqlx::PgPool, subject: &str) -> Result<Option<User>, ApiError> {
    let id = sqlx::query_scalar!(
        r#"SELECT id AS "id: UserId" FROM directory.users WHERE oidc_subject = $1 AND active"#,
        subject,
    )
    .fetch_optional(db)
    .await?;
    match id {
        Some(id) => directory::user_by_id(db, id)
            .await
            .map_err(ApiError::Internal),
        None => Ok(None),
    }
}

/// Remember the issuer's subject of an account; false if it has another one.
async fn link_subject(
    db: impl PgExecutor<'_>,
    user: UserId,
    subject: &str,
) -> Result<bool, ApiError> {
    let linked = sqlx::query!(
        "UPDATE directory.users SET oidc_subject = $2 WHERE id = $1 \
         AND (oidc_subject IS NULL OR oidc_subject = $2)",
        user.as_uuid(),
        subject,
    )
    .execute(db)
    .await?
    .rows_affected();
    Ok(linked == 1)
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
}

/// Start a single sign-on: to the issuer.
pub async fn login(State(state): State<AppState>, Query(query): Query<LoginQuery>) -> Response {
    let Some(oidc) = state.oidc.as_deref() else {
        return ApiError::NotFound.into_response();
    };
    let next = crate::ui::local_path(query.next.as_deref());
    if let Err(error) = forget_stale(state.pool()).await {
        tracing::warn!(error = %error, "forgetting unfinished sign-ins");
    }
    match oidc.start(state.pool(), &next).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => failed(error),
    }
}

/// What the issuer sends back.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The issuer's answer: signed in, or back to the sign-in page with the reason.
pub async fn callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = state.oidc.as_deref() else {
        return ApiError::NotFound.into_response();
    };
    let (Some(code), Some(csrf)) = (query.code, query.state) else {
        return failed(SsoError::Refused(
            query.error.unwrap_or_else(|| "no code".into()),
        ));
    };
    let (user, next) = match oidc.finish(&state, &code, &csrf).await {
        Ok(done) => done,
        Err(error) => return failed(error),
    };
    let opened = match open_session(&state, &user, false).await {
        Ok(opened) => opened,
        Err(error) => return error.into_response(),
    };
    if let Err(error) = directory::record_login(state.pool(), &user.email, None, true).await {
        tracing::warn!(error = %error, "recording a single sign-on");
    }
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "signed in through the issuer");
    let mut response = Redirect::to(&next).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, opened.cookie);
    response
}

/// Back to the sign-in page, which says why (in the person's language).
fn failed(error: SsoError) -> Response {
    let reason = match &error {
        SsoError::NoAccount => "no_account",
        SsoError::UnknownState => "expired",
        SsoError::Refused(_) => "refused",
        SsoError::Issuer(_) | SsoError::Token(_) | SsoError::Api(_) => "failed",
    };
    tracing::warn!(error = %error, "single sign-on failed");
    Redirect::to(&format!("/login?sso={reason}")).into_response()
}

/// Forget sign-ins that were never finished.
pub async fn forget_stale(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM directory.oidc_logins WHERE created_at < now() - make_interval(mins => $1)",
        PENDING_MINUTES as i32,
    )
    .execute(db)
    .await?
    .rows_affected())
}
