-- Dispatch: offers, assignments, the explanation of each round, and persisted timers.

CREATE TABLE booking.offers (
    id          uuid        PRIMARY KEY,
    booking_id  uuid        NOT NULL REFERENCES booking.bookings (id),
    mediator_id uuid        NOT NULL,
    wave        integer     NOT NULL,
    state       text        NOT NULL CHECK (state IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    decided_at  timestamptz
);
-- One open offer per booking and mediator; a re-dispatch (reschedule, give-back) may ask again.
CREATE UNIQUE INDEX offers_one_open ON booking.offers (booking_id, mediator_id) WHERE state = 'open';
CREATE INDEX offers_open_by_mediator ON booking.offers (mediator_id) WHERE state = 'open';
CREATE INDEX offers_by_booking ON booking.offers (booking_id, created_at);

CREATE TABLE booking.assignments (
    booking_id     uuid        PRIMARY KEY REFERENCES booking.bookings (id),
    mediator_id    uuid        NOT NULL,
    reservation_id uuid        NOT NULL,
    offer_id       uuid,
    assigned_by    uuid,
    assigned_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assignments_by_mediator ON booking.assignments (mediator_id, assigned_at);

-- Why each mediator was ranked or left out, per dispatch round.
CREATE TABLE booking.dispatch_rounds (
    booking_id uuid        NOT NULL REFERENCES booking.bookings (id),
    wave       integer     NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    ranked     jsonb       NOT NULL,
    excluded   jsonb       NOT NULL,
    PRIMARY KEY (booking_id, wave, at)
);

-- Deadlines that must survive a restart: drained with FOR UPDATE SKIP LOCKED.
CREATE TABLE booking.timers (
    id         uuid        PRIMARY KEY,
    booking_id uuid        NOT NULL REFERENCES booking.bookings (id),
    kind       text        NOT NULL CHECK (kind IN ('wave_deadline')),
    wave       integer     NOT NULL,
    due_at     timestamptz NOT NULL,
    done_at    timestamptz
);
CREATE INDEX timers_due ON booking.timers (due_at) WHERE done_at IS NULL;
