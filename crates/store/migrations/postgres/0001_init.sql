-- Tessera store, PostgreSQL dialect. Keep in step with ../sqlite/0001_init.sql.

CREATE TABLE providers (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    region        TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE agreements (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    entities    TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('case', 'aggregate')),
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    signed_on   DATE
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'analyst', 'focal_point', 'viewer', 'partner')),
    provider_id   TEXT REFERENCES providers(id),
    locale        TEXT NOT NULL DEFAULT 'en',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    CHECK ((role IN ('focal_point', 'viewer')) = (provider_id IS NOT NULL))
);

CREATE TABLE reporting_periods (
    id        TEXT PRIMARY KEY,
    starts_on DATE NOT NULL,
    ends_on   DATE NOT NULL,
    due_on    DATE NOT NULL
);

CREATE TABLE submissions (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id        TEXT NOT NULL REFERENCES providers(id),
    period_id          TEXT NOT NULL REFERENCES reporting_periods(id),
    version            BIGINT NOT NULL DEFAULT 1,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'returned')),
    dictionary_version TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    submitted_at       TIMESTAMPTZ,
    decided_at         TIMESTAMPTZ,
    UNIQUE (provider_id, period_id, version)
);

CREATE TABLE submission_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions(id),
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    comment       TEXT,
    at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE records (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id        TEXT NOT NULL REFERENCES providers(id),
    entity             TEXT NOT NULL,
    provider_ref       TEXT NOT NULL,
    submission_id      BIGINT REFERENCES submissions(id),
    dictionary_version TEXT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    data               JSONB NOT NULL,
    birth_year         BIGINT,
    clk                BYTEA,
    pkeys              BYTEA,
    updated_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (provider_id, entity, provider_ref)
);


CREATE TABLE record_history (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id     BIGINT NOT NULL REFERENCES records(id),
    version       BIGINT NOT NULL,
    submission_id BIGINT,
    data          JSONB NOT NULL,
    replaced_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
