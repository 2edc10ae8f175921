-- With the Janus provider each link also carries the token the VideoRoom allows.
ALTER TABLE sessions.links ADD COLUMN janus_token text;
