//! Money over HTTP (DESIGN.md "Money", decision 0024): rate cards and their quote,
//! the billing data of organisations and mediators, the month close, and the
//! documents it issues (`documents`). The booking service keeps and computes all
//! of it; this module checks who may ask and shapes the answers.

pub mod documents;

use crate::auth::AuthUser;
use crate::json::JsonBody;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use mittler_contracts::billing::{
    BillingParty, CloseMonth, CloseMonthRequest, CorrectLine, CorrectLineRequest, Correction,
    GetBillingParty, GetRateCard, Job, Line, MonthClose, PartyId, PutBillingParty,
    PutBillingPartyRequest, PutRateCard, PutRateCardRequest, Quote, QuoteRequest, RateCard,
    RateCardRequest, RateCardView,
};
use mittler_contracts::text;
use mittler_contracts::text::Text;
use mittler_types::{MediatorId, OrganisationId, OrganisationKind, Role};
use serde::Serialize;

/// An organisation the caller manages billing for (coordinators of its pool,
/// admins), with the pool it belongs to.
async fn managed(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<(OrganisationId, OrganisationId), ApiError> {
    let organisation = user
        .managed_organisation(state, id, text!("role.coordinators_billing"))
        .await?;
    let id = organisation.id;
    let pool = match organisation.kind {
        OrganisationKind::Pool => id,
        _ => organisation.pool_id.ok_or(ApiError::NotFound)?,
    };
    Ok((id, pool))
}

/// A pool the caller closes months of: a coordinator's own, any for an admin.
async fn own_pool(state: &AppState, user: &AuthUser, id: &str) -> Result<OrganisationId, ApiError> {
    let (id, pool) = managed(state, user, id).await?;
    if id != pool {
        return Err(ApiError::NotFound);
    }
    Ok(pool)
}

fn validation(problems: Vec<(String, Text)>) -> Result<(), ApiError> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(ApiError::Validation(
        problems
            .into_iter()
            .map(|(field, text)| FieldError::new(field, text))
            .collect(),
    ))
}

/// A rate card as the API shows it: the organisation's own, or the one in force.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateCardAnswer {
    /// The card in force: the organisation's own, else its pool's, else none.
    pub card: Option<RateCard>,
    /// Whether the card is the organisation's own (false: its pool's).
    pub own: bool,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn card_in_force(
    state: &AppState,
    id: OrganisationId,
    pool: OrganisationId,
) -> Result<RateCardAnswer, ApiError> {
    let own = state
        .call::<GetRateCard>(&RateCardRequest { owner: id })
        .await?;
    let (view, is_own): (Option<RateCardView>, bool) = match own {
        Some(view) => (Some(view), true),
        None if id != pool => (
            state
                .call::<GetRateCard>(&RateCardRequest { owner: pool })
                .await?,
            false,
        ),
        None => (None, true),
    };
    Ok(RateCardAnswer {
        updated_at: view.as_ref().map(|v| v.updated_at),
        card: view.map(|v| v.card),
        own: is_own,
    })
}

/// The rate card of a pool, or of an organisation with its own prices.
#[utoipa::path(
    get, path = "/api/v1/organisations/{id}/rate-card", tag = "billing",
    params(("id" = String, Path, description = "Pool or organisation id")),
    responses(
        (status = 200, body = RateCardAnswer),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_rate_card(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<RateCardAnswer>, ApiError> {
    let (id, pool) = managed(&state, &user, &id).await?;
    Ok(Json(card_in_force(&state, id, pool).await?))
}

/// Set the card; it prices every line of months closed from now on.
#[utoipa::path(
    put, path = "/api/v1/organisations/{id}/rate-card", tag = "billing",
    params(("id" = String, Path, description = "Pool or organisation id")),
    request_body = RateCard,
    responses(
        (status = 200, body = RateCardAnswer),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_rate_card(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<RateCard>,
) -> Result<Json<RateCardAnswer>, ApiError> {
    let (id, pool) = managed(&state, &user, &id).await?;
    let card = body.value;
    validation(card.problems())?;
    state
        .call::<PutRateCard>(&PutRateCardRequest {
            owner: id,
            pool,
            card,
            by: user.id(),
        })
        .await?;
    tracing::info!(organisation_id = %id, by = %user.id(), "rate card set");
    Ok(Json(card_in_force(&state, id, pool).await?))
}

/// Price one job with the card in force, without booking it.
#[utoipa::path(
    post, path = "/api/v1/organisations/{id}/rate-card/quote", tag = "billing",
    params(("id" = String, Path, description = "Pool or organisation id")),
    request_body = Job,
    responses(
        (status = 200, body = Line),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation, or no card yet", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn quote(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<Job>,
) -> Result<Json<Line>, ApiError> {
    let (id, pool) = managed(&state, &user, &id).await?;
    let job = body.value;
    let mut problems = Vec::new();
    for (field, value) in [
        ("travel_minutes", job.travel_minutes),
        ("travel_km", job.travel_km),
    ] {
        if !(0..=1000).contains(&value) {
            problems.push((
                field.to_owned(),
                text!("field.whole_number", min = 0, max = 1000),
            ));
        }
    }
    if job.booked_end <= job.booked_start
        || job.booked_end - job.booked_start > chrono::Duration::hours(24)
    {
        problems.push(("booked_end".to_owned(), text!("field.after_start")));
    }
    if let (Some(start), Some(end)) = (job.start, job.end)
        && (end < start || end - start > chrono::Duration::hours(24))
    {
        problems.push(("end".to_owned(), text!("field.after_start")));
    }
    if let Some(notice) = job.notice_minutes
        && !(-100_000..=1_000_000).contains(&notice)
    {
        problems.push((
            "notice_minutes".to_owned(),
            text!("field.whole_number", min = -100_000, max = 1_000_000),
        ));
    }
    validation(problems)?;
    let owner = if state
        .call::<GetRateCard>(&RateCardRequest { owner: id })
        .await?
        .is_some()
    {
        id
    } else {
        pool
    };
    Ok(Json(
        state.call::<Quote>(&QuoteRequest { owner, job }).await?,
    ))
}

/// An organisation's billing data (address, VAT id, Leitweg-ID for its invoices).
#[utoipa::path(
    get, path = "/api/v1/organisations/{id}/billing", tag = "billing",
    params(("id" = String, Path, description = "Pool or organisation id")),
    responses(
        (status = 200, body = BillingParty),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool, or no data yet", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_organisation_billing(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BillingParty>, ApiError> {
    let (id, _) = managed(&state, &user, &id).await?;
    state
        .call::<GetBillingParty>(&PartyId::Organisation(id))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Set an organisation's billing data; with it the organisation is invoiced.
#[utoipa::path(
    put, path = "/api/v1/organisations/{id}/billing", tag = "billing",
    params(("id" = String, Path, description = "Pool or organisation id")),
    request_body = BillingParty,
    responses(
        (status = 200, body = BillingParty),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation in your pool", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field that does not fit", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_organisation_billing(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<BillingParty>,
) -> Result<Json<BillingParty>, ApiError> {
    let (id, _) = managed(&state, &user, &id).await?;
    put_party(&state, &user, PartyId::Organisation(id), body.value).await
}

async fn put_party(
    state: &AppState,
    user: &AuthUser,
    party: PartyId,
    details: BillingParty,
) -> Result<Json<BillingParty>, ApiError> {
    validation(details.problems())?;
    Ok(Json(
        state
            .call::<PutBillingParty>(&PutBillingPartyRequest {
                party,
                details,
                by: user.id(),
            })
            .await?,
    ))
}

/// The mediator whose billing data the caller may reach: themselves ("me" or
/// their id), or one of a coordinator's pool.
async fn billed_mediator(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<MediatorId, ApiError> {
    if user.role() == Role::Mediator {
        let me = user.own_mediator(text!("role.mediators_jobs"))?;
        if id == "me" || id.parse::<MediatorId>().ok() == Some(me) {
            return Ok(me);
        }
        return Err(ApiError::NotFound);
    }
    let id: MediatorId = id.parse().map_err(|_| ApiError::NotFound)?;
    user.visible_mediator(state, id, text!("role.coordinators_billing"))
        .await?;
    Ok(id)
}

/// A mediator's billing data: the address, tax number, IBAN and status their
/// statements are made out with (the mediator, or a coordinator of their pool).
#[utoipa::path(
    get, path = "/api/v1/mediators/{id}/billing", tag = "billing",
    params(("id" = String, Path, description = "Mediator id, or `me`")),
    responses(
        (status = 200, body = BillingParty),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither the mediator nor a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mediator, or no data yet", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_mediator_billing(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BillingParty>, ApiError> {
    let id = billed_mediator(&state, &user, &id).await?;
    state
        .call::<GetBillingParty>(&PartyId::Mediator(id))
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Set a mediator's billing data.
#[utoipa::path(
    put, path = "/api/v1/mediators/{id}/billing", tag = "billing",
    params(("id" = String, Path, description = "Mediator id, or `me`")),
    request_body = BillingParty,
    responses(
        (status = 200, body = BillingParty),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither the mediator nor a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mediator", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field that does not fit", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn put_mediator_billing(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<BillingParty>,
) -> Result<Json<BillingParty>, ApiError> {
    let id = billed_mediator(&state, &user, &id).await?;
    put_party(&state, &user, PartyId::Mediator(id), body.value).await
}

async fn month_close(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    month: &str,
    preview: bool,
) -> Result<MonthClose, ApiError> {
    let pool = own_pool(state, user, id).await?;
    Ok(state
        .call::<CloseMonth>(&CloseMonthRequest {
            pool,
            month: month.to_owned(),
            by: user.id(),
            preview,
        })
        .await?)
}

/// A pool's month: what its close issued, or (while open) what it would issue,
/// with the jobs that cannot be billed yet.
#[utoipa::path(
    get, path = "/api/v1/organisations/{id}/months/{month}", tag = "billing",
    params(
        ("id" = String, Path, description = "Pool id"),
        ("month" = String, Path, description = "YYYY-MM"),
    ),
    responses(
        (status = 200, body = MonthClose),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not your pool, or it has no rate card yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a month, or billing data missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn get_month(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, month)): Path<(String, String)>,
) -> Result<Json<MonthClose>, ApiError> {
    Ok(Json(month_close(&state, &user, &id, &month, true).await?))
}

/// Close a pool's month: every confirmed record and late cancellation not billed
/// yet becomes a line of a pay statement and an invoice. A closed month cannot
/// change; closing it again answers what the first close issued.
#[utoipa::path(
    post, path = "/api/v1/organisations/{id}/months/{month}/close", tag = "billing",
    params(
        ("id" = String, Path, description = "Pool id"),
        ("month" = String, Path, description = "YYYY-MM"),
    ),
    responses(
        (status = 200, body = MonthClose),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not your pool, or it has no rate card yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a month, not over yet, or billing data missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn close_month(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, month)): Path<(String, String)>,
) -> Result<Json<MonthClose>, ApiError> {
    let closed = month_close(&state, &user, &id, &month, false).await?;
    tracing::info!(pool_id = %closed.pool_id, month = %closed.month, by = %user.id(), "month closed");
    Ok(Json(closed))
}

/// A correction of a line of a closed month.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// The line to correct (`lines[].id` of a statement or invoice).
    #[schema(value_type = uuid::Uuid)]
    pub line_id: uuid::Uuid,
    /// What to add, in cents; negative to take back.
    pub amount_cents: i64,
    #[schema(example = "Der Termin dauerte nur 30 Minuten.")]
    pub reason: String,
}

/// Correct a line of a closed month: the correction becomes a new line of the next
/// month closed, on the same recipient's document, referring to the line it corrects.
#[utoipa::path(
    post, path = "/api/v1/organisations/{id}/corrections", tag = "billing",
    params(("id" = String, Path, description = "Pool id")),
    request_body = CorrectionBody,
    responses(
        (status = 201, body = Correction),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not your pool, or no such line of a closed month", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No amount, or no reason", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn correct(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: JsonBody<CorrectionBody>,
) -> Result<(axum::http::StatusCode, Json<Correction>), ApiError> {
    let pool = own_pool(&state, &user, &id).await?;
    let body = body.value;
    let correction = state
        .call::<CorrectLine>(&CorrectLineRequest {
            pool,
            line_id: body.line_id,
            amount_cents: body.amount_cents,
            reason: body.reason,
            by: user.id(),
        })
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(correction)))
}
