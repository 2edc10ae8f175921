//! Live updates: the booking events that pass on NATS, filtered to what one caller
//! may see. `GET /api/v1/queue/events` sends them to API clients as server-sent
//! events; the web UI's own stream (`/ui/events`) uses the same subscription.

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use mittler_contracts::RawEnvelope;
use mittler_contracts::booking::{EVENT_SUBJECTS, Scope};
use mittler_contracts::text;
use mittler_types::Role;
use serde::Serialize;
use std::convert::Infallible;
use uuid::Uuid;

/// Every envelope published on `subjects` from now on (core NATS: what passes while
/// the caller listens, no replay), undecodable messages skipped.
pub async fn subscribe(
    state: &AppState,
    subjects: &[&str],
) -> Result<impl Stream<Item = RawEnvelope> + Send + use<>, ApiError> {
    let client = &state.platform.nats.client;
    let mut subscriptions = Vec::new();
    for &subject in subjects {
        subscriptions.push(
            client.subscribe(subject.to_owned()).await.map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("subscribing to {subject}: {e}"))
            })?,
        );
    }
    // Once the server has answered a ping, it has every subscription: an event
    // published after this call returns reaches the stream.
    client
        .flush()
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("subscribing: {e}")))?;
    Ok(futures::stream::select_all(subscriptions)
        .filter_map(|message| async move { RawEnvelope::from_slice(&message.payload).ok() }))
}

/// The booking events of the organisations in `scope`.
pub async fn booking_events(
    state: &AppState,
    scope: Scope,
) -> Result<impl Stream<Item = RawEnvelope> + Send + use<>, ApiError> {
    Ok(subscribe(state, &EVENT_SUBJECTS)
        .await?
        .filter(move |envelope| {
            std::future::ready(envelope.organisation_id.is_some_and(|id| scope.allows(id)))
        }))
}

/// One change of a booking in the caller's pool. It names what happened and to which
/// booking, nothing about the people: a client reads `GET /api/v1/queue` (or the
/// booking) again for the details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueEvent {
    /// The event's id, also the server-sent event's `id`.
    pub id: Uuid,
    /// What happened: `booking.booking.requested`, `booking.offer.accepted`,
    /// `booking.dispatch.escalated`, … (also the server-sent event's name).
    #[serde(rename = "type")]
    pub event_type: String,
    pub booking_id: Option<Uuid>,
    pub organisation_id: Uuid,
    pub occurred_at: DateTime<Utc>,
}

impl QueueEvent {
    fn of(envelope: &RawEnvelope) -> Option<Self> {
        Some(Self {
            id: envelope.id.as_uuid(),
            event_type: envelope.event_type.clone(),
            booking_id: envelope
                .data
                .get("booking_id")
                .and_then(|id| id.as_str())
                .and_then(|id| id.parse().ok()),
            organisation_id: envelope.organisation_id?.as_uuid(),
            occurred_at: envelope.occurred_at,
        })
    }
}

/// The live queue for API clients: a server-sent event for every change of a booking
/// in the coordinator's pool (requested, offered, accepted, escalated, cancelled, …),
/// named by the event's type, with a [`QueueEvent`] as JSON data. Events that pass
/// while no client listens are not replayed: a client reads `GET /api/v1/queue` when
/// it (re)connects. A comment line every 15 seconds keeps proxies from closing it.
#[utoipa::path(
    get, path = "/api/v1/queue/events", tag = "bookings",
    responses(
        (status = 200, description = "Server-sent events; each `data` is a QueueEvent", content_type = "text/event-stream", body = QueueEvent),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn queue_events(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_follow_queue"),
    )?;
    let scope = user.booking_scope(&state).await?;
    let stream = booking_events(&state, scope)
        .await?
        .filter_map(|envelope| async move {
            let event = QueueEvent::of(&envelope)?;
            SseEvent::default()
                .event(event.event_type.clone())
                .id(event.id.to_string())
                .json_data(&event)
                .ok()
                .map(Ok)
        });
    Ok(
        Sse::new(crate::auth::while_signed_in(&state, &user, stream))
            .keep_alive(KeepAlive::default()),
    )
}
