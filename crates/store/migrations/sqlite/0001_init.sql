-- Tessera store, SQLite dialect. Keep in step with ../postgres/0001_init.sql (a test checks both
-- folders hold the same migrations).

CREATE TABLE providers (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    region        TEXT,
    created_at    TEXT NOT NULL
);

-- Data-sharing agreement (MoU) terms: which entities a provider shares, at which level, when.
CREATE TABLE agreements (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    entities    TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('case', 'aggregate')),
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    signed_on   TEXT
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'analyst', 'focal_point', 'viewer', 'partner')),
    provider_id   TEXT REFERENCES providers(id),
    locale        TEXT NOT NULL DEFAULT 'en',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    CHECK ((role IN ('focal_point', 'viewer')) = (provider_id IS NOT NULL))
);

CREATE TABLE reporting_periods (
    id        TEXT PRIMARY KEY,
    starts_on TEXT NOT NULL,
    ends_on   TEXT NOT NULL,
    due_on    TEXT NOT NULL
);

CREATE TABLE submissions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id        TEXT NOT NULL REFERENCES providers(id),
    period_id          TEXT NOT NULL REFERENCES reporting_periods(id),
    version            INTEGER NOT NULL DEFAULT 1,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'returned')),
    dictionary_version TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    submitted_at       TEXT,
    decided_at         TEXT,
    UNIQUE (provider_id, period_id, version)
);

CREATE TABLE submission_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    comment       TEXT,
    at            TEXT NOT NULL
);

-- One row per record a provider sent, under the provider's own reference. Identifying fields are
-- never here: only pseudonyms (clk, pkeys) and the year of birth as a quasi-identifier.
CREATE TABLE records (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id        TEXT NOT NULL REFERENCES providers(id),
    entity             TEXT NOT NULL,
    provider_ref       TEXT NOT NULL,
    submission_id      INTEGER REFERENCES submissions(id),
    dictionary_version TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    data               TEXT NOT NULL,
    birth_year         INTEGER,
    clk                BLOB,
    pkeys              BLOB,
    updated_at         TEXT NOT NULL,
    UNIQUE (provider_id, entity, provider_ref)
);


CREATE TABLE record_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id     INTEGER NOT NULL REFERENCES records(id),
    version       INTEGER NOT NULL,
    submission_id INTEGER,
    data          TEXT NOT NULL,
    replaced_at   TEXT NOT NULL
);

-- Append-only, hash-chained audit log. Timestamps are text so the hash is reproducible.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
