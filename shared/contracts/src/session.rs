//! The sessions service: video rooms, join links, participants and time records.

use crate::Rpc;
use crate::booking::Scope;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::{BookingId, MediatorId, OrganisationId, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who joins through a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Requester,
    Mediator,
    Client,
}

impl ParticipantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::Requester => "requester",
            ParticipantRole::Mediator => "mediator",
            ParticipantRole::Client => "client",
        }
    }
}

impl std::str::FromStr for ParticipantRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "requester" => Ok(ParticipantRole::Requester),
            "mediator" => Ok(ParticipantRole::Mediator),
            "client" => Ok(ParticipantRole::Client),
            other => Err(format!("unknown participant role {other}")),
        }
    }
}

/// One participant's way in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JoinLink {
    pub role: ParticipantRole,
    /// The account it is for (requester, mediator); none for the client.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub user_id: Option<UserId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<uuid::Uuid>))]
    pub mediator_id: Option<MediatorId>,
    /// The page to open.
    pub url: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// `session.room.opened`: a video room for a booking, with every participant's link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOpened {
    pub room_id: Uuid,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    /// `builtin` (peer-to-peer in the browser) or `janus`.
    pub provider: String,
    pub links: Vec<JoinLink>,
}

/// `session.room.closed`: the booking was cancelled (or moved); its links no longer open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomClosed {
    pub room_id: Uuid,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub reason: String,
}

/// `session.participant.joined` / `session.participant.left`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantJoined {
    pub room_id: Uuid,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub peer_id: Uuid,
    pub role: ParticipantRole,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantLeft {
    pub room_id: Uuid,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub peer_id: Uuid,
    pub role: ParticipantRole,
    pub at: DateTime<Utc>,
}

/// `session.session.started`: the mediator and someone to mediate for are in the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStarted {
    pub room_id: Uuid,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub started_at: DateTime<Utc>,
}

/// `session.session.ended`: the room emptied. `minutes` sums every stretch in which
/// someone mediated in the room so far (a reconnect starts another); `started_at`
/// is when the first began. The booking takes it as its time record's claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnded {
    pub room_id: Uuid,
    pub booking_id: BookingId,
    pub organisation_id: OrganisationId,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Whole minutes, rounded up.
    pub minutes: i64,
}

tenant_events! {
    RoomOpened => "session.room.opened",
    RoomClosed => "session.room.closed",
    ParticipantJoined => "session.participant.joined",
    ParticipantLeft => "session.participant.left",
    SessionStarted => "session.session.started",
    SessionEnded => "session.session.ended",
}

/// An ICE server for the browser (`RTCIceServer`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `session.rpc.links`: the links of a booking's room, for the people who may see them.
#[derive(Debug)]
pub struct GetLinks;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinksRequest {
    pub booking_id: BookingId,
    /// Whose bookings the caller may see.
    pub scope: Scope,
    /// Only these roles' links (empty: all).
    pub only: Vec<ParticipantRole>,
    /// A mediator sees a link only if it is theirs.
    pub mediator_id: Option<MediatorId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionLinks {
    pub provider: String,
    /// `open` or `closed`.
    pub state: String,
    pub links: Vec<JoinLink>,
}

impl Rpc for GetLinks {
    const SERVICE: Service = Service::Session;
    const NAME: &'static str = "links";
    type Request = LinksRequest;
    type Response = SessionLinks;
}

/// `session.rpc.join`: enter a room with a link's token.
#[derive(Debug)]
pub struct Join;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    pub room_id: Uuid,
    pub booking_id: BookingId,
    pub peer_id: Uuid,
    pub role: ParticipantRole,
    /// Who is in the room already (they will call this peer).
    pub peers: Vec<Peer>,
    pub ice_servers: Vec<IceServer>,
    /// With the Janus provider: where and how the browser joins the VideoRoom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub janus: Option<JanusJoin>,
}

/// The Janus VideoRoom a participant joins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JanusJoin {
    /// Janus's HTTP API as the browser reaches it.
    pub url: String,
    pub room: u64,
    /// The token the room allows for this participant.
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub peer_id: Uuid,
    pub role: ParticipantRole,
}

impl Rpc for Join {
    const SERVICE: Service = Service::Session;
    const NAME: &'static str = "join";
    type Request = JoinRequest;
    type Response = Joined;
}

/// `session.rpc.check`: would this link open the room now? (Without entering.)
#[derive(Debug)]
pub struct Check;

impl Rpc for Check {
    const SERVICE: Service = Service::Session;
    const NAME: &'static str = "check";
    type Request = JoinRequest;
    type Response = ParticipantRole;
}

/// `session.rpc.leave`: a participant's connection ended.
#[derive(Debug)]
pub struct Leave;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaveRequest {
    pub peer_id: Uuid,
}

impl Rpc for Leave {
    const SERVICE: Service = Service::Session;
    const NAME: &'static str = "leave";
    type Request = LeaveRequest;
    type Response = ();
}

/// `session.rpc.alive`: a participant's connection is still there (every few
/// seconds); one that stops saying so is let go.
#[derive(Debug)]
pub struct Alive;

impl Rpc for Alive {
    const SERVICE: Service = Service::Session;
    const NAME: &'static str = "alive";
    type Request = LeaveRequest;
    type Response = ();
}

/// The subject on which a peer receives signalling messages (core NATS, not a
/// stream: offers, answers and candidates are worth nothing later).
pub fn signal_subject(room: Uuid, peer: Uuid) -> String {
    format!("{}.signal.{room}.{peer}", Service::Session.token())
}

/// A signalling message between two peers of a room (or, `to = None`, to all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub from: Uuid,
    pub to: Option<Uuid>,
    /// `hello` (a peer arrived), `offer`, `answer`, `candidate`, `bye`.
    pub kind: String,
    #[serde(default)]
    pub payload: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;
    use crate::streams::stream_for;

    #[test]
    fn subjects_are_pinned() {
        for subject in [
            RoomOpened::TYPE,
            RoomClosed::TYPE,
            ParticipantJoined::TYPE,
            ParticipantLeft::TYPE,
            SessionStarted::TYPE,
            SessionEnded::TYPE,
        ] {
            assert_eq!(
                stream_for(subject).map(|s| s.name),
                Some("SESSION"),
                "{subject}"
            );
        }
        assert_eq!(GetLinks::subject(), "session.rpc.links");
        assert_eq!(Join::subject(), "session.rpc.join");
        let room = Uuid::nil();
        assert_eq!(
            signal_subject(room, room),
            "session.signal.00000000-0000-0000-0000-000000000000.00000000-0000-0000-0000-000000000000"
        );
        assert!(
            stream_for(&signal_subject(room, room)).is_none(),
            "not kept"
        );
    }
}
