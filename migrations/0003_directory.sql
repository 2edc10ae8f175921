-- The gateway's directory: organisations, users, their sessions and login attempts.

CREATE TABLE directory.organisations (
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('authority', 'carrier', 'pool')),
    -- The mediation pool that serves this organisation; its coordinators see its bookings.
    pool_id    uuid        REFERENCES directory.organisations (id),
    time_zone  text        NOT NULL DEFAULT 'Europe/Berlin',
    settings   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'pool' OR pool_id IS NULL)
);
CREATE UNIQUE INDEX organisations_name ON directory.organisations (lower(name));

CREATE TABLE directory.users (
    id              uuid        PRIMARY KEY,
    organisation_id uuid        NOT NULL REFERENCES directory.organisations (id),
    email           text        NOT NULL,
    name            text        NOT NULL,
    role            text        NOT NULL CHECK (role IN ('requester', 'mediator', 'coordinator', 'admin')),
    locale          text        NOT NULL DEFAULT 'de',
    -- argon2id PHC string.
    password_hash   text        NOT NULL,
    -- The mediator's profile in the availability service, for role = mediator.
    mediator_id     uuid,
    active          boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'mediator') = (mediator_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email ON directory.users (lower(email));

-- Browser sessions (cookie, with a CSRF token) and API tokens (bearer). Only a
-- SHA-256 of the secret is stored.
CREATE TABLE directory.auth_sessions (
    token_hash  bytea       PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES directory.users (id) ON DELETE CASCADE,
    kind        text        NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    csrf_token  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX auth_sessions_expiry ON directory.auth_sessions (expires_at);

-- Failed and successful logins, for rate limiting and for the record.
CREATE TABLE directory.login_attempts (
    id        bigserial   PRIMARY KEY,
    email     text        NOT NULL,
    client_ip text,
    succeeded boolean     NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email ON directory.login_attempts (lower(email), at);
CREATE INDEX login_attempts_ip ON directory.login_attempts (client_ip, at);
