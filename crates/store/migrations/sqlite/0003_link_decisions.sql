-- Clerical review of record linkage: a reviewer's verdict on a pair of records ("same person" or
-- "different persons"), which every later linkage run obeys. One row per pair (the smaller record
-- id first); a new verdict replaces the old one, and every verdict is also in the audit log.
-- Keep in step with ../postgres/0003_link_decisions.sql.
CREATE TABLE link_decisions (
    record_a    INTEGER NOT NULL REFERENCES records(id),
    record_b    INTEGER NOT NULL REFERENCES records(id),
    same        INTEGER NOT NULL CHECK (same IN (0, 1)),
    decided_by  TEXT NOT NULL,
    decided_at  INTEGER NOT NULL,
    PRIMARY KEY (record_a, record_b),
    CHECK (record_a < record_b)
);
