-- The last second-factor time step each user signed in with: a code is accepted once only, so a
-- code seen over a shoulder or replayed from a log opens nothing.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
