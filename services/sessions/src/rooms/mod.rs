//! Rooms: opened when a video booking is assigned, closed when it is cancelled,
//! moved or given back; links signed per participant; who is in the room; the time
//! record (from the moment the mediator and someone else are in, until the room is
//! empty again).

mod participants;

use crate::error::SessionsError;
use crate::janus::Janus;
use crate::settings::{SessionsConfig, VideoProvider};
use crate::tokens::{self, Grant};
use chrono::{DateTime, Duration, Utc};
use mittler_contracts::FaultCode;
use mittler_contracts::booking::{
    AssignmentReturned, BookingAssigned, BookingCancelled, BookingDetails, BookingRequested,
    BookingRescheduled,
};
use mittler_contracts::session::{
    JoinLink, LinksRequest, ParticipantRole, RoomClosed, RoomOpened, SessionLinks,
};
use mittler_contracts::text;
use mittler_contracts::{Envelope, Event, RpcFault};
use mittler_platform::consumer::{EventHandler, HandleError, IncomingEvent};
use mittler_platform::outbox::OutboxError;
use mittler_platform::{Schema, outbox};
use mittler_types::{BookingId, Modality, OrganisationId, UserId};
use secrecy::ExposeSecret;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

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

async fn emit<E: Event>(tx: &mut PgConnection, event: E) -> Result<(), OutboxError> {
    outbox::enqueue(
        tx,
        Schema::SESSIONS,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await
}

impl Rooms {
    /// Load (or, the first time, make) the signing key.
    pub async fn new(pool: PgPool, config: SessionsConfig) -> anyhow::Result<Self> {
        let fresh: [u8; 32] = rand::random();
        sqlx::query!(
            "INSERT INTO sessions.keys (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            &fresh[..],
        )
        .execute(&pool)
        .await?;
        let key: Vec<u8> = sqlx::query_scalar!("SELECT key FROM sessions.keys WHERE id = 1",)
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
        let row: Option<(Uuid, Uuid, serde_json::Value)> = sqlx::query!(
        "SELECT organisation_id, requested_by, details FROM sessions.bookings WHERE booking_id = $1",
        id.as_uuid(),
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.organisation_id, r.requested_by, r.details));
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
        sqlx::query!(
        "INSERT INTO sessions.bookings (booking_id, organisation_id, requested_by, details) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (booking_id) DO UPDATE SET details = EXCLUDED.details, \
             updated_at = now()",
        id.as_uuid(),
        organisation.as_uuid(),
        requested_by.as_uuid(),
        serde_json::to_value(details).map_err(HandleError::reject)?,
    )
        .execute(&mut *tx)
        .await?;
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
        let inserted = sqlx::query!(
        "INSERT INTO sessions.rooms (id, booking_id, organisation_id, provider, state, valid_from, valid_until, \
             janus_room, janus_secret) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        room,
        assigned.booking_id.as_uuid(),
        organisation.as_uuid(),
        self.config.provider.as_str(),
        valid_from,
        valid_until,
        janus_room,
        janus_secret.as_deref(),
    )
        .execute(&mut *tx)
        .await?;
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
            sqlx::query!(
        "INSERT INTO sessions.links (id, room_id, role, user_id, mediator_id, token, janus_token) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
        link,
        room,
        role.as_str(),
        user.map(|u| u.as_uuid()),
        mediator.map(|m| m.as_uuid()),
        &token,
        janus_token.as_deref(),
    )
            .execute(&mut *tx)
            .await?;
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
        let closed: Option<(Uuid, Uuid, Option<i64>, Option<String>)> = sqlx::query!(
        "UPDATE sessions.rooms SET state = 'closed', closed_at = now(), close_reason = $2 \
             WHERE booking_id = $1 AND state = 'open' RETURNING id, organisation_id, janus_room, janus_secret",
        booking.as_uuid(),
        reason,
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| (r.id, r.organisation_id, r.janus_room, r.janus_secret));
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
    pub async fn links(&self, request: LinksRequest) -> Result<SessionLinks, SessionsError> {
        // id, organisation, provider, state, valid from, valid until
        type RoomRow = (Uuid, Uuid, String, String, DateTime<Utc>, DateTime<Utc>);
        let room: Option<RoomRow> = sqlx::query!(
        "SELECT id, organisation_id, provider, state, valid_from, valid_until FROM sessions.rooms \
                 WHERE booking_id = $1 ORDER BY created_at DESC LIMIT 1",
        request.booking_id.as_uuid(),
    )
    .fetch_optional(&self.pool)
    .await?
    .map(|r| (r.id, r.organisation_id, r.provider, r.state, r.valid_from, r.valid_until));
        let Some((room, organisation, provider, state, valid_from, valid_until)) = room else {
            return Err(RpcFault::new(FaultCode::NotFound, text!("room.no_video_room")).into());
        };
        if !request.scope.allows(OrganisationId(organisation)) {
            return Err(RpcFault::new(FaultCode::NotFound, text!("room.no_video_room")).into());
        }
        let rows: Vec<(String, Option<Uuid>, Option<Uuid>, String)> = sqlx::query!(
        "SELECT role, user_id, mediator_id, token FROM sessions.links WHERE room_id = $1 ORDER BY created_at",
        room,
    )
    .fetch_all(&self.pool)
    .await?
    .into_iter()
    .map(|r| (r.role, r.user_id, r.mediator_id, r.token))
    .collect();
        let mut links = Vec::new();
        for (role, user, mediator, token) in rows {
            let role: ParticipantRole = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
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
            return Err(RpcFault::new(FaultCode::NotFound, text!("room.no_video_room")).into());
        }
        Ok(SessionLinks {
            provider,
            state,
            links,
        })
    }
}

/// The booking stream, as far as rooms care.
#[derive(Clone, Debug)]
pub struct RoomsHandler(pub Rooms);

mittler_contracts::consumer_events! {
    /// What the rooms act on.
    pub enum Input {
        Requested(BookingRequested),
        Assigned(BookingAssigned),
        Cancelled(BookingCancelled),
        Rescheduled(BookingRescheduled),
        Returned(AssignmentReturned),
    }
}

impl EventHandler for RoomsHandler {
    type Events = Input;

    async fn handle_event(
        &self,
        tx: &mut PgConnection,
        _event: &IncomingEvent,
        input: Input,
    ) -> Result<(), HandleError> {
        let rooms = &self.0;
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
                // The old links carry the old time: closed; a kept mediator gets a
                // room for the new time, with new links for everyone.
                rooms.close(tx, e.booking_id, "moved").await?;
                // (Known already: only the details change.)
                rooms
                    .remember(
                        tx,
                        e.booking_id,
                        e.organisation_id,
                        e.rescheduled_by,
                        &e.details,
                    )
                    .await?;
                match e.kept {
                    Some(mediator_id) => {
                        rooms
                            .open(
                                tx,
                                &BookingAssigned {
                                    booking_id: e.booking_id,
                                    organisation_id: e.organisation_id,
                                    mediator_id,
                                    assigned_by: None,
                                },
                            )
                            .await
                    }
                    None => Ok(()),
                }
            }
            Input::Returned(e) => rooms.close(tx, e.data.booking_id, "given back").await,
        }
    }
}
