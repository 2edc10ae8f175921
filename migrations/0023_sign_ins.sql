-- A sign-in: the browser session and the API token opened by one sign-in end
-- together (logout), and a person lists and ends their own sign-ins.
ALTER TABLE directory.auth_sessions ADD COLUMN sign_in uuid;
UPDATE directory.auth_sessions SET sign_in = gen_random_uuid() WHERE sign_in IS NULL;
ALTER TABLE directory.auth_sessions ALTER COLUMN sign_in SET NOT NULL;
CREATE INDEX auth_sessions_sign_in ON directory.auth_sessions (sign_in);
CREATE INDEX auth_sessions_user ON directory.auth_sessions (user_id, created_at);
