-- Each role's work (issue 19). Each file or form a provider's user sent, stored or refused:
-- what the focal point's home page reports as the last upload (records new, updated, left
-- unchanged; what reading repaired, in each interface language). Indexes for reading a
-- submission's records and their earlier versions (the coordinator's review page and its diff
-- to the previous version).
CREATE TABLE uploads (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id   TEXT NOT NULL REFERENCES providers(id),
    submission_id INTEGER REFERENCES submissions(id),
    entity        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    inserted      INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    unchanged     INTEGER NOT NULL,
    errors        INTEGER NOT NULL,
    notes         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX uploads_provider ON uploads(provider_id, id);
CREATE INDEX records_submission ON records(submission_id);
CREATE INDEX record_history_record ON record_history(record_id);
CREATE INDEX record_history_submission ON record_history(submission_id);
CREATE INDEX submission_events_submission ON submission_events(submission_id);
-- A data-entry form saved half-filled, one per user and entity, to finish later. Never the
-- identifying fields: names, birth dates and ID numbers exist only inside intake and the encoder.
CREATE TABLE entry_drafts (
    username   TEXT NOT NULL,
    entity     TEXT NOT NULL,
    form       TEXT NOT NULL,
    saved_at   TEXT NOT NULL,
    PRIMARY KEY (username, entity)
);
