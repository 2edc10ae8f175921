-- The booking service's bookings. Times are UTC instants; time_zone is the zone the
-- booking was made in, for showing local times.
CREATE TABLE booking.bookings (
    id                uuid        PRIMARY KEY,
    organisation_id   uuid        NOT NULL,
    requested_by      uuid        NOT NULL,
    state             text        NOT NULL CHECK (state IN
                          ('requested', 'offering', 'assigned', 'in_session', 'completed', 'cancelled', 'unfilled')),
    language          text        NOT NULL,
    modality          text        NOT NULL CHECK (modality IN ('on_site', 'video', 'phone')),
    kind              text        NOT NULL CHECK (kind IN ('scheduled', 'on_demand')),
    start_at          timestamptz NOT NULL,
    end_at            timestamptz NOT NULL,
    time_zone         text        NOT NULL,
    duration_minutes  integer     NOT NULL CHECK (duration_minutes BETWEEN 15 AND 600),
    location          jsonb,
    subject_area      text        NOT NULL,
    min_qualification text        NOT NULL,
    mediator_gender   text        NOT NULL,
    client            jsonb,
    notes             text,
    cancel_reason     text,
    -- Rises with every change; compare-and-set updates check the state they expect.
    version           integer     NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (end_at > start_at),
    CHECK (modality <> 'on_site' OR location IS NOT NULL)
);
CREATE INDEX bookings_by_start ON booking.bookings (start_at, id);
CREATE INDEX bookings_by_organisation ON booking.bookings (organisation_id, start_at, id);
CREATE INDEX bookings_by_state ON booking.bookings (state, start_at);

-- A retried create with the same Idempotency-Key returns the booking it created.
CREATE TABLE booking.idempotency_keys (
    requested_by uuid        NOT NULL,
    key          text        NOT NULL,
    fingerprint  text        NOT NULL,
    booking_id   uuid        NOT NULL REFERENCES booking.bookings (id) DEFERRABLE INITIALLY DEFERRED,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (requested_by, key)
);
