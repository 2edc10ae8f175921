//! Changing a booking's notes, client and place after it was made (requesters of
//! their organisation, coordinators of their pool).

use super::{ClientBody, check_notes, parse_client};
use crate::auth::AuthUser;
use crate::json::JsonBody;
use crate::places::PlaceBody;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use mittler_contracts::booking::{
    AmendBooking, AmendBookingRequest, BookingView, GetBooking, GetBookingRequest,
};
use mittler_contracts::text;
use mittler_types::Role;
use serde::Deserialize;

/// What a booking says besides its time and needs, as it is to be now: notes and
/// client replace what was (left out: cleared); a place left out stays.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingEdit {
    #[schema(example = "Bitte 10 Minuten vorher am Empfang melden.")]
    pub notes: Option<String>,
    pub client: Option<ClientBody>,
    /// On-site bookings only. A new address without a position is located anew.
    pub location: Option<PlaceBody>,
}

/// Change notes, client and place. A new place before anyone accepted starts
/// dispatch anew; after, the mediator keeps the job and is told, and both calendar
/// entries follow.
#[utoipa::path(
    put, path = "/api/v1/bookings/{id}/details", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    request_body = BookingEdit,
    responses(
        (status = 200, description = "Changed", body = BookingView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Begun, ended, cancelled or closed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is not acceptable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn amend(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<BookingEdit>,
) -> Result<Json<BookingView>, ApiError> {
    user.require(
        &[Role::Requester, Role::Coordinator, Role::Admin],
        text!("role.mediators_amend"),
    )?;
    let id = super::booking_id(&id)?;
    let BookingEdit {
        notes,
        client,
        location,
    } = body.value;
    let scope = user.booking_scope(&state).await?;
    // An unchanged place keeps its position; a changed one is located anew.
    let location = match location {
        Some(place) if place.latitude.is_none() && place.longitude.is_none() => {
            let current = state
                .call::<GetBooking>(&GetBookingRequest {
                    id,
                    scope: scope.clone(),
                })
                .await?;
            Some(place.or_known(current.details.location.as_ref()))
        }
        other => other,
    };
    let mut errors = Vec::new();
    check_notes(&mut errors, notes.as_deref());
    let client = client.map(|c| parse_client(&mut errors, c));
    let location = location.and_then(|place| place.resolve(&mut errors, "location"));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let request = AmendBookingRequest {
        id,
        scope,
        by: user.id(),
        notes,
        client,
        location,
    };
    Ok(Json(state.call::<AmendBooking>(&request).await?))
}
