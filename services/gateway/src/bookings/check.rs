//! Before a requester books: could anyone take it? Availability's own judgement of
//! the booking as the form stands, told as counts (who, stays the pool's business).

use crate::auth::AuthUser;
use crate::json::JsonBody;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use mittler_contracts::availability::{Candidates, Exclusion, Needs};
use serde::Serialize;
use std::collections::HashMap;

use super::NewBookingBody;

/// How many mediators of the pool could take a booking, and why the others cannot.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookingCheck {
    /// Mediators who could take it now.
    pub eligible: usize,
    /// Mediators of the pool who speak the language (the eligible among them).
    pub speakers: usize,
    /// Why the other speakers cannot, most frequent first (each speaker may count
    /// under several reasons).
    pub reasons: Vec<ReasonCount>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReasonCount {
    /// `availability`, `absence`, `notice`, `distance`, `overlap`, `modality`, …
    #[schema(value_type = String)]
    pub reason: Exclusion,
    pub count: usize,
}

/// Check a booking before making it: the same body as `POST /api/v1/bookings`,
/// nothing is stored and nobody is asked.
#[utoipa::path(
    post, path = "/api/v1/bookings/check", tag = "bookings",
    request_body = NewBookingBody,
    responses(
        (status = 200, body = BookingCheck),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a requester", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The booking would be refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn check(
    State(state): State<AppState>,
    user: AuthUser,
    body: JsonBody<NewBookingBody>,
) -> Result<Json<BookingCheck>, ApiError> {
    let (organisation, details) = super::requested(&state, &user, body.value).await?;
    let needs = Needs::of_booking(&details, None, Some(organisation.served_by()));
    let answer = state.call::<Candidates>(&needs).await?;
    Ok(Json(summarise(answer.eligible.len(), &answer.excluded)))
}

fn summarise(
    eligible: usize,
    excluded: &[mittler_contracts::availability::Excluded],
) -> BookingCheck {
    let mut counts: HashMap<Exclusion, usize> = HashMap::new();
    for e in excluded {
        for reason in &e.reasons {
            *counts.entry(*reason).or_default() += 1;
        }
    }
    let mut reasons: Vec<ReasonCount> = counts
        .into_iter()
        .map(|(reason, count)| ReasonCount { reason, count })
        .collect();
    reasons.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    BookingCheck {
        eligible,
        speakers: eligible + excluded.len(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mittler_contracts::availability::Excluded;
    use mittler_types::MediatorId;

    #[test]
    fn reasons_are_counted_most_frequent_first() {
        let out = |reasons: Vec<Exclusion>| Excluded {
            mediator_id: MediatorId::new(),
            reasons,
            distance_km: None,
            max_travel_km: None,
        };
        let check = summarise(
            0,
            &[
                out(vec![Exclusion::Availability]),
                out(vec![Exclusion::Availability, Exclusion::Notice]),
                out(vec![Exclusion::Absence]),
            ],
        );
        assert_eq!(check.speakers, 3);
        assert_eq!(check.reasons[0].reason, Exclusion::Availability);
        assert_eq!(check.reasons[0].count, 2);
        assert_eq!(check.reasons.len(), 3);
    }
}
