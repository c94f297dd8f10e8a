-- The bank's database on PostgreSQL, version 2 (bank/migrations/0002_teller.sql):
-- the teller operator behind each teller action, the exception queue's
-- resolutions, and the teller's re-entry of a phone's balance and ATC after
-- its log was lost. PostgreSQL changes a CHECK in place, where SQLite makes
-- the table again.

ALTER TABLE loads DROP CONSTRAINT loads_kind;
ALTER TABLE loads ADD CONSTRAINT loads_kind CHECK (kind IN ('voucher', 'load', 'unload', 'reentry'));
-- The teller operator who did it; empty for a voucher's initial load.
ALTER TABLE loads ADD COLUMN operator TEXT NOT NULL DEFAULT '';

-- An exception is open while resolved_at is 0.
ALTER TABLE exceptions ADD COLUMN resolved_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE exceptions ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
-- A re-entry resolves its wallet's open exceptions.
CREATE INDEX exceptions_open ON exceptions (pan, psn) WHERE resolved_at = 0;
