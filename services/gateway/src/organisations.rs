//! `/api/v1/organisations/{id}/dispatch-policy`: how an organisation's bookings are
//! offered. Coordinators of its pool (and admins) read and set it; a pool's policy
//! is the default of every organisation it serves.

use crate::auth::AuthUser;
use crate::directory;
use crate::http::AppState;
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use axum::Json;
use axum::extract::{Path, State};
use mittler_contracts::booking::DispatchPolicy;
use mittler_platform::config::DispatchConfig;
use mittler_types::{OrganisationId, Role};
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
    let (own, pool) = directory::dispatch_policies(&state.platform.pool, organisation)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    Ok(own.or(pool))
}

fn configured(config: &DispatchConfig) -> DispatchPolicy {
    DispatchPolicy {
        cascade_size: Some(config.cascade_size as u32),
        cascade_secs: Some(config.cascade_secs),
        broadcast_secs: Some(config.broadcast_secs),
        ring_secs: Some(config.ring_secs),
        escalate_before_start_secs: Some(config.escalate_before_start_secs),
    }
}

async fn visible(state: &AppState, user: &AuthUser, id: &str) -> Result<OrganisationId, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        "only coordinators set how bookings are dispatched",
    )?;
    let id: OrganisationId = id.parse().map_err(|_| ApiError::NotFound)?;
    if !user.booking_scope(state).await?.allows(id) {
        return Err(ApiError::NotFound);
    }
    Ok(id)
}

async fn view(state: &AppState, id: OrganisationId) -> Result<PolicyView, ApiError> {
    let (own, inherited) = directory::dispatch_policies(&state.platform.pool, id)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::NotFound)?;
    Ok(PolicyView {
        own,
        inherited,
        effective: own
            .or(inherited)
            .or(configured(&state.platform.config.dispatch)),
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
    if !directory::set_dispatch_policy(&state.platform.pool, id, &policy)
        .await
        .map_err(ApiError::Internal)?
    {
        return Err(ApiError::NotFound);
    }
    tracing::info!(organisation_id = %id, by = %user.id(), ?policy, "dispatch policy set");
    Ok(Json(view(&state, id).await?))
}
