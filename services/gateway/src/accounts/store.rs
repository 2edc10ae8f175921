//! The account links, passwords and the revocation of sessions in the `directory`
//! schema.

use chrono::{DateTime, Utc};
use mittler_contracts::directory::LinkPurpose;
use mittler_types::UserId;
use sqlx::{PgConnection, PgExecutor};

pub async fn insert_link(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user: UserId,
    purpose: LinkPurpose,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO directory.account_links (token_hash, user_id, purpose, expires_at) \
         VALUES ($1, $2, $3, $4)",
        token_hash,
        user.as_uuid(),
        purpose.as_str(),
        expires_at,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Use a link: once, before it expires, for an active account. Every other open
/// link of the account ends with it. Returns whose link it was.
pub async fn use_link(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<UserId>, sqlx::Error> {
    let user = sqlx::query_scalar!(
        r#"UPDATE directory.account_links l SET used_at = now()
           FROM directory.users u
           WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now()
             AND u.id = l.user_id AND u.active
           RETURNING l.user_id AS "user_id: UserId""#,
        token_hash,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(user) = user {
        end_links(&mut *conn, user).await?;
    }
    Ok(user)
}

/// End every open link of `user`.
pub async fn end_links(db: impl PgExecutor<'_>, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory.account_links SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        user.as_uuid(),
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_password(
    db: impl PgExecutor<'_>,
    user: UserId,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory.users SET password_hash = $2 WHERE id = $1",
        user.as_uuid(),
        hash,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// End every session and token of `user` but the one hashed `keep`.
pub async fn revoke_sessions(
    db: impl PgExecutor<'_>,
    user: UserId,
    keep: Option<&[u8]>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM directory.auth_sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)",
        user.as_uuid(),
        keep,
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Reset requests for `email` and from `client_ip` since `since`.
pub async fn recent_resets(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: Option<&str>,
    since: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let counts = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE lower(email) = lower($1) AND succeeded) AS "mailed!",
                  count(*) FILTER (WHERE $2::text IS NOT NULL AND client_ip = $2) AS "by_ip!"
           FROM directory.login_attempts WHERE kind = 'reset' AND at > $3
           AND (lower(email) = lower($1) OR client_ip = $2)"#,
        email,
        client_ip,
        since,
    )
    .fetch_one(db)
    .await?;
    Ok((counts.mailed, counts.by_ip))
}

/// Record a reset request; `mailed` when a link went out.
pub async fn record_reset(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: Option<&str>,
    mailed: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO directory.login_attempts (email, client_ip, succeeded, kind) VALUES ($1, $2, $3, 'reset')",
        email,
        client_ip,
        mailed,
    )
    .execute(db)
    .await?;
    Ok(())
}
