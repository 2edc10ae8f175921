-- The availability service: mediator profiles, calendars, absences, reservations
-- and presence. btree_gist lets one exclusion constraint combine "same mediator"
-- (=) with "overlapping time" (&&).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE availability.mediators (
    id                   uuid             PRIMARY KEY,
    display_name         text             NOT NULL,
    email                text             NOT NULL,
    phone                text,
    gender               text             NOT NULL CHECK (gender IN ('female', 'male', 'diverse')),
    -- [{"code": "apc", "qualification": "trained"}, ...]
    languages            jsonb            NOT NULL DEFAULT '[]'::jsonb,
    modalities           text[]           NOT NULL DEFAULT '{}',
    subject_areas        text[]           NOT NULL DEFAULT '{}',
    home_lat             double precision NOT NULL CHECK (home_lat BETWEEN -90 AND 90),
    home_lon             double precision NOT NULL CHECK (home_lon BETWEEN -180 AND 180),
    postal_code          text             NOT NULL,
    max_travel_km        double precision NOT NULL CHECK (max_travel_km >= 0),
    max_minutes_per_week integer          NOT NULL CHECK (max_minutes_per_week >= 0),
    accepts_same_day     boolean          NOT NULL DEFAULT true,
    time_zone            text             NOT NULL DEFAULT 'Europe/Berlin',
    notify_by_email      boolean          NOT NULL DEFAULT true,
    active               boolean          NOT NULL DEFAULT true,
    -- Weekly rules and date overrides in local time: {"weekly_rules": [...], "overrides": [...]}.
    calendar             jsonb            NOT NULL DEFAULT '{"weekly_rules": [], "overrides": []}'::jsonb,
    created_at           timestamptz      NOT NULL DEFAULT now(),
    updated_at           timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX mediators_languages ON availability.mediators USING gin (languages jsonb_path_ops);

CREATE TABLE availability.absences (
    id          uuid        PRIMARY KEY,
    mediator_id uuid        NOT NULL REFERENCES availability.mediators (id) ON DELETE CASCADE,
    during      tstzrange   NOT NULL CHECK (NOT isempty(during)),
    reason      text        NOT NULL CHECK (reason IN ('holiday', 'illness', 'other'))
);
CREATE INDEX absences_during ON availability.absences USING gist (mediator_id, during);

-- The time an assignment holds. No two live reservations of one mediator overlap,
-- however many replicas reserve at once.
CREATE TABLE availability.reservations (
    id          uuid             PRIMARY KEY,
    mediator_id uuid             NOT NULL REFERENCES availability.mediators (id),
    booking_id  uuid             NOT NULL,
    slot        tstzrange        NOT NULL CHECK (NOT isempty(slot)),
    modality    text             NOT NULL CHECK (modality IN ('on_site', 'video', 'phone')),
    lat         double precision,
    lon         double precision,
    created_at  timestamptz      NOT NULL DEFAULT now(),
    released_at timestamptz,
    CONSTRAINT reservations_no_overlap
        EXCLUDE USING gist (mediator_id WITH =, slot WITH &&) WHERE (released_at IS NULL)
);
CREATE UNIQUE INDEX reservations_one_live_per_booking ON availability.reservations (booking_id) WHERE released_at IS NULL;

-- "Online now" for on-demand calls: a heartbeat moves expires_at forward.
CREATE TABLE availability.presence (
    mediator_id uuid        PRIMARY KEY REFERENCES availability.mediators (id) ON DELETE CASCADE,
    online      boolean     NOT NULL,
    expires_at  timestamptz NOT NULL
);
