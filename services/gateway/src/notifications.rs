//! `/api/v1/notifications`: the signed-in user's feed, marking it read, and a live
//! stream of new items (SSE); `/api/v1/deliveries`: the delivery log, for
//! coordinators to see mails that could not be delivered.

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use mittler_contracts::RawEnvelope;
use mittler_contracts::notification::{
    DeliveriesRequest, Delivery, Feed, FeedItemAdded, FeedItemClosed, FeedRequest, GetFeed,
    ListDeliveries, MarkRead, MarkReadRequest,
};
use mittler_contracts::text;
use mittler_types::Role;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FeedQuery {
    /// Only unread items.
    #[serde(default)]
    pub unread: bool,
    /// At most this many (1 to 200, default 50).
    pub limit: Option<i64>,
}

/// My notifications, newest first, with the number unread.
#[utoipa::path(
    get, path = "/api/v1/notifications", tag = "notifications",
    params(FeedQuery),
    responses(
        (status = 200, body = Feed),
        (status = 400, description = "A bad query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Notifications are not answering", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn feed(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<FeedQuery>,
) -> Result<Json<Feed>, ApiError> {
    feed_of(&state, &user, &query).await.map(Json)
}

/// The signed-in user's feed.
pub async fn feed_of(
    state: &AppState,
    user: &AuthUser,
    query: &FeedQuery,
) -> Result<Feed, ApiError> {
    let request = FeedRequest {
        user_id: user.id(),
        unread_only: query.unread,
        limit: query.limit.unwrap_or(50).clamp(1, 200),
    };
    Ok(state.call::<GetFeed>(&request).await?)
}

/// How many items became read.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Marked {
    pub marked: u64,
}

async fn mark(state: &AppState, user: &AuthUser, id: Option<uuid::Uuid>) -> Result<u64, ApiError> {
    Ok(state
        .call::<MarkRead>(&MarkReadRequest {
            user_id: user.id(),
            id,
        })
        .await?)
}

/// Mark one of my notifications read.
#[utoipa::path(
    post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses(
        (status = 200, body = Marked),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such unread notification of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn read_one(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Marked>, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    match mark(&state, &user, Some(id)).await? {
        0 => Err(ApiError::NotFound),
        marked => Ok(Json(Marked { marked })),
    }
}

/// Mark all my notifications read.
#[utoipa::path(
    post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses(
        (status = 200, body = Marked),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn read_all(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Marked>, ApiError> {
    Ok(Json(Marked {
        marked: mark(&state, &user, None).await?,
    }))
}

/// New notifications as they arrive (`text/event-stream`; each event is named
/// `notification` and carries one feed item as JSON), and offers in the feed that
/// need nothing more (named `closed`, the item with its `closed` reason).
#[utoipa::path(
    get, path = "/api/v1/notifications/events", tag = "notifications",
    responses(
        (status = 200, description = "Server-sent events", content_type = "text/event-stream", body = String),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn events(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let me = user.id();
    let subscription = state
        .platform
        .nats
        .client
        .subscribe(mittler_contracts::notification::FEED_EVENTS)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("subscribing: {e}")))?;
    let stream = subscription.filter_map(move |message| async move {
        let envelope = RawEnvelope::from_slice(&message.payload).ok()?;
        let (name, user, item) = if envelope.is::<FeedItemAdded>() {
            let added = envelope.decode::<FeedItemAdded>().ok()?.data;
            ("notification", added.user_id, added.item)
        } else if envelope.is::<FeedItemClosed>() {
            let closed = envelope.decode::<FeedItemClosed>().ok()?.data;
            ("closed", closed.user_id, closed.item)
        } else {
            return None;
        };
        if user != me {
            return None;
        }
        SseEvent::default()
            .event(name)
            .id(item.id.to_string())
            .json_data(&item)
            .ok()
            .map(Ok)
    });
    Ok(
        Sse::new(crate::auth::while_signed_in(&state, &user, stream))
            .keep_alive(KeepAlive::default()),
    )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeliveriesQuery {
    /// `queued`, `sent`, `failed` (will be tried again) or `dead` (given up).
    pub state: Option<String>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// The delivery log of the caller's pool (coordinators) or of all (admins).
#[utoipa::path(
    get, path = "/api/v1/deliveries", tag = "notifications",
    params(DeliveriesQuery),
    responses(
        (status = 200, body = Vec<Delivery>),
        (status = 400, description = "A bad query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown state", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    delivery_log(&state, &user, query).await.map(Json)
}

/// The delivery log the user may read (coordinators their pool's, admins all).
pub async fn delivery_log(
    state: &AppState,
    user: &AuthUser,
    query: DeliveriesQuery,
) -> Result<Vec<Delivery>, ApiError> {
    user.require(
        &[Role::Coordinator, Role::Admin],
        text!("role.coordinators_deliveries"),
    )?;
    let scope = user.booking_scope(state).await?;
    let request = DeliveriesRequest {
        organisation_ids: scope.organisation_ids,
        state: query.state,
        limit: query.limit.unwrap_or(100).clamp(1, 500),
    };
    Ok(state.call::<ListDeliveries>(&request).await?)
}
