-- With the Janus provider each link also carries the token the VideoRoom allows.
ALTER TABLE sessions.links ADD COLUMN janus_token text;

-- When a participant's connection last said it is alive: one whose gateway died is
-- let go after `sessions.presence_timeout_secs`.
ALTER TABLE sessions.participants ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();
