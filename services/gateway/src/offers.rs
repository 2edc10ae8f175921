//! `/api/v1/offers`: a mediator's open offers, accept (200 assigned or 409 taken, in
//! the same request) and decline; and the dispatch explanation for coordinators.

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use mittler_contracts::booking::{
    AcceptOffer, BookingView, DeclineOffer, DispatchExplanation, Explanation, GetBookingRequest,
    MediatorOffer, MyOffers, MyOffersRequest, OfferAnswer,
};
use mittler_contracts::text;
use mittler_types::{MediatorId, OfferId, Role};

fn mediator(user: &AuthUser) -> Result<MediatorId, ApiError> {
    user.own_mediator(text!("role.mediators_offers"))
}

fn offer_id(raw: &str) -> Result<OfferId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// My open offers, soonest deadline first.
#[utoipa::path(
    get, path = "/api/v1/offers", tag = "offers",
    responses(
        (status = 200, body = Vec<MediatorOffer>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<MediatorOffer>>, ApiError> {
    offers_of(&state, &user).await.map(Json)
}

/// The signed-in mediator's open offers.
pub async fn offers_of(state: &AppState, user: &AuthUser) -> Result<Vec<MediatorOffer>, ApiError> {
    let mediator_id = mediator(user)?;
    Ok(state
        .call::<MyOffers>(&MyOffersRequest { mediator_id })
        .await?)
}

/// Take the booking: 200 when it is yours, 409 when someone else was faster, the
/// offer lapsed, or you hold other work at that time.
#[utoipa::path(
    post, path = "/api/v1/offers/{id}/accept", tag = "offers",
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, description = "Assigned to you", body = BookingView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Taken, withdrawn or expired", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn accept(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BookingView>, ApiError> {
    let answer = OfferAnswer {
        offer_id: offer_id(&id)?,
        mediator_id: mediator(&user)?,
    };
    Ok(Json(state.call::<AcceptOffer>(&answer).await?))
}

/// Decline an offer.
#[utoipa::path(
    post, path = "/api/v1/offers/{id}/decline", tag = "offers",
    params(("id" = String, Path, description = "Offer id")),
    responses(
        (status = 200, description = "Declined", body = MediatorOffer),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No longer open", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn decline(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<MediatorOffer>, ApiError> {
    let answer = OfferAnswer {
        offer_id: offer_id(&id)?,
        mediator_id: mediator(&user)?,
    };
    Ok(Json(state.call::<DeclineOffer>(&answer).await?))
}

/// Why each mediator was or was not asked (coordinators).
#[utoipa::path(
    get, path = "/api/v1/bookings/{id}/dispatch", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, body = Explanation),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking in your pool", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn explanation(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Explanation>, ApiError> {
    explain(&state, &user, &id).await.map(Json)
}

/// Why dispatch asked whom for booking `id` (coordinators).
pub async fn explain(state: &AppState, user: &AuthUser, id: &str) -> Result<Explanation, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_explanation"),
    )?;
    let id = id.parse().map_err(|_| ApiError::NotFound)?;
    let scope = user.booking_scope(state).await?;
    Ok(state
        .call::<DispatchExplanation>(&GetBookingRequest { id, scope })
        .await?)
}

/// Whom a coordinator assigns.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    #[schema(value_type = uuid::Uuid)]
    pub mediator_id: MediatorId,
}

/// Assign a mediator by hand (coordinators), through the reservation guard.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/assign", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    request_body = AssignBody,
    responses(
        (status = 200, description = "Assigned", body = BookingView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The mediator holds other work then, or the booking cannot be assigned", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such mediator, or the mediator is deactivated", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn assign(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: crate::json::JsonBody<AssignBody>,
) -> Result<Json<BookingView>, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_assign"),
    )?;
    let id = id.parse().map_err(|_| ApiError::NotFound)?;
    let scope = user.booking_scope(&state).await?;
    // Only a mediator the coordinator manages; another pool's is as unknown as none.
    user.visible_mediator(
        &state,
        body.value.mediator_id,
        text!("role.coordinators_assign"),
    )
    .await
    .map_err(|error| match error {
        ApiError::NotFound => ApiError::field("mediator_id", text!("offer.no_such_mediator")),
        other => other,
    })?;
    let request = mittler_contracts::booking::AssignBookingRequest {
        id,
        scope,
        mediator_id: body.value.mediator_id,
        by: user.id(),
    };
    Ok(Json(
        state
            .call::<mittler_contracts::booking::AssignBooking>(&request)
            .await?,
    ))
}

/// Why a mediator gives a job back.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveBackBody {
    #[schema(example = "krank")]
    pub reason: String,
}

/// Give an accepted job back (the assigned mediator); dispatch starts again at once.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/give-back", tag = "offers",
    params(("id" = String, Path, description = "Booking id")),
    request_body = GiveBackBody,
    responses(
        (status = 200, description = "Returned; the booking is requested again", body = BookingView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session has begun or ended", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Reason missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn give_back(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: crate::json::JsonBody<GiveBackBody>,
) -> Result<Json<BookingView>, ApiError> {
    let mediator_id = mediator(&user)?;
    let id = id.parse().map_err(|_| ApiError::NotFound)?;
    let request = mittler_contracts::booking::GiveBackRequest {
        id,
        mediator_id,
        reason: body.value.reason,
        by: None,
    };
    Ok(Json(
        state
            .call::<mittler_contracts::booking::GiveBack>(&request)
            .await?,
    ))
}

/// Why a coordinator takes a job off its mediator.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnassignBody {
    #[schema(example = "Die Klientin wünscht eine Sprachmittlerin.")]
    pub reason: String,
}

/// Take an assigned job off its mediator (coordinators): they and the requester are
/// told, and dispatch starts again at once without them — or the coordinator
/// assigns someone else by hand.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/unassign", tag = "offers",
    params(("id" = String, Path, description = "Booking id")),
    request_body = UnassignBody,
    responses(
        (status = 200, description = "Unassigned; the booking is requested again", body = BookingView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nobody holds the booking, or its session has begun or ended", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Reason missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn unassign(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: crate::json::JsonBody<UnassignBody>,
) -> Result<Json<BookingView>, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_unassign"),
    )?;
    // Only a booking the coordinator may see; its mediator as it stands now (the
    // booking service checks again under its lock).
    let view = crate::bookings::booking(&state, &user, &id).await?;
    let Some(assignment) = view.assignment else {
        return Err(ApiError::Conflict(text!("offer.not_assigned")));
    };
    let request = mittler_contracts::booking::GiveBackRequest {
        id: view.id,
        mediator_id: assignment.mediator_id,
        reason: body.value.reason,
        by: Some(user.id()),
    };
    Ok(Json(
        state
            .call::<mittler_contracts::booking::GiveBack>(&request)
            .await?,
    ))
}
