//! The sessions service's own behaviour, without browsers: a video booking's
//! assignment opens a room with a link for each participant; joining and leaving
//! make the time record; a cancellation closes the room and its links stop opening
//! it; a redelivered event opens nothing twice; a booking on site gets no room.

use mittler_contracts::booking::{
    BookingAssigned, BookingCancelled, BookingDetails, BookingRequested,
};
use mittler_contracts::examples::booking_details;
use mittler_contracts::session::{JoinRequest, LeaveRequest, ParticipantRole};
use mittler_contracts::{Envelope, Event, FaultCode, RawEnvelope, RpcFault};
use mittler_platform::consumer::{Decoded, Handler, IncomingEvent};
use mittler_sessions::rooms::{Rooms, RoomsHandler};
use mittler_sessions::settings::SessionsConfig;
use mittler_testkit::TestEnv;
use mittler_types::{BookingId, BookingState, MediatorId, Modality, OrganisationId, UserId};
use serde::Serialize;

struct Given {
    env: TestEnv,
    rooms: Rooms,
    handler: Decoded<RoomsHandler>,
    sequence: u64,
}

impl Given {
    async fn start() -> Self {
        let env = TestEnv::start().await;
        let settings = SessionsConfig {
            // The example booking starts in two days: its links open now.
            join_before_minutes: 10 * 24 * 60,
            ..SessionsConfig::default()
        };
        let rooms = Rooms::new(env.db.pool.clone(), settings)
            .await
            .expect("rooms");
        Self {
            handler: Decoded(RoomsHandler(rooms.clone())),
            rooms,
            env,
            sequence: 0,
        }
    }

    fn raw<E: Event + Serialize>(event: E) -> RawEnvelope {
        let envelope = Envelope::new(event, mittler_platform::outbox::root_meta());
        RawEnvelope::from_slice(&serde_json::to_vec(&envelope).expect("json")).expect("envelope")
    }

    /// Deliver `event` to the consumer, in a transaction of its own.
    async fn deliver<E: Event + Serialize>(&mut self, event: E) {
        self.deliver_raw(Self::raw(event)).await;
    }

    async fn deliver_raw(&mut self, envelope: RawEnvelope) {
        self.sequence += 1;
        let event = IncomingEvent {
            subject: envelope.event_type.clone(),
            envelope,
            delivered: 1,
            stream_sequence: self.sequence,
        };
        let mut tx = self.env.db.pool.begin().await.expect("begin");
        self.handler.handle(&mut tx, &event).await.expect("handled");
        tx.commit().await.expect("commit");
    }

    /// The subjects this service wrote to its outbox, in order.
    async fn events(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT subject FROM sessions.outbox ORDER BY created_at, id")
            .fetch_all(&self.env.db.pool)
            .await
            .expect("outbox")
    }

    /// The join token of `role`'s link of the booking's room.
    async fn token(&self, booking: BookingId, role: ParticipantRole) -> String {
        sqlx::query_scalar(
            "SELECT l.token FROM sessions.links l JOIN sessions.rooms r ON r.id = l.room_id \
             WHERE r.booking_id = $1 AND l.role = $2",
        )
        .bind(booking.as_uuid())
        .bind(role.as_str())
        .fetch_one(&self.env.db.pool)
        .await
        .expect("link")
    }
}

fn requested(
    booking: BookingId,
    organisation: OrganisationId,
    details: BookingDetails,
) -> BookingRequested {
    BookingRequested {
        booking_id: booking,
        organisation_id: organisation,
        requested_by: UserId::new(),
        details,
    }
}

fn assigned(booking: BookingId, organisation: OrganisationId) -> BookingAssigned {
    BookingAssigned {
        booking_id: booking,
        organisation_id: organisation,
        mediator_id: MediatorId::new(),
        assigned_by: None,
    }
}

#[tokio::test]
async fn a_room_opens_once_joining_and_leaving_make_the_time_record_and_cancelling_closes_it() {
    let mut given = Given::start().await;
    let (booking, organisation) = (BookingId::new(), OrganisationId::new());
    given
        .deliver(requested(booking, organisation, booking_details()))
        .await;

    // Assigned, and the same event again, as a redelivery would bring it.
    let raw = Given::raw(assigned(booking, organisation));
    given.deliver_raw(raw.clone()).await;
    given.deliver_raw(raw).await;
    assert_eq!(given.events().await, ["session.room.opened"]);

    // Mediator and client meet, then leave: one record with its minutes.
    let mediator = given
        .rooms
        .join(JoinRequest {
            token: given.token(booking, ParticipantRole::Mediator).await,
        })
        .await
        .expect("mediator joins");
    assert_eq!(mediator.role, ParticipantRole::Mediator);
    let client = given
        .rooms
        .join(JoinRequest {
            token: given.token(booking, ParticipantRole::Client).await,
        })
        .await
        .expect("client joins");
    assert_eq!(client.peers.len(), 1, "the mediator is in already");
    for peer in [mediator.peer_id, client.peer_id] {
        given
            .rooms
            .leave(LeaveRequest { peer_id: peer })
            .await
            .expect("leaves");
    }
    // A second leave of the same peer changes nothing.
    given
        .rooms
        .leave(LeaveRequest {
            peer_id: client.peer_id,
        })
        .await
        .expect("left before");
    assert_eq!(
        given.events().await,
        [
            "session.room.opened",
            "session.participant.joined",
            "session.participant.joined",
            "session.session.started",
            "session.participant.left",
            "session.participant.left",
            "session.session.ended",
        ]
    );
    let (started, ended, minutes): (
        chrono::DateTime<chrono::Utc>,
        Option<chrono::DateTime<chrono::Utc>>,
        Option<i32>,
    ) = sqlx::query_as(
        "SELECT started_at, ended_at, minutes FROM sessions.records WHERE booking_id = $1",
    )
    .bind(booking.as_uuid())
    .fetch_one(&given.env.db.pool)
    .await
    .expect("record");
    assert!(ended.is_some_and(|ended| ended >= started));
    assert!(minutes.is_some_and(|m| (0..=1).contains(&m)), "{minutes:?}");

    // Cancelled: the room closes and its links no longer open it.
    given
        .deliver(BookingCancelled {
            booking_id: booking,
            organisation_id: organisation,
            cancelled_by: UserId::new(),
            previous_state: BookingState::Assigned,
            reason: "entfällt".into(),
            notice_minutes: Some(1440),
        })
        .await;
    assert_eq!(
        given.events().await.last().map(String::as_str),
        Some("session.room.closed")
    );
    let refused = given
        .rooms
        .join(JoinRequest {
            token: given.token(booking, ParticipantRole::Requester).await,
        })
        .await
        .expect_err("closed");
    assert_eq!(RpcFault::from(refused).code, FaultCode::Closed);
}

#[tokio::test]
async fn a_booking_on_site_gets_no_room_and_a_forged_link_opens_nothing() {
    let mut given = Given::start().await;
    let (booking, organisation) = (BookingId::new(), OrganisationId::new());
    let mut details = booking_details();
    details.modality = Modality::OnSite;
    details.location = Some(mittler_contracts::examples::location());
    given
        .deliver(requested(booking, organisation, details))
        .await;
    given.deliver(assigned(booking, organisation)).await;
    assert!(given.events().await.is_empty(), "no room on site");

    let refused = given
        .rooms
        .join(JoinRequest {
            token: "forged.token".into(),
        })
        .await
        .expect_err("forged");
    let fault = RpcFault::from(refused);
    assert_eq!(fault.code, FaultCode::Forbidden);
    assert_eq!(
        fault.text.map(|t| t.render("de")).as_deref(),
        Some("Dieser Link ist ungültig.")
    );
}

#[tokio::test]
async fn a_room_whose_people_reconnect_records_the_sum_of_every_stretch() {
    let mut given = Given::start().await;
    let (booking, organisation) = (BookingId::new(), OrganisationId::new());
    given
        .deliver(requested(booking, organisation, booking_details()))
        .await;
    given.deliver(assigned(booking, organisation)).await;
    let mut minutes = Vec::new();
    // Two stretches: 9½ minutes, a dropped connection, then 4½ minutes more.
    for stretch in ["9 minutes 30 seconds", "4 minutes 30 seconds"] {
        let mut peers = Vec::new();
        for role in [ParticipantRole::Mediator, ParticipantRole::Client] {
            let joined = given
                .rooms
                .join(JoinRequest {
                    token: given.token(booking, role).await,
                })
                .await
                .expect("joins");
            peers.push(joined.peer_id);
        }
        sqlx::query(
            "UPDATE sessions.records SET span_start = span_start - $2::interval WHERE booking_id = $1",
        )
        .bind(booking.as_uuid())
        .bind(stretch)
        .execute(&given.env.db.pool)
        .await
        .expect("a stretch that lasted");
        for peer_id in peers {
            given
                .rooms
                .leave(LeaveRequest { peer_id })
                .await
                .expect("leaves");
        }
        let ended: serde_json::Value = sqlx::query_scalar(
            "SELECT payload::jsonb -> 'data' FROM sessions.outbox \
             WHERE subject = 'session.session.ended' ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .fetch_one(&given.env.db.pool)
        .await
        .expect("ended");
        minutes.push(ended["minutes"].as_i64().expect("minutes"));
    }
    // Each end reports the sum so far, a started minute counting: 9½ → 10, then
    // 9½ + 4½ and the moments in between → 15 (not the last stretch alone).
    assert_eq!(minutes, [10, 15]);
    let events = given.events().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "session.session.started")
            .count(),
        2,
        "the reconnect starts the session again"
    );
}
