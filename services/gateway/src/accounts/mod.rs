//! Accounts without typed-in passwords: every new account gets an invitation with a
//! single-use set-password link; a forgotten password gets a reset link by mail (the
//! answer is 202 whether or not the address is known); a signed-in person changes
//! their password. Each of them ends the person's other sessions and tokens.
//!
//! The directory keeps a SHA-256 of each link's secret (`store`); the secret itself
//! travels once, in `directory.user.link_issued`, to notifications, which mails it.
//! `policy` says what a password must be.

mod admin;
pub mod policy;
pub mod profile;
pub(crate) mod store;

pub use admin::{CreateAdminError, create_admin};

use crate::auth::{AuthUser, ClientIp, hash_password, new_token, token_hash, verify_password};
use crate::directory::{self, User};
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use mittler_contracts::Envelope;
use mittler_contracts::directory::{AccountLinkIssued, LinkPurpose};
use mittler_contracts::text;
use mittler_platform::{Schema, outbox};
use serde::Deserialize;
use sqlx::PgConnection;

/// Make a set-password link for `user` and hand it to notifications (through the
/// outbox, in the caller's transaction: the link exists only if the mail will go).
pub async fn issue_link(
    tx: &mut PgConnection,
    state: &AppState,
    user: &User,
    purpose: LinkPurpose,
) -> Result<(), ApiError> {
    let ttl = match purpose {
        LinkPurpose::Invitation => Duration::days(state.auth.invitation_days),
        LinkPurpose::Reset => Duration::minutes(state.auth.reset_minutes),
    };
    let expires_at = Utc::now() + ttl;
    let (token, hash) = new_token();
    store::insert_link(&mut *tx, &hash, user.id, purpose, expires_at).await?;
    let event = AccountLinkIssued {
        user_id: user.id,
        organisation_id: user.organisation_id,
        email: user.email.clone(),
        name: user.name.clone(),
        locale: user.locale.clone(),
        purpose,
        token,
        expires_at,
    };
    outbox::enqueue(
        tx,
        Schema::DIRECTORY,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    tracing::info!(user_id = %user.id, purpose = purpose.as_str(), "set-password link issued");
    Ok(())
}

/// A new account: stored without a password, and invited (in one transaction).
pub async fn create_invited(
    tx: &mut PgConnection,
    state: &AppState,
    user: &User,
) -> Result<(), ApiError> {
    directory::insert_user(&mut *tx, user).await?;
    issue_link(tx, state, user, LinkPurpose::Invitation).await
}

/// Check `password` for `user` and hash it (off the async threads, in turn with
/// every other password check).
async fn new_hash(
    state: &AppState,
    user: &User,
    password: String,
    field: &str,
) -> Result<String, ApiError> {
    policy::check(&password, &[&user.email, &user.name])
        .map_err(|text| ApiError::Validation(vec![FieldError::new(field, text)]))?;
    state
        .password_workers
        .run(true, move || hash_password(&password))
        .await?
        .map_err(ApiError::Internal)
}

/// Ask for a reset link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestBody {
    #[schema(example = "abh@erzgebirgskreis.example")]
    pub email: String,
}

/// Mail a password-reset link to a known, active address. The answer is the same
/// whether or not the address is known.
#[utoipa::path(
    post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = ResetRequestBody,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "E-mail missing", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_reset(
    State(state): State<AppState>,
    ClientIp(client_ip): ClientIp,
    body: JsonBody<ResetRequestBody>,
) -> Result<StatusCode, ApiError> {
    request_reset_for(&state, client_ip.as_deref(), &body.value.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The reset request of the API and of the sign-in page.
pub async fn request_reset_for(
    state: &AppState,
    client_ip: Option<&str>,
    email: &str,
) -> Result<(), ApiError> {
    let email = email.trim();
    if email.is_empty() || email.len() > 254 {
        return Err(ApiError::field("email", text!("auth.email_required")));
    }
    let pool = state.pool();
    let hour = Duration::hours(1);
    let (mailed, by_ip) = store::recent_resets(pool, email, client_ip, Utc::now() - hour).await?;
    if by_ip >= state.auth.max_resets_per_ip {
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: hour.num_seconds() as u64,
        });
    }
    let user = directory::user_by_email(pool, email)
        .await
        .map_err(ApiError::Internal)?
        // A flood of links to one address stops quietly: the answer stays the same.
        .filter(|_| mailed < state.auth.max_resets_per_address);
    let mut tx = pool.begin().await?;
    store::record_reset(&mut *tx, email, client_ip, user.is_some()).await?;
    if let Some(user) = &user {
        issue_link(&mut tx, state, user, LinkPurpose::Reset).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A new password through a link.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPasswordBody {
    /// At least 12 characters, not easy to guess.
    pub password: String,
}

/// Set the password with an invitation's or a reset's link; every session and token
/// of the account ends.
#[utoipa::path(
    post, path = "/api/v1/auth/password-reset/{token}", tag = "auth",
    params(("token" = String, Path, description = "The secret of the mailed link")),
    request_body = SetPasswordBody,
    responses(
        (status = 204, description = "Set; sign in with the new password"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The link was used, expired or replaced", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is too short or too easy to guess", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: JsonBody<SetPasswordBody>,
) -> Result<StatusCode, ApiError> {
    set_with_link(&state, &token, body.value.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account a link still works for (a look, not a use: for the page that asks
/// for the new password).
pub async fn link_user(state: &AppState, token: &str) -> Result<User, ApiError> {
    let gone = || ApiError::Gone(text!("auth.link_invalid"));
    if token.is_empty() || token.len() > 128 {
        return Err(gone());
    }
    let mut tx = state.pool().begin().await?;
    // Use it in a transaction that is rolled back: the same checks, nothing kept.
    let user = store::use_link(&mut tx, &token_hash(token)).await?;
    tx.rollback().await?;
    let user = user.ok_or_else(gone)?;
    directory::user_by_id(state.pool(), user)
        .await
        .map_err(ApiError::Internal)?
        .ok_or_else(gone)
}

/// Set a password through a link: the API's and the set-password page's.
pub async fn set_with_link(
    state: &AppState,
    token: &str,
    password: String,
) -> Result<User, ApiError> {
    // The rules first, so that a refused password does not use up the link.
    let user = link_user(state, token).await?;
    let hash = new_hash(state, &user, password, "password").await?;
    let mut tx = state.pool().begin().await?;
    let used = store::use_link(&mut tx, &token_hash(token)).await?;
    if used != Some(user.id) {
        return Err(ApiError::Gone(text!("auth.link_invalid")));
    }
    store::set_password(&mut *tx, user.id, &hash).await?;
    let ended = store::revoke_sessions(&mut *tx, user.id, None).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, ended, "password set through a link");
    Ok(user)
}

/// Change one's own password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    pub current_password: String,
    /// At least 12 characters, not easy to guess.
    pub new_password: String,
}

/// Change my password; my other sessions and tokens end, this one stays.
#[utoipa::path(
    post, path = "/api/v1/auth/password", tag = "auth",
    request_body = ChangePasswordBody,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is wrong, or the new one too weak", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<ChangePasswordBody>,
) -> Result<Response, ApiError> {
    let ChangePasswordBody {
        current_password,
        new_password,
    } = body.value;
    change_password(&state, &user, current_password, new_password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Change the signed-in user's password: the API's and the profile page's.
pub async fn change_password(
    state: &AppState,
    user: &AuthUser,
    current: String,
    new: String,
) -> Result<(), ApiError> {
    let stored = user.user.password_hash.clone().unwrap_or_default();
    let matches = current.len() <= policy::MAX_BYTES
        && state
            .password_workers
            .run(true, move || verify_password(&current, &stored))
            .await?;
    if !matches {
        return Err(ApiError::field(
            "current_password",
            text!("auth.password_wrong"),
        ));
    }
    let hash = new_hash(state, &user.user, new, "new_password").await?;
    let mut tx = state.pool().begin().await?;
    store::set_password(&mut *tx, user.id(), &hash).await?;
    let ended = store::revoke_sessions(&mut *tx, user.id(), Some(&user.token_hash)).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id(), ended, "password changed");
    Ok(())
}
