//! `/api/v1/queue` (the coordinators' queue of bookings without a mediator),
//! `/api/v1/mediators/me/jobs` (a mediator's work), `/api/v1/statistics` (fill rate
//! and time to assign, by language and by month) and `/api/v1/reports` (the report
//! for funders, `funders`, with small counts hidden by `suppress` and its files in
//! `files`).

pub mod files;
pub mod funders;
pub mod suppress;

use crate::auth::AuthUser;
use crate::directory;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use mittler_contracts::booking::{
    BookingView, MyJobs, MyJobsRequest, Queue, QueueItem, QueueRequest, Statistics,
    StatisticsReport, StatisticsRequest,
};
use mittler_contracts::text;
use mittler_types::{Role, TimeZone};
use serde::Deserialize;

/// The coordinators' queue: bookings in the pool without a mediator that have not
/// ended, escalated ones first, then by start.
#[utoipa::path(
    get, path = "/api/v1/queue", tag = "bookings",
    responses(
        (status = 200, body = Vec<QueueItem>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<QueueItem>>, ApiError> {
    queue_items(&state, &user).await.map(Json)
}

/// The queue of bookings that need a coordinator, for the user's pool.
pub async fn queue_items(state: &AppState, user: &AuthUser) -> Result<Vec<QueueItem>, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_queue"),
    )?;
    let scope = user.booking_scope(state).await?;
    Ok(state
        .call::<Queue>(&QueueRequest { scope, limit: 500 })
        .await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct JobsQuery {
    /// Jobs that end after this instant (RFC 3339); default: seven days ago.
    pub since: Option<String>,
}

/// An optional RFC 3339 instant of the query, or a 422 naming the field.
fn instant(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let mut errors = Vec::new();
    let at = crate::bookings::instant(field, value, &mut errors);
    if errors.is_empty() {
        Ok(at)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// My jobs: the bookings assigned to me, by start.
#[utoipa::path(
    get, path = "/api/v1/mediators/me/jobs", tag = "mediators",
    params(JobsQuery),
    responses(
        (status = 200, body = Vec<BookingView>),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad instant", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn my_jobs(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<JobsQuery>,
) -> Result<Json<Vec<BookingView>>, ApiError> {
    jobs(&state, &user, &query).await.map(Json)
}

/// A mediator's jobs that end after `query.since`.
pub async fn jobs(
    state: &AppState,
    user: &AuthUser,
    query: &JobsQuery,
) -> Result<Vec<BookingView>, ApiError> {
    let mediator_id = user.own_mediator(text!("role.mediators_jobs"))?;
    let since =
        instant("since", query.since.as_deref())?.unwrap_or_else(|| Utc::now() - Duration::days(7));
    Ok(state
        .call::<MyJobs>(&MyJobsRequest { mediator_id, since })
        .await?)
}

/// One of my jobs: time, place, notes, case number, the room's links.
#[utoipa::path(
    get, path = "/api/v1/mediators/me/jobs/{id}", tag = "mediators",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, body = BookingView),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a mediator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a job of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn my_job(
    State(state): State<AppState>,
    user: AuthUser,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<BookingView>, ApiError> {
    job(&state, &user, &id).await.map(Json)
}

/// A job the signed-in mediator holds (or held and worked).
pub async fn job(state: &AppState, user: &AuthUser, id: &str) -> Result<BookingView, ApiError> {
    let mediator_id = user.own_mediator(text!("role.mediators_jobs"))?;
    let id = crate::bookings::booking_id(id)?;
    Ok(state
        .call::<mittler_contracts::booking::Job>(&mittler_contracts::booking::JobRequest {
            id,
            mediator_id,
        })
        .await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatisticsQuery {
    /// Bookings that start at or after this instant (RFC 3339); default: the first
    /// day of the month eleven months ago, in the organisation's zone.
    pub from: Option<String>,
    /// Bookings that start before this instant; default: the first day of next month.
    pub to: Option<String>,
}

/// The first instant of the month `months` after the one holding `at`, in `zone`.
pub fn month_start(zone: TimeZone, at: DateTime<Utc>, months: i32) -> DateTime<Utc> {
    let local = zone.local(at).date();
    let index = local.year() * 12 + local.month0() as i32 + months;
    let first = NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1)
        .unwrap_or(local);
    zone.resolve(first.and_hms_opt(0, 0, 0).unwrap_or_default())
        .unwrap_or(at)
}

/// Fill rate and time to assign for the pool's bookings (coordinators).
#[utoipa::path(
    get, path = "/api/v1/statistics", tag = "bookings",
    params(StatisticsQuery),
    responses(
        (status = 200, body = StatisticsReport),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad period", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn statistics(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<StatisticsQuery>,
) -> Result<Json<StatisticsReport>, ApiError> {
    statistics_report(&state, &user, &query).await.map(Json)
}

/// The zone whose months the statistics and reports count in (the user's
/// organisation's), for a coordinator or an admin; anyone else is refused.
pub async fn statistics_zone(state: &AppState, user: &AuthUser) -> Result<TimeZone, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_statistics"),
    )?;
    Ok(
        directory::organisation(state.pool(), user.user.organisation_id)
            .await?
            .map(|org| org.time_zone)
            .unwrap_or(TimeZone::BERLIN),
    )
}

/// Fill rate and time to assign for the user's pool, over the query's period.
pub async fn statistics_report(
    state: &AppState,
    user: &AuthUser,
    query: &StatisticsQuery,
) -> Result<StatisticsReport, ApiError> {
    let zone = statistics_zone(state, user).await?;
    let now = Utc::now();
    let from =
        instant("from", query.from.as_deref())?.unwrap_or_else(|| month_start(zone, now, -11));
    let to = instant("to", query.to.as_deref())?.unwrap_or_else(|| month_start(zone, now, 1));
    if to <= from || to - from > Duration::days(3 * 366) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "to",
            text!("appointment.period_span"),
        )]));
    }
    let scope = user.booking_scope(state).await?;
    Ok(state
        .call::<Statistics>(&StatisticsRequest {
            scope,
            from,
            to,
            time_zone: zone,
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_at_local_midnight_across_years_and_summer_time() {
        let zone = TimeZone::BERLIN;
        let at = DateTime::parse_from_rfc3339("2026-03-29T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        // March begins in winter time (UTC+1), April in summer time (UTC+2).
        assert_eq!(
            month_start(zone, at, 0).to_rfc3339(),
            "2026-02-28T23:00:00+00:00"
        );
        assert_eq!(
            month_start(zone, at, 1).to_rfc3339(),
            "2026-03-31T22:00:00+00:00"
        );
        assert_eq!(
            month_start(zone, at, -11).to_rfc3339(),
            "2025-03-31T22:00:00+00:00"
        );
        let new_year = DateTime::parse_from_rfc3339("2026-12-31T23:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        // Already January in Berlin.
        assert_eq!(
            month_start(zone, new_year, 0).to_rfc3339(),
            "2026-12-31T23:00:00+00:00"
        );
    }
}
