//! `mittler create-admin`: the first account of a production installation, in a pool
//! of the given name (made if there is none). The password comes from standard
//! input and follows the same rules as every other.

use super::policy;
use crate::auth::hash_password;
use crate::directory::{self, Organisation, User};
use mittler_types::{OrganisationId, OrganisationKind, Role, TimeZone, UserId};
use sqlx::PgPool;

/// Why no admin was made.
#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    #[error("'{0}' is not an e-mail address")]
    Email(String),
    #[error("the name is empty or longer than 200 characters")]
    Name,
    #[error("the password is not acceptable: {0}")]
    Password(String),
    #[error("an account with the e-mail address {0} exists already")]
    Taken(String),
    #[error("'{0}' is an organisation but not a pool")]
    NotAPool(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Make an admin account in the pool named `pool_name` (made if missing).
pub async fn create_admin(
    db: &PgPool,
    email: &str,
    name: &str,
    pool_name: &str,
    password: &str,
) -> Result<UserId, CreateAdminError> {
    let email = email.trim();
    let name = name.trim();
    if !email.contains('@') || email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(CreateAdminError::Email(email.to_owned()));
    }
    if name.is_empty() || name.chars().count() > 200 {
        return Err(CreateAdminError::Name);
    }
    policy::check(password, &[email, name])
        .map_err(|text| CreateAdminError::Password(text.english()))?;
    if directory::email_in_use(db, email).await? {
        return Err(CreateAdminError::Taken(email.to_owned()));
    }
    let hash = hash_password(password)?;
    let mut tx = db.begin().await?;
    let existing = directory::organisations(&mut *tx, None)
        .await?
        .into_iter()
        .find(|o| o.name.eq_ignore_ascii_case(pool_name.trim()));
    let pool = match existing {
        Some(o) if o.kind == OrganisationKind::Pool => o.id,
        Some(_) => return Err(CreateAdminError::NotAPool(pool_name.to_owned())),
        None => {
            let pool = Organisation {
                id: OrganisationId::new(),
                name: pool_name.trim().to_owned(),
                kind: OrganisationKind::Pool,
                pool_id: None,
                time_zone: TimeZone::BERLIN,
                active: true,
            };
            directory::insert_organisation(&mut *tx, &pool).await?;
            pool.id
        }
    };
    let admin = User {
        id: UserId::new(),
        organisation_id: pool,
        email: email.to_owned(),
        name: name.to_owned(),
        role: Role::Admin,
        locale: "de".into(),
        mediator_id: None,
        password_hash: Some(hash),
    };
    directory::insert_user(&mut *tx, &admin).await?;
    tx.commit().await?;
    Ok(admin.id)
}
