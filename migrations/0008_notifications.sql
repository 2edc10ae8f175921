-- Notifications: what the service knows of each booking (from events), the mails
-- it composed with their delivery log, reminders, and the in-app feed.

CREATE TABLE notifications.bookings (
    booking_id      uuid        PRIMARY KEY,
    organisation_id uuid        NOT NULL,
    requested_by    uuid        NOT NULL,
    -- The booking's details as the last event carried them.
    details         jsonb       NOT NULL,
    mediator_id     uuid,
    state           text        NOT NULL,
    -- The iCalendar SEQUENCE: rises with every change a calendar must follow.
    sequence        integer     NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications.messages (
    id              uuid        PRIMARY KEY,
    -- One message per cause and recipient: a redelivered event adds nothing.
    dedupe_key      text        NOT NULL UNIQUE,
    organisation_id uuid,
    booking_id      uuid,
    user_id         uuid,
    recipient       text        NOT NULL,
    kind            text        NOT NULL,
    locale          text        NOT NULL,
    subject         text        NOT NULL,
    text_body       text        NOT NULL,
    html_body       text        NOT NULL,
    ics             text,
    ics_method      text,
    state           text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX messages_due ON notifications.messages (next_attempt_at) WHERE state IN ('queued', 'failed');
CREATE INDEX messages_by_organisation ON notifications.messages (organisation_id, created_at);

-- Every attempt, for the record.
CREATE TABLE notifications.delivery_log (
    id         bigserial   PRIMARY KEY,
    message_id uuid        NOT NULL REFERENCES notifications.messages (id),
    at         timestamptz NOT NULL DEFAULT now(),
    state      text        NOT NULL,
    detail     text
);

CREATE TABLE notifications.reminders (
    id          uuid        PRIMARY KEY,
    booking_id  uuid        NOT NULL REFERENCES notifications.bookings (booking_id),
    -- The booking's sequence when planned: a moved booking plans anew.
    sequence    integer     NOT NULL,
    lead_minutes integer    NOT NULL,
    due_at      timestamptz NOT NULL,
    done_at     timestamptz,
    outcome     text        CHECK (outcome IN ('sent', 'cancelled')),
    UNIQUE (booking_id, sequence, lead_minutes)
);
CREATE INDEX reminders_due ON notifications.reminders (due_at) WHERE done_at IS NULL;

CREATE TABLE notifications.feed (
    id              uuid        PRIMARY KEY,
    dedupe_key      text        NOT NULL UNIQUE,
    user_id         uuid        NOT NULL,
    organisation_id uuid,
    booking_id      uuid,
    kind            text        NOT NULL,
    title           text        NOT NULL,
    body            text        NOT NULL,
    link            text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    read_at         timestamptz
);
CREATE INDEX feed_by_user ON notifications.feed (user_id, created_at DESC);
CREATE INDEX feed_unread ON notifications.feed (user_id) WHERE read_at IS NULL;
