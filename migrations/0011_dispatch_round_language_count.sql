-- A dispatch round counts the mediators who do not speak the booking's language
-- instead of listing each of them (hundreds in a large pool).
ALTER TABLE booking.dispatch_rounds ADD COLUMN other_languages integer NOT NULL DEFAULT 0;
