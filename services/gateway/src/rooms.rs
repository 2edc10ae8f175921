//! Video rooms in the browser: `GET /room/{token}` serves the room page;
//! `GET /api/v1/rooms/signal?token=…` is its WebSocket for WebRTC signalling.
//!
//! The socket enters the room through the sessions service (`session.rpc.join`,
//! which checks the signed link and records the participant) and then relays
//! offers, answers and ICE candidates over NATS subjects per peer
//! (`session.signal.<room>.<peer>`): two participants on different gateway
//! instances meet the same way as on one. When the socket closes the participant
//! leaves (`session.rpc.leave`) and the others hear `bye`.
//!
//! `GET /api/v1/bookings/{id}/session` lists the links a caller may use.

use crate::auth::AuthUser;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use mittler_contracts::FaultCode;
use mittler_contracts::session::{
    Alive, Check, GetLinks, Join, JoinRequest, Joined, Leave, LeaveRequest, LinksRequest,
    ParticipantRole, SessionLinks, Signal, signal_subject,
};
use mittler_platform::rpc::{self, RpcError};
use mittler_types::Role;
use serde::Deserialize;
use std::collections::HashSet;
use uuid::Uuid;

const ROOM_PAGE: &str = include_str!("../assets/room.html");
const ROOM_SCRIPT: &str = include_str!("../assets/room.js");
const ROOM_STYLE: &str = include_str!("../assets/room.css");

/// The room page; the token stays in the page (the script sends it to the socket).
pub async fn page(Path(_token): Path<String>) -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, crate::headers::ROOM_POLICY),
        ],
        Html(ROOM_PAGE),
    )
        .into_response()
}

pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        ROOM_STYLE,
    )
        .into_response()
}

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        ROOM_SCRIPT,
    )
        .into_response()
}

/// The links of a booking's video room that the caller may use: a requester the
/// requester's and the client's, a mediator their own, a coordinator all.
#[utoipa::path(
    get, path = "/api/v1/bookings/{id}/session", tag = "bookings",
    params(("id" = String, Path, description = "Booking id")),
    responses(
        (status = 200, body = SessionLinks),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such booking, or it has no video room (yet)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn links(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<SessionLinks>, ApiError> {
    session_links(&state, &user, &id).await.map(Json)
}

/// The links of booking `id`'s room that the user may see.
pub async fn session_links(
    state: &AppState,
    user: &AuthUser,
    id: &str,
) -> Result<SessionLinks, ApiError> {
    let booking_id = id.parse().map_err(|_| ApiError::NotFound)?;
    let request = match user.role() {
        Role::Mediator => LinksRequest {
            booking_id,
            scope: mittler_contracts::booking::Scope::all(),
            only: vec![ParticipantRole::Mediator],
            mediator_id: Some(user.user.mediator_id.ok_or(ApiError::NotFound)?),
        },
        Role::Requester => LinksRequest {
            booking_id,
            scope: user.booking_scope(state).await?,
            only: vec![ParticipantRole::Requester, ParticipantRole::Client],
            mediator_id: None,
        },
        Role::Coordinator | Role::Admin => LinksRequest {
            booking_id,
            scope: user.booking_scope(state).await?,
            only: vec![],
            mediator_id: None,
        },
    };
    Ok(state.call::<GetLinks>(&request).await?)
}

#[derive(Debug, Deserialize)]
pub struct SignalQuery {
    pub token: String,
}

fn refused(error: RpcError) -> ApiError {
    match error {
        RpcError::Fault(fault) => match fault.code {
            FaultCode::Forbidden => ApiError::Forbidden(fault.text()),
            FaultCode::Expired | FaultCode::Closed => ApiError::Gone(fault.text()),
            _ => ApiError::NotFound,
        },
        other => ApiError::from(other),
    }
}

/// Whether a link opens its room now (a plain GET: `{"role"}`, or 403 for a link
/// that is not valid, 410 for one that is expired, not yet open, or whose
/// appointment was cancelled). With `Upgrade: websocket` it enters the room and
/// becomes the signalling socket.
#[utoipa::path(
    get, path = "/api/v1/rooms/signal", tag = "bookings",
    params(("token" = String, Query, description = "The token of a join link")),
    responses(
        (status = 200, description = "The link opens the room now", body = serde_json::Value),
        (status = 400, description = "No token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a valid link", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such room", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired, not yet open, or the appointment was cancelled", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn signal(
    State(state): State<AppState>,
    Query(query): Query<SignalQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let client = &state.platform.nats.client;
    let timeout = state.platform.request_timeout();
    let request = JoinRequest { token: query.token };
    let Ok(upgrade) = upgrade else {
        let role = state.call::<Check>(&request).await.map_err(refused)?;
        return Ok(Json(serde_json::json!({ "role": role })).into_response());
    };
    let joined = state.call::<Join>(&request).await.map_err(refused)?;
    let nats = client.clone();
    Ok(upgrade.on_upgrade(move |socket| relay(socket, nats, timeout, joined)))
}

async fn relay(
    socket: WebSocket,
    nats: async_nats::Client,
    timeout: std::time::Duration,
    joined: Joined,
) {
    let me = joined.peer_id;
    let room = joined.room_id;
    let (mut to_browser, mut from_browser) = socket.split();
    let mut inbox = match nats.subscribe(signal_subject(room, me)).await {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::warn!(%error, "cannot subscribe for signalling");
            let _ = rpc::call::<Leave>(&nats, &LeaveRequest { peer_id: me }, timeout).await;
            return;
        }
    };
    let mut known: HashSet<Uuid> = joined.peers.iter().map(|p| p.peer_id).collect();
    let welcome = serde_json::json!({
        "kind": "welcome",
        "peer_id": me,
        "role": joined.role,
        "peers": joined.peers,
        "ice_servers": joined.ice_servers,
        "janus": joined.janus,
    });
    if to_browser
        .send(Message::Text(welcome.to_string().into()))
        .await
        .is_err()
    {
        let _ = rpc::call::<Leave>(&nats, &LeaveRequest { peer_id: me }, timeout).await;
        return;
    }
    tracing::info!(%room, peer = %me, role = joined.role.as_str(), "joined the room");
    // Say every few seconds that this participant is still here: if this process
    // dies, the sessions service lets them go.
    let mut alive = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = alive.tick() => {
                let _ = rpc::call::<Alive>(&nats, &LeaveRequest { peer_id: me }, timeout).await;
            }
            incoming = inbox.next() => {
                let Some(message) = incoming else { break };
                let Ok(signal) = serde_json::from_slice::<Signal>(&message.payload) else { continue };
                if signal.kind == "bye" {
                    known.remove(&signal.from);
                } else {
                    known.insert(signal.from);
                }
                let text = serde_json::to_string(&signal).unwrap_or_default();
                if to_browser.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            outgoing = from_browser.next() => {
                let text = match outgoing {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_))) => continue,
                    _ => break,
                };
                #[derive(Deserialize)]
                struct Outgoing {
                    to: Uuid,
                    kind: String,
                    #[serde(default)]
                    payload: serde_json::Value,
                }
                let Ok(out) = serde_json::from_str::<Outgoing>(&text) else { continue };
                if !matches!(out.kind.as_str(), "offer" | "answer" | "candidate") {
                    continue;
                }
                known.insert(out.to);
                let signal = Signal { from: me, to: Some(out.to), kind: out.kind, payload: out.payload };
                let body = serde_json::to_vec(&signal).unwrap_or_default();
                let _ = nats.publish(signal_subject(room, out.to), body.into()).await;
            }
        }
    }
    for peer in known {
        let bye = Signal {
            from: me,
            to: Some(peer),
            kind: "bye".into(),
            payload: serde_json::Value::Null,
        };
        let _ = nats
            .publish(
                signal_subject(room, peer),
                serde_json::to_vec(&bye).unwrap_or_default().into(),
            )
            .await;
    }
    if let Err(error) = rpc::call::<Leave>(&nats, &LeaveRequest { peer_id: me }, timeout).await {
        tracing::warn!(%error, peer = %me, "could not record leaving");
    }
    tracing::info!(%room, peer = %me, "left the room");
}
