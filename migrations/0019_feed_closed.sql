-- An offer in a mediator's feed that needs nothing more (taken by someone else,
-- cancelled, expired …) is marked read and says why.
ALTER TABLE notifications.feed ADD COLUMN closed text;
CREATE INDEX feed_open_offers ON notifications.feed (link) WHERE kind = 'offer' AND closed IS NULL;
