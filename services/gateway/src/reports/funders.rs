//! `GET /api/v1/reports`: the report for funders — bookings, filled, unfilled,
//! cancellations, the fill rate, time to assign, on-demand calls' time to ring and to
//! connect, and worked hours, by month and by language, region, subject area,
//! modality or organisation kind. Small counts are hidden (`suppress`); the same
//! report as JSON, CSV (UTF-8 with BOM) and PDF.

use super::suppress::{self, Count, Shown};
use crate::auth::AuthUser;
use crate::billing::documents::file;
use crate::directory;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use crate::ui::i18n::Lang;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Utc};
use mittler_contracts::booking::{OrganisationKey, Report, ReportBy, ReportRequest, Scope};
use mittler_contracts::text;
use mittler_types::{OrganisationId, OrganisationKind, Role, TimeZone};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// The first month, `YYYY-MM`; default: eleven months before the current one.
    pub from: Option<String>,
    /// The last month, `YYYY-MM`, included; default: the current month.
    pub to: Option<String>,
    /// `language` (default), `region` (the district of the organisation's own site),
    /// `subject_area`, `modality` or `organisation_kind`.
    pub by: Option<String>,
    /// For admins: one pool and the organisations it serves; default: every pool.
    pub pool: Option<String>,
    /// `json` (default), `csv` or `pdf`; `Accept: text/csv` or `application/pdf`
    /// ask the same.
    pub format: Option<String>,
}

/// One line of the report. Counts from 1 to 4 read `"<5"`, and so does any count
/// that a sum would otherwise give away; a figure derived from a hidden count is
/// null, and so is a median of fewer than five values.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    /// `YYYY-MM`; null on a line over the whole period.
    pub month: Option<String>,
    /// The language tag, district, subject area, modality or organisation kind; ""
    /// where it is not known (an organisation without a site); null on a line over
    /// every key.
    pub key: Option<String>,
    pub bookings: Count,
    pub filled: Count,
    pub unfilled: Count,
    /// Cancelled within the pool's late-cancellation window.
    pub cancelled_late: Count,
    pub cancelled_timely: Count,
    /// Still waiting for a mediator.
    pub open: Count,
    /// `filled / (filled + unfilled)`.
    pub fill_rate: Option<f64>,
    pub median_minutes_to_assign: Option<f64>,
    pub p90_minutes_to_assign: Option<f64>,
    /// On-demand calls, and those in which both parties met in the room.
    pub calls: Count,
    pub connected: Count,
    pub median_seconds_to_ring: Option<f64>,
    pub p90_seconds_to_ring: Option<f64>,
    pub median_seconds_to_connect: Option<f64>,
    pub p90_seconds_to_connect: Option<f64>,
    /// Hours of confirmed time records of jobs that took place.
    pub worked_hours: Option<f64>,
}

impl From<&Shown> for ReportRow {
    fn from(s: &Shown) -> Self {
        let [
            bookings,
            filled,
            unfilled,
            cancelled_late,
            cancelled_timely,
            open,
            calls,
            _,
            connected,
        ] = s.counts;
        ReportRow {
            month: s.month.clone(),
            key: s.key.clone(),
            bookings,
            filled,
            unfilled,
            cancelled_late,
            cancelled_timely,
            open,
            fill_rate: s.fill_rate,
            median_minutes_to_assign: s.median_minutes_to_assign,
            p90_minutes_to_assign: s.p90_minutes_to_assign,
            calls,
            connected,
            median_seconds_to_ring: s.median_seconds_to_ring,
            p90_seconds_to_ring: s.p90_seconds_to_ring,
            median_seconds_to_connect: s.median_seconds_to_connect,
            p90_seconds_to_connect: s.p90_seconds_to_connect,
            worked_hours: s.worked_hours,
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FundersReport {
    /// The first and the last month, `YYYY-MM`, in `time_zone`.
    pub from: String,
    pub to: String,
    pub by: ReportBy,
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// Counts below this (and above zero) read `"<5"`.
    pub threshold: i64,
    /// Each month and key.
    pub rows: Vec<ReportRow>,
    /// Each key over the period.
    pub by_key: Vec<ReportRow>,
    /// Each month over every key.
    pub by_month: Vec<ReportRow>,
    pub total: ReportRow,
}

/// The first day of a `YYYY-MM` month.
fn month(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d")
            .ok()
            .filter(|d| t.len() == 7 && d.year() >= 2000)
            .map(Some)
            .ok_or_else(|| FieldError::new(field, text!("report.month"))),
    }
}

fn months_between(first: NaiveDate, last: NaiveDate) -> i32 {
    (last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32
}

/// What the query asks for, checked: the months, the breakdown and the format.
struct Asked {
    first: NaiveDate,
    last: NaiveDate,
    by: ReportBy,
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Pdf,
}

fn asked(query: &ReportQuery, headers: &HeaderMap, zone: TimeZone) -> Result<Asked, ApiError> {
    let mut errors = Vec::new();
    let this_month = zone
        .local(Utc::now())
        .date()
        .with_day(1)
        .unwrap_or_default();
    let first = month("from", query.from.as_deref()).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let last = month("to", query.to.as_deref()).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let last = last.unwrap_or(this_month);
    let first = first.unwrap_or_else(|| {
        last.checked_sub_months(chrono::Months::new(11))
            .unwrap_or(last)
    });
    if errors.is_empty() && !(0..36).contains(&months_between(first, last)) {
        errors.push(FieldError::new("to", text!("report.period")));
    }
    let by = match query.by.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => ReportBy::Language,
        Some(code) => ReportBy::ALL
            .into_iter()
            .find(|by| by.code() == code)
            .unwrap_or_else(|| {
                errors.push(FieldError::new("by", text!("report.by")));
                ReportBy::Language
            }),
    };
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = match query.format.as_deref().map(str::trim) {
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("pdf") => Format::Pdf,
        Some("") | None if accept.contains("text/csv") => Format::Csv,
        Some("") | None if accept.contains("application/pdf") => Format::Pdf,
        Some("") | None => Format::Json,
        Some(_) => {
            errors.push(FieldError::new("format", text!("report.format")));
            Format::Json
        }
    };
    if errors.is_empty() {
        Ok(Asked {
            first,
            last,
            by,
            format,
        })
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The organisations a report covers: a coordinator's pool, an admin's chosen pool,
/// or (for an admin) everything.
async fn scope(state: &AppState, user: &AuthUser, pool: Option<&str>) -> Result<Scope, ApiError> {
    let Some(pool) = pool.map(str::trim).filter(|p| !p.is_empty()) else {
        return user.booking_scope(state).await;
    };
    let pool = pool
        .parse::<uuid::Uuid>()
        .map(OrganisationId)
        .map_err(|_| ApiError::Validation(vec![FieldError::new("pool", text!("report.pool"))]))?;
    let is_pool = directory::organisation(state.pool(), pool)
        .await?
        .is_some_and(|o| o.kind == OrganisationKind::Pool);
    // A coordinator reports on their own pool only; anyone else's is not found.
    if !is_pool || (user.role() != Role::Admin && pool != user.user.organisation_id) {
        return Err(ApiError::NotFound);
    }
    Ok(Scope::only(
        directory::pool_members(state.pool(), pool).await?,
    ))
}

/// Each organisation's key for a breakdown by organisation: the district of its own
/// site, or its kind.
async fn organisation_keys(
    state: &AppState,
    scope: &Scope,
    by: ReportBy,
) -> Result<Vec<OrganisationKey>, ApiError> {
    if !by.by_organisation() {
        return Ok(Vec::new());
    }
    let organisations =
        directory::organisations(state.pool(), scope.organisation_ids.as_deref()).await?;
    let ids: Vec<OrganisationId> = organisations.iter().map(|o| o.id).collect();
    let places = directory::organisation_places(state.pool(), &ids).await?;
    Ok(organisations
        .into_iter()
        .filter_map(|o| {
            let key = match by {
                ReportBy::Region => mittler_places::area(&places.get(&o.id)?.postal_code)?
                    .district
                    .to_owned(),
                _ => serde_json::to_value(o.kind).ok()?.as_str()?.to_owned(),
            };
            Some(OrganisationKey {
                organisation_id: o.id,
                key,
            })
        })
        .collect())
}

/// The report for the user, as the query asks, with the format it asks for.
pub async fn funders_report(
    state: &AppState,
    user: &AuthUser,
    query: &ReportQuery,
    headers: &HeaderMap,
) -> Result<(FundersReport, Format), ApiError> {
    let zone = super::statistics_zone(state, user).await?;
    let asked = asked(query, headers, zone)?;
    let scope = scope(state, user, query.pool.as_deref()).await?;
    let organisation_keys = organisation_keys(state, &scope, asked.by).await?;
    let start = |day: NaiveDate| {
        zone.resolve(day.and_hms_opt(0, 0, 0).unwrap_or_default())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
    };
    let end = asked
        .last
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(asked.last);
    let data = state
        .call::<Report>(&ReportRequest {
            scope,
            from: start(asked.first)?,
            to: start(end)?,
            time_zone: zone,
            by: asked.by,
            organisation_keys,
        })
        .await?;
    let shown = suppress::suppress(&data.cells);
    let total = shown
        .iter()
        .find(|s| s.month.is_none() && s.key.is_none())
        .map(ReportRow::from)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the report has no total")))?;
    let mut report = FundersReport {
        from: asked.first.format("%Y-%m").to_string(),
        to: asked.last.format("%Y-%m").to_string(),
        by: asked.by,
        time_zone: zone.name().to_owned(),
        threshold: suppress::THRESHOLD,
        rows: Vec::new(),
        by_key: Vec::new(),
        by_month: Vec::new(),
        total,
    };
    for s in &shown {
        match (&s.month, &s.key) {
            (Some(_), Some(_)) => report.rows.push(s.into()),
            (None, Some(_)) => report.by_key.push(s.into()),
            (Some(_), None) => report.by_month.push(s.into()),
            (None, None) => {}
        }
    }
    // The largest keys first; a hidden count sorts last.
    report
        .by_key
        .sort_by_key(|r| std::cmp::Reverse(r.bookings.shown().unwrap_or(0)));
    Ok((report, asked.format))
}

/// The report for funders (coordinators: their pool; admins: every pool or one).
#[utoipa::path(
    get, path = "/api/v1/reports", tag = "bookings",
    params(ReportQuery),
    responses(
        (status = 200, body = FundersReport, description = "The report; with `Accept: text/csv` (or `format=csv`) as CSV, UTF-8 with BOM; with `Accept: application/pdf` (or `format=pdf`) as PDF"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a pool of yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad month, breakdown or format", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn reports(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let (report, format) = funders_report(&state, &user, &query, &headers).await?;
    let l = Lang::from_code(&user.user.locale);
    let name = format!("report-{}-{}-{}", report.from, report.to, report.by.code());
    Ok(match format {
        Format::Json => axum::Json(report).into_response(),
        Format::Csv => file(
            "text/csv; charset=utf-8",
            format!("{name}.csv"),
            super::files::csv(l, &report),
        ),
        Format::Pdf => file(
            "application/pdf",
            format!("{name}.pdf"),
            super::files::pdf(l, &report),
        ),
    })
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    #[test]
    fn the_schema_says_a_count_is_a_number_or_below_five() {
        let doc = serde_json::to_value(crate::http::ApiDoc::openapi()).expect("json");
        let schemas = &doc["components"]["schemas"];
        let count = serde_json::to_string(&schemas["Count"]).expect("count");
        assert!(count.contains("\"integer\""), "{count}");
        let hidden = serde_json::to_string(&schemas["Hidden"]).expect("hidden");
        assert!(hidden.contains("\"<5\""), "{hidden}");
        let row = &schemas["ReportRow"]["properties"];
        assert_eq!(row["bookings"]["$ref"], "#/components/schemas/Count");
        assert!(doc["paths"]["/api/v1/reports"]["get"].is_object());
    }
}
