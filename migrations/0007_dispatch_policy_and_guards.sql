-- Each booking keeps the dispatch policy of its organisation (or pool) in force when
-- it was made; what the policy leaves out follows the service's configuration.
ALTER TABLE booking.bookings ADD COLUMN dispatch_policy jsonb NOT NULL DEFAULT '{}'::jsonb;

-- A reservation taken in availability that booking has not (yet) recorded as an
-- assignment. Written before the reserve request and closed in the transaction that
-- records the assignment, or when the reservation is given back. One still open at
-- `due_at` is reconciled: released unless its booking is assigned with it.
CREATE TABLE booking.reservation_guards (
    reservation_id uuid        PRIMARY KEY,
    booking_id     uuid        NOT NULL REFERENCES booking.bookings (id),
    mediator_id    uuid        NOT NULL,
    due_at         timestamptz NOT NULL,
    attempts       integer     NOT NULL DEFAULT 0,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    done_at        timestamptz,
    outcome        text        CHECK (outcome IN ('kept', 'released', 'not_reserved'))
);
CREATE INDEX reservation_guards_due ON booking.reservation_guards (due_at) WHERE done_at IS NULL;
