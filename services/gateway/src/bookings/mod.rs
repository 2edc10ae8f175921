//! `/api/v1/bookings`: create (with `Idempotency-Key`), list, get, cancel,
//! reschedule; `ending` the give-up and the time record. `intake` parses what people send into domain types; what reaches the
//! booking service is already valid.

pub mod amend;
pub mod check;
pub mod ending;
mod intake;

use crate::problem::check_text;
use intake::when;
pub use intake::{ClientBody, NewBookingBody, check_notes, parse_client};
use mittler_contracts::text;

use crate::auth::AuthUser;
use crate::directory;
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use mittler_contracts::booking::{
    BookingPage, BookingView, CancelBooking, CancelBookingRequest, CreateBooking,
    CreateBookingRequest, GetBooking, GetBookingRequest, ListBookings, ListBookingsRequest,
    RescheduleBooking, RescheduleBookingRequest,
};
use mittler_types::{BookingId, BookingMinutes, BookingState, LanguageTag, Role};
use serde::Deserialize;

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(|k| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| ApiError::BadRequest(text!("problem.idempotency_key")))?;
    Ok(Some(key))
}

/// Book a mediator.
#[utoipa::path(
    post, path = "/api/v1/bookings", tag = "bookings",
    request_body = NewBookingBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key returns the same booking")),
    responses(
        (status = 201, description = "Created; `Location` names it", body = BookingView),
        (status = 400, description = "Malformed JSON or header", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only requesters book", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a reused Idempotency-Key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    body: JsonBody<NewBookingBody>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let (organisation, details) = requested(&state, &user, body.value).await?;
    let request = CreateBookingRequest {
        organisation_id: organisation.id,
        pool_id: organisation.served_by(),
        requested_by: user.id(),
        idempotency_key: key,
        fingerprint: body.fingerprint,
        details,
        policy: crate::organisations::in_force(&state, organisation.id).await?,
    };
    let created = state.call::<CreateBooking>(&request).await?;
    let location = format!("/api/v1/bookings/{}", created.booking.id);
    let mut response = (StatusCode::CREATED, Json(created.booking)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if created.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Filters of the booking list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `requested`, `offering`, `assigned`, `in_session`, `completed`, `cancelled`, `unfilled`.
    pub state: Option<String>,
    /// Bookings that end after this RFC 3339 instant.
    pub from: Option<String>,
    /// Bookings that start before this RFC 3339 instant.
    pub to: Option<String>,
    pub language: Option<String>,
    /// Bookings whose case number (the client's reference) contains this.
    pub reference: Option<String>,
    /// The `next` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<String>,
}

pub(crate) fn instant(
    field: &str,
    value: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    value.and_then(|v| match DateTime::parse_from_rfc3339(v.trim()) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(field, text!("field.instant")));
            None
        }
    })
}

/// The bookings the caller may see, by start time.
#[utoipa::path(
    get, path = "/api/v1/bookings", tag = "bookings",
    params(ListParams),
    responses(
        (status = 200, body = BookingPageSchema),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Mediators see offers instead", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<BookingPage>, ApiError> {
    let Query(params) = params?;
    bookings(&state, &user, params).await.map(Json)
}

/// One page of the bookings the user may see, filtered by `params`.
pub async fn bookings(
    state: &AppState,
    user: &AuthUser,
    params: ListParams,
) -> Result<BookingPage, ApiError> {
    let scope = user.booking_scope(state).await?;
    let mut errors = Vec::new();
    let booking_state = params.state.as_deref().and_then(|s| {
        s.parse::<BookingState>()
            .map_err(|e| errors.push(FieldError::of("state", &e.keyed())))
            .ok()
    });
    let from = instant("from", params.from.as_deref(), &mut errors);
    let to = instant("to", params.to.as_deref(), &mut errors);
    let language = params.language.as_deref().and_then(|tag| {
        LanguageTag::parse(tag)
            .map_err(|e| errors.push(FieldError::of("language", &e.keyed())))
            .ok()
    });
    let limit = match params.limit.as_deref() {
        None => 50,
        Some(text) => match text.parse::<u32>() {
            Ok(n @ 1..=200) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    text!("field.whole_number", min = 1, max = 200),
                ));
                50
            }
        },
    };
    if params.cursor.as_ref().is_some_and(|c| c.len() > 200) {
        errors.push(FieldError::new("cursor", text!("field.cursor")));
    }
    let reference = params
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if let Some(reference) = &reference {
        check_text(&mut errors, "reference", reference, 100);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let request = ListBookingsRequest {
        scope,
        state: booking_state,
        from,
        to,
        language,
        reference,
        cursor: params.cursor,
        limit,
    };
    // A cursor the service cannot read comes back as `invalid` with field `cursor`.
    Ok(state.call::<ListBookings>(&request).await?)
}

/// The OpenAPI shape of a page of bookings.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BookingPageSchema {
    items: Vec<BookingView>,
    /// Pass as `cursor` for the next page; null on the last.
    next: Option<String>,
}

pub(crate) fn booking_id(raw: &str) -> Result<BookingId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// What a requester asks for, read in their organisation's zone and from its site:
/// the booking and the check before it.
async fn requested(
    state: &AppState,
    user: &AuthUser,
    body: NewBookingBody,
) -> Result<
    (
        directory::Organisation,
        mittler_contracts::booking::BookingDetails,
    ),
    ApiError,
> {
    user.require(&[Role::Requester], text!("role.requesters_book"))?;
    let organisation = directory::organisation(state.pool(), user.user.organisation_id)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::Forbidden(text!("auth.organisation_gone")))?;
    let site = directory::organisation_place(state.pool(), organisation.id)
        .await
        .map_err(ApiError::Internal)?;
    let details = body
        .at_site(site.as_ref())
        .parse(organisation.time_zone, Utc::now())
        .map_err(ApiError::Validation)?;
    Ok((organisation, details))
}

/// One booking.
#[utoipa::path(
    get, path = "/api/v1/bookings/{id}", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Mediators see offers instead", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BookingView>, ApiError> {
    booking(&state, &user, &id).await.map(Json)
}

/// One booking the user may see.
pub async fn booking(state: &AppState, user: &AuthUser, id: &str) -> Result<BookingView, ApiError> {
    let id = booking_id(id)?;
    let scope = user.booking_scope(state).await?;
    Ok(state
        .call::<GetBooking>(&GetBookingRequest { id, scope })
        .await?)
}

/// Why a booking is cancelled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[schema(example = "Termin vom Amt abgesagt")]
    pub reason: String,
}

/// Cancel a booking.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/cancel", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    request_body = CancelBody,
    responses(
        (status = 200, description = "Cancelled", body = BookingView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already completed or cancelled, or in session", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Reason missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<CancelBody>,
) -> Result<Json<BookingView>, ApiError> {
    let id = booking_id(&id)?;
    user.require(
        &[Role::Requester, Role::Coordinator, Role::Admin],
        text!("role.mediators_give_back"),
    )?;
    let reason = body.value.reason.trim().to_owned();
    let mut errors = Vec::new();
    check_text(&mut errors, "reason", &reason, 1000);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let scope = user.booking_scope(&state).await?;
    let request = CancelBookingRequest {
        id,
        scope,
        by: user.id(),
        reason,
    };
    Ok(Json(state.call::<CancelBooking>(&request).await?))
}

/// A new time for a booking.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    pub start: Option<String>,
    pub local_start: Option<String>,
    pub time_zone: Option<String>,
    /// Keeps the booking's duration when left out.
    pub duration_minutes: Option<i64>,
}

/// Move a booking to a new time. An assigned mediator free at the new time keeps it
/// (the answer says `assigned`); otherwise dispatch starts again.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/reschedule", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    request_body = RescheduleBody,
    responses(
        (status = 200, description = "Rescheduled; the booking is requested again", body = BookingView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Completed, cancelled or in session", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn reschedule(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<RescheduleBody>,
) -> Result<Json<BookingView>, ApiError> {
    let id = booking_id(&id)?;
    user.require(
        &[Role::Requester, Role::Coordinator, Role::Admin],
        text!("role.mediators_give_back"),
    )?;
    let scope = user.booking_scope(&state).await?;
    let current = state
        .call::<GetBooking>(&GetBookingRequest {
            id,
            scope: scope.clone(),
        })
        .await?;
    let body = body.value;
    let mut errors = Vec::new();
    let duration = match body.duration_minutes {
        Some(minutes) => BookingMinutes::new(minutes)
            .map_err(|e| errors.push(FieldError::of("duration_minutes", &e.keyed())))
            .ok(),
        None => Some(current.details.duration_minutes),
    };
    let (zone, start) = when(
        body.start.as_deref(),
        body.local_start.as_deref(),
        body.time_zone.as_deref(),
        current.details.time_zone,
        None,
        Utc::now(),
        &mut errors,
    );
    let (Some(start), Some(duration_minutes), Some(time_zone), true) =
        (start, duration, zone, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    let request = RescheduleBookingRequest {
        id,
        scope,
        by: user.id(),
        start,
        duration_minutes,
        time_zone,
    };
    Ok(Json(state.call::<RescheduleBooking>(&request).await?))
}

/// The organisations the caller may see.
#[utoipa::path(
    get, path = "/api/v1/organisations", tag = "directory",
    responses(
        (status = 200, body = Vec<directory::Organisation>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn organisations(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<directory::Organisation>>, ApiError> {
    let scope = user.organisation_scope(&state).await?;
    Ok(Json(
        directory::organisations(state.pool(), scope.as_deref())
            .await
            .map_err(ApiError::Internal)?,
    ))
}
