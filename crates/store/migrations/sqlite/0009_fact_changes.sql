-- What changed the records the analysis layer reads, in commit order: each write of records (an
-- upload, a correction, a new version) and each decision that approves or un-approves a
-- submission adds one row in the same transaction. A serving process remembers the last `seq` it
-- applied and reads only the records the newer rows name (incremental facts, issue 20); several
-- processes on one database each follow the log. `seq` is assigned under the write lock, so a
-- reader that sees row n has every row before it.
CREATE TABLE fact_changes (
    seq           INTEGER PRIMARY KEY,
    provider_id   TEXT NOT NULL,
    entity        TEXT,
    submission_id INTEGER,
    at            TEXT NOT NULL
);
