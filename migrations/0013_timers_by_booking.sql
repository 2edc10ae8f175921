-- A booking's pending timers are cancelled when it is assigned or cancelled; without
-- this index that read every pending timer of the pool (escalation points stay
-- pending for weeks).
CREATE INDEX timers_pending_by_booking ON booking.timers (booking_id) WHERE done_at IS NULL;
