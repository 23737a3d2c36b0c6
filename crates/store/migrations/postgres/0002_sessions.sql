-- Sign-in security: lockout after repeated failures, optional TOTP second factor, forced password
-- change after an admin reset, server-side sessions and API tokens. Keep in step with
-- ../sqlite/0002_sessions.sql. Times used in comparisons are Unix seconds, the same on both engines.

ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- Only a SHA-256 of the session token is kept: a copy of the database does not open sessions.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    stage       TEXT NOT NULL CHECK (stage IN ('second_factor', 'full')),
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    label       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
