-- An organisation can be switched off: its people no longer sign in or book, and
-- their sessions end; what it booked stays.
ALTER TABLE directory.organisations ADD COLUMN active boolean NOT NULL DEFAULT true;
