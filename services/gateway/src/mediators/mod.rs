//! `/api/v1/mediators`: a mediator's own calendar, absences and presence; the
//! coordinators' view of their pool's mediators (an admin's of all), and creating
//! and editing profiles.

pub mod import;
mod membership;

use crate::auth::AuthUser;
use crate::directory::{self, User};
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mittler_contracts::availability::{
    Absence, Calendar, GetCalendar, ListProfiles, ListProfilesRequest, MediatorProfile,
    MediatorRef, PoolMembership, Presence, ProfileInput, PutCalendar, PutCalendarRequest,
    PutProfile, SetPresence, SetPresenceRequest,
};
use mittler_contracts::text;
use mittler_types::{MediatorId, OrganisationId, OrganisationKind, Role, UserId};
use serde::Deserialize;

fn own_mediator(user: &AuthUser) -> Result<MediatorId, ApiError> {
    user.own_mediator(text!("role.mediators_calendar"))
}

/// The pool whose mediators `user` manages (`None`: an admin, every pool).
pub(crate) fn managed_pool(user: &AuthUser) -> Result<Option<OrganisationId>, ApiError> {
    user.mediator_scope(text!("role.coordinators_mediators"))
}

/// A mediator `user` manages, or 404.
async fn managed(
    state: &AppState,
    user: &AuthUser,
    mediator_id: MediatorId,
) -> Result<MediatorProfile, ApiError> {
    user.visible_mediator(state, mediator_id, text!("role.coordinators_mediators"))
        .await
}

/// Every pool named must exist and be a pool.
async fn check_pools(state: &AppState, pools: &[PoolMembership]) -> Result<(), ApiError> {
    for membership in pools {
        match directory::organisation(state.pool(), membership.pool_id)
            .await
            .map_err(ApiError::Internal)?
        {
            Some(o) if o.kind == OrganisationKind::Pool => {}
            _ => {
                return Err(ApiError::field(
                    "pools",
                    text!("directory.pools_unknown", id = membership.pool_id),
                ));
            }
        }
    }
    Ok(())
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

/// The mediators of my pool (coordinators; admins: everyone).
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

/// The profiles of the mediators `user` manages: a coordinator's pool's (active
/// or paused there), every one for an admin.
pub async fn profiles(state: &AppState, user: &AuthUser) -> Result<Vec<MediatorProfile>, ApiError> {
    let pool_id = managed_pool(user)?;
    let profiles = state
        .call::<ListProfiles>(&ListProfilesRequest { pool_id })
        .await?;
    Ok(profiles
        .into_iter()
        .map(|p| membership::as_seen_by(p, pool_id))
        .collect())
}

/// A new mediator: the profile; their sign-in account is invited by mail.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMediatorBody {
    pub profile: ProfileInput,
    /// `de` (default) or `en`: the language of the invitation and of the pages.
    pub locale: Option<String>,
}

/// Create a mediator (coordinators: in their pool; admins: in the pools named); the
/// mediator is mailed a link to set their password (valid 7 days, once).
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
    let NewMediatorBody { profile, locale } = body.value;
    let created = create_mediator(
        &state,
        &user,
        profile,
        locale.unwrap_or_else(|| "de".into()),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// A new mediator in the pools `user` may give them, and their invited account: the
/// API's, the import's.
pub(crate) async fn create_mediator(
    state: &AppState,
    user: &AuthUser,
    profile: ProfileInput,
    locale: String,
) -> Result<MediatorProfile, ApiError> {
    let viewer = managed_pool(user)?;
    let profile =
        crate::places::with_home(profile).map_err(|t| ApiError::field("postal_code", t))?;
    let mut errors = Vec::new();
    crate::problem::check_locale(&locale, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let standing =
        membership::after_edit(&[], &profile, viewer).map_err(|e| ApiError::Validation(vec![e]))?;
    check_pools(state, &standing.pools).await?;
    let pool = state.pool();
    if directory::email_in_use(pool, profile.email.trim()).await? {
        return Err(ApiError::Conflict(text!("directory.email_taken")));
    }
    let id = MediatorId::new();
    // The account lives in the first pool served (the coordinator's own).
    let home_pool = viewer.unwrap_or(standing.pools[0].pool_id);
    let mut profile = profile.into_profile(id, standing.pools);
    profile.active = standing.active;
    let account = User {
        id: UserId::new(),
        organisation_id: home_pool,
        email: profile.email.trim().to_owned(),
        name: profile.display_name.trim().to_owned(),
        role: Role::Mediator,
        locale,
        mediator_id: Some(id),
        password_hash: None,
    };
    // The account (and its invitation) is committed only once the profile exists.
    let mut tx = pool.begin().await?;
    crate::accounts::create_invited(&mut tx, state, &account).await?;
    let stored = state.call::<PutProfile>(&profile).await?;
    tx.commit().await?;
    Ok(membership::as_seen_by(stored, viewer))
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
    let profile = managed(&state, &user, mediator_id(&id)?).await?;
    Ok(Json(membership::as_seen_by(profile, managed_pool(&user)?)))
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
    edit(&state, &user, mediator_id(&id)?, body.value)
        .await
        .map(Json)
}

/// Switch a mediator on or off: in the coordinator's own pool, or (an admin) at all.
pub async fn set_active(
    state: &AppState,
    user: &AuthUser,
    mediator_id: MediatorId,
    active: bool,
) -> Result<MediatorProfile, ApiError> {
    let stored = managed(state, user, mediator_id).await?;
    let mut input = membership::as_seen_by(stored, managed_pool(user)?).input();
    input.active = active;
    edit(state, user, mediator_id, input).await
}

/// Change a mediator's profile as `user` may: the API's and the pages'.
pub async fn edit(
    state: &AppState,
    user: &AuthUser,
    mediator_id: MediatorId,
    input: ProfileInput,
) -> Result<MediatorProfile, ApiError> {
    let viewer = managed_pool(user)?;
    // Editing, not creating: the profile must exist in the editor's pool.
    let stored = managed(state, user, mediator_id).await?;
    // The same postal code without a position keeps the home it had.
    let input = match input.home {
        None if input.postal_code.trim() == stored.postal_code => ProfileInput {
            home: Some(stored.home),
            ..input
        },
        _ => input,
    };
    let input = crate::places::with_home(input).map_err(|t| ApiError::field("postal_code", t))?;
    let standing = membership::after_edit(&stored.pools, &input, viewer)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    check_pools(state, &standing.pools).await?;
    let mut profile = input.into_profile(mediator_id, standing.pools);
    profile.active = standing.active;
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
    Ok(membership::as_seen_by(stored, viewer))
}

/// A mediator's calendar (coordinators of their pools, admins).
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
    let profile = managed(&state, &user, mediator_id(&id)?).await?;
    Ok(Json(calendar_of(&state, profile.id).await?))
}

/// Replace a mediator's calendar (coordinators of their pools, admins).
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
    let profile = managed(&state, &user, mediator_id(&id)?).await?;
    Ok(Json(put_calendar_of(&state, profile.id, body.value).await?))
}
