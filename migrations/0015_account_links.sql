-- Set-password links: an invitation for every new account, a reset for a forgotten
-- password. Only a SHA-256 of the secret is stored; a link works once, until it
-- expires.
CREATE TABLE directory.account_links (
    token_hash bytea       PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES directory.users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_links_by_user ON directory.account_links (user_id, created_at);

-- Sign-ins and reset requests share the record of attempts (and its limits).
ALTER TABLE directory.login_attempts
    ADD COLUMN kind text NOT NULL DEFAULT 'login' CHECK (kind IN ('login', 'reset'));

-- An invited account has no password until its link is used.
ALTER TABLE directory.users ALTER COLUMN password_hash DROP NOT NULL;
