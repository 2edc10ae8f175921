//! Who is in a room: links checked, participants let in (through Janus where it
//! is the provider) and kept alive, the sweeper for those who vanished, and the time
//! record that begins when the mediator and someone else are in and ends when the
//! room is empty again.

use super::{Rooms, emit};
use crate::error::SessionsError;
use crate::tokens::{self, Grant, TokenError};
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::FaultCode;
use mittler_contracts::RpcFault;
use mittler_contracts::session::{
    IceServer, JanusJoin, JoinRequest, Joined, LeaveRequest, ParticipantJoined, ParticipantLeft,
    ParticipantRole, Peer, SessionEnded, SessionStarted,
};
use mittler_contracts::text;
use mittler_platform::CancellationToken;
use mittler_types::{BookingId, OrganisationId};
use secrecy::ExposeSecret;
use uuid::Uuid;

impl Rooms {
    fn ice_servers(&self, peer: Uuid, until: DateTime<Utc>) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.config.stun_urls.is_empty() {
            servers.push(IceServer {
                urls: self.config.stun_urls.clone(),
                username: None,
                credential: None,
            });
        }
        if let (false, Some(secret)) = (self.config.turn_urls.is_empty(), &self.config.turn_secret)
        {
            let expires = (Utc::now() + Duration::seconds(self.config.turn_ttl_secs))
                .min(until + Duration::seconds(self.config.turn_ttl_secs));
            let (username, credential) = tokens::turn_credentials(
                secret.expose_secret().as_bytes(),
                &peer.to_string(),
                expires,
            );
            servers.push(IceServer {
                urls: self.config.turn_urls.clone(),
                username: Some(username),
                credential: Some(credential),
            });
        }
        servers
    }

    fn grant(&self, token: &str) -> Result<Grant, SessionsError> {
        tokens::verify(&self.key, token, Utc::now()).map_err(|e| match e {
            TokenError::Malformed | TokenError::Forged => {
                RpcFault::new(FaultCode::Forbidden, text!("room.link_invalid")).into()
            }
            TokenError::NotYet(at) => RpcFault::new(
                FaultCode::Expired,
                text!("room.link_not_yet", at = at.to_rfc3339()),
            )
            .into(),
            TokenError::Expired(at) => RpcFault::new(
                FaultCode::Expired,
                text!("room.link_expired", at = at.to_rfc3339()),
            )
            .into(),
        })
    }

    /// `session.rpc.check`: whether a link opens its room now, without entering.
    pub async fn check(&self, request: JoinRequest) -> Result<ParticipantRole, SessionsError> {
        let grant = self.grant(&request.token)?;
        let state: Option<String> =
            sqlx::query_scalar!("SELECT state FROM sessions.rooms WHERE id = $1", grant.room,)
                .fetch_optional(&self.pool)
                .await?;
        match state.as_deref() {
            None => Err(SessionsError::NotFound),
            Some("open") => Ok(grant.role),
            Some(_) => Err(RpcFault::new(FaultCode::Closed, text!("room.closed")).into()),
        }
    }

    /// `session.rpc.join`: a link's holder enters the room.
    pub async fn join(&self, request: JoinRequest) -> Result<Joined, SessionsError> {
        let grant = self.grant(&request.token)?;
        let mut tx = self.pool.begin().await?;
        // booking, organisation, state, valid until, Janus room
        type RoomRow = (Uuid, Uuid, String, DateTime<Utc>, Option<i64>);
        let room: Option<RoomRow> = sqlx::query!(
        "SELECT booking_id, organisation_id, state, valid_until, janus_room FROM sessions.rooms WHERE id = $1 FOR NO KEY UPDATE",
        grant.room,
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.booking_id, r.organisation_id, r.state, r.valid_until, r.janus_room));
        let Some((booking, organisation, state, valid_until, janus_room)) = room else {
            return Err(SessionsError::NotFound);
        };
        if state != "open" {
            return Err(RpcFault::new(FaultCode::Closed, text!("room.closed")).into());
        }
        let peer = Uuid::now_v7();
        let peers: Vec<(Uuid, String)> = sqlx::query!(
        "SELECT peer_id, role FROM sessions.participants WHERE room_id = $1 AND left_at IS NULL ORDER BY joined_at",
        grant.room,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.peer_id, r.role))
    .collect();
        if peers.len() >= self.config.max_participants {
            return Err(RpcFault::new(FaultCode::Closed, text!("room.full")).into());
        }
        sqlx::query!(
        "INSERT INTO sessions.participants (peer_id, room_id, link_id, role) VALUES ($1, $2, $3, $4)",
        peer,
        grant.room,
        grant.link,
        grant.role.as_str(),
    )
        .execute(&mut *tx)
        .await?;
        let now = Utc::now();
        let booking = BookingId(booking);
        let organisation = OrganisationId(organisation);
        emit(
            &mut tx,
            ParticipantJoined {
                room_id: grant.room,
                booking_id: booking,
                organisation_id: organisation,
                peer_id: peer,
                role: grant.role,
                at: now,
            },
        )
        .await?;
        // The session starts when the mediator and someone to mediate for are in.
        let mut roles: Vec<&str> = peers.iter().map(|(_, r)| r.as_str()).collect();
        roles.push(grant.role.as_str());
        let mediating = roles.contains(&"mediator") && roles.iter().any(|r| *r != "mediator");
        if mediating {
            // A new stretch begins: the first, or again after the room was empty.
            let started = sqlx::query!(
                "INSERT INTO sessions.records (room_id, booking_id, started_at, span_start) VALUES ($1, $2, $3, $3) \
                 ON CONFLICT (room_id) DO UPDATE SET span_start = $3, ended_at = NULL \
                 WHERE sessions.records.span_start IS NULL",
                grant.room,
                booking.as_uuid(),
                now,
            )
            .execute(&mut *tx)
            .await?;
            if started.rows_affected() == 1 {
                emit(
                    &mut tx,
                    SessionStarted {
                        room_id: grant.room,
                        booking_id: booking,
                        organisation_id: organisation,
                        started_at: now,
                    },
                )
                .await?;
            }
        }
        let janus = match janus_room {
            Some(number) => {
                let token: Option<String> = sqlx::query_scalar!(
                    "SELECT janus_token FROM sessions.links WHERE id = $1",
                    grant.link,
                )
                .fetch_one(&mut *tx)
                .await?;
                Some(JanusJoin {
                    url: self.config.janus_public_url.clone(),
                    room: number as u64,
                    token: token.unwrap_or_default(),
                })
            }
            None => None,
        };
        tx.commit().await?;
        let peers = peers
            .into_iter()
            .filter_map(|(peer_id, role)| {
                Some(Peer {
                    peer_id,
                    role: role.parse().ok()?,
                })
            })
            .collect();
        Ok(Joined {
            room_id: grant.room,
            booking_id: booking,
            peer_id: peer,
            role: grant.role,
            peers,
            ice_servers: self.ice_servers(peer, valid_until),
            janus,
        })
    }

    /// `session.rpc.alive`.
    pub async fn alive(&self, request: LeaveRequest) -> Result<(), SessionsError> {
        sqlx::query!(
        "UPDATE sessions.participants SET seen_at = now() WHERE peer_id = $1 AND left_at IS NULL",
        request.peer_id,
    )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Let go of participants whose connection went silent (their gateway died),
    /// until `shutdown`.
    pub async fn run_sweeper(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let every = std::time::Duration::from_secs(
            (self.config.presence_timeout_secs / 3).clamp(1, 20) as u64,
        );
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(every) => {}
            }
            let silent: Vec<Uuid> = match sqlx::query_scalar!(
                "SELECT peer_id FROM sessions.participants WHERE left_at IS NULL \
                 AND seen_at < now() - make_interval(secs => $1)",
                self.config.presence_timeout_secs as f64,
            )
            .fetch_all(&self.pool)
            .await
            {
                Ok(silent) => silent,
                Err(error) => {
                    tracing::warn!(%error, "presence sweep failed");
                    continue;
                }
            };
            for peer_id in silent {
                tracing::info!(%peer_id, "participant went silent; leaving");
                if let Err(fault) = self.leave(LeaveRequest { peer_id }).await {
                    tracing::warn!(%fault, %peer_id, "could not let a silent participant go");
                }
            }
        }
    }

    /// `session.rpc.leave`: a participant's connection ended. The last one out ends
    /// the session and its time record.
    pub async fn leave(&self, request: LeaveRequest) -> Result<(), SessionsError> {
        let mut tx = self.pool.begin().await?;
        let left: Option<(Uuid, String)> = sqlx::query!(
        "UPDATE sessions.participants SET left_at = now() WHERE peer_id = $1 AND left_at IS NULL \
             RETURNING room_id, role",
        request.peer_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.room_id, r.role));
        let Some((room, role)) = left else {
            return Ok(()); // left before
        };
        let (booking, organisation): (Uuid, Uuid) = {
            let r = sqlx::query!(
        "SELECT booking_id, organisation_id FROM sessions.rooms WHERE id = $1 FOR NO KEY UPDATE",
        room,
    )
    .fetch_one(&mut *tx)
    .await?;
            (r.booking_id, r.organisation_id)
        };
        let now = Utc::now();
        let (booking, organisation) = (BookingId(booking), OrganisationId(organisation));
        emit(
            &mut tx,
            ParticipantLeft {
                room_id: room,
                booking_id: booking,
                organisation_id: organisation,
                peer_id: request.peer_id,
                role: role.parse().map_err(|e: String| anyhow::anyhow!(e))?,
                at: now,
            },
        )
        .await?;
        let present: i64 = sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM sessions.participants WHERE room_id = $1 AND left_at IS NULL"#,
            room,
        )
        .fetch_one(&mut *tx)
        .await?;
        if present == 0 {
            // The stretch ends; the record is the sum of every stretch so far.
            let ended = sqlx::query!(
                "UPDATE sessions.records SET ended_at = $2, span_start = NULL, \
                 seconds = seconds + ceil(extract(epoch FROM ($2 - span_start)))::integer, \
                 minutes = ceil((seconds + extract(epoch FROM ($2 - span_start))) / 60)::integer \
                 WHERE room_id = $1 AND span_start IS NOT NULL RETURNING started_at, minutes",
                room,
                now,
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(ended) = ended {
                emit(
                    &mut tx,
                    SessionEnded {
                        room_id: room,
                        booking_id: booking,
                        organisation_id: organisation,
                        started_at: ended.started_at,
                        ended_at: now,
                        minutes: i64::from(ended.minutes.unwrap_or(0)),
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
