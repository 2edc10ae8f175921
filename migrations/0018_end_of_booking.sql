-- The end of a booking: who cancelled and with how much notice, why a booking was
-- given up, the time record of every assigned booking, and the timers that end a
-- booking nobody took and confirm a record nobody disputed.

ALTER TABLE booking.bookings
    ADD COLUMN cancelled_at   timestamptz,
    ADD COLUMN cancelled_by   uuid,
    -- Minutes between the cancellation and the start (negative: after the start).
    ADD COLUMN notice_minutes integer,
    ADD COLUMN unfilled_at    timestamptz,
    -- The coordinator who gave the booking up; null when its start passed unassigned.
    ADD COLUMN unfilled_by    uuid,
    ADD COLUMN unfilled_reason text;

-- The time actually worked. No row: the record is `open`.
CREATE TABLE booking.time_records (
    booking_id             uuid        PRIMARY KEY REFERENCES booking.bookings (id),
    mediator_id            uuid        NOT NULL,
    start_at               timestamptz,
    end_at                 timestamptz,
    worked_minutes         integer     NOT NULL CHECK (worked_minutes >= 0),
    travel_minutes         integer     NOT NULL DEFAULT 0 CHECK (travel_minutes >= 0),
    travel_km              integer     NOT NULL DEFAULT 0 CHECK (travel_km >= 0),
    outcome                text        NOT NULL CHECK (outcome IN ('done', 'client_no_show', 'mediator_no_show')),
    source                 text        NOT NULL CHECK (source IN ('session', 'mediator', 'coordinator')),
    state                  text        NOT NULL CHECK (state IN ('claimed', 'confirmed', 'disputed')),
    claimed_at             timestamptz NOT NULL,
    mediator_confirmed_at  timestamptz,
    requester_confirmed_at timestamptz,
    confirmed_at           timestamptz,
    confirmed_by           text        CHECK (confirmed_by IN ('requester', 'coordinator', 'rule')),
    settled_by             uuid,
    disputed_at            timestamptz,
    disputed_by            uuid,
    dispute_reason         text,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (end_at IS NULL OR start_at IS NULL OR end_at >= start_at),
    CHECK ((state = 'confirmed') = (confirmed_at IS NOT NULL))
);
CREATE INDEX time_records_by_state ON booking.time_records (state, claimed_at);
CREATE INDEX time_records_by_mediator ON booking.time_records (mediator_id, state);

-- A booking whose start passes unassigned becomes unfilled; the coordinators are
-- alerted again as the start nears; a claim nobody disputes is confirmed by rule.
ALTER TABLE booking.timers DROP CONSTRAINT timers_kind_check;
ALTER TABLE booking.timers ADD CONSTRAINT timers_kind_check
    CHECK (kind IN ('wave_deadline', 'escalation', 'start_passed', 'alert', 'confirm_record'));

-- Bookings waiting for a mediator today get their start timer (on-demand calls: their end).
INSERT INTO booking.timers (id, booking_id, kind, wave, due_at)
SELECT gen_random_uuid(), id, 'start_passed', 0,
       CASE WHEN kind = 'on_demand' THEN end_at ELSE start_at END
FROM booking.bookings WHERE state IN ('requested', 'offering');

-- A video room's time is the sum of every stretch someone mediated in it, across
-- reconnects: `seconds` holds the closed stretches, `span_start` the open one.
ALTER TABLE sessions.records
    ADD COLUMN seconds    integer NOT NULL DEFAULT 0,
    ADD COLUMN span_start timestamptz;
UPDATE sessions.records SET seconds = COALESCE(minutes, 0) * 60 WHERE ended_at IS NOT NULL;
UPDATE sessions.records SET span_start = started_at WHERE ended_at IS NULL;
