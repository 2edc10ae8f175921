//! Rooms: opened when a video booking is assigned, closed when it is cancelled,
//! moved or given back; links signed per participant; who is in the room; the time
//! record (from the moment the mediator and someone else are in, until the room is
//! empty again).

use crate::janus::Janus;
use crate::tokens::{self, Grant, TokenError};
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::booking::{
    AssignmentReturned, BookingAssigned, BookingCancelled, BookingDetails, BookingRequested,
    BookingRescheduled,
};
use mittler_contracts::session::{
    IceServer, JanusJoin, JoinLink, JoinRequest, Joined, LeaveRequest, LinksRequest,
    ParticipantJoined, ParticipantLeft, ParticipantRole, Peer, RoomClosed, RoomOpened,
    SessionEnded, SessionLinks, SessionStarted,
};
use mittler_contracts::{Envelope, Event, RpcFault};
use mittler_platform::config::{SessionsConfig, VideoProvider};
use mittler_platform::consumer::{HandleError, Handler, IncomingEvent};
use mittler_platform::{CancellationToken, Schema, outbox};
use mittler_types::{BookingId, Modality, OrganisationId, UserId};
use secrecy::ExposeSecret;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Fault codes of `session.rpc.*`.
pub mod fault {
    pub const NOT_FOUND: &str = "not_found";
    /// The link is forged or malformed.
    pub const FORBIDDEN: &str = "forbidden";
    /// The link's window has not begun or is over.
    pub const EXPIRED: &str = "expired";
    /// The room was closed (booking cancelled or moved).
    pub const CLOSED: &str = "closed";
}

#[derive(Clone, Debug)]
pub struct Rooms {
    pub pool: PgPool,
    pub config: SessionsConfig,
    key: Vec<u8>,
    janus: Option<Janus>,
}

/// A random secret as hex.
fn secret() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn internal(error: impl Into<anyhow::Error>) -> RpcFault {
    let error = error.into();
    tracing::error!(error = %format!("{error:#}"), "sessions request failed");
    RpcFault::internal()
}

async fn emit<E: Event>(tx: &mut PgConnection, event: E) -> Result<(), HandleError> {
    outbox::enqueue(
        tx,
        Schema::SESSIONS,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await
    .map_err(HandleError::retry)
}

impl Rooms {
    /// Load (or, the first time, make) the signing key.
    pub async fn new(pool: PgPool, config: SessionsConfig) -> anyhow::Result<Self> {
        let fresh: [u8; 32] = rand::random();
        sqlx::query(
            "INSERT INTO sessions.keys (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&fresh[..])
        .execute(&pool)
        .await?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM sessions.keys WHERE id = 1")
            .fetch_one(&pool)
            .await?;
        let janus = match config.provider {
            VideoProvider::Builtin => None,
            VideoProvider::Janus => Some(Janus::new(
                &config.janus_url,
                config
                    .janus_admin_key
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned()),
            )?),
        };
        Ok(Self {
            pool,
            config,
            key,
            janus,
        })
    }

    /// The key, for tests that make tokens of their own.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    fn url(&self, token: &str) -> String {
        format!(
            "{}/room/{token}",
            self.config.public_url.trim_end_matches('/')
        )
    }

    async fn booking(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
    ) -> Result<Option<(OrganisationId, UserId, BookingDetails)>, HandleError> {
        let row: Option<(Uuid, Uuid, serde_json::Value)> = sqlx::query_as(
            "SELECT organisation_id, requested_by, details FROM sessions.bookings WHERE booking_id = $1",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *tx)
        .await
        .map_err(HandleError::retry)?;
        row.map(|(o, u, d)| {
            Ok((
                OrganisationId(o),
                UserId(u),
                serde_json::from_value(d).map_err(HandleError::reject)?,
            ))
        })
        .transpose()
    }

    async fn remember(
        &self,
        tx: &mut PgConnection,
        id: BookingId,
        organisation: OrganisationId,
        requested_by: UserId,
        details: &BookingDetails,
    ) -> Result<(), HandleError> {
        sqlx::query(
            "INSERT INTO sessions.bookings (booking_id, organisation_id, requested_by, details) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (booking_id) DO UPDATE SET details = EXCLUDED.details, \
             updated_at = now()",
        )
        .bind(id.as_uuid())
        .bind(organisation.as_uuid())
        .bind(requested_by.as_uuid())
        .bind(serde_json::to_value(details).map_err(HandleError::reject)?)
        .execute(&mut *tx)
        .await
        .map_err(HandleError::retry)?;
        Ok(())
    }

    /// A video booking got its mediator: open its room with one link each.
    async fn open(
        &self,
        tx: &mut PgConnection,
        assigned: &BookingAssigned,
    ) -> Result<(), HandleError> {
        let Some((organisation, requested_by, details)) =
            self.booking(tx, assigned.booking_id).await?
        else {
            return Err(HandleError::retry(anyhow::anyhow!(
                "booking {} not known yet",
                assigned.booking_id
            )));
        };
        if details.modality != Modality::Video {
            return Ok(());
        }
        let now = Utc::now();
        let valid_from = details.start - Duration::minutes(self.config.join_before_minutes);
        let valid_until = details.end + Duration::minutes(self.config.join_after_minutes);
        let room = Uuid::now_v7();
        // A Janus room number a browser's JavaScript holds exactly (53 bits).
        let janus_room = self
            .janus
            .as_ref()
            .map(|_| (room.as_u128() & ((1u128 << 52) - 1)) as i64);
        let janus_secret = self.janus.as_ref().map(|_| secret());
        let inserted = sqlx::query(
            "INSERT INTO sessions.rooms (id, booking_id, organisation_id, provider, state, valid_from, valid_until, \
             janus_room, janus_secret) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(room)
        .bind(assigned.booking_id.as_uuid())
        .bind(organisation.as_uuid())
        .bind(self.config.provider.as_str())
        .bind(valid_from)
        .bind(valid_until)
        .bind(janus_room)
        .bind(&janus_secret)
        .execute(&mut *tx)
        .await
        .map_err(HandleError::retry)?;
        if inserted.rows_affected() == 0 {
            return Ok(()); // open already
        }
        let mut participants = vec![
            (ParticipantRole::Requester, Some(requested_by), None),
            (ParticipantRole::Mediator, None, Some(assigned.mediator_id)),
        ];
        if details.client.is_some() {
            participants.push((ParticipantRole::Client, None, None));
        }
        let mut links = Vec::new();
        let mut allowed = Vec::new();
        for (role, user, mediator) in participants {
            let link = Uuid::now_v7();
            let janus_token = self.janus.as_ref().map(|_| secret());
            allowed.extend(janus_token.clone());
            let token = tokens::sign(
                &self.key,
                &Grant {
                    room,
                    role,
                    link,
                    nbf: valid_from.timestamp(),
                    exp: valid_until.timestamp(),
                },
            );
            sqlx::query(
                "INSERT INTO sessions.links (id, room_id, role, user_id, mediator_id, token, janus_token) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(link)
            .bind(room)
            .bind(role.as_str())
            .bind(user.map(|u| u.as_uuid()))
            .bind(mediator.map(|m| m.as_uuid()))
            .bind(&token)
            .bind(&janus_token)
            .execute(&mut *tx)
            .await
            .map_err(HandleError::retry)?;
            links.push(JoinLink {
                role,
                user_id: user,
                mediator_id: mediator,
                url: self.url(&token),
                valid_from,
                valid_until,
            });
        }
        if let (Some(janus), Some(number), Some(secret)) = (&self.janus, janus_room, &janus_secret)
        {
            // Should the transaction fail after this, the redelivery makes a new room
            // and this one stays empty until Janus restarts (rooms are not permanent).
            janus
                .create_room(
                    number as u64,
                    secret,
                    &allowed,
                    self.config.max_participants,
                )
                .await
                .map_err(HandleError::retry)?;
        }
        emit(
            tx,
            RoomOpened {
                room_id: room,
                booking_id: assigned.booking_id,
                organisation_id: organisation,
                provider: self.config.provider.as_str().into(),
                links,
            },
        )
        .await?;
        tracing::info!(booking_id = %assigned.booking_id, %room, opened_at = %now, "room opened");
        Ok(())
    }

    /// Close a booking's open room: its links no longer open it.
    async fn close(
        &self,
        tx: &mut PgConnection,
        booking: BookingId,
        reason: &str,
    ) -> Result<(), HandleError> {
        let closed: Option<(Uuid, Uuid, Option<i64>, Option<String>)> = sqlx::query_as(
            "UPDATE sessions.rooms SET state = 'closed', closed_at = now(), close_reason = $2 \
             WHERE booking_id = $1 AND state = 'open' RETURNING id, organisation_id, janus_room, janus_secret",
        )
        .bind(booking.as_uuid())
        .bind(reason)
        .fetch_optional(&mut *tx)
        .await
        .map_err(HandleError::retry)?;
        if let Some((room, organisation, janus_room, janus_secret)) = closed {
            if let (Some(janus), Some(number), Some(secret)) =
                (&self.janus, janus_room, janus_secret)
            {
                janus
                    .destroy_room(number as u64, &secret)
                    .await
                    .map_err(HandleError::retry)?;
            }
            emit(
                tx,
                RoomClosed {
                    room_id: room,
                    booking_id: booking,
                    organisation_id: OrganisationId(organisation),
                    reason: reason.to_owned(),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// `session.rpc.links`.
    pub async fn links(&self, request: LinksRequest) -> Result<SessionLinks, RpcFault> {
        // id, organisation, provider, state, valid from, valid until
        type RoomRow = (Uuid, Uuid, String, String, DateTime<Utc>, DateTime<Utc>);
        let room: Option<RoomRow> =
            sqlx::query_as(
                "SELECT id, organisation_id, provider, state, valid_from, valid_until FROM sessions.rooms \
                 WHERE booking_id = $1 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(request.booking_id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(internal)?;
        let Some((room, organisation, provider, state, valid_from, valid_until)) = room else {
            return Err(RpcFault::new(
                fault::NOT_FOUND,
                "this booking has no video room",
            ));
        };
        if !request.scope.allows(OrganisationId(organisation)) {
            return Err(RpcFault::new(
                fault::NOT_FOUND,
                "this booking has no video room",
            ));
        }
        let rows: Vec<(String, Option<Uuid>, Option<Uuid>, String)> = sqlx::query_as(
            "SELECT role, user_id, mediator_id, token FROM sessions.links WHERE room_id = $1 ORDER BY created_at",
        )
        .bind(room)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        let mut links = Vec::new();
        for (role, user, mediator, token) in rows {
            let role: ParticipantRole = role
                .parse()
                .map_err(|e: String| internal(anyhow::anyhow!(e)))?;
            if !request.only.is_empty() && !request.only.contains(&role) {
                continue;
            }
            if let Some(me) = request.mediator_id
                && mediator != Some(me.as_uuid())
            {
                continue;
            }
            links.push(JoinLink {
                role,
                user_id: user.map(UserId),
                mediator_id: mediator.map(mittler_types::MediatorId),
                url: if state == "open" {
                    self.url(&token)
                } else {
                    String::new()
                },
                valid_from,
                valid_until,
            });
        }
        if request.mediator_id.is_some() && links.is_empty() {
            return Err(RpcFault::new(
                fault::NOT_FOUND,
                "this booking has no video room",
            ));
        }
        Ok(SessionLinks {
            provider,
            state,
            links,
        })
    }

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

    fn grant(&self, token: &str) -> Result<Grant, RpcFault> {
        tokens::verify(&self.key, token, Utc::now()).map_err(|e| match e {
            TokenError::Malformed | TokenError::Forged => {
                RpcFault::new(fault::FORBIDDEN, e.to_string())
            }
            TokenError::NotYet(_) | TokenError::Expired(_) => {
                RpcFault::new(fault::EXPIRED, e.to_string())
            }
        })
    }

    /// `session.rpc.check`: whether a link opens its room now, without entering.
    pub async fn check(&self, request: JoinRequest) -> Result<ParticipantRole, RpcFault> {
        let grant = self.grant(&request.token)?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM sessions.rooms WHERE id = $1")
                .bind(grant.room)
                .fetch_optional(&self.pool)
                .await
                .map_err(internal)?;
        match state.as_deref() {
            None => Err(RpcFault::new(fault::NOT_FOUND, "no such room")),
            Some("open") => Ok(grant.role),
            Some(_) => Err(RpcFault::new(
                fault::CLOSED,
                "this appointment was cancelled or moved; the link no longer opens the room",
            )),
        }
    }

    /// `session.rpc.join`: a link's holder enters the room.
    pub async fn join(&self, request: JoinRequest) -> Result<Joined, RpcFault> {
        let grant = self.grant(&request.token)?;
        let mut tx = self.pool.begin().await.map_err(internal)?;
        // booking, organisation, state, valid until, Janus room
        type RoomRow = (Uuid, Uuid, String, DateTime<Utc>, Option<i64>);
        let room: Option<RoomRow> = sqlx::query_as(
            "SELECT booking_id, organisation_id, state, valid_until, janus_room FROM sessions.rooms WHERE id = $1 FOR NO KEY UPDATE",
        )
        .bind(grant.room)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        let Some((booking, organisation, state, valid_until, janus_room)) = room else {
            return Err(RpcFault::new(fault::NOT_FOUND, "no such room"));
        };
        if state != "open" {
            return Err(RpcFault::new(
                fault::CLOSED,
                "this appointment was cancelled or moved; the link no longer opens the room",
            ));
        }
        let peer = Uuid::now_v7();
        let peers: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT peer_id, role FROM sessions.participants WHERE room_id = $1 AND left_at IS NULL ORDER BY joined_at",
        )
        .bind(grant.room)
        .fetch_all(&mut *tx)
        .await
        .map_err(internal)?;
        if peers.len() >= self.config.max_participants {
            return Err(RpcFault::new(fault::CLOSED, "the room is full"));
        }
        sqlx::query(
            "INSERT INTO sessions.participants (peer_id, room_id, link_id, role) VALUES ($1, $2, $3, $4)",
        )
        .bind(peer)
        .bind(grant.room)
        .bind(grant.link)
        .bind(grant.role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
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
        .await
        .map_err(|e| internal(anyhow::anyhow!("{e}")))?;
        // The session starts when the mediator and someone to mediate for are in.
        let mut roles: Vec<&str> = peers.iter().map(|(_, r)| r.as_str()).collect();
        roles.push(grant.role.as_str());
        let mediating = roles.contains(&"mediator") && roles.iter().any(|r| *r != "mediator");
        if mediating {
            let started = sqlx::query(
                "INSERT INTO sessions.records (room_id, booking_id, started_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (room_id) DO NOTHING",
            )
            .bind(grant.room)
            .bind(booking.as_uuid())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(internal)?;
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
                .await
                .map_err(|e| internal(anyhow::anyhow!("{e}")))?;
            }
        }
        let janus = match janus_room {
            Some(number) => {
                let token: Option<String> =
                    sqlx::query_scalar("SELECT janus_token FROM sessions.links WHERE id = $1")
                        .bind(grant.link)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(internal)?;
                Some(JanusJoin {
                    url: self.config.janus_public_url.clone(),
                    room: number as u64,
                    token: token.unwrap_or_default(),
                })
            }
            None => None,
        };
        tx.commit().await.map_err(internal)?;
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
    pub async fn alive(&self, request: LeaveRequest) -> Result<(), RpcFault> {
        sqlx::query(
            "UPDATE sessions.participants SET seen_at = now() WHERE peer_id = $1 AND left_at IS NULL",
        )
        .bind(request.peer_id)
        .execute(&self.pool)
        .await
        .map_err(internal)?;
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
            let silent: Vec<Uuid> = match sqlx::query_scalar(
                "SELECT peer_id FROM sessions.participants WHERE left_at IS NULL \
                 AND seen_at < now() - make_interval(secs => $1)",
            )
            .bind(self.config.presence_timeout_secs as f64)
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
    pub async fn leave(&self, request: LeaveRequest) -> Result<(), RpcFault> {
        let mut tx = self.pool.begin().await.map_err(internal)?;
        let left: Option<(Uuid, String)> = sqlx::query_as(
            "UPDATE sessions.participants SET left_at = now() WHERE peer_id = $1 AND left_at IS NULL \
             RETURNING room_id, role",
        )
        .bind(request.peer_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(internal)?;
        let Some((room, role)) = left else {
            return Ok(()); // left before
        };
        let (booking, organisation): (Uuid, Uuid) = sqlx::query_as(
            "SELECT booking_id, organisation_id FROM sessions.rooms WHERE id = $1 FOR NO KEY UPDATE",
        )
        .bind(room)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        let now = Utc::now();
        let (booking, organisation) = (BookingId(booking), OrganisationId(organisation));
        emit(
            &mut tx,
            ParticipantLeft {
                room_id: room,
                booking_id: booking,
                organisation_id: organisation,
                peer_id: request.peer_id,
                role: role
                    .parse()
                    .map_err(|e: String| internal(anyhow::anyhow!(e)))?,
                at: now,
            },
        )
        .await
        .map_err(|e| internal(anyhow::anyhow!("{e}")))?;
        let present: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM sessions.participants WHERE room_id = $1 AND left_at IS NULL",
        )
        .bind(room)
        .fetch_one(&mut *tx)
        .await
        .map_err(internal)?;
        if present == 0 {
            let ended: Option<DateTime<Utc>> = sqlx::query_scalar(
                "UPDATE sessions.records SET ended_at = $2, \
                 minutes = ceil(extract(epoch FROM ($2 - started_at)) / 60)::integer \
                 WHERE room_id = $1 AND ended_at IS NULL RETURNING started_at",
            )
            .bind(room)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
            if let Some(started_at) = ended {
                let millis = (now - started_at).num_milliseconds().max(0);
                emit(
                    &mut tx,
                    SessionEnded {
                        room_id: room,
                        booking_id: booking,
                        organisation_id: organisation,
                        started_at,
                        ended_at: now,
                        minutes: (millis + 59_999) / 60_000,
                    },
                )
                .await
                .map_err(|e| internal(anyhow::anyhow!("{e}")))?;
            }
        }
        tx.commit().await.map_err(internal)?;
        Ok(())
    }
}

/// The booking stream, as far as rooms care.
#[derive(Clone, Debug)]
pub struct RoomsHandler(pub Rooms);

mittler_contracts::consumer_events! {
    /// What the rooms act on.
    enum Input {
        Requested(BookingRequested),
        Assigned(BookingAssigned),
        Cancelled(BookingCancelled),
        Rescheduled(BookingRescheduled),
        Returned(AssignmentReturned),
    }
}

impl Handler for RoomsHandler {
    fn handles(&self, event_type: &str) -> bool {
        Input::TYPES.contains(&event_type)
    }

    async fn handle(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
    ) -> Result<(), HandleError> {
        let rooms = &self.0;
        let Some(input) = Input::decode(&event.envelope).map_err(HandleError::reject)? else {
            return Ok(());
        };
        match input {
            Input::Requested(e) => {
                let e = e.data;
                rooms
                    .remember(
                        tx,
                        e.booking_id,
                        e.organisation_id,
                        e.requested_by,
                        &e.details,
                    )
                    .await
            }
            Input::Assigned(e) => rooms.open(tx, &e.data).await,
            Input::Cancelled(e) => rooms.close(tx, e.data.booking_id, "cancelled").await,
            Input::Rescheduled(e) => {
                let e = e.data;
                rooms.close(tx, e.booking_id, "moved").await?;
                rooms
                    .remember(
                        tx,
                        e.booking_id,
                        e.organisation_id,
                        e.rescheduled_by,
                        &e.details,
                    )
                    .await
                    .map(|_| ())
            }
            Input::Returned(e) => rooms.close(tx, e.data.booking_id, "given back").await,
        }
    }
}
