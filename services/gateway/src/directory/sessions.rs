//! The directory's sessions and tokens, and the sign-in attempts that limit
//! guessing.

use super::{User, UserRow};
use chrono::{DateTime, Utc};
use mittler_types::{MediatorId, OrganisationId, UserId};
use sqlx::PgExecutor;

/// A session or token: its user and, for cookies, the CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub kind: SessionKind,
    pub csrf_token: Option<String>,
    /// The sign-in that opened it (with its sibling cookie or token).
    pub sign_in: uuid::Uuid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Cookie,
    Bearer,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

pub async fn insert_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user: UserId,
    kind: SessionKind,
    csrf_token: Option<&str>,
    expires_at: DateTime<Utc>,
    sign_in: uuid::Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO directory.auth_sessions (token_hash, user_id, kind, csrf_token, expires_at, sign_in) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        token_hash,
        user.as_uuid(),
        kind.as_str(),
        csrf_token,
        expires_at,
        sign_in,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The live session of `kind` with this token hash, with its (active) user.
pub async fn session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    kind: SessionKind,
) -> anyhow::Result<Option<Session>> {
    let row = sqlx::query!(
        r#"SELECT s.csrf_token, s.sign_in, u.id AS "id: UserId", u.organisation_id AS "organisation_id: OrganisationId",
                  u.email, u.name, u.role, u.locale, u.mediator_id AS "mediator_id: MediatorId", u.password_hash
           FROM directory.auth_sessions s JOIN directory.users u ON u.id = s.user_id
           JOIN directory.organisations o ON o.id = u.organisation_id
           WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > now() AND u.active AND o.active"#,
        token_hash,
        kind.as_str(),
    )
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        let user = UserRow {
            id: row.id,
            organisation_id: row.organisation_id,
            email: row.email,
            name: row.name,
            role: row.role,
            locale: row.locale,
            mediator_id: row.mediator_id,
            password_hash: row.password_hash,
        };
        Ok(Session {
            user: user.try_into()?,
            kind,
            csrf_token: row.csrf_token,
            sign_in: row.sign_in,
        })
    })
    .transpose()
}

/// Open or close the sign-in of a mediator's accounts; closing also ends their
/// sessions and tokens at once. Returns how many accounts changed.
pub async fn set_mediator_accounts_active(
    conn: &mut sqlx::PgConnection,
    mediator: MediatorId,
    active: bool,
) -> Result<u64, sqlx::Error> {
    let changed = sqlx::query!(
        "UPDATE directory.users SET active = $2 WHERE mediator_id = $1 AND active <> $2",
        mediator.as_uuid(),
        active,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if !active {
        sqlx::query!(
            "DELETE FROM directory.auth_sessions WHERE user_id IN \
             (SELECT id FROM directory.users WHERE mediator_id = $1)",
            mediator.as_uuid(),
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(changed)
}

/// End a sign-in of `user`: its browser session and its API token alike. Whether
/// there was one.
pub async fn end_sign_in(
    db: impl PgExecutor<'_>,
    user: UserId,
    sign_in: uuid::Uuid,
) -> Result<bool, sqlx::Error> {
    let ended = sqlx::query!(
        "DELETE FROM directory.auth_sessions WHERE user_id = $1 AND sign_in = $2",
        user.as_uuid(),
        sign_in,
    )
    .execute(db)
    .await?;
    Ok(ended.rows_affected() > 0)
}

/// End every sign-in of `user` but `keep`'s (none: all).
pub async fn end_sign_ins(
    db: impl PgExecutor<'_>,
    user: UserId,
    keep: Option<uuid::Uuid>,
) -> Result<u64, sqlx::Error> {
    let ended = sqlx::query!(
        "DELETE FROM directory.auth_sessions WHERE user_id = $1 AND sign_in IS DISTINCT FROM $2",
        user.as_uuid(),
        keep,
    )
    .execute(db)
    .await?;
    Ok(ended.rows_affected())
}

/// One of a person's sign-ins, as they see it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignIn {
    pub id: uuid::Uuid,
    /// A browser session (`cookie`), an API token (`bearer`), or both.
    pub kinds: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// When the last of its parts expires.
    pub expires_at: DateTime<Utc>,
    /// The sign-in of this request.
    pub current: bool,
}

/// The live sign-ins of `user`, newest first.
pub async fn sign_ins(
    db: impl PgExecutor<'_>,
    user: UserId,
    current: uuid::Uuid,
) -> Result<Vec<SignIn>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT sign_in, array_agg(kind ORDER BY kind) AS "kinds!", min(created_at) AS "created_at!",
                  max(expires_at) AS "expires_at!"
           FROM directory.auth_sessions WHERE user_id = $1 AND expires_at > now()
           GROUP BY sign_in ORDER BY min(created_at) DESC"#,
        user.as_uuid(),
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SignIn {
            id: r.sign_in,
            kinds: r.kinds,
            created_at: r.created_at,
            expires_at: r.expires_at,
            current: r.sign_in == current,
        })
        .collect())
}

pub async fn record_login(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: Option<&str>,
    succeeded: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO directory.login_attempts (email, client_ip, succeeded) VALUES ($1, $2, $3)",
        email,
        client_ip,
        succeeded,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A sign-in about to be checked, counted as failed until [`login_succeeded`]: so
/// that concurrent tries see each other before any password is hashed.
pub async fn reserve_login(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO directory.login_attempts (email, client_ip, succeeded) VALUES ($1, $2, false)
         RETURNING id",
        email,
        client_ip,
    )
    .fetch_one(db)
    .await
}

/// The reserved sign-in `id` succeeded.
pub async fn login_succeeded(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory.login_attempts SET succeeded = true WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The reserved sign-in `id` failed now: the delays count from here.
pub async fn login_failed(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory.login_attempts SET at = now() WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The reserved sign-in `id` was refused before its password was checked: it does
/// not count.
pub async fn forget_login(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM directory.login_attempts WHERE id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

/// What weighs on a sign-in since `since`, besides the attempt `own` itself: failed
/// tries of this account from this client address and when the last of them was,
/// and failed tries from this address of any account (an earlier reservation
/// counts as failed while it is being checked).
#[derive(Debug)]
pub struct LoginPressure {
    pub pair_failures: i64,
    pub last_pair_failure: Option<DateTime<Utc>>,
    pub address_failures: i64,
}

pub async fn login_pressure(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: Option<&str>,
    since: DateTime<Utc>,
    own: i64,
) -> Result<LoginPressure, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE lower(email) = lower($1) AND client_ip IS NOT DISTINCT FROM $2) AS "pair!",
                  max(at) FILTER (WHERE lower(email) = lower($1) AND client_ip IS NOT DISTINCT FROM $2) AS last_pair,
                  count(*) FILTER (WHERE $2::text IS NOT NULL AND client_ip = $2) AS "address!"
           FROM directory.login_attempts
           WHERE kind = 'login' AND NOT succeeded AND at > $3 AND id <> $4
             AND (lower(email) = lower($1) OR client_ip = $2)"#,
        email,
        client_ip,
        since,
        own,
    )
    .fetch_one(db)
    .await?;
    Ok(LoginPressure {
        pair_failures: row.pair,
        last_pair_failure: row.last_pair,
        address_failures: row.address,
    })
}
