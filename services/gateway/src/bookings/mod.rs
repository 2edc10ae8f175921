//! `/api/v1/bookings`: create (with `Idempotency-Key`), list, get, cancel,
//! reschedule. Every field is parsed into a domain type here; what reaches the
//! booking service is already valid.

use crate::auth::AuthUser;
use crate::directory;
use crate::http::AppState;
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::booking::{
    BookingDetails, BookingPage, BookingView, CancelBooking, CancelBookingRequest, ClientInfo,
    CreateBooking, CreateBookingRequest, GetBooking, GetBookingRequest, ListBookings,
    ListBookingsRequest, Location, RescheduleBooking, RescheduleBookingRequest,
};
use mittler_platform::rpc;
use mittler_types::time::parse_local_datetime;
use mittler_types::{
    BookingId, BookingKind, BookingMinutes, BookingState, GenderPreference, LanguageTag, Modality,
    Qualification, Role, SubjectArea, TimeZone,
};
use serde::Deserialize;

/// A start time may lie this far in the past (clocks differ a little).
const START_TOLERANCE: Duration = Duration::minutes(1);

/// A new booking, as a requester sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBookingBody {
    /// BCP 47 tag; ISO 639-3 where a dialect matters (`apc`, `prs`, `kmr`, `ckb`, `gsg`).
    #[schema(example = "apc")]
    pub language: String,
    pub modality: Modality,
    #[serde(default = "scheduled")]
    pub kind: BookingKind,
    /// RFC 3339 instant with offset; or give `local_start` and `time_zone`.
    #[schema(example = "2026-12-03T09:30:00+01:00")]
    pub start: Option<String>,
    /// `YYYY-MM-DDTHH:MM[:SS]` in `time_zone`.
    #[schema(example = "2026-12-03T09:30")]
    pub local_start: Option<String>,
    /// IANA zone; the organisation's zone when left out.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    /// 15 to 600.
    #[schema(example = 60)]
    pub duration_minutes: i64,
    /// Required for on-site bookings.
    pub location: Option<Location>,
    #[serde(default = "other_area")]
    pub subject_area: SubjectArea,
    #[serde(default = "lay")]
    pub min_qualification: Qualification,
    #[serde(default)]
    pub mediator_gender: GenderPreference,
    pub client: Option<ClientBody>,
    pub notes: Option<String>,
}

fn scheduled() -> BookingKind {
    BookingKind::Scheduled
}
fn other_area() -> SubjectArea {
    SubjectArea::Other
}
fn lay() -> Qualification {
    Qualification::Lay
}

/// The client, pseudonymous.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    pub reference: String,
    pub email: Option<String>,
    /// The language of the client's invitation.
    pub language: Option<String>,
}

/// Resolve `start` / `local_start` + `time_zone` to an instant, collecting errors.
fn resolve_start(
    start: Option<&str>,
    local_start: Option<&str>,
    zone: TimeZone,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    match (start, local_start) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "local_start",
                "give either start or local_start, not both",
            ));
            None
        }
        (Some(start), None) => match DateTime::parse_from_rfc3339(start.trim()) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                errors.push(FieldError::new(
                    "start",
                    "not an RFC 3339 instant with offset (2026-12-03T09:30:00+01:00)",
                ));
                None
            }
        },
        (None, Some(local)) => match parse_local_datetime(local) {
            Some(local) => match zone.resolve(local) {
                Ok(at) => Some(at),
                Err(error) => {
                    errors.push(FieldError::new("local_start", error));
                    None
                }
            },
            None => {
                errors.push(FieldError::new(
                    "local_start",
                    "not a local time of the form YYYY-MM-DDTHH:MM[:SS]",
                ));
                None
            }
        },
        (None, None) => None,
    }
}

/// When a booking takes place: `time_zone` (or `default_zone`), and `start` or
/// `local_start` resolved in it; `when_missing` stands in when neither is given
/// (on-demand: now), otherwise that is an error. A start in the past is refused.
fn when(
    start: Option<&str>,
    local_start: Option<&str>,
    time_zone: Option<&str>,
    default_zone: TimeZone,
    when_missing: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> (Option<TimeZone>, Option<DateTime<Utc>>) {
    let zone = match time_zone {
        Some(name) => TimeZone::parse(name)
            .map_err(|e| errors.push(FieldError::new("time_zone", e)))
            .ok(),
        None => Some(default_zone),
    };
    let mut at = zone.and_then(|zone| resolve_start(start, local_start, zone, errors));
    if start.is_none() && local_start.is_none() {
        match when_missing {
            Some(instant) => at = Some(instant),
            None => errors.push(FieldError::new("start", "start or local_start is required")),
        }
    }
    if let Some(instant) = at
        && instant < now - START_TOLERANCE
    {
        let field = if local_start.is_some() {
            "local_start"
        } else {
            "start"
        };
        errors.push(FieldError::new(field, "lies in the past"));
    }
    (zone, at)
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, format!("at most {max} characters")));
    }
}

fn looks_like_email(value: &str) -> bool {
    let value = value.trim();
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && value.len() <= 254
        && !value.chars().any(char::is_whitespace)
}

impl NewBookingBody {
    /// Every field checked; all problems reported at once.
    pub fn parse(
        self,
        default_zone: TimeZone,
        now: DateTime<Utc>,
    ) -> Result<BookingDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let language = LanguageTag::parse(&self.language)
            .map_err(|e| errors.push(FieldError::new("language", e)))
            .ok();
        let duration = BookingMinutes::new(self.duration_minutes)
            .map_err(|e| errors.push(FieldError::new("duration_minutes", e)))
            .ok();
        let (zone, start) = when(
            self.start.as_deref(),
            self.local_start.as_deref(),
            self.time_zone.as_deref(),
            default_zone,
            (self.kind == BookingKind::OnDemand).then_some(now),
            now,
            &mut errors,
        );
        if self.kind == BookingKind::OnDemand && self.modality == Modality::OnSite {
            errors.push(FieldError::new(
                "modality",
                "an on-demand booking is by video or phone",
            ));
        }
        match (&self.location, self.modality) {
            (None, Modality::OnSite) => errors.push(FieldError::new(
                "location",
                "an on-site booking needs a location",
            )),
            (Some(location), _) => {
                check_text(&mut errors, "location.address", &location.address, 300);
                let postal = location.postal_code.trim();
                if postal.len() != 5 || !postal.bytes().all(|b| b.is_ascii_digit()) {
                    errors.push(FieldError::new(
                        "location.postal_code",
                        "a German postal code has five digits",
                    ));
                }
                if !(-90.0..=90.0).contains(&location.latitude) {
                    errors.push(FieldError::new("location.latitude", "between -90 and 90"));
                }
                if !(-180.0..=180.0).contains(&location.longitude) {
                    errors.push(FieldError::new(
                        "location.longitude",
                        "between -180 and 180",
                    ));
                }
            }
            (None, _) => {}
        }
        let client = self.client.map(|client| {
            check_text(&mut errors, "client.reference", &client.reference, 100);
            if let Some(email) = &client.email
                && !looks_like_email(email)
            {
                errors.push(FieldError::new("client.email", "not an e-mail address"));
            }
            let language = client.language.as_deref().and_then(|tag| {
                LanguageTag::parse(tag)
                    .map_err(|e| errors.push(FieldError::new("client.language", e)))
                    .ok()
            });
            ClientInfo {
                reference: client.reference.trim().to_owned(),
                email: client.email.map(|e| e.trim().to_owned()),
                language,
            }
        });
        if let Some(notes) = &self.notes
            && notes.chars().count() > 2000
        {
            errors.push(FieldError::new("notes", "at most 2000 characters"));
        }
        match (language, zone, duration, start) {
            (Some(language), Some(time_zone), Some(duration_minutes), Some(start))
                if errors.is_empty() =>
            {
                Ok(BookingDetails {
                    language,
                    modality: self.modality,
                    kind: self.kind,
                    start,
                    end: start + duration_minutes.as_duration(),
                    time_zone,
                    duration_minutes,
                    location: self.location,
                    subject_area: self.subject_area,
                    min_qualification: self.min_qualification,
                    mediator_gender: self.mediator_gender,
                    client,
                    notes: self.notes.filter(|n| !n.trim().is_empty()),
                })
            }
            _ => Err(errors),
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(|k| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters".into())
        })?;
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
    user.require(&[Role::Requester], "only requesters book mediators")?;
    let key = idempotency_key(&headers)?;
    let organisation = directory::organisation(&state.platform.pool, user.user.organisation_id)
        .await
        .map_err(ApiError::Internal)?
        .ok_or(ApiError::Forbidden("your organisation no longer exists"))?;
    let details = body
        .value
        .parse(organisation.time_zone, Utc::now())
        .map_err(ApiError::Validation)?;
    let request = CreateBookingRequest {
        organisation_id: organisation.id,
        requested_by: user.id(),
        idempotency_key: key,
        fingerprint: body.fingerprint,
        details,
        policy: crate::organisations::in_force(&state, organisation.id).await?,
    };
    let created = rpc::call::<CreateBooking>(
        &state.platform.nats.client,
        &request,
        state.platform.request_timeout(),
    )
    .await?;
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
            errors.push(FieldError::new(field, "not an RFC 3339 instant"));
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
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let scope = user.booking_scope(&state).await?;
    let mut errors = Vec::new();
    let booking_state = params.state.as_deref().and_then(|s| {
        s.parse::<BookingState>()
            .map_err(|e| errors.push(FieldError::new("state", e)))
            .ok()
    });
    let from = instant("from", params.from.as_deref(), &mut errors);
    let to = instant("to", params.to.as_deref(), &mut errors);
    let language = params.language.as_deref().and_then(|tag| {
        LanguageTag::parse(tag)
            .map_err(|e| errors.push(FieldError::new("language", e)))
            .ok()
    });
    let limit = match params.limit.as_deref() {
        None => 50,
        Some(text) => match text.parse::<u32>() {
            Ok(n @ 1..=200) => n,
            _ => {
                errors.push(FieldError::new("limit", "a whole number from 1 to 200"));
                50
            }
        },
    };
    if params.cursor.as_ref().is_some_and(|c| c.len() > 200) {
        errors.push(FieldError::new("cursor", "not a cursor of this list"));
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
        cursor: params.cursor,
        limit,
    };
    match rpc::call::<ListBookings>(
        &state.platform.nats.client,
        &request,
        state.platform.request_timeout(),
    )
    .await
    {
        Ok(page) => Ok(Json(page)),
        Err(rpc::RpcError::Fault(fault))
            if fault.code == mittler_contracts::booking::fault::INVALID =>
        {
            Err(ApiError::field("cursor", fault.message))
        }
        Err(other) => Err(other.into()),
    }
}

/// The OpenAPI shape of a page of bookings.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BookingPageSchema {
    items: Vec<BookingView>,
    /// Pass as `cursor` for the next page; null on the last.
    next: Option<String>,
}

fn booking_id(raw: &str) -> Result<BookingId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
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
    let id = booking_id(&id)?;
    let scope = user.booking_scope(&state).await?;
    let booking = rpc::call::<GetBooking>(
        &state.platform.nats.client,
        &GetBookingRequest { id, scope },
        state.platform.request_timeout(),
    )
    .await?;
    Ok(Json(booking))
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
        "mediators give jobs back instead",
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
    Ok(Json(
        rpc::call::<CancelBooking>(
            &state.platform.nats.client,
            &request,
            state.platform.request_timeout(),
        )
        .await?,
    ))
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

/// Move a booking to a new time; dispatch starts again.
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
        "mediators give jobs back instead",
    )?;
    let scope = user.booking_scope(&state).await?;
    let client = &state.platform.nats.client;
    let timeout = state.platform.request_timeout();
    let current = rpc::call::<GetBooking>(
        client,
        &GetBookingRequest {
            id,
            scope: scope.clone(),
        },
        timeout,
    )
    .await?;
    let body = body.value;
    let mut errors = Vec::new();
    let duration = match body.duration_minutes {
        Some(minutes) => BookingMinutes::new(minutes)
            .map_err(|e| errors.push(FieldError::new("duration_minutes", e)))
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
    Ok(Json(
        rpc::call::<RescheduleBooking>(client, &request, timeout).await?,
    ))
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
    let pool = &state.platform.pool;
    let scope = match user.role() {
        Role::Admin => None,
        Role::Coordinator => Some(directory::pool_members(pool, user.user.organisation_id).await?),
        Role::Requester | Role::Mediator => Some(vec![user.user.organisation_id]),
    };
    Ok(Json(
        directory::organisations(pool, scope.as_deref())
            .await
            .map_err(ApiError::Internal)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> NewBookingBody {
        serde_json::from_value(json).expect("shape")
    }

    fn now() -> DateTime<Utc> {
        "2026-10-20T10:00:00Z".parse().expect("time")
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_local_start_resolves_in_the_zone_across_daylight_saving() {
        let summer = body(serde_json::json!({
            "language": "uk", "modality": "video", "local_start": "2026-10-24T09:00", "duration_minutes": 60
        }))
        .parse(TimeZone::BERLIN, now())
        .expect("valid");
        assert_eq!(summer.start.to_rfc3339(), "2026-10-24T07:00:00+00:00");
        let winter = body(serde_json::json!({
            "language": "uk", "modality": "video", "local_start": "2026-10-26T09:00", "duration_minutes": 60
        }))
        .parse(TimeZone::BERLIN, now())
        .expect("valid");
        assert_eq!(winter.start.to_rfc3339(), "2026-10-26T08:00:00+00:00");
        assert_eq!(winter.end.to_rfc3339(), "2026-10-26T09:00:00+00:00");
    }

    #[test]
    fn the_autumn_fold_asks_for_an_offset_and_every_problem_is_reported() {
        let errors = body(serde_json::json!({
            "language": "klingon", "modality": "on_site", "local_start": "2026-10-25T02:30",
            "duration_minutes": 5, "client": {"reference": " ", "email": "nope", "language": "xx"}
        }))
        .parse(TimeZone::BERLIN, now())
        .expect_err("invalid");
        let text = format!("{errors:?}");
        assert!(text.contains("explicit offset"), "{text}");
        assert_eq!(
            fields(errors),
            [
                "language",
                "duration_minutes",
                "local_start",
                "location",
                "client.reference",
                "client.email",
                "client.language"
            ]
        );
    }

    #[test]
    fn past_starts_and_missing_starts_are_refused_on_demand_starts_now() {
        let past = body(serde_json::json!({
            "language": "ar", "modality": "phone", "start": "2026-10-20T09:00:00+02:00", "duration_minutes": 30
        }))
        .parse(TimeZone::BERLIN, now())
        .expect_err("past");
        assert_eq!(fields(past), ["start"]);
        let missing = body(
            serde_json::json!({"language": "ar", "modality": "phone", "duration_minutes": 30}),
        )
        .parse(TimeZone::BERLIN, now())
        .expect_err("missing");
        assert_eq!(fields(missing), ["start"]);
        let now_call = body(serde_json::json!({
            "language": "ar", "modality": "video", "kind": "on_demand", "duration_minutes": 30
        }))
        .parse(TimeZone::BERLIN, now())
        .expect("on demand starts now");
        assert_eq!(now_call.start, now());
    }
}
