-- Escalation at a point before the start (e.g. 48 h), once per dispatch.
ALTER TABLE booking.bookings ADD COLUMN escalated_at timestamptz;
ALTER TABLE booking.timers DROP CONSTRAINT timers_kind_check;
ALTER TABLE booking.timers ADD CONSTRAINT timers_kind_check CHECK (kind IN ('wave_deadline', 'escalation'));
