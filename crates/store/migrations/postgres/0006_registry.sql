-- A real country's registry, without the demo: each provider's names in the interface languages,
-- whether it is an NGO, its focal point's contact and when it was retired (its records and
-- history stay); each agreement's signatories, the signed document (kept with its SHA-256) and
-- the day it was ended; which provider types report in each period and when it was closed.
ALTER TABLE providers ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE providers ADD COLUMN ngo BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE providers ADD COLUMN contact TEXT;
ALTER TABLE providers ADD COLUMN retired_on DATE;
ALTER TABLE agreements ADD COLUMN signatories TEXT;
ALTER TABLE agreements ADD COLUMN document_sha256 TEXT;
ALTER TABLE agreements ADD COLUMN document BYTEA;
ALTER TABLE agreements ADD COLUMN ended_on DATE;
ALTER TABLE reporting_periods ADD COLUMN provider_types TEXT NOT NULL DEFAULT '';
ALTER TABLE reporting_periods ADD COLUMN closed_on DATE;
