-- The report for funders: when a booking's session first began (both parties in the
-- room), for the time to connect of on-demand calls.
ALTER TABLE booking.bookings ADD COLUMN session_started_at timestamptz;

-- Bookings whose time record came from their room began then.
UPDATE booking.bookings b
   SET session_started_at = r.start_at
  FROM booking.time_records r
 WHERE r.booking_id = b.id AND r.source = 'session' AND r.start_at IS NOT NULL;

-- The report reads a period of bookings by their start and their first offer.
CREATE INDEX bookings_by_pool_start ON booking.bookings (pool_id, start_at);
