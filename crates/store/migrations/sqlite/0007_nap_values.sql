-- National Action Plan figures entered by hand from activity records (trainings held, awareness
-- sessions, MoUs signed, budget spent), one per indicator and year; the latest entry replaces the
-- previous one, and each entry is in the audit log.
CREATE TABLE nap_values (
    indicator  TEXT NOT NULL,
    year       INTEGER NOT NULL,
    value      REAL NOT NULL,
    note       TEXT,
    entered_by TEXT NOT NULL,
    PRIMARY KEY (indicator, year)
);
