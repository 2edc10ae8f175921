-- Mediators serve pools, and a booking is offered only within its pool.

-- The pools a mediator serves: [{"pool_id": "...", "active": true}, ...]. A pool
-- pauses a member (active false) without touching the mediator's other pools.
ALTER TABLE availability.mediators ADD COLUMN pools jsonb NOT NULL DEFAULT '[]'::jsonb;

-- Mediators created before this migration serve the pool of the organisation their
-- account was created in (the one time a migration reads across schemas: the
-- gateway's directory is the only record of it).
UPDATE availability.mediators m
   SET pools = jsonb_build_array(jsonb_build_object('pool_id', COALESCE(o.pool_id, o.id), 'active', true))
  FROM directory.users u JOIN directory.organisations o ON o.id = u.organisation_id
 WHERE u.mediator_id = m.id;

-- The pool that serves the booking's organisation, set at creation; NULL for
-- bookings made before, which stay open to every mediator.
ALTER TABLE booking.bookings ADD COLUMN pool_id uuid;
UPDATE booking.bookings b
   SET pool_id = COALESCE(o.pool_id, o.id)
  FROM directory.organisations o
 WHERE o.id = b.organisation_id;
