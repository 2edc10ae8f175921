//! `/api/v1/organisations/{id}/dispatch-policy`: how an organisation's bookings are
//! offered. Coordinators of its pool (and admins) read and set it; a pool's policy
//! is the default of every organisation it serves.

use crate::auth::AuthUser;
use crate::directory;
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem, check_locale, checked_name};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mittler_contracts::booking::DispatchPolicy;
use mittler_contracts::text;
use mittler_types::{OrganisationId, OrganisationKind, Role, TimeZone};
use serde::Serialize;

/// An organisation's dispatch policy: its own settings, those it inherits from its
/// pool, and what applies to a booking made now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    /// Set on this organisation.
    pub own: DispatchPolicy,
    /// Set on the pool that serves it (empty for a pool).
    pub inherited: DispatchPolicy,
    /// In force: own, else inherited, else the service's configuration.
    pub effective: DispatchPolicy,
}

/// The policy of `organisation` as of now, with every gap filled.
pub async fn in_force(
    state: &AppState,
    organisation: OrganisationId,
) -> Result<DispatchPolicy, ApiError> {
    let (own, pool) = directory::dispatch_policies(state.pool(), organisation)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    Ok(own.or(pool))
}

async fn visible(state: &AppState, user: &AuthUser, id: &str) -> Result<OrganisationId, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_policy"),
    )?;
    let id: OrganisationId = id.parse().map_err(|_| ApiError::NotFound)?;
    if !user.booking_scope(state).await?.allows(id) {
        return Err(ApiError::NotFound);
    }
    Ok(id)
}

async fn view(state: &AppState, id: OrganisationId) -> Result<PolicyView, ApiError> {
    let (own, inherited) = directory::dispatch_policies(state.pool(), id)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    Ok(PolicyView {
        own,
        inherited,
        effective: own.or(inherited).or(state.dispatch.policy()),
    })
}

/// How this organisation's bookings are offered (coordinators of its pool).
#[utoipa::path(
    get, path = "/api/v1/organisations/{id}/dispatch-policy", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, body = PolicyView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_dispatch_policy(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PolicyView>, ApiError> {
    let id = visible(&state, &user, &id).await?;
    Ok(Json(view(&state, id).await?))
}

/// Set this organisation's own policy; what it leaves out follows its pool. Applies
/// to bookings made from now on.
#[utoipa::path(
    put, path = "/api/v1/organisations/{id}/dispatch-policy", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    request_body = DispatchPolicy,
    responses(
        (status = 200, body = PolicyView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_dispatch_policy(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<DispatchPolicy>,
) -> Result<Json<PolicyView>, ApiError> {
    let id = visible(&state, &user, &id).await?;
    let policy = body.value;
    let problems: Vec<FieldError> = policy
        .problems()
        .into_iter()
        .map(|(field, message)| FieldError::new(field, message))
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    if !directory::set_dispatch_policy(state.pool(), id, &policy)
        .await
        .map_err(ApiError::Internal)?
    {
        return Err(ApiError::NotFound);
    }
    tracing::info!(organisation_id = %id, by = %user.id(), ?policy, "dispatch policy set");
    Ok(Json(view(&state, id).await?))
}

/// A new organisation that the caller's pool serves (an admin may name any pool),
/// or a new pool (admins).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisationBody {
    #[schema(example = "Jugendamt Zwickau")]
    pub name: String,
    /// `authority` or `carrier`; `pool` for a new pool (admins).
    pub kind: OrganisationKind,
    /// The pool that serves it: the coordinator's own pool when left out; none for a pool.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub pool_id: Option<OrganisationId>,
    /// IANA zone; Europe/Berlin when left out.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
}

/// Add an organisation to a pool (coordinators of that pool, admins), or create a
/// pool (admins).
#[utoipa::path(
    post, path = "/api/v1/organisations", tag = "directory",
    request_body = NewOrganisationBody,
    responses(
        (status = 201, body = directory::Organisation),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is not acceptable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<NewOrganisationBody>,
) -> Result<Response, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_organisations"),
    )?;
    let body = body.value;
    let mut errors = Vec::new();
    let name = checked_name(&body.name, &mut errors);
    let time_zone = match body.time_zone.as_deref().map(TimeZone::parse) {
        None => TimeZone::BERLIN,
        Some(Ok(zone)) => zone,
        Some(Err(_)) => {
            errors.push(FieldError::new("time_zone", text!("field.time_zone")));
            TimeZone::BERLIN
        }
    };
    // A pool is created by an admin and served by nobody; every other organisation
    // names the pool that serves it.
    let pool_id = match (body.kind, user.role(), body.pool_id) {
        (OrganisationKind::Pool, Role::Admin, None) => None,
        (OrganisationKind::Pool, Role::Admin, Some(_)) => {
            errors.push(FieldError::new(
                "pool_id",
                text!("directory.pool_no_parent"),
            ));
            None
        }
        (OrganisationKind::Pool, _, _) => {
            return Err(ApiError::Forbidden(text!("role.admins_pools")));
        }
        (_, Role::Admin, Some(pool)) => Some(pool),
        (_, Role::Admin, None) => {
            errors.push(FieldError::new("pool_id", text!("directory.pool_required")));
            None
        }
        (_, _, Some(pool)) if pool != user.user.organisation_id => {
            return Err(ApiError::Forbidden(text!("role.coordinators_own_pool")));
        }
        _ => Some(user.user.organisation_id),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let pool = state.pool();
    if let Some(pool_id) = pool_id {
        match directory::organisation(pool, pool_id)
            .await
            .map_err(ApiError::Internal)?
        {
            Some(p) if p.kind == OrganisationKind::Pool => {}
            _ => return Err(ApiError::field("pool_id", text!("directory.no_such_pool"))),
        }
    }
    let organisation = directory::Organisation {
        id: OrganisationId::new(),
        name,
        kind: body.kind,
        pool_id,
        time_zone,
        active: true,
    };
    if !directory::insert_new_organisation(pool, &organisation)
        .await
        .map_err(ApiError::Internal)?
    {
        return Err(ApiError::Conflict(text!("directory.name_taken")));
    }
    tracing::info!(organisation_id = %organisation.id, by = %user.id(), "organisation added");
    Ok((StatusCode::CREATED, Json(organisation)).into_response())
}

/// An organisation's name and zone.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationEdit {
    #[schema(example = "Jugendamt Zwickau")]
    pub name: String,
    /// IANA zone.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// Its own site (address and postal code; the position is derived from them
    /// unless given): the place a new on-site booking starts from. Left out: as it is.
    #[serde(default)]
    pub place: Option<crate::places::PlaceBody>,
}

/// An organisation the caller may change: an authority or carrier of a coordinator's
/// pool; any organisation for an admin. Another pool's is 404.
async fn changeable(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<directory::Organisation, ApiError> {
    let organisation = user
        .managed_organisation(state, id, text!("role.coordinators_organisations"))
        .await?;
    if organisation.kind == OrganisationKind::Pool && user.role() != Role::Admin {
        return Err(ApiError::Forbidden(text!("role.admins_pools")));
    }
    Ok(organisation)
}

/// Rename an organisation, change its zone or its own site (coordinators of its pool;
/// admins, also for pools).
#[utoipa::path(
    put, path = "/api/v1/organisations/{id}", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    request_body = OrganisationEdit,
    responses(
        (status = 200, body = directory::Organisation),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator, or a pool", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is not acceptable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<OrganisationEdit>,
) -> Result<Json<directory::Organisation>, ApiError> {
    let organisation = changeable(&state, &user, &id).await?;
    let mut errors = Vec::new();
    let name = checked_name(&body.value.name, &mut errors);
    let time_zone = TimeZone::parse(body.value.time_zone.trim()).unwrap_or_else(|_| {
        errors.push(FieldError::new("time_zone", text!("field.time_zone")));
        TimeZone::BERLIN
    });
    let site = directory::organisation_place(state.pool(), organisation.id)
        .await
        .map_err(ApiError::Internal)?;
    let place = body
        .value
        .place
        .and_then(|place| place.or_known(site.as_ref()).resolve(&mut errors, "place"));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if !directory::update_organisation(state.pool(), organisation.id, &name, time_zone).await? {
        return Err(ApiError::Conflict(text!("directory.name_taken")));
    }
    if let Some(place) = &place {
        directory::set_organisation_place(state.pool(), organisation.id, place)
            .await
            .map_err(ApiError::Internal)?;
    }
    Ok(Json(directory::Organisation {
        name,
        time_zone,
        ..organisation
    }))
}

/// Switch an organisation off: its people are signed out at once and can neither
/// sign in nor book; what it booked stays (coordinators of its pool; admins).
#[utoipa::path(
    post, path = "/api/v1/organisations/{id}/deactivate", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    responses(
        (status = 204, description = "Switched off"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator, or a pool", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own organisation", body = Problem, content_type = "application/problem+json"),
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

/// Switch an organisation on again.
#[utoipa::path(
    post, path = "/api/v1/organisations/{id}/activate", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    responses(
        (status = 204, description = "Active again"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator, or a pool", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own organisation", body = Problem, content_type = "application/problem+json"),
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

/// Switch an organisation the caller may change: the API's and the page's.
pub async fn set_active(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    active: bool,
) -> Result<(), ApiError> {
    let organisation = changeable(state, user, id).await?;
    if organisation.id == user.user.organisation_id {
        return Err(ApiError::Conflict(text!("directory.not_your_organisation")));
    }
    let mut tx = state.pool().begin().await?;
    directory::set_organisation_active(&mut tx, organisation.id, active).await?;
    tx.commit().await?;
    tracing::info!(organisation_id = %organisation.id, active, by = %user.id(), "organisation switched");
    Ok(())
}

/// A new account in an organisation.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    #[schema(example = "team@jugendamt-zwickau.example")]
    pub email: String,
    pub name: String,
    /// `requester`, or `coordinator` in a pool.
    pub role: Role,
    /// `de` (default) or `en`: the language of the invitation and of the pages.
    pub locale: Option<String>,
}

/// The created account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Account {
    #[schema(value_type = uuid::Uuid)]
    pub id: mittler_types::UserId,
    #[schema(value_type = uuid::Uuid)]
    pub organisation_id: OrganisationId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub locale: String,
}

/// Add a requester (or, in a pool, a coordinator) account (coordinators of the
/// pool, admins); the person is mailed a link to set their password (valid 7 days,
/// once). Mediators are added through `/api/v1/mediators`.
#[utoipa::path(
    post, path = "/api/v1/organisations/{id}/users", tag = "directory",
    params(("id" = String, Path, description = "Organisation id")),
    request_body = NewAccountBody,
    responses(
        (status = 201, body = Account),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail address has an account", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is not acceptable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn add_user(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<NewAccountBody>,
) -> Result<Response, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_accounts"),
    )?;
    let id: OrganisationId = id.parse().map_err(|_| ApiError::NotFound)?;
    if !user.booking_scope(&state).await?.allows(id) {
        return Err(ApiError::NotFound);
    }
    let pool = state.pool();
    let organisation = directory::organisation(pool, id)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    let body = body.value;
    let mut errors = Vec::new();
    let email = body.email.trim().to_owned();
    if !email.contains('@') || email.len() > 254 {
        errors.push(FieldError::new("email", text!("field.email")));
    }
    let name = checked_name(&body.name, &mut errors);
    let allowed = match organisation.kind {
        OrganisationKind::Pool => matches!(body.role, Role::Coordinator),
        _ => matches!(body.role, Role::Requester),
    };
    if !allowed {
        errors.push(FieldError::new("role", text!("directory.role_in_kind")));
    }
    let locale = body.locale.unwrap_or_else(|| "de".into());
    check_locale(&locale, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if directory::email_in_use(pool, &email).await? {
        return Err(ApiError::Conflict(text!("directory.email_taken")));
    }
    let account = directory::User {
        id: mittler_types::UserId::new(),
        organisation_id: id,
        email,
        name,
        role: body.role,
        locale,
        mediator_id: None,
        password_hash: None,
    };
    // Nobody types a password for someone else: the new person gets a link.
    let mut tx = pool.begin().await?;
    crate::accounts::create_invited(&mut tx, &state, &account).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Account {
            id: account.id,
            organisation_id: id,
            email: account.email,
            name: account.name,
            role: account.role,
            locale: account.locale,
        }),
    )
        .into_response())
}
