//! The `directory` schema: organisations, users, sessions, login attempts.

use anyhow::Context as _;
use mittler_contracts::booking::DispatchPolicy;
use mittler_contracts::directory::{
    Contact, ContactsRequest, ContactsResponse, OrganisationContact,
};
use mittler_types::{MediatorId, OrganisationId, OrganisationKind, Role, TimeZone, UserId};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

mod sessions;

pub use sessions::*;

/// An organisation as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    #[schema(value_type = uuid::Uuid)]
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    /// The pool that serves it.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub pool_id: Option<OrganisationId>,
    #[schema(value_type = String, example = "Europe/Berlin")]
    pub time_zone: TimeZone,
    /// Switched off: its people neither sign in nor book.
    pub active: bool,
}

struct OrganisationRow {
    id: OrganisationId,
    name: String,
    kind: String,
    pool_id: Option<OrganisationId>,
    time_zone: String,
    active: bool,
}

impl TryFrom<OrganisationRow> for Organisation {
    type Error = anyhow::Error;
    fn try_from(row: OrganisationRow) -> Result<Self, Self::Error> {
        let id = row.id;
        Self::read(row).with_context(|| format!("organisation {id}: the stored row does not read"))
    }
}

impl Organisation {
    /// The pool that serves the organisation: its `pool_id`, or itself for a pool.
    pub fn served_by(&self) -> OrganisationId {
        self.pool_id.unwrap_or(self.id)
    }

    fn read(row: OrganisationRow) -> anyhow::Result<Self> {
        Ok(Self {
            id: row.id,
            name: row.name,
            kind: row.kind.parse()?,
            pool_id: row.pool_id,
            time_zone: TimeZone::parse(&row.time_zone)?,
            active: row.active,
        })
    }
}

pub async fn insert_organisation(
    db: impl PgExecutor<'_>,
    org: &Organisation,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO directory.organisations (id, name, kind, pool_id, time_zone) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO NOTHING",
        org.id.as_uuid(),
        &org.name,
        org.kind.as_str(),
        org.pool_id.map(|id| id.as_uuid()),
        org.time_zone.name(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Rename an organisation or change its zone; false if the name is taken.
pub async fn update_organisation(
    db: impl PgExecutor<'_>,
    id: OrganisationId,
    name: &str,
    time_zone: TimeZone,
) -> Result<bool, sqlx::Error> {
    match sqlx::query!(
        "UPDATE directory.organisations SET name = $2, time_zone = $3 WHERE id = $1",
        id.as_uuid(),
        name,
        time_zone.name(),
    )
    .execute(db)
    .await
    {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(other) => Err(other),
    }
}

/// Switch an organisation on or off; off ends its people's sessions at once.
pub async fn set_organisation_active(
    conn: &mut sqlx::PgConnection,
    id: OrganisationId,
    active: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE directory.organisations SET active = $2 WHERE id = $1",
        id.as_uuid(),
        active,
    )
    .execute(&mut *conn)
    .await?;
    if !active {
        sqlx::query!(
            "DELETE FROM directory.auth_sessions WHERE user_id IN \
             (SELECT id FROM directory.users WHERE organisation_id = $1)",
            id.as_uuid(),
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Insert a new organisation; false if its name is taken.
pub async fn insert_new_organisation(
    db: impl PgExecutor<'_>,
    org: &Organisation,
) -> anyhow::Result<bool> {
    let inserted = sqlx::query!(
        "INSERT INTO directory.organisations (id, name, kind, pool_id, time_zone) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
        org.id.as_uuid(),
        &org.name,
        org.kind.as_str(),
        org.pool_id.map(|id| id.as_uuid()),
        org.time_zone.name(),
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn organisation(
    db: impl PgExecutor<'_>,
    id: OrganisationId,
) -> anyhow::Result<Option<Organisation>> {
    let row: Option<OrganisationRow> = sqlx::query_as!(
        OrganisationRow,
        r#"SELECT id AS "id: OrganisationId", name, kind, pool_id AS "pool_id: OrganisationId", time_zone, active FROM directory.organisations WHERE id = $1"#,
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    row.map(Organisation::try_from).transpose()
}

/// The organisation's own site (`settings.place`), where on-site appointments usually
/// take place; the booking form starts from it.
pub async fn organisation_place(
    db: impl PgExecutor<'_>,
    id: OrganisationId,
) -> anyhow::Result<Option<mittler_contracts::booking::Location>> {
    let place: Option<serde_json::Value> = sqlx::query_scalar!(
        "SELECT settings->'place' FROM directory.organisations WHERE id = $1",
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?
    .flatten();
    Ok(place.and_then(|value| serde_json::from_value(value).ok()))
}

/// The own sites of the organisations `ids` that recorded one.
pub async fn organisation_places(
    db: impl PgExecutor<'_>,
    ids: &[OrganisationId],
) -> anyhow::Result<std::collections::HashMap<OrganisationId, mittler_contracts::booking::Location>>
{
    let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let rows = sqlx::query!(
        r#"SELECT id AS "id: OrganisationId", settings->'place' AS "place!"
           FROM directory.organisations WHERE id = ANY($1) AND settings ? 'place'"#,
        &ids,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.id, serde_json::from_value(r.place).ok()?)))
        .collect())
}

/// Record the organisation's own site.
pub async fn set_organisation_place(
    db: impl PgExecutor<'_>,
    id: OrganisationId,
    place: &mittler_contracts::booking::Location,
) -> anyhow::Result<()> {
    sqlx::query!(
        "UPDATE directory.organisations SET settings = jsonb_set(settings, '{place}', $2) WHERE id = $1",
        id.as_uuid(),
        serde_json::to_value(place)?,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Organisations in `scope` (`None`: all), by name.
pub async fn organisations(
    db: impl PgExecutor<'_>,
    scope: Option<&[OrganisationId]>,
) -> anyhow::Result<Vec<Organisation>> {
    let ids: Option<Vec<Uuid>> = scope.map(|ids| ids.iter().map(|id| id.as_uuid()).collect());
    let rows: Vec<OrganisationRow> = sqlx::query_as!(
        OrganisationRow,
        r#"SELECT id AS "id: OrganisationId", name, kind, pool_id AS "pool_id: OrganisationId", time_zone, active FROM directory.organisations
           WHERE $1::uuid[] IS NULL OR id = ANY($1) ORDER BY name"#,
        ids.as_deref(),
    )
    .fetch_all(db)
    .await?;
    rows.into_iter().map(Organisation::try_from).collect()
}

/// The pool itself and every organisation it serves.
pub async fn pool_members(
    db: impl PgExecutor<'_>,
    pool: OrganisationId,
) -> Result<Vec<OrganisationId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM directory.organisations WHERE id = $1 OR pool_id = $1 ORDER BY id",
        pool.as_uuid(),
    )
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().map(OrganisationId).collect())
}

/// A user account.
#[derive(Clone, Debug)]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub locale: String,
    pub mediator_id: Option<MediatorId>,
    /// argon2id PHC string; none until an invited person sets their password.
    pub password_hash: Option<String>,
}

struct UserRow {
    id: UserId,
    organisation_id: OrganisationId,
    email: String,
    name: String,
    role: String,
    locale: String,
    mediator_id: Option<MediatorId>,
    password_hash: Option<String>,
}

impl TryFrom<UserRow> for User {
    type Error = anyhow::Error;
    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let id = row.id;
        Self::read(row).with_context(|| format!("user {id}: the stored row does not read"))
    }
}

impl User {
    fn read(row: UserRow) -> anyhow::Result<Self> {
        Ok(Self {
            id: row.id,
            organisation_id: row.organisation_id,
            email: row.email,
            name: row.name,
            role: row.role.parse()?,
            locale: row.locale,
            mediator_id: row.mediator_id,
            password_hash: row.password_hash,
        })
    }
}

pub async fn insert_user(db: impl PgExecutor<'_>, user: &User) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO directory.users (id, organisation_id, email, name, role, locale, mediator_id, password_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        user.id.as_uuid(),
        user.organisation_id.as_uuid(),
        &user.email,
        &user.name,
        user.role.as_str(),
        &user.locale,
        user.mediator_id.map(|id| id.as_uuid()),
        user.password_hash.as_deref(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether any account (active or not) has this e-mail address.
pub async fn email_in_use(db: impl PgExecutor<'_>, email: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM directory.users WHERE lower(email) = lower($1)) AS "taken!""#,
        email,
    )
    .fetch_one(db)
    .await
}

/// Which of `emails` have an account (active or not), lower-cased: one statement
/// for a whole import.
pub async fn emails_in_use(
    db: impl PgExecutor<'_>,
    emails: &[&str],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let lowered: Vec<String> = emails.iter().map(|e| e.to_lowercase()).collect();
    let found: Vec<String> = sqlx::query_scalar!(
        r#"SELECT lower(email) AS "email!" FROM directory.users WHERE lower(email) = ANY($1)"#,
        &lowered,
    )
    .fetch_all(db)
    .await?;
    Ok(found.into_iter().collect())
}

/// An active user by id.
/// The names of these people (switched off ones too), for lists.
pub async fn user_names(
    db: impl PgExecutor<'_>,
    ids: &[UserId],
) -> Result<std::collections::HashMap<UserId, String>, sqlx::Error> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
    let rows = sqlx::query!(
        r#"SELECT id AS "id: UserId", name FROM directory.users WHERE id = ANY($1)"#,
        &ids,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

pub async fn user_by_id(db: impl PgExecutor<'_>, id: UserId) -> anyhow::Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id: UserId", organisation_id AS "organisation_id: OrganisationId", email, name, role, locale, mediator_id AS "mediator_id: MediatorId", password_hash
           FROM directory.users u WHERE id = $1 AND active
             AND EXISTS (SELECT 1 FROM directory.organisations o WHERE o.id = u.organisation_id AND o.active)"#,
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    row.map(User::try_from).transpose()
}

/// An active user by e-mail address (case-insensitive).
pub async fn user_by_email(db: impl PgExecutor<'_>, email: &str) -> anyhow::Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id: UserId", organisation_id AS "organisation_id: OrganisationId", email, name, role, locale, mediator_id AS "mediator_id: MediatorId", password_hash
           FROM directory.users u WHERE lower(email) = lower($1) AND active
             AND EXISTS (SELECT 1 FROM directory.organisations o WHERE o.id = u.organisation_id AND o.active)"#,
        email,
    )
    .fetch_optional(db)
    .await?;
    row.map(User::try_from).transpose()
}

/// An organisation's own dispatch policy and its pool's (empty where none is set).
pub async fn dispatch_policies(
    db: impl PgExecutor<'_>,
    id: OrganisationId,
) -> anyhow::Result<Option<(DispatchPolicy, DispatchPolicy)>> {
    let row = sqlx::query!(
        r#"SELECT o.settings->'dispatch' AS own, p.settings->'dispatch' AS "pool?"
           FROM directory.organisations o
           LEFT JOIN directory.organisations p ON p.id = o.pool_id WHERE o.id = $1"#,
        id.as_uuid(),
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.own, r.pool));
    let parse = |value: Option<serde_json::Value>| -> anyhow::Result<DispatchPolicy> {
        Ok(value
            .map(serde_json::from_value)
            .transpose()?
            .unwrap_or_default())
    };
    row.map(|(own, pool)| Ok((parse(own)?, parse(pool)?)))
        .transpose()
}

/// Replace an organisation's own dispatch policy; false if there is no such organisation.
pub async fn set_dispatch_policy(
    db: impl PgExecutor<'_>,
    id: OrganisationId,
    policy: &DispatchPolicy,
) -> anyhow::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE directory.organisations SET settings = jsonb_set(settings, '{dispatch}', $2) WHERE id = $1",
        id.as_uuid(),
        serde_json::to_value(policy)?,
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The directory's answers to `directory.rpc.*`.
#[derive(Clone, Debug)]
pub struct DirectoryRpc {
    pub pool: sqlx::PgPool,
}

impl DirectoryRpc {
    /// Whom to tell: the users asked for, the accounts of the mediators asked for,
    /// and, if asked, the coordinators of the pool serving the organisation.
    pub async fn contacts(
        &self,
        request: ContactsRequest,
    ) -> Result<ContactsResponse, mittler_contracts::RpcFault> {
        let internal = |error: anyhow::Error| {
            tracing::error!(error = %format!("{error:#}"), "contacts failed");
            mittler_contracts::RpcFault::internal()
        };
        let organisation = match request.organisation_id {
            Some(id) => organisation(&self.pool, id).await.map_err(internal)?,
            None => None,
        };
        let pool_id = organisation.as_ref().map(|o| o.pool_id.unwrap_or(o.id));
        let users: Vec<Uuid> = request.users.iter().map(|u| u.as_uuid()).collect();
        let mediators: Vec<Uuid> = request.mediators.iter().map(|m| m.as_uuid()).collect();
        let rows = sqlx::query!(
            "SELECT id, mediator_id, organisation_id, email, name, role, locale FROM directory.users \
             WHERE active AND (id = ANY($1) OR mediator_id = ANY($2) \
                OR ($3::uuid IS NOT NULL AND role = 'coordinator' AND organisation_id = $3)) \
             ORDER BY email",
            &users,
            &mediators,
            pool_id
                .filter(|_| request.coordinators)
                .map(|id| id.as_uuid()),
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| internal(e.into()))?;
        let people = rows
            .into_iter()
            .map(|r| {
                Ok(Contact {
                    user_id: UserId(r.id),
                    mediator_id: r.mediator_id.map(MediatorId),
                    organisation_id: OrganisationId(r.organisation_id),
                    email: r.email,
                    name: r.name,
                    role: r.role.parse()?,
                    locale: r.locale,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(internal)?;
        Ok(ContactsResponse {
            organisation: organisation.map(|o| OrganisationContact {
                id: o.id,
                name: o.name,
                time_zone: o.time_zone,
            }),
            people,
        })
    }
}
