-- The audit log's hash scheme, per entry: 0 = unkeyed SHA-256 (every entry written before this
-- migration, and by a store opened without the audit key), 1 = HMAC-SHA256 under the audit key
-- derived from the deployment secret, which never enters the database. Old entries keep scheme 0
-- and still verify, so upgrading a deployment does not break `tessera audit verify`.
-- ADD COLUMN fires no trigger: the append-only triggers of 0001 stay as they are.
-- Keep in step with ../postgres/0004_audit_keyed.sql.
ALTER TABLE audit_log ADD COLUMN scheme INTEGER NOT NULL DEFAULT 0;
