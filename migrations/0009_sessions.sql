-- Sessions: video rooms for video bookings, one signed join link per participant,
-- who was in the room when, and the time record.

-- The key join tokens are signed with: made once, shared by every replica.
CREATE TABLE sessions.keys (
    id         integer     PRIMARY KEY CHECK (id = 1),
    key        bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What sessions knows of a booking (from the booking stream).
CREATE TABLE sessions.bookings (
    booking_id      uuid        PRIMARY KEY,
    organisation_id uuid        NOT NULL,
    requested_by    uuid        NOT NULL,
    details         jsonb       NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions.rooms (
    id              uuid        PRIMARY KEY,
    booking_id      uuid        NOT NULL REFERENCES sessions.bookings (booking_id),
    organisation_id uuid        NOT NULL,
    provider        text        NOT NULL CHECK (provider IN ('builtin', 'janus')),
    state           text        NOT NULL CHECK (state IN ('open', 'closed')),
    valid_from      timestamptz NOT NULL,
    valid_until     timestamptz NOT NULL,
    -- The Janus VideoRoom's number and secret, for the janus provider.
    janus_room      bigint,
    janus_secret    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    close_reason    text
);
-- One open room per booking; a moved or returned booking gets a new one.
CREATE UNIQUE INDEX rooms_one_open ON sessions.rooms (booking_id) WHERE state = 'open';

CREATE TABLE sessions.links (
    id          uuid        PRIMARY KEY,
    room_id     uuid        NOT NULL REFERENCES sessions.rooms (id),
    role        text        NOT NULL CHECK (role IN ('requester', 'mediator', 'client')),
    user_id     uuid,
    mediator_id uuid,
    token       text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX links_by_room ON sessions.links (room_id);

CREATE TABLE sessions.participants (
    peer_id   uuid        PRIMARY KEY,
    room_id   uuid        NOT NULL REFERENCES sessions.rooms (id),
    link_id   uuid        NOT NULL REFERENCES sessions.links (id),
    role      text        NOT NULL,
    joined_at timestamptz NOT NULL DEFAULT now(),
    left_at   timestamptz
);
CREATE INDEX participants_present ON sessions.participants (room_id) WHERE left_at IS NULL;

-- The time record: from the moment the mediator and someone else were in the room
-- until the room was empty again.
CREATE TABLE sessions.records (
    room_id    uuid        PRIMARY KEY REFERENCES sessions.rooms (id),
    booking_id uuid        NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    minutes    integer
);

-- The booking's time record, from its session (or confirmed by the requester).
ALTER TABLE booking.bookings ADD COLUMN worked_minutes integer;
