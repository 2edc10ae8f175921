//! The end of a booking: a coordinator gives up on one nobody takes
//! (`/give-up`), and the time record every assigned booking closes with
//! (`/time-record`: the mediator claims, the requester confirms or disputes, a
//! coordinator settles), with the list of records that wait for someone.

use super::{booking_id, instant};
use crate::auth::AuthUser;
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use mittler_contracts::booking::{
    BookingView, ClaimTime, ClaimTimeRequest, ConfirmTime, DisputeTime, DisputeTimeRequest,
    GetTimeRecord, GiveUp, GiveUpRequest, RecordActor, RecordItem, Scope, TimeClaim,
    TimeRecordRequest, TimeRecordView, TimeRecords, TimeRecordsRequest,
};
use mittler_contracts::text;
use mittler_types::{BookingId, Outcome, RecordState, Role};
use serde::Deserialize;

/// Why a booking is given up.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiveUpBody {
    #[schema(example = "Keine Sprachmittlung für Tigrinya frei")]
    pub reason: String,
}

/// Give up on a booking nobody takes: it ends `unfilled` and the requester is told.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/give-up", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    request_body = GiveUpBody,
    responses(
        (status = 200, description = "Unfilled", body = BookingView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Assigned, completed or cancelled already", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Reason missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn give_up(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<GiveUpBody>,
) -> Result<Json<BookingView>, ApiError> {
    let id = booking_id(&id)?;
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_give_up"),
    )?;
    let reason = body.value.reason.trim().to_owned();
    let mut errors = Vec::new();
    crate::problem::check_text(&mut errors, "reason", &reason, 1000);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let scope = user.booking_scope(&state).await?;
    let request = GiveUpRequest {
        id,
        scope,
        by: user.id(),
        reason,
    };
    Ok(Json(state.call::<GiveUp>(&request).await?))
}

/// Who the caller is to a time record, and which bookings they may reach.
async fn actor(state: &AppState, user: &AuthUser) -> Result<(RecordActor, Scope), ApiError> {
    Ok(match user.role() {
        // The booking service checks that the mediator holds the job.
        Role::Mediator => (
            RecordActor::Mediator(user.own_mediator(text!("role.mediators_jobs"))?),
            Scope::all(),
        ),
        Role::Requester => (
            RecordActor::Requester(user.id()),
            user.booking_scope(state).await?,
        ),
        Role::Coordinator | Role::Admin => (
            RecordActor::Coordinator(user.id()),
            user.booking_scope(state).await?,
        ),
    })
}

/// A booking's time record.
#[utoipa::path(
    get, path = "/api/v1/bookings/{id}/time-record", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, body = TimeRecordView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not your job", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The booking was never assigned", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_time_record(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<TimeRecordView>, ApiError> {
    let id = booking_id(&id)?;
    time_record(&state, &user, id).await.map(Json)
}

/// One booking's record, as the caller may see it.
pub async fn time_record(
    state: &AppState,
    user: &AuthUser,
    id: BookingId,
) -> Result<TimeRecordView, ApiError> {
    let (by, scope) = actor(state, user).await?;
    Ok(state
        .call::<GetTimeRecord>(&TimeRecordRequest { id, scope, by })
        .await?)
}

/// The time worked, as the mediator claims it or a coordinator sets it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRecordBody {
    /// RFC 3339; required unless the outcome is `mediator_no_show`.
    #[schema(example = "2026-10-26T09:05:00+01:00")]
    pub start: Option<String>,
    #[schema(example = "2026-10-26T10:10:00+01:00")]
    pub end: Option<String>,
    /// On-site jobs only: minutes travelled there and back (0 to 720).
    #[serde(default)]
    pub travel_minutes: Option<i64>,
    /// On-site jobs only: kilometres travelled there and back (0 to 1000).
    #[serde(default)]
    pub travel_km: Option<i64>,
    pub outcome: Outcome,
}

impl TimeRecordBody {
    pub fn parse(&self) -> Result<TimeClaim, ApiError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let start = instant("start", self.start.as_deref(), &mut errors);
        let end = instant("end", self.end.as_deref(), &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(TimeClaim {
            start,
            end,
            travel_minutes: self.travel_minutes.unwrap_or(0),
            travel_km: self.travel_km.unwrap_or(0),
            outcome: self.outcome,
        })
    }
}

/// Claim the time of a job (its mediator), or set it (a coordinator: final, and it
/// settles a dispute).
#[utoipa::path(
    put, path = "/api/v1/bookings/{id}/time-record", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    request_body = TimeRecordBody,
    responses(
        (status = 200, body = TimeRecordView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not your job, or a requester", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Never assigned, confirmed already, or disputed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A time that cannot be: not ended, before its start, far from the booking", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_time_record(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<TimeRecordBody>,
) -> Result<Json<TimeRecordView>, ApiError> {
    let id = booking_id(&id)?;
    let claim = body.value.parse()?;
    claim_time(&state, &user, id, claim).await.map(Json)
}

pub async fn claim_time(
    state: &AppState,
    user: &AuthUser,
    id: BookingId,
    claim: TimeClaim,
) -> Result<TimeRecordView, ApiError> {
    let (by, scope) = actor(state, user).await?;
    Ok(state
        .call::<ClaimTime>(&ClaimTimeRequest {
            id,
            scope,
            by,
            claim,
        })
        .await?)
}

fn requester(user: &AuthUser) -> Result<(), ApiError> {
    user.require(&[Role::Requester], text!("role.requesters_confirm_time"))
}

/// Confirm the claimed time: the record is final and the booking completed.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/time-record/confirm", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, body = TimeRecordView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a requester", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing claimed, confirmed already, or disputed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn confirm_time(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<TimeRecordView>, ApiError> {
    let id = booking_id(&id)?;
    confirm(&state, &user, id).await.map(Json)
}

pub async fn confirm(
    state: &AppState,
    user: &AuthUser,
    id: BookingId,
) -> Result<TimeRecordView, ApiError> {
    requester(user)?;
    let (by, scope) = actor(state, user).await?;
    Ok(state
        .call::<ConfirmTime>(&TimeRecordRequest { id, scope, by })
        .await?)
}

/// Why the requester does not agree.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    #[schema(example = "Der Termin endete schon um 10:30")]
    pub reason: String,
}

/// Dispute the claimed time: the coordinators settle it.
#[utoipa::path(
    post, path = "/api/v1/bookings/{id}/time-record/dispute", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    request_body = DisputeBody,
    responses(
        (status = 200, body = TimeRecordView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a requester", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Nothing claimed, confirmed already, or disputed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Reason missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn dispute_time(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<DisputeBody>,
) -> Result<Json<TimeRecordView>, ApiError> {
    let id = booking_id(&id)?;
    dispute(&state, &user, id, &body.value.reason)
        .await
        .map(Json)
}

pub async fn dispute(
    state: &AppState,
    user: &AuthUser,
    id: BookingId,
    reason: &str,
) -> Result<TimeRecordView, ApiError> {
    requester(user)?;
    let reason = reason.trim().to_owned();
    let mut errors = Vec::new();
    crate::problem::check_text(&mut errors, "reason", &reason, 1000);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let scope = user.booking_scope(state).await?;
    Ok(state
        .call::<DisputeTime>(&DisputeTimeRequest {
            id,
            scope,
            by: user.id(),
            reason,
        })
        .await?)
}

/// Filters of the records list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    /// Comma-separated `open`, `claimed`, `confirmed`, `disputed`. By default what
    /// waits for the caller: a mediator's `open` and `claimed` jobs, a requester's
    /// `claimed` records, the coordinators' `disputed` ones.
    pub state: Option<String>,
}

/// The time records that wait for someone, newest job first.
#[utoipa::path(
    get, path = "/api/v1/time-records", tag = "bookings",
    params(RecordParams),
    responses(
        (status = 200, body = Vec<RecordItem>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    params: Result<Query<RecordParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<RecordItem>>, ApiError> {
    let Query(params) = params?;
    let states = match params.state.as_deref() {
        None => None,
        Some(text) => Some(
            text.split(',')
                .map(|s| s.trim().parse::<RecordState>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::Validation(vec![FieldError::of("state", &e.keyed())]))?,
        ),
    };
    waiting(&state, &user, states).await.map(Json)
}

/// The records waiting for `user` (in `states`, or the role's default).
pub async fn waiting(
    state: &AppState,
    user: &AuthUser,
    states: Option<Vec<RecordState>>,
) -> Result<Vec<RecordItem>, ApiError> {
    let (by, scope) = actor(state, user).await?;
    let (mediator_id, default) = match by {
        RecordActor::Mediator(id) => (Some(id), vec![RecordState::Open, RecordState::Claimed]),
        RecordActor::Requester(_) => (None, vec![RecordState::Claimed]),
        RecordActor::Coordinator(_) => (None, vec![RecordState::Disputed]),
    };
    Ok(state
        .call::<TimeRecords>(&TimeRecordsRequest {
            scope,
            mediator_id,
            states: states.unwrap_or(default),
            limit: 100,
        })
        .await?)
}
