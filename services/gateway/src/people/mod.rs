//! `/api/v1/users`: the people of a coordinator's pool (an admin's: everyone), with
//! search and paging, and switching accounts off and on. A deactivated account's
//! sessions, tokens and open links end at once; a mediator's account is switched
//! through their profile, so that they also stop getting work (in the coordinator's
//! pool; everywhere for an admin).

pub mod store;

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem, check_locale, checked_name};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mittler_contracts::text;
use mittler_types::{MediatorId, OrganisationId, Role, UserId};
use serde::{Deserialize, Serialize};

/// An account as coordinators see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Person {
    #[schema(value_type = uuid::Uuid)]
    pub id: UserId,
    #[schema(value_type = uuid::Uuid)]
    pub organisation_id: OrganisationId,
    pub organisation: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub locale: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub mediator_id: Option<MediatorId>,
    pub active: bool,
    /// Invited; the password is not set yet.
    pub invited: bool,
}

/// One page of people.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct People {
    pub items: Vec<Person>,
    /// How many match the search in all.
    pub total: i64,
}

/// Search and paging.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a name or an e-mail address.
    pub q: Option<String>,
    /// The accounts of one organisation (of those the caller manages).
    #[param(value_type = Option<uuid::Uuid>)]
    pub organisation: Option<OrganisationId>,
    /// At most 200 (default 50).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn managing(user: &AuthUser) -> Result<(), ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_accounts"),
    )
}

/// The people of my pool (coordinators; admins: everyone).
#[utoipa::path(
    get, path = "/api/v1/users", tag = "directory",
    params(PeopleQuery),
    responses(
        (status = 200, body = People),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    query: Result<Query<PeopleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<People>, ApiError> {
    let Query(query) = query?;
    people(&state, &user, &query).await.map(Json)
}

/// The people `user` manages, one page: the API's and the people page's.
pub async fn people(
    state: &AppState,
    user: &AuthUser,
    query: &PeopleQuery,
) -> Result<People, ApiError> {
    managing(user)?;
    let mut scope = user.organisation_scope(state).await?;
    if let Some(one) = query.organisation {
        // One of the managed organisations; another is as empty as none.
        scope = Some(match scope {
            Some(ids) if !ids.contains(&one) => Vec::new(),
            _ => vec![one],
        });
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let offset = query.offset.unwrap_or(0).max(0);
    let (rows, total) = store::people(
        state.pool(),
        scope.as_deref(),
        query.q.as_deref(),
        limit,
        offset,
    )
    .await?;
    Ok(People {
        items: rows
            .into_iter()
            .map(|r| Person {
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
    })
}

/// A person's name and language, as a coordinator corrects them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonEdit {
    pub name: String,
    /// `de` or `en`.
    pub locale: String,
}

/// Correct a person's name or language (coordinators of their pool; admins). A
/// mediator's name is their profile's, changed with the profile.
#[utoipa::path(
    put, path = "/api/v1/users/{id}", tag = "directory",
    params(("id" = String, Path, description = "User id")),
    request_body = PersonEdit,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator, or an admin's account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is not acceptable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: crate::json::JsonBody<PersonEdit>,
) -> Result<StatusCode, ApiError> {
    managing(&user)?;
    let id: UserId = id.parse().map_err(|_| ApiError::NotFound)?;
    let account = store::account(state.pool(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !user
        .booking_scope(&state)
        .await?
        .allows(account.organisation_id)
    {
        return Err(ApiError::NotFound);
    }
    if account.role == Role::Admin && user.role() != Role::Admin {
        return Err(ApiError::Forbidden(text!("role.admins_admins")));
    }
    let PersonEdit { name, locale } = body.value;
    let mut errors = Vec::new();
    let name = checked_name(&name, &mut errors);
    check_locale(&locale, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    store::set_name_and_locale(state.pool(), id, &name, &locale).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switch an account off.
#[utoipa::path(
    post, path = "/api/v1/users/{id}/deactivate", tag = "directory",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deactivated: signed out everywhere at once"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator, or an admin's account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own account", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn deactivate(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_active(&state, &user, &id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switch an account on again.
#[utoipa::path(
    post, path = "/api/v1/users/{id}/activate", tag = "directory",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Active again"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator, or an admin's account", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own account", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn activate(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_active(&state, &user, &id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switch an account `user` manages; the API's and the people page's.
pub async fn set_active(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    active: bool,
) -> Result<(), ApiError> {
    managing(user)?;
    let id: UserId = id.parse().map_err(|_| ApiError::NotFound)?;
    let account = store::account(state.pool(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if let Some(mediator) = account.mediator_id {
        // Through the profile: pool membership decides what a coordinator may do
        // (another pool's mediator is 404 there).
        crate::mediators::set_active(state, user, mediator, active).await?;
        return Ok(());
    }
    if !user
        .booking_scope(state)
        .await?
        .allows(account.organisation_id)
    {
        return Err(ApiError::NotFound);
    }
    if id == user.id() {
        return Err(ApiError::Conflict(text!("directory.not_yourself")));
    }
    if account.role == Role::Admin && user.role() != Role::Admin {
        return Err(ApiError::Forbidden(text!("role.admins_admins")));
    }
    let mut tx = state.pool().begin().await?;
    store::set_active(&mut tx, id, active).await?;
    tx.commit().await?;
    tracing::info!(user_id = %id, active, by = %user.id(), "account switched");
    Ok(())
}
