//! The people of the directory as coordinators list and manage them.

use mittler_types::{MediatorId, OrganisationId, Role, UserId};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// One account in the list.
#[derive(Debug)]
pub struct PersonRow {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub organisation: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub locale: String,
    pub mediator_id: Option<MediatorId>,
    pub active: bool,
    /// Invited, but the password is not set yet.
    pub invited: bool,
}

/// A page of the accounts of `organisations` (all: `None`) whose name or e-mail
/// address contains `q`, by name; and how many match in all.
pub async fn people(
    db: impl PgExecutor<'_>,
    organisations: Option<&[OrganisationId]>,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PersonRow>, i64), sqlx::Error> {
    let ids: Option<Vec<Uuid>> =
        organisations.map(|ids| ids.iter().map(|id| id.as_uuid()).collect());
    let pattern = q.map(str::trim).filter(|q| !q.is_empty()).map(|q| {
        format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    let rows = sqlx::query!(
        r#"SELECT u.id AS "id: UserId", u.organisation_id AS "organisation_id: OrganisationId",
                  o.name AS organisation, u.email, u.name, u.role, u.locale,
                  u.mediator_id AS "mediator_id: MediatorId", u.active,
                  (u.password_hash IS NULL) AS "invited!", count(*) OVER () AS "total!"
           FROM directory.users u JOIN directory.organisations o ON o.id = u.organisation_id
           WHERE ($1::uuid[] IS NULL OR u.organisation_id = ANY($1))
             AND ($2::text IS NULL OR u.name ILIKE $2 OR u.email ILIKE $2)
           ORDER BY lower(u.name), u.id
           LIMIT $3 OFFSET $4"#,
        ids.as_deref(),
        pattern,
        limit,
        offset,
    )
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((
        rows.into_iter()
            .map(|r| PersonRow {
                id: r.id,
                organisation_id: r.organisation_id,
                organisation: r.organisation,
                email: r.email,
                name: r.name,
                role: r.role,
                locale: r.locale,
                mediator_id: r.mediator_id,
                active: r.active,
                invited: r.invited,
            })
            .collect(),
        total,
    ))
}

/// An account's organisation, role and mediator profile (active or not).
#[derive(Debug)]
pub struct Account {
    pub organisation_id: OrganisationId,
    pub role: Role,
    pub mediator_id: Option<MediatorId>,
}

pub async fn account(db: impl PgExecutor<'_>, id: UserId) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT organisation_id AS "organisation_id: OrganisationId", role AS "role: Role",
                  mediator_id AS "mediator_id: MediatorId"
           FROM directory.users WHERE id = $1"#,
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Account {
        organisation_id: r.organisation_id,
        role: r.role,
        mediator_id: r.mediator_id,
    }))
}

/// Open or close an account; closing ends its sessions, tokens and open links.
pub async fn set_active(
    conn: &mut PgConnection,
    id: UserId,
    active: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory.users SET active = $2 WHERE id = $1",
        id.as_uuid(),
        active,
    )
    .execute(&mut *conn)
    .await?;
    if !active {
        crate::accounts::store::revoke_sessions(&mut *conn, id, None).await?;
        crate::accounts::store::end_links(&mut *conn, id).await?;
    }
    Ok(())
}

pub async fn set_name_and_locale(
    db: impl PgExecutor<'_>,
    id: UserId,
    name: &str,
    locale: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory.users SET name = $2, locale = $3 WHERE id = $1",
        id.as_uuid(),
        name,
        locale,
    )
    .execute(db)
    .await?;
    Ok(())
}
