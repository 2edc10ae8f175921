//! `/api/v1/mediators`: a mediator's own calendar, absences and presence; the
//! coordinators' view of every mediator, and creating and editing profiles.

use crate::auth::{AuthUser, hash_password};
use crate::directory::{self, User};
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mittler_contracts::availability::{
    Absence, Calendar, GetCalendar, GetProfile, ListProfiles, ListProfilesRequest, MediatorProfile,
    MediatorRef, Presence, ProfileInput, PutCalendar, PutCalendarRequest, PutProfile, SetPresence,
    SetPresenceRequest,
};
use mittler_contracts::text;
use mittler_types::{MediatorId, Role, UserId};
use serde::Deserialize;

fn own_mediator(user: &AuthUser) -> Result<MediatorId, ApiError> {
    user.own_mediator(text!("role.mediators_calendar"))
}

fn coordinator(user: &AuthUser) -> Result<(), ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_mediators"),
    )
}

fn mediator_id(raw: &str) -> Result<MediatorId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

async fn calendar_of(state: &AppState, mediator_id: MediatorId) -> Result<Calendar, ApiError> {
    Ok(state
        .call::<GetCalendar>(&MediatorRef { mediator_id })
        .await?)
}

async fn put_calendar_of(
    state: &AppState,
    mediator_id: MediatorId,
    calendar: Calendar,
) -> Result<Calendar, ApiError> {
    let request = PutCalendarRequest {
        mediator_id,
        calendar,
    };
    Ok(state.call::<PutCalendar>(&request).await?)
}

/// My weekly rules, date overrides and absences.
#[utoipa::path(
    get, path = "/api/v1/mediators/me/availability", tag = "mediators",
    responses(
        (status = 200, body = Calendar),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_my_availability(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Calendar>, ApiError> {
    own_calendar(&state, &user).await.map(Json)
}

/// The signed-in mediator's calendar.
pub async fn own_calendar(state: &AppState, user: &AuthUser) -> Result<Calendar, ApiError> {
    calendar_of(state, own_mediator(user)?).await
}

/// Replace my weekly rules, overrides and absences (a PUT of what GET returned is accepted).
#[utoipa::path(
    put, path = "/api/v1/mediators/me/availability", tag = "mediators",
    request_body = Calendar,
    responses(
        (status = 200, body = Calendar),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rules", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_my_availability(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<Calendar>,
) -> Result<Json<Calendar>, ApiError> {
    let id = own_mediator(&user)?;
    Ok(Json(put_calendar_of(&state, id, body.value).await?))
}

/// Add an absence (holiday, illness, other).
#[utoipa::path(
    post, path = "/api/v1/mediators/me/absences", tag = "mediators",
    request_body = Absence,
    responses(
        (status = 201, description = "Added; the whole calendar", body = Calendar),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid absence", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn add_my_absence(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<Absence>,
) -> Result<Response, ApiError> {
    let id = own_mediator(&user)?;
    let mut calendar = calendar_of(&state, id).await?;
    let index = calendar.absences.len();
    calendar.absences.push(body.value);
    let stored = put_calendar_of(&state, id, calendar)
        .await
        .map_err(|error| match error {
            // Name the field as the client sent it, not as an index into the whole calendar.
            ApiError::Validation(errors) => ApiError::Validation(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        field: e.field.replace(&format!("absences[{index}]."), ""),
                        ..e
                    })
                    .collect(),
            ),
            other => other,
        })?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// Online now or not.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceBody {
    pub online: bool,
}

/// Online now for on-demand calls; repeat as a heartbeat while available.
#[utoipa::path(
    put, path = "/api/v1/mediators/me/presence", tag = "mediators",
    request_body = PresenceBody,
    responses(
        (status = 200, body = Presence),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "online missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_my_presence(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<PresenceBody>,
) -> Result<Json<Presence>, ApiError> {
    let mediator_id = own_mediator(&user)?;
    let request = SetPresenceRequest {
        mediator_id,
        online: body.value.online,
    };
    Ok(Json(state.call::<SetPresence>(&request).await?))
}

/// Every mediator's profile (coordinators).
#[utoipa::path(
    get, path = "/api/v1/mediators", tag = "mediators",
    responses(
        (status = 200, body = Vec<MediatorProfile>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<MediatorProfile>>, ApiError> {
    profiles(&state, &user).await.map(Json)
}

/// Every mediator's profile (coordinators).
pub async fn profiles(state: &AppState, user: &AuthUser) -> Result<Vec<MediatorProfile>, ApiError> {
    coordinator(user)?;
    Ok(state.call::<ListProfiles>(&ListProfilesRequest {}).await?)
}

/// A new mediator: the profile and a sign-in account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMediatorBody {
    pub profile: ProfileInput,
    /// The first password of the mediator's account (at least 12 characters).
    pub initial_password: String,
}

/// Create a mediator (coordinators).
#[utoipa::path(
    post, path = "/api/v1/mediators", tag = "mediators",
    request_body = NewMediatorBody,
    responses(
        (status = 201, body = MediatorProfile),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail address has an account", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid profile", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<NewMediatorBody>,
) -> Result<Response, ApiError> {
    coordinator(&user)?;
    let NewMediatorBody {
        profile,
        initial_password,
    } = body.value;
    if initial_password.chars().count() < 12 || initial_password.len() > 1024 {
        return Err(ApiError::field(
            "initial_password",
            text!("auth.password_length", min = 12),
        ));
    }
    let pool = state.pool();
    if directory::user_by_email(pool, profile.email.trim())
        .await
        .map_err(ApiError::Internal)?
        .is_some()
    {
        return Err(ApiError::Conflict(text!("directory.email_taken")));
    }
    let id = MediatorId::new();
    let profile = profile.into_profile(id);
    let hash = tokio::task::spawn_blocking(move || hash_password(&initial_password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)?;
    let account = User {
        id: UserId::new(),
        organisation_id: user.user.organisation_id,
        email: profile.email.trim().to_owned(),
        name: profile.display_name.trim().to_owned(),
        role: Role::Mediator,
        locale: "de".into(),
        mediator_id: Some(id),
        password_hash: hash,
    };
    // The account is committed only once the profile exists.
    let mut tx = pool.begin().await?;
    directory::insert_user(&mut *tx, &account).await?;
    let stored = state.call::<PutProfile>(&profile).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// One mediator's profile (coordinators).
#[utoipa::path(
    get, path = "/api/v1/mediators/{id}", tag = "mediators",
    params(("id" = String, Path, description = "Mediator id")),
    responses(
        (status = 200, body = MediatorProfile),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mediator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<MediatorProfile>, ApiError> {
    coordinator(&user)?;
    let mediator_id = mediator_id(&id)?;
    Ok(Json(
        state
            .call::<GetProfile>(&MediatorRef { mediator_id })
            .await?,
    ))
}

/// Edit a mediator's profile (coordinators).
#[utoipa::path(
    put, path = "/api/v1/mediators/{id}", tag = "mediators",
    params(("id" = String, Path, description = "Mediator id")),
    request_body = ProfileInput,
    responses(
        (status = 200, body = MediatorProfile),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mediator", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid profile", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<ProfileInput>,
) -> Result<Json<MediatorProfile>, ApiError> {
    coordinator(&user)?;
    let mediator_id = mediator_id(&id)?;
    // Editing, not creating: the profile must exist.
    state
        .call::<GetProfile>(&MediatorRef { mediator_id })
        .await?;
    let profile = body.value.into_profile(mediator_id);
    let active = profile.active;
    // The safe side first: a deactivated mediator's accounts close (sessions and
    // tokens end) before the profile changes; a reactivated one's open only after.
    if !active {
        let mut tx = state.pool().begin().await?;
        directory::set_mediator_accounts_active(&mut tx, mediator_id, false).await?;
        tx.commit().await?;
    }
    let stored = state.call::<PutProfile>(&profile).await?;
    if active {
        let mut tx = state.pool().begin().await?;
        directory::set_mediator_accounts_active(&mut tx, mediator_id, true).await?;
        tx.commit().await?;
    }
    Ok(Json(stored))
}

/// Any mediator's calendar (coordinators).
#[utoipa::path(
    get, path = "/api/v1/mediators/{id}/availability", tag = "mediators",
    params(("id" = String, Path, description = "Mediator id")),
    responses(
        (status = 200, body = Calendar),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mediator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_availability(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Calendar>, ApiError> {
    coordinator(&user)?;
    Ok(Json(calendar_of(&state, mediator_id(&id)?).await?))
}

/// Replace any mediator's calendar (coordinators).
#[utoipa::path(
    put, path = "/api/v1/mediators/{id}/availability", tag = "mediators",
    params(("id" = String, Path, description = "Mediator id")),
    request_body = Calendar,
    responses(
        (status = 200, body = Calendar),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mediator", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rules", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_availability(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<Calendar>,
) -> Result<Json<Calendar>, ApiError> {
    coordinator(&user)?;
    Ok(Json(
        put_calendar_of(&state, mediator_id(&id)?, body.value).await?,
    ))
}
