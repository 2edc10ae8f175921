-- Single sign-on (OpenID Connect): an account remembers the subject of the issuer
-- it signed in with; a sign-in in progress remembers its state, nonce and PKCE
-- verifier until the issuer sends the person back (any replica may get them).
ALTER TABLE directory.users ADD COLUMN oidc_subject text;
CREATE UNIQUE INDEX users_oidc_subject ON directory.users (oidc_subject) WHERE oidc_subject IS NOT NULL;

CREATE TABLE directory.oidc_logins (
    state         text        PRIMARY KEY,
    nonce         text        NOT NULL,
    pkce_verifier text        NOT NULL,
    next          text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oidc_logins_age ON directory.oidc_logins (created_at);
